#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/message.hpp>

#include "troupe/pastebin/messages.hpp"
#include "troupe/runtime/node.hpp"

namespace troupe::pastebin {

/// Unix seconds, UTC. Replaceable so tests can move time.
using clock_fn = std::function<int64_t()>;

/// Returns the system clock in Unix seconds.
int64_t system_now();

/// A message and the actor it should go to.
struct routed_message {
  caf::actor dest;
  caf::message msg;
};

/// Handles of a running Pastebin service.
struct service {
  /// Gathers stats from every shard: `(stats, ...)`; also takes
  /// `(create, paste_input)` from callers that hold only this handle.
  caf::actor front;
  /// Routes keyed messages (`(get, shortlink)`, ...) to the owning shard.
  caf::actor region;
  /// Live view of the region.
  runtime::region_status_ptr status;

  /// Returns where a message keyed by `shortlink` should go: the owning
  /// shard directly when it runs here, the region otherwise.
  caf::actor route(const std::string& shortlink) const;

  /// Source of shortlink nonces, shared by every copy of this struct.
  std::shared_ptr<std::atomic<uint64_t>> nonce;

  /// Returns the first attempt of creating `in`: a fresh shortlink and the
  /// shard owning it. Its reply is the shortlink finally used.
  routed_message create(paste_input in) const;
};

/// Returns a fresh shortlink for `in` (nonces from `next_nonce`) whose
/// shard's owner is up, so that a cluster with a node down still takes
/// every create; after 32 tries (a cluster mostly down) the last one.
std::string new_shortlink(const paste_input& in,
                          const std::function<uint64_t()>& next_nonce,
                          const runtime::region_status_ptr& status);

/// Returns the routing key of a Pastebin message (its shortlink).
std::optional<std::string> key_of(const caf::message& msg);

/// Starts the Pastebin region and front on `n`.
service start(runtime::node& n, clock_fn now = system_now);

} // namespace troupe::pastebin
