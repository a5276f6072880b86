#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/cache/messages.hpp"
#include "troupe/runtime/shard_context.hpp"

namespace troupe::cache {

/// Unix time in milliseconds. Replaceable so tests can move time.
using clock_fn = std::function<int64_t()>;

/// What the shards of one node share, readable from any thread: the
/// counters every shard publishes after each sweep tick (so that
/// `/metrics` reads them without asking an actor), and whether a shard
/// started before.
class shard_board {
public:
  explicit shard_board(size_t shards) : cells_(shards) {
    // nop
  }

  /// Returns true the first time it is called for shard `idx`: only the
  /// first start loads the snapshot; a shard restarted by its supervisor
  /// starts empty, since the snapshot may hold values overwritten since.
  bool first_start(size_t idx) { return !cells_[idx].started.exchange(true); }

  /// Stores the counters of shard `idx`.
  void publish(size_t idx, const cache_stats& x);

  /// Returns the sum over all shards.
  cache_stats total() const;

private:
  struct cell {
    std::atomic<uint64_t> entries{0}, bytes{0}, capacity_bytes{0}, hits{0},
        misses{0}, evictions{0}, expired{0};
    std::atomic<bool> started{false};
  };
  std::vector<cell> cells_;
};

using shard_board_ptr = std::shared_ptr<shard_board>;

/// Queues, on the committer thread, the removal of snapshots of shard
/// indexes `shards` and above (left by a run with more shards), so that a
/// later run with more shards never reloads their stale values. Call it
/// before the shards start.
void drop_snapshots_beyond(runtime::shard_context ctx, size_t shards);

/// Initializes one cache shard: its LRU table (with `capacity` bytes),
/// the expiry sweep and, if `cache.snapshot` is on, the warm restart from
/// and periodic snapshots to LMDB.
caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, uint64_t capacity,
                          clock_fn now, shard_board_ptr board);

} // namespace troupe::cache
