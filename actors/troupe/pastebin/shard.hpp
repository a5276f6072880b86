#pragma once

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/pastebin/service.hpp"
#include "troupe/runtime/shard_context.hpp"

namespace troupe::pastebin {

/// Initializes one Pastebin shard actor: it loads its durable state
/// (stashing requests meanwhile), reports ready to its region, then serves
/// creates, reads and stats, flushes visit counters periodically and sweeps
/// expired pastes from memory and disk.
caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, clock_fn now);

} // namespace troupe::pastebin
