#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/message.hpp>

#include "troupe/runtime/node.hpp"
#include "troupe/twitter/shard.hpp"

namespace troupe::twitter {

/// Returns the system clock in Unix milliseconds.
int64_t system_now_ms();

/// Handles of a running Twitter service.
struct service {
  /// Routes keyed messages (`(tw_post, user, ...)`, ...) to the user's
  /// shard.
  caf::actor region;
  /// Live view of the region.
  runtime::region_status_ptr status;
  /// Scatter-gather over every shard: `(tw_search, terms, limit)` ->
  /// `(tweet_list, partial)`; a shard that does not answer within
  /// `twitter.search_timeout_ms` is left out and makes `partial` true.
  caf::actor search;
  /// Counters of the service (for `/metrics`).
  std::shared_ptr<twitter_board> board;

  /// Returns where a message keyed by `user` should go: the owning shard
  /// directly when it runs here, the region otherwise.
  caf::actor route(std::string_view user) const;
};

/// Returns the routing key (the user id) of a Twitter message.
std::optional<std::string> key_of(const caf::message& msg);

/// Starts the Twitter region (`twitter.shards` shards), the node's fan-out
/// actor and the search front on `n`, and exports the counters in the
/// node's metrics.
service start(runtime::node& n, clock_fn now_ms = system_now_ms);

} // namespace troupe::twitter
