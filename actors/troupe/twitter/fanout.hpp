#pragma once

#include <memory>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/runtime/region.hpp"
#include "troupe/twitter/shard.hpp"

namespace troupe::twitter {

using region_atom = caf::atom_constant<caf::atom("tw_region")>;

/// The fan-out actor of a node. Shards hand it each stored tweet as
/// `(tw_fanout, tweet_ptr, followers, celebrity, mentioned, ticket)`; it
/// splits the followers by shard and sends each shard one batch (`tw_push`), so
/// that a tweet to 1,000 followers costs one message per shard, not per
/// follower. A celebrity's tweet (more than `fanout_limit` followers) goes
/// to every shard once instead (`tw_celeb`), with a batch for the
/// followers who asked to be notified; mentions become notifications. The
/// queue is bounded: each tweet holds a `backlog_ticket` while its job or
/// any of its batches to shards on this node waits, and shards refuse posts
/// (429) while `twitter.fanout_queue` tickets are out. Batches for other
/// nodes leave the count when sent.
///
/// It waits for `(tw_region, region, status)` before taking jobs (the
/// region is started after the actor, whose handle its shards need).
caf::behavior fanout_actor(caf::event_based_actor* self, size_t shards);

} // namespace troupe::twitter
