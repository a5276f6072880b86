#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/runtime/shard_context.hpp"

namespace troupe::social {

/// Counters the person servers of a node share (exported as metrics).
struct social_board {
  std::atomic<int64_t> people{0};
  std::atomic<int64_t> halves{0};
};

using board_ptr = std::shared_ptr<social_board>;

/// Initializes one person server (a shard actor of the `social` region): it
/// loads its people (stashing requests meanwhile), reports ready to its
/// region, then serves the protocol of messages.hpp.
caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, board_ptr board);

} // namespace troupe::social
