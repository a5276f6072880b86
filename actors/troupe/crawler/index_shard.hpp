#pragma once

#include <memory>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/cache/messages.hpp"
#include "troupe/config/config.hpp"
#include "troupe/runtime/shard_context.hpp"

namespace troupe::crawler {

/// Counters the index shards of a node share (for `/metrics`).
struct index_board {
  std::atomic<int64_t> documents{0};
  std::atomic<int64_t> bytes{0};
  std::atomic<uint64_t> invalidations{0};
};

using index_board_ptr = std::shared_ptr<index_board>;

/// What every index shard of a node needs.
struct index_env {
  config::search_settings settings;
  /// The query cache, to drop answers a re-indexed page may change.
  cache::cache_actor cache;
  index_board_ptr board;
};

using index_env_ptr = std::shared_ptr<const index_env>;

/// Initializes one index shard (messages.hpp, region "search"): it loads
/// its documents and near-duplicate entries, then stores pages, answers
/// the two search rounds, and drops the cached answers a stored page may
/// change (those registered under any of its terms).
caf::behavior index_shard(caf::event_based_actor* self,
                          runtime::shard_context ctx, index_env_ptr env);

} // namespace troupe::crawler
