#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/runtime/region.hpp"
#include "troupe/runtime/shard_context.hpp"
#include "troupe/twitter/tweet_id.hpp"

namespace troupe::twitter {

/// Unix milliseconds (injectable for tests).
using clock_fn = std::function<int64_t()>;

/// Counters the shards and the fan-out actor share (exported as metrics).
struct twitter_board {
  std::atomic<uint64_t> tweets{0};
  std::atomic<uint64_t> deliveries{0};
  std::atomic<int64_t> home_entries{0};
  /// Fan-out jobs queued on this node (bounded by `fanout_queue`).
  std::atomic<int64_t> backlog{0};
};

/// The node's tweet ids: one generator shared by all shards of a node, so
/// that ids stay unique (the Snowflake node bits are the node's).
class tweet_id_source {
public:
  explicit tweet_id_source(uint64_t node) : gen_(node) {
    // nop
  }
  uint64_t next() {
    std::lock_guard<std::mutex> guard{mtx_};
    return gen_.next();
  }

private:
  std::mutex mtx_;
  tweet_id_generator gen_;
};

/// What every shard of a node shares.
struct shard_deps {
  std::shared_ptr<twitter_board> board;
  std::shared_ptr<tweet_id_source> ids;
  /// The node's fan-out actor.
  caf::actor fanout;
  clock_fn now_ms;
};

using shard_deps_ptr = std::shared_ptr<const shard_deps>;

/// Initializes one Twitter shard actor: it loads its users, follows and
/// tweets (stashing requests meanwhile), reports ready to its region, then
/// serves the protocol of messages.hpp.
caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, shard_deps_ptr deps);

} // namespace troupe::twitter
