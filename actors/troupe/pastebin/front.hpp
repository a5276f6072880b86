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
  int create_retries = 5;
  std::chrono::milliseconds timeout{5000};
  /// Makes the candidate shortlink of attempt `nonce` (replaceable in tests
  /// to force collisions); defaults to `make_shortlink`.
  std::function<std::string(const std::string& client, int64_t created_at,
                            uint64_t nonce)>
      make_link;
};

/// The keyless entry point of the service: picks shortlinks for new pastes
/// (retrying on collision) and gathers monthly stats from every shard.
/// `status` (optional) lets creates go straight to a local shard.
caf::behavior front_actor(caf::event_based_actor* self, caf::actor region,
                          front_settings cfg,
                          runtime::region_status_ptr status = nullptr);

} // namespace troupe::pastebin
