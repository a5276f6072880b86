#pragma once

#include <cstdint>

namespace troupe::cache {

/// Counters of the cache: of one shard's table, or summed over shards.
struct cache_stats {
  /// Live entries (expired ones not yet reclaimed included).
  uint64_t entries = 0;
  /// Bytes charged for the entries, see `lru_table::charge_of`.
  uint64_t bytes = 0;
  /// The byte budget.
  uint64_t capacity_bytes = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  /// Live entries removed to make room.
  uint64_t evictions = 0;
  /// Entries removed because their TTL had passed (on read, by the sweep,
  /// or found expired at the LRU tail).
  uint64_t expired = 0;

  cache_stats& operator+=(const cache_stats& x) {
    entries += x.entries;
    bytes += x.bytes;
    capacity_bytes += x.capacity_bytes;
    hits += x.hits;
    misses += x.misses;
    evictions += x.evictions;
    expired += x.expired;
    return *this;
  }
};

} // namespace troupe::cache
