#pragma once

#include <caf/actor_system_config.hpp>

namespace troupe::services {

/// Registers the message types of every service (the `troupe` type-ID
/// block). Call it on each process's config before its actor system starts.
void register_types(caf::actor_system_config& cfg);

} // namespace troupe::services
