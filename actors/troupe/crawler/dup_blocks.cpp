#include "troupe/crawler/dup_blocks.hpp"

#include "troupe/crawler/simhash.hpp"

namespace troupe::crawler {

namespace {

/// Appends `x` to `out` as `n` bytes, big-endian.
void put_be(std::string& out, uint64_t x, int n) {
  for (int i = n - 1; i >= 0; --i)
    out += static_cast<char>((x >> (8 * i)) & 0xFF);
}

/// Reads `bytes` as a big-endian unsigned integer.
uint64_t get_be(std::string_view bytes) {
  uint64_t x = 0;
  for (auto c : bytes)
    x = (x << 8) | static_cast<unsigned char>(c);
  return x;
}

} // namespace

uint16_t dup_blocks::block_of(uint64_t hash, int idx) {
  if (idx < 0 || idx > 3)
    return 0;
  return static_cast<uint16_t>(hash >> (16 * idx));
}

std::string dup_blocks::route_key(int idx, uint16_t block) {
  return "dup/" + std::to_string(idx) + "/" + std::to_string(block);
}

std::string dup_blocks::check_insert(int idx, uint16_t block, uint64_t hash,
                                     const std::string& url) {
  auto& b = buckets_[bucket_id(idx, block)];
  const slot* best = nullptr;
  int best_distance = max_distance + 1;
  for (const auto& s : b) {
    auto d = hamming(s.hash, hash);
    if (d < best_distance && s.url != url) {
      best = &s;
      best_distance = d;
    }
  }
  if (best != nullptr)
    return best->url;
  if (erase_url(b, url))
    --size_;
  b.push_back(slot{hash, url});
  ++size_;
  return {};
}

bool dup_blocks::remove(int idx, uint16_t block, const std::string& url) {
  auto found = buckets_.find(bucket_id(idx, block));
  if (found == buckets_.end() || !erase_url(found->second, url))
    return false;
  --size_;
  if (found->second.empty())
    buckets_.erase(found);
  return true;
}

void dup_blocks::restore(int idx, uint16_t block, uint64_t hash,
                         const std::string& url) {
  auto& b = buckets_[bucket_id(idx, block)];
  if (erase_url(b, url))
    --size_;
  b.push_back(slot{hash, url});
  ++size_;
}

std::string dup_blocks::key(int idx, uint16_t block, std::string_view url) {
  std::string out;
  out.reserve(4 + url.size());
  out += 'b';
  put_be(out, static_cast<uint8_t>(idx), 1);
  put_be(out, block, 2);
  out += url;
  return out;
}

std::string dup_blocks::value(uint64_t hash) {
  std::string out;
  put_be(out, hash, 8);
  return out;
}

std::optional<dup_blocks::entry> dup_blocks::decode(std::string_view key,
                                                    std::string_view value) {
  if (key.size() < 5 || key[0] != 'b' || value.size() != 8)
    return std::nullopt;
  auto idx = static_cast<int>(get_be(key.substr(1, 1)));
  if (idx > 3)
    return std::nullopt;
  entry out;
  out.idx = idx;
  out.block = static_cast<uint16_t>(get_be(key.substr(2, 2)));
  out.hash = get_be(value);
  out.url = std::string{key.substr(4)};
  if (out.block != block_of(out.hash, idx))
    return std::nullopt; // not a record `key` and `value` made together
  return out;
}

uint32_t dup_blocks::bucket_id(int idx, uint16_t block) {
  return (static_cast<uint32_t>(idx) << 16) | block;
}

bool dup_blocks::erase_url(bucket& b, const std::string& url) {
  for (auto i = b.begin(); i != b.end(); ++i) {
    if (i->url == url) {
      b.erase(i);
      return true;
    }
  }
  return false;
}

} // namespace troupe::crawler
