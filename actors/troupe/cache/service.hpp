#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/message.hpp>

#include "troupe/cache/messages.hpp"
#include "troupe/cache/shard.hpp"
#include "troupe/runtime/clock.hpp"
#include "troupe/runtime/node.hpp"

namespace troupe::cache {

/// Handles of a running cache service.
struct service {
  /// The typed interface for other services: keyed requests go to the
  /// owning shard (the shard answers the caller), stats are summed.
  cache_actor api;
  /// Routes keyed messages (`(get, key)`, ...) to the owning shard.
  caf::actor region;
  /// Live view of the region.
  runtime::region_status_ptr status;
  /// Counters the shards publish (for `/metrics`).
  shard_board_ptr board;

  /// Returns where a message keyed by `key` should go: the owning shard
  /// directly when it runs here, the region otherwise.
  caf::actor route(std::string_view key) const;
};

/// Returns the routing key of a cache message.
std::optional<std::string> key_of(const caf::message& msg);

/// Starts the cache region (the node's `cache.capacity_bytes` split evenly
/// over `cache.shards` shards) and its typed front on `n`, and exports the
/// counters in the node's metrics.
service start(runtime::node& n, clock_fn now = runtime::unix_now_ms);

} // namespace troupe::cache
