#pragma once

#include <cstddef>

#include <caf/stateful_actor.hpp>

#include "troupe/runtime/region.hpp"

namespace troupe::social {

/// Spawns the node's importer: it takes `(so_batch, pairs)` (flattened
/// friendships) and stores them in two rounds, one message per person
/// server each: first every person the batch names, `(so_people, ids)`,
/// then both halves of every friendship, `(so_import, pairs)`. So a half
/// never names a person who is not durable, even if the node dies between
/// the rounds. It answers `(new_halves, new_people)` when both rounds are
/// durable. A person server that answers 503 or 429 (failing over,
/// overloaded) is asked again after 100 ms, doubling, five times (about
/// 3 s, within the edge's request timeout); this is safe because both
/// rounds store only what is missing.
caf::actor spawn_importer(caf::actor_system& sys, caf::actor region,
                          runtime::region_status_ptr status, size_t shards);

} // namespace troupe::social
