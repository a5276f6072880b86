#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace troupe::twitter {

/// One entry of a home timeline: 16 bytes, no pointers.
struct timeline_entry {
  /// The tweet (a Snowflake id: newer is larger).
  uint64_t tweet_id = 0;
  /// 32-bit hash of the author's user id (`author_key`): lets an unfollow
  /// drop the followee's entries without storing user ids.
  uint32_t author = 0;
  /// Free bits for the service (e.g. flags); stored as given.
  uint32_t meta = 0;
};
static_assert(sizeof(timeline_entry) == 16);

/// The 32-bit key of a user id in timeline entries (XXH64, low bits).
uint32_t author_key(const char* user_id, size_t size);

/// A home timeline: at most `capacity` entries, newest first when read.
/// Entries live in one array in tweet-id order; once full it is a ring
/// whose oldest slot the next entry overwrites, so the usual delivery (a
/// tweet newer than everything held) costs O(1) and no allocation, and a
/// full timeline holds exactly 16 bytes per entry.
class home_timeline {
public:
  /// Entries `add` moves a late entry past within the ring.
  static constexpr size_t max_shift = 32;

  explicit home_timeline(size_t capacity = 800);

  /// Adds `e`, dropping the oldest entry when full. An entry older than
  /// everything held in a full timeline, or a tweet already held, is
  /// ignored. Returns whether it was added.
  bool add(timeline_entry e);

  /// Up to `count` entries with `tweet_id < max_id` (`max_id` 0: no
  /// bound), newest first.
  std::vector<timeline_entry> page(size_t count, uint64_t max_id = 0) const;

  /// Removes every entry of `author`; returns how many.
  size_t remove_author(uint32_t author);

  /// Calls `f(entry)` for every entry, oldest first.
  template <class F>
  void for_each(F f) const {
    for (size_t i = 0; i < size_; ++i)
      f(at(i));
  }

  size_t size() const noexcept { return size_; }
  size_t capacity() const noexcept { return capacity_; }
  /// Bytes of the entry array (what the timeline costs beyond the object).
  size_t memory_bytes() const noexcept {
    return slots_.capacity() * sizeof(timeline_entry);
  }

private:
  /// The i-th oldest entry.
  timeline_entry& at(size_t i) { return slots_[(start_ + i) % slots_.size()]; }
  const timeline_entry& at(size_t i) const {
    return slots_[(start_ + i) % slots_.size()];
  }
  /// `add` for an entry older than the `max_shift` newest: a binary search
  /// and an insertion into the straightened array.
  bool add_far(timeline_entry e);
  /// Lays the ring out from index 0 again (before inserting in the middle).
  void straighten();
  /// Makes room for one more entry without exceeding the capacity.
  void grow();

  size_t capacity_;
  std::vector<timeline_entry> slots_;
  size_t start_ = 0;
  size_t size_ = 0;
};

/// Merges timelines that are each sorted newest first into one, newest
/// first, without duplicate tweet ids, keeping only `tweet_id < max_id`
/// (0: no bound), at most `count` entries. For reads that add the recent
/// tweets of highly followed users to a fanned-out home timeline.
std::vector<timeline_entry>
merge_newest_first(const std::vector<std::vector<timeline_entry>>& sources,
                   size_t count, uint64_t max_id = 0);

} // namespace troupe::twitter
