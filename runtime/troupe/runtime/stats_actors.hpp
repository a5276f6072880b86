#pragma once

// The two node-local actors behind the dashboard (`GET /api/v1/stats`):
// the sampler adds one second of figures and the cluster's changes to the
// node's history; the front answers a request for the whole cluster by
// asking every other node's edge for its history (over HTTP, with a short
// timeout) and merging the answers with this node's.

#include <chrono>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include "troupe/runtime/stats_history.hpp"

namespace troupe::runtime {

class node;

/// `(stats, since_ms, cluster)` -> `std::string`: the JSON of
/// `GET /api/v1/stats` (cluster) or `?scope=node` (not cluster).
using node_stats_atom = caf::atom_constant<caf::atom("nstats")>;

/// Samples `n` every `every` into `history`.
caf::actor spawn_stats_sampler(caf::actor_system& sys, node* n,
                               std::shared_ptr<stats_history> history,
                               std::chrono::milliseconds every);

/// Answers `(node_stats, since, cluster)` for node `n`.
caf::actor spawn_stats_front(caf::actor_system& sys, node* n,
                             std::shared_ptr<stats_history> history);

} // namespace troupe::runtime
