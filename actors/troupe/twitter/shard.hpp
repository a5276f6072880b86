#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
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
  /// Tweets whose fan-out on this node is not done (`backlog_ticket`),
  /// bounded by `fanout_queue`.
  std::atomic<int64_t> backlog{0};
};

/// One tweet's place in the node's fan-out backlog: counted while any
/// message carrying the ticket (the job, its node-local batches) exists,
/// whether it is applied or dropped with a stopped actor's mailbox.
class backlog_ticket {
public:
  explicit backlog_ticket(std::shared_ptr<twitter_board> board)
      : board_(std::move(board)) {
    ++board_->backlog;
  }
  ~backlog_ticket() { --board_->backlog; }
  backlog_ticket(const backlog_ticket&) = delete;
  backlog_ticket& operator=(const backlog_ticket&) = delete;

private:
  std::shared_ptr<twitter_board> board_;
};

using ticket_ptr = std::shared_ptr<const backlog_ticket>;

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

// Fan-out messages within one node carry the ticket of their tweet.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::twitter::ticket_ptr)
