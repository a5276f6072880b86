#pragma once

// Near-duplicate detection for crawled pages.
//
// A simhash (Charikar 2002) folds a document's features into 64 bits so
// that similar documents get hashes a few bits apart: each feature's 64-bit
// hash votes +w or -w on every bit (w its weight), and a bit of the result
// is set where the votes sum above zero. Changing a few features moves only
// the bits whose sums were already close to zero.
//
// Features here are the document's distinct terms, weighted by their term
// frequency. Word order is ignored on purpose: it makes the hash cheap and
// stable under the boilerplate reshuffles (sidebars, ad slots, reordered
// lists) that make mirrored pages differ, at the cost of calling two pages
// with the same bag of words duplicates. Word 2-shingles would make order
// count but also make a single changed word disturb three features
// instead of one, so pages need more identical text to match.
//
// `near_duplicate_index` finds a stored hash within Hamming distance 3
// without a scan: cut the 64 bits into 4 blocks of 16; two hashes differing
// in at most 3 bits must agree exactly on at least one block (pigeonhole).
// One hash map per block sends a block value to the entries having it; a
// lookup checks only the entries sharing some block with the query.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace troupe::crawler {

/// The simhash of a document given as its terms (see `terms_of`): each
/// distinct term is a feature weighted by how often it occurs. Order does
/// not matter; an empty document hashes to 0.
uint64_t simhash(const std::vector<std::string>& terms);

/// The number of bits in which `a` and `b` differ.
int hamming(uint64_t a, uint64_t b);

/// Stored simhashes, searchable by Hamming distance up to 3 in time
/// proportional to the entries sharing a 16-bit block with the query.
class near_duplicate_index {
public:
  /// The largest distance `find_within` answers from the block maps;
  /// beyond it, it falls back to a linear scan.
  static constexpr int max_fast_distance = 3;

  /// Stores `hash` for `doc_id`. Adding a doc id twice stores both hashes.
  void add(uint64_t doc_id, uint64_t hash);

  /// A doc id whose hash lies within `max_distance` bits of `hash` (the
  /// nearest; the first added among equals), or `nullopt`.
  std::optional<uint64_t> find_within(uint64_t hash,
                                      int max_distance = 3) const;

  /// The number of stored hashes.
  size_t size() const noexcept { return entries_.size(); }

private:
  /// One stored hash.
  struct entry {
    uint64_t doc_id;
    uint64_t hash;
  };

  /// Picks the nearest of `candidates` within `max_distance`.
  std::optional<uint64_t>
  nearest(uint64_t hash, int max_distance,
          const std::vector<uint32_t>& candidates) const;

  /// Indexes into `entries_` of every entry sharing a block with `hash`.
  std::vector<uint32_t> candidates_of(uint64_t hash) const;

  std::vector<entry> entries_;
  std::unordered_map<uint16_t, std::vector<uint32_t>> blocks_[4];
};

} // namespace troupe::crawler
