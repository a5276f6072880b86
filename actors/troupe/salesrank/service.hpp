#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/message.hpp>

#include "troupe/runtime/node.hpp"
#include "troupe/salesrank/shard.hpp"

namespace troupe::salesrank {

/// Returns the system clock in Unix seconds.
int64_t system_now();

/// Handles of a running sales rank service.
struct service {
  /// Routes `(sr_popular, category, limit)` and `(to_shard, idx, msg)`.
  caf::actor region;
  /// Live view of the region.
  runtime::region_status_ptr status;
  /// Settings of the service.
  config::salesrank_settings settings;
  /// The clock sales are checked against.
  clock_fn now;
  /// Counters of the service (for `/metrics`).
  board_ptr board;

  /// Returns where a message for shard `idx` should go: the shard itself
  /// when it runs here, the region otherwise (then wrapped in to_shard).
  caf::actor shard_or_region(uint16_t idx) const;

  /// Returns where a message keyed by `category` should go.
  caf::actor route(std::string_view category) const;
};

/// Returns the shard of `category` among `shards`.
uint16_t shard_of_category(std::string_view category, size_t shards);

/// Returns the routing key (the category id) of a sales rank message.
std::optional<std::string> key_of(const caf::message& msg);

/// Starts the sales rank region (`salesrank.shards` category shards) on
/// `n` and exports its counters in the node's metrics.
service start(runtime::node& n, clock_fn now = system_now);

} // namespace troupe::salesrank
