#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

/// Messages of the Twitter-style timelines and search.
///
/// One region ("twitter") keyed by user id. A user's shard holds the user,
/// the people they follow, their followers, their tweets (the user
/// timeline, durable), the search index of those tweets, and in memory
/// their home timeline and notifications. Protocol (errors are
/// `troupe::runtime::errc` values):
///
/// keyed by the user id (element 1):
/// - `(tw_user, user_id, name, token_hash)` -> ok | conflict
/// - `(tw_follow, user_id, token, followee_id, notify)` -> ok: checks the
///   token, asks the followee's shard `(tw_addfwr, followee_id, user_id,
///   notify)` -> ok | not_found, then stores the follow.
/// - `(tw_unfollow, user_id, token, followee_id)` -> ok: the same through
///   `(tw_delfwr, followee_id, user_id)`.
/// - `(tw_post, user_id, token, status, media_ids)` -> `tweet` once
///   durable; the fan-out follows without the caller waiting.
/// - `(tw_utl | tw_htl, user_id, count, max_id)` -> the user or home
///   timeline, newest first, rendered as the API's JSON array (render.hpp);
///   `max_id` 0: no bound, else inclusive.
/// - `(tw_notes, user_id, limit)` -> `std::vector<notification>`.
/// - `(tw_notify, user_id, notification)`: one-way.
///
/// by shard index (`(to_shard, idx, msg)`):
/// - `(tw_push, tweet, followers, to_timeline)`: one-way fan-out batch for
///   the followers on that shard (node-local batches carry a `tweet_ptr`).
/// - `(tw_celeb, tweet)`: one-way, a tweet of a highly followed author.
/// - `(tw_recent, authors, count)` -> `tweet_list`: the newest `count`
///   tweets of all `authors` on that shard (to rebuild a home timeline).
/// - `(tw_search, terms, limit)` -> `tweet_list`, newest first.
namespace troupe::twitter {

using ok_atom = caf::atom_constant<caf::atom("ok")>;
using user_atom = caf::atom_constant<caf::atom("tw_user")>;
using follow_atom = caf::atom_constant<caf::atom("tw_follow")>;
using unfollow_atom = caf::atom_constant<caf::atom("tw_unfollo")>;
using add_follower_atom = caf::atom_constant<caf::atom("tw_addfwr")>;
using del_follower_atom = caf::atom_constant<caf::atom("tw_delfwr")>;
using post_atom = caf::atom_constant<caf::atom("tw_post")>;
using user_timeline_atom = caf::atom_constant<caf::atom("tw_utl")>;
using home_timeline_atom = caf::atom_constant<caf::atom("tw_htl")>;
using notes_atom = caf::atom_constant<caf::atom("tw_notes")>;
using notify_atom = caf::atom_constant<caf::atom("tw_notify")>;
using push_atom = caf::atom_constant<caf::atom("tw_push")>;
using celeb_atom = caf::atom_constant<caf::atom("tw_celeb")>;
using recent_atom = caf::atom_constant<caf::atom("tw_recent")>;
using search_atom = caf::atom_constant<caf::atom("tw_search")>;
using fanout_atom = caf::atom_constant<caf::atom("tw_fanout")>;
using gc_atom = caf::atom_constant<caf::atom("tw_gc")>;

/// A stored tweet.
struct tweet {
  /// Snowflake id (tweet_id.hpp): creation time, node, sequence.
  uint64_t id = 0;
  std::string user_id;
  std::string status;
  std::vector<std::string> media_ids;
};

using tweet_list = std::vector<tweet>;

/// A tweet shared read-only within one node (fan-out batches, caches).
using tweet_ptr = std::shared_ptr<const tweet>;

/// What a notification is about.
enum class note_kind : uint8_t { tweet = 0, mention = 1 };

/// A notification: `from_user_id` tweeted (kind tweet: a notify-follow) or
/// mentioned the user (kind mention) in `tweet_id`.
struct notification {
  uint64_t tweet_id = 0;
  std::string from_user_id;
  uint8_t kind = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tweet& x) {
  return f(caf::meta::type_name("tweet"), x.id, x.user_id, x.status,
           x.media_ids);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, notification& x) {
  return f(caf::meta::type_name("notification"), x.tweet_id, x.from_user_id,
           x.kind);
}

} // namespace troupe::twitter

// Node-local fan-out batches share one tweet between shards.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::twitter::tweet_ptr)
