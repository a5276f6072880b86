#pragma once

#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/message.hpp>

#include "troupe/runtime/node.hpp"
#include "troupe/social/messages.hpp"
#include "troupe/social/search.hpp"
#include "troupe/social/shard.hpp"

namespace troupe::social {

/// Handles of a running social graph service.
struct service {
  /// Routes keyed messages (`(so_get, id)`, ...) to the person's server.
  caf::actor region;
  /// Live view of the region.
  runtime::region_status_ptr status;
  /// Takes `(so_batch, pairs)` and stores both halves of each friendship,
  /// one message per person server.
  caf::actor importer;
  /// The actor system searches are spawned in.
  caf::actor_system* system = nullptr;
  /// Settings of the service.
  config::social_settings settings;
  /// Counters of the service (for `/metrics`).
  board_ptr board;
  std::shared_ptr<search_board> searches;

  /// Returns where a message keyed by person `id` should go: the owning
  /// shard directly when it runs here, the region otherwise.
  caf::actor route(person_id id) const;

  /// Spawns a search actor for one `friend_search`; it takes one
  /// `(so_search, source, target, max_hops)`, answers it and quits.
  caf::actor spawn_search() const;
};

/// Returns the routing key of person `id` (its decimal form).
std::string key_of_person(person_id id);

/// Returns the person server holding `id` among `shards`.
uint16_t shard_of_person(person_id id, size_t shards);

/// Returns the routing key (the person id) of a social message.
std::optional<std::string> key_of(const caf::message& msg);

/// Starts the social region (`social.shards` person servers) and the
/// node's importer on `n`, and exports the counters in the node's metrics.
service start(runtime::node& n);

} // namespace troupe::social
