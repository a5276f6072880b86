#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/runtime/region.hpp"

namespace troupe::social {

/// Counts what searches cost (exported as metrics).
struct search_board {
  std::atomic<uint64_t> searches{0};
  /// Messages the search actors sent to person servers.
  std::atomic<uint64_t> messages{0};
};

/// Where a search actor finds the person servers and how far it may go.
struct search_env {
  caf::actor region;
  runtime::region_status_ptr status;
  size_t shards = 0;
  std::chrono::milliseconds timeout{2000};
  size_t max_visited = 0;
  std::shared_ptr<search_board> board;
};

/// One friend search: takes `(so_search, source, target, max_hops)`,
/// checks both people exist, runs a bidirectional breadth-first search one
/// level at a time (one `(so_nbrs, ids)` per person server per level),
/// fetches the names on the path and answers the path as
/// `std::vector<person_view>`; `not_found` without a path within
/// `max_hops`, `timeout` beyond the time budget or the visited bound. It
/// quits after answering.
caf::behavior search_actor(caf::event_based_actor* self, search_env env);

} // namespace troupe::social
