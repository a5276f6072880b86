#pragma once

#include <memory>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/runtime/region.hpp"
#include "troupe/twitter/shard.hpp"

namespace troupe::twitter {

using region_atom = caf::atom_constant<caf::atom("tw_region")>;

/// The fan-out actor of a node. Shards hand it each stored tweet as
/// `(tw_fanout, tweet_ptr, followers, celebrity, mentioned)`; it splits the
/// followers by shard and sends each shard one batch (`tw_push`), so that
/// a tweet to 1,000 followers costs one message per shard, not per
/// follower. A celebrity's tweet (more than `fanout_limit` followers) goes
/// to every shard once instead (`tw_celeb`), with a batch for the
/// followers who asked to be notified; mentions become notifications. The
/// queue is bounded: shards count the jobs they hand over in the board's
/// backlog and refuse posts beyond `twitter.fanout_queue`.
///
/// It waits for `(tw_region, region, status)` before taking jobs (the
/// region is started after the actor, whose handle its shards need).
caf::behavior fanout_actor(caf::event_based_actor* self, size_t shards,
                           std::shared_ptr<twitter_board> board);

} // namespace troupe::twitter
