#include "troupe/crawler/simhash.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <numeric>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace troupe::crawler {

namespace {

/// Block `i` (0..3) of `hash`: bits 16*i .. 16*i+15.
uint16_t block_of(uint64_t hash, int i) {
  return static_cast<uint16_t>(hash >> (16 * i));
}

/// Counts each distinct term of `terms`.
std::unordered_map<std::string_view, int64_t>
frequencies(const std::vector<std::string>& terms) {
  std::unordered_map<std::string_view, int64_t> tf;
  for (const auto& term : terms)
    ++tf[term];
  return tf;
}

} // namespace

uint64_t simhash(const std::vector<std::string>& terms) {
  std::array<int64_t, 64> votes{};
  for (const auto& [term, weight] : frequencies(terms)) {
    auto h = XXH3_64bits(term.data(), term.size());
    for (int bit = 0; bit < 64; ++bit)
      votes[bit] += ((h >> bit) & 1) ? weight : -weight;
  }
  uint64_t result = 0;
  for (int bit = 0; bit < 64; ++bit)
    if (votes[bit] > 0)
      result |= uint64_t{1} << bit;
  return result;
}

int hamming(uint64_t a, uint64_t b) {
  return static_cast<int>(std::bitset<64>(a ^ b).count());
}

void near_duplicate_index::add(uint64_t doc_id, uint64_t hash) {
  auto index = static_cast<uint32_t>(entries_.size());
  entries_.push_back({doc_id, hash});
  for (int i = 0; i < 4; ++i)
    blocks_[i][block_of(hash, i)].push_back(index);
}

std::optional<uint64_t>
near_duplicate_index::find_within(uint64_t hash, int max_distance) const {
  if (max_distance <= max_fast_distance)
    return nearest(hash, max_distance, candidates_of(hash));
  std::vector<uint32_t> all(entries_.size());
  std::iota(all.begin(), all.end(), 0u);
  return nearest(hash, max_distance, all);
}

std::optional<uint64_t>
near_duplicate_index::nearest(uint64_t hash, int max_distance,
                              const std::vector<uint32_t>& candidates) const {
  std::optional<uint64_t> best;
  int best_distance = max_distance + 1;
  uint32_t best_index = 0;
  for (auto index : candidates) {
    auto d = hamming(hash, entries_[index].hash);
    if (d < best_distance ||
        (d == best_distance && best && index < best_index)) {
      best = entries_[index].doc_id;
      best_distance = d;
      best_index = index;
    }
  }
  return best;
}

std::vector<uint32_t> near_duplicate_index::candidates_of(uint64_t hash) const {
  std::vector<uint32_t> out;
  for (int i = 0; i < 4; ++i) {
    auto found = blocks_[i].find(block_of(hash, i));
    if (found != blocks_[i].end())
      out.insert(out.end(), found->second.begin(), found->second.end());
  }
  return out;
}

} // namespace troupe::crawler
