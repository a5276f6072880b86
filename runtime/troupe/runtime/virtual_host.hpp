#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>

#include "troupe/runtime/metrics.hpp"

namespace troupe::runtime {

/// A kind of virtual actor (Orleans calls them grains): one actor per key,
/// activated by the first message for that key and passivated after it was
/// idle for `passivate_after`.
struct virtual_spec {
  /// Entity kind, for logs.
  std::string kind;
  /// Extracts the entity key of a message (nullopt: not routable).
  std::function<std::optional<std::string>(const caf::message&)> key_of;
  /// Initializes the actor of one entity. It restores its state itself and
  /// must handle `(passivate)`: persist, reply, then `quit()`.
  std::function<caf::behavior(caf::event_based_actor*, std::string)> entity;
  /// Idle time after which an entity is passivated; zero: the node's
  /// `runtime.passivate_after_ms`.
  std::chrono::milliseconds passivate_after{0};
  /// Restart intensity per entity; beyond it the key answers 503. Negative
  /// or zero: the node's `runtime.max_restarts` / `restart_period_ms`.
  int max_restarts = -1;
  std::chrono::milliseconds restart_period{0};
  /// Set to the number of active entities (the node registers
  /// `troupe_virtual_actors_active{kind}`); may be null.
  metric_gauge* active_gauge = nullptr;
};

/// Spawns the host of one kind of virtual actor. Send it the entity messages
/// themselves: it activates the entity of the message's key if needed and
/// forwards the message (the entity replies to the original sender). An
/// entity that crashes is re-activated by its next message, from its durable
/// state, within the restart intensity. Messages that arrive while their
/// entity passivates wait in a bounded buffer and go to the next activation.
/// A message that races a crash (it reaches the host before the crashed
/// entity's exit does) fails with `request_receiver_down` (HTTP 503).
/// `(count)` returns the number of active entities.
caf::actor spawn_virtual_host(caf::actor_system& sys, virtual_spec spec);

} // namespace troupe::runtime
