#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/message.hpp>

#include "troupe/mint/shard.hpp"
#include "troupe/net/address_policy.hpp"
#include "troupe/runtime/node.hpp"

namespace troupe::mint {

/// Returns the system clock in Unix seconds.
int64_t system_now();

/// Handles of a running Mint service.
struct service {
  /// Routes user-keyed messages and `(to_shard, idx, msg)` (messages.hpp).
  caf::actor region;
  runtime::region_status_ptr status;
  /// Routes `(mint_vote, ...)` by seller key.
  caf::actor sellers;
  runtime::region_status_ptr seller_status;
  config::mint_settings settings;
  /// The key sealing passwords (unset: linking answers 503).
  std::optional<secret_key> key;
  /// Which institution hosts accounts may name.
  net::host_policy hosts;
  /// The shipped (or configured) seller map.
  std::shared_ptr<const seller_map> seller_categories;
  clock_fn now;
  board_ptr board;

  /// Returns where a message for user shard `idx` should go: the shard
  /// itself when it runs here, the region otherwise (then wrapped in
  /// to_shard).
  caf::actor shard_or_region(uint16_t idx) const;

  /// Returns where a message keyed by `user` should go.
  caf::actor route(std::string_view user) const;

  /// Returns where a vote on `seller_key` should go.
  caf::actor route_vote(std::string_view seller_key) const;
};

/// Returns the routing key (user or seller key) of a Mint message.
std::optional<std::string> key_of(const caf::message& msg);

/// Starts Mint on `n`: the key (TROUPE_MINT_KEY or `[mint] key_file`,
/// checked against the key-check file of the data dir), the seller map,
/// the extraction pool, the user and seller regions, and its metrics.
/// Returns nullopt and sets `error` when it cannot start: a bad key, a key
/// missing although Mint data exists, a wrong key, a bad seller map or
/// bad `institution_hosts`.
std::optional<service> start(runtime::node& n, std::string& error,
                             clock_fn now = system_now);

} // namespace troupe::mint
