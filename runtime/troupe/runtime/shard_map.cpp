#include "troupe/runtime/shard_map.hpp"

#include <algorithm>

#include <xxhash.h>

namespace troupe::runtime {

uint16_t shard_of(std::string_view key, size_t shards) {
  return static_cast<uint16_t>(XXH64(key.data(), key.size(), 0) % shards);
}

shard_map::shard_map(std::vector<std::string> members,
                     size_t replication_factor)
    : members_(std::move(members)),
      rf_(std::min(std::max<size_t>(replication_factor, 1), members_.size())) {
  // nop
}

std::vector<std::string> shard_map::owners(std::string_view service,
                                           uint16_t shard) const {
  // Score every member for this (service, shard) and keep the top rf_.
  std::vector<std::pair<uint64_t, const std::string*>> scored;
  scored.reserve(members_.size());
  std::string buf;
  for (const auto& member : members_) {
    buf.assign(service);
    buf += '\0';
    buf += std::to_string(shard);
    buf += '\0';
    buf += member;
    scored.emplace_back(XXH64(buf.data(), buf.size(), 0), &member);
  }
  auto top = scored.begin() + static_cast<ptrdiff_t>(rf_);
  std::partial_sort(
      scored.begin(), top, scored.end(), [](const auto& x, const auto& y) {
        return x.first != y.first ? x.first > y.first : *x.second < *y.second;
      });
  std::vector<std::string> result;
  result.reserve(rf_);
  for (auto i = scored.begin(); i != top; ++i)
    result.push_back(*i->second);
  return result;
}

std::string shard_map::primary(std::string_view service, uint16_t shard) const {
  return owners(service, shard).front();
}

} // namespace troupe::runtime
