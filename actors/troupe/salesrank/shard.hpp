#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/runtime/shard_context.hpp"

namespace troupe::salesrank {

/// Unix seconds (injectable for tests).
using clock_fn = std::function<int64_t()>;

/// Counters the category shards of a node share (exported as metrics).
struct salesrank_board {
  std::atomic<uint64_t> sales{0};
  std::atomic<int64_t> pairs{0};
};

using board_ptr = std::shared_ptr<salesrank_board>;

/// Initializes one category shard: it loads the sales of the window from
/// its journaled batches (stashing requests meanwhile), reports ready to
/// its region, ranks its categories, then serves messages.hpp; every
/// `salesrank.refresh_interval_ms` it moves the window to the current
/// hour, re-ranks, and erases batches that left the window.
caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, board_ptr board,
                          clock_fn now);

} // namespace troupe::salesrank
