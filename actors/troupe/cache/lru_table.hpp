#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "troupe/cache/stats.hpp"

namespace troupe::cache {

/// A byte-budgeted LRU map with per-entry expiry: the state of one cache
/// shard. Single-threaded; get, set, erase and eviction are O(1).
///
/// Layout: each entry is one allocation holding its links, expiry, sizes,
/// key and value bytes. The hash index chains entries through an intrusive
/// pointer (power-of-two bucket array, load factor at most 1); the LRU
/// order is an intrusive doubly linked list, most recently used at the head.
///
/// Time is a caller-supplied `now` in milliseconds; an entry with
/// `expires_at != 0` is expired once `now >= expires_at` and is never
/// returned after that.
class lru_table {
public:
  /// An entry whose `charge_of` exceeds `capacity_bytes` is refused.
  explicit lru_table(uint64_t capacity_bytes);

  ~lru_table();

  lru_table(const lru_table&) = delete;
  lru_table& operator=(const lru_table&) = delete;

  /// Bytes an entry costs: its allocation rounded up to the allocator's
  /// size class (jemalloc's: 16-byte steps to 128 B, then four classes per
  /// doubling), plus 16 bytes for its share of the bucket array (which
  /// holds 8 to 16 bytes per entry at load factors 1 to 1/2).
  static uint64_t charge_of(size_t key_size, size_t value_size) noexcept;

  /// Returns the value of `key` unless absent or expired (an expired entry
  /// is removed). A hit moves the entry to the front. The view is valid
  /// until the next non-const call.
  std::optional<std::string_view> get(std::string_view key, int64_t now);

  /// Stores `key` -> `value` at the front (replacing an old value), then
  /// evicts from the tail until the budget holds. `expires_at == 0`: no
  /// expiry. Returns false, changing nothing, when the entry alone exceeds
  /// the budget or the key is longer than 65,535 bytes.
  bool set(std::string_view key, std::string_view value, int64_t expires_at,
           int64_t now);

  /// Removes `key`; returns false if it was absent or expired.
  bool erase(std::string_view key, int64_t now);

  /// Result of one sweep step.
  struct sweep_result {
    size_t examined = 0;
    size_t removed = 0;
  };

  /// Visits the next `max_buckets` buckets of the index (a cursor wraps
  /// around) and removes the expired entries found there: bounded work
  /// per call, like Redis' active expiry.
  sweep_result sweep(int64_t now, size_t max_buckets);

  /// Calls `f(key, value, expires_at)` for every entry, least recently
  /// used first (re-inserting in this order restores the LRU order).
  template <class F>
  void for_each_oldest_first(F&& f) const {
    for (auto* e = tail_; e != nullptr; e = e->newer)
      f(e->key(), e->value(), e->expires_at);
  }

  const cache_stats& stats() const noexcept { return stats_; }

  size_t size() const noexcept { return stats_.entries; }

  /// Returns the key of the least recently used entry (for tests).
  std::optional<std::string_view> oldest() const;

private:
  struct entry {
    entry* chain; // next in the bucket
    entry* newer; // towards the head of the LRU list
    entry* older; // towards the tail
    int64_t expires_at;
    uint32_t hash;
    uint32_t value_size;
    uint16_t key_size;
    char bytes[6]; // key then value; the allocation extends past the struct

    char* data() noexcept {
      return reinterpret_cast<char*>(this) + offsetof(entry, bytes);
    }
    const char* data() const noexcept {
      return reinterpret_cast<const char*>(this) + offsetof(entry, bytes);
    }
    std::string_view key() const noexcept { return {data(), key_size}; }
    std::string_view value() const noexcept {
      return {data() + key_size, value_size};
    }
    bool expired(int64_t now) const noexcept {
      return expires_at != 0 && now >= expires_at;
    }
  };

  static size_t alloc_size(size_t key_size, size_t value_size) noexcept;
  static uint32_t hash_of(std::string_view key) noexcept;

  entry** find_slot(std::string_view key, uint32_t hash) noexcept;
  void link_front(entry* e) noexcept;
  void unlink(entry* e) noexcept;
  void remove(entry** slot) noexcept;
  void remove(entry* e) noexcept;
  void evict_tail(int64_t now) noexcept;
  void grow();

  std::unique_ptr<entry*[]> buckets_;
  size_t mask_ = 0;
  size_t cursor_ = 0;
  entry* head_ = nullptr;
  entry* tail_ = nullptr;
  cache_stats stats_;
};

} // namespace troupe::cache
