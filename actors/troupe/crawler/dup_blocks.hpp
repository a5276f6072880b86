#pragma once

// The near-duplicate entries of one search shard.
//
// A page's 64-bit simhash is cut into 4 blocks of 16 bits; two hashes at
// most 3 bits apart agree on at least one block (pigeonhole). Block `i` of
// hash `h` is stored on the shard owning the key "dup/<i>/<block>", so the
// candidates for a page are found by asking 4 shards, each of which checks
// only the entries filed under that one block value. An entry is (hash,
// url); a bucket holds the entries of one (idx, block) in the order they
// were stored.
//
// Persisted one journal record per entry: key "b" + idx byte + block
// (2 bytes, big-endian) + url, value the hash (8 bytes, big-endian).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace troupe::crawler {

/// The near-duplicate block entries one shard holds. Single-threaded.
class dup_blocks {
public:
  /// The largest Hamming distance at which two pages are near-duplicates.
  static constexpr int max_distance = 3;

  /// One stored entry, as the journal holds it.
  struct entry {
    int idx = 0;
    uint16_t block = 0;
    uint64_t hash = 0;
    std::string url;
  };

  /// Block `idx` (0..3) of `hash`: bits 16*idx .. 16*idx+15 (0 for any
  /// other idx).
  static uint16_t block_of(uint64_t hash, int idx);

  /// The routing key of block `idx` with value `block`: "dup/<idx>/<block>"
  /// (decimal).
  static std::string route_key(int idx, uint16_t block);

  /// The URL of an entry under (`idx`, `block`) within `max_distance` bits
  /// of `hash`, other than `url` itself (the nearest; the earliest stored
  /// among equals). When there is none, stores (`hash`, `url`) there,
  /// replacing `url`'s older entry under that block, and returns "".
  std::string check_insert(int idx, uint16_t block, uint64_t hash,
                           const std::string& url);

  /// Removes `url`'s entry under (`idx`, `block`); false if absent.
  bool remove(int idx, uint16_t block, const std::string& url);

  /// Stores an entry without checking (at load), replacing `url`'s older
  /// entry under that block.
  void restore(int idx, uint16_t block, uint64_t hash, const std::string& url);

  /// The number of stored entries.
  size_t size() const noexcept { return size_; }

  /// The journal key of `url`'s entry under (`idx`, `block`).
  static std::string key(int idx, uint16_t block, std::string_view url);

  /// The journal value of an entry with `hash`.
  static std::string value(uint64_t hash);

  /// The entry a journal record holds, or nullopt when the key or value is
  /// not one `key` and `value` make: wrong sizes or tag, idx over 3, empty
  /// url, or a block that is not `block_of(hash, idx)` (never throws).
  static std::optional<entry> decode(std::string_view key,
                                     std::string_view value);

private:
  /// One entry of a bucket.
  struct slot {
    uint64_t hash;
    std::string url;
  };

  using bucket = std::vector<slot>;

  /// The map key of (`idx`, `block`).
  static uint32_t bucket_id(int idx, uint16_t block);

  /// Removes `url`'s slot from `b`; false if absent.
  bool erase_url(bucket& b, const std::string& url);

  /// Buckets by `bucket_id`; empty buckets are dropped.
  std::unordered_map<uint32_t, bucket> buckets_;
  size_t size_ = 0;
};

} // namespace troupe::crawler
