#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <msgpack.hpp>

#include "troupe/persistence/store.hpp"
#include "troupe/twitter/messages.hpp"
#include "troupe/twitter/search_index.hpp"

namespace troupe::twitter {

/// A user as stored on disk (msgpack map; field names kept).
struct user_record {
  std::string name;
  /// SHA-256 of the auth token (auth.hpp); the token itself is not kept.
  std::string token_hash;
  /// Unix ms of the last authenticated action or home-timeline read, as
  /// persisted (at most `active_persist_ms` behind the in-memory value).
  int64_t last_active_ms = 0;
  MSGPACK_DEFINE_MAP(name, token_hash, last_active_ms)
};

/// One side of a follow, as stored on disk.
struct edge_record {
  bool notify = false;
  MSGPACK_DEFINE_MAP(notify)
};

/// A tweet as stored on disk under its author (the id is in the key).
struct tweet_record {
  std::string status;
  std::vector<std::string> media_ids;
  MSGPACK_DEFINE_MAP(status, media_ids)
};

/// A user of this shard, in memory.
struct user_entry {
  user_record rec;
  /// Last activity in memory (Unix ms).
  int64_t active_ms = 0;
  /// The people this user follows -> notify flag.
  std::unordered_map<std::string, bool> followees;
  /// The people following this user -> notify flag.
  std::unordered_map<std::string, bool> followers;
  /// How many of `followers` asked to be notified.
  size_t notify_followers = 0;
  /// This user's tweets in id order (oldest first).
  std::vector<tweet_ptr> tweets;
};

/// The durable logic of one Twitter shard: its users, both sides of their
/// follows, their tweets and the search index of those tweets. Every
/// durable change is a list of journal ops applied through `apply`, the
/// same code recovery replays.
///
/// Keys: `u:<user>` -> user_record, `g:<follower>:<followee>` ->
/// edge_record (the followee side, on the follower's shard),
/// `r:<followee>:<follower>` -> edge_record (on the followee's shard),
/// `t:<user>:<16 hex digits of the id>` -> tweet_record.
class user_state {
public:
  using op = persistence::journal_op;

  /// In-memory activity newer than the persisted one by this much is
  /// written back with the next `touch`.
  static constexpr int64_t active_persist_ms = 3600 * 1000;

  void restore(const persistence::shard_image& image);
  void apply(const op& x);

  /// Returns the user, or nullptr.
  const user_entry* find(const std::string& user) const;

  static op put_user(const std::string& user, const user_record& rec);
  static op put_followee(const std::string& follower,
                         const std::string& followee, bool notify);
  static op erase_followee(const std::string& follower,
                           const std::string& followee);
  static op put_follower(const std::string& followee,
                         const std::string& follower, bool notify);
  static op erase_follower(const std::string& followee,
                           const std::string& follower);
  static op put_tweet(const tweet& t);

  /// Marks `user` active at `now_ms`; returns the op that persists it when
  /// the persisted time is older than `active_persist_ms`.
  std::optional<op> touch(const std::string& user, int64_t now_ms);

  /// Up to `count` tweets of `user` with `id <= max_id` (0: no bound),
  /// newest first.
  std::vector<tweet_ptr> user_timeline(const std::string& user, size_t count,
                                       uint64_t max_id) const;

  /// The newest `count` tweets of all `authors` held here, newest first.
  tweet_list recent(const std::vector<std::string>& authors,
                    size_t count) const;

  /// Tweets of this shard containing all `terms`, newest first.
  tweet_list search(const std::vector<std::string>& terms, size_t limit) const;

  size_t user_count() const noexcept { return users_.size(); }
  size_t tweet_count() const noexcept { return by_id_.size(); }

private:
  void add_tweet(const std::string& user, uint64_t id, tweet_record rec);

  std::unordered_map<std::string, user_entry> users_;
  std::unordered_map<uint64_t, tweet_ptr> by_id_;
  search_index index_;
};

/// Splits `<a>:<b>` after `prefix_len` characters at the last ':'.
bool split_pair(const std::string& key, size_t prefix_len, std::string& a,
                std::string& b);

} // namespace troupe::twitter
