#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/runtime/region.hpp"

namespace troupe::pastebin {

/// Settings of the front actor.
struct front_settings {
  size_t shards = 64;
  std::chrono::milliseconds timeout{5000};
};

/// The keyless entry point of the service: gathers monthly stats from every
/// shard, and picks the first shortlink of a `(create, paste_input)`.
/// `status` (optional) lets creates go straight to a local shard.
caf::behavior front_actor(caf::event_based_actor* self, caf::actor region,
                          front_settings cfg,
                          runtime::region_status_ptr status = nullptr);

} // namespace troupe::pastebin
