#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "troupe/twitter/messages.hpp"
#include "troupe/twitter/timeline.hpp"

namespace troupe::twitter {

/// The memory-only side of one Twitter shard: the home timelines and
/// notifications of its users, the tweets those timelines point at, and
/// the recent tweets of highly followed authors (merged into home
/// timelines at read time instead of being fanned out).
///
/// A home timeline is a virtual actor of its shard: it does not exist
/// until its user reads it, is then built from the user timelines of the
/// people followed (`begin_build` / `finish_build`), receives fan-out
/// deliveries while its user is active, and is dropped (passivated) when
/// its user goes inactive or follows someone new; the next read builds it
/// again.
class home_state {
public:
  enum class phase : uint8_t { building, built };

  struct home {
    explicit home(size_t capacity) : ring(capacity) {
      // nop
    }
    home_timeline ring;
    phase state = phase::building;
    /// Deliveries that arrived while building.
    std::vector<tweet_ptr> arrived;
  };

  /// Tells whether a user follows an author.
  using follows_fn = std::function<bool(const std::string& author)>;

  home_state(size_t home_size, size_t notes_per_user);

  /// Returns the home timeline of `user`, or nullptr if not in memory.
  home* find(const std::string& user);

  /// Starts building the home timeline of `user` (replacing any).
  home& begin_build(const std::string& user);

  /// Completes a build with the newest tweets of the people followed (and
  /// whatever was delivered meanwhile).
  void finish_build(const std::string& user, const tweet_list& fetched);

  /// Delivers `t` to `user`'s home timeline if it is in memory; returns
  /// whether an entry was added.
  bool deliver(const std::string& user, const tweet_ptr& t);

  /// Drops `user`'s home timeline from memory.
  void drop(const std::string& user);

  /// Drops the home timelines whose user `idle` accepts (passivation);
  /// returns how many.
  size_t drop_if(const std::function<bool(const std::string& user)>& idle);

  /// Removes the tweets of `author` from `user`'s home timeline.
  void remove_author(const std::string& user, const std::string& author);

  /// Keeps `t`, a tweet of an author who is not fanned out.
  void add_celebrity_tweet(const tweet_ptr& t);

  /// Up to `count` tweets of a built home timeline with `id <= max_id` (0:
  /// no bound), merged with the recent tweets of the highly followed
  /// authors `follows` accepts, newest first.
  std::vector<tweet_ptr> read(const home& h, size_t count, uint64_t max_id,
                              const follows_fn& follows) const;

  /// Adds a notification for `user`, dropping the oldest beyond the bound.
  void notify(const std::string& user, notification n);

  /// Up to `limit` notifications of `user`, newest first.
  std::vector<notification> notifications(const std::string& user,
                                          size_t limit) const;

  /// Entries held by all home timelines of this shard.
  size_t entries() const noexcept { return entries_; }

  /// Tweets held for rendering (tests and metrics).
  size_t cached_tweets() const noexcept { return tweets_.size(); }

  /// Forgets cached tweets no home timeline points at any more; runs
  /// when the cache has doubled since the last collection.
  void collect_garbage(bool force = false);

private:
  tweet_ptr intern(const tweet_ptr& t);
  tweet_ptr lookup(uint64_t id) const;
  bool add_entry(home& h, const tweet_ptr& t);

  size_t home_size_;
  size_t notes_per_user_;
  std::unordered_map<std::string, home> homes_;
  /// Tweets the home timelines point at, by id.
  std::unordered_map<uint64_t, tweet_ptr> tweets_;
  size_t live_after_gc_ = 0;
  /// Author -> their newest tweets (oldest first), at most `home_size_`.
  std::unordered_map<std::string, std::deque<tweet_ptr>> celebrities_;
  std::unordered_map<std::string, std::deque<notification>> notes_;
  size_t entries_ = 0;
};

} // namespace troupe::twitter
