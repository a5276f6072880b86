#pragma once

// Internal to the region actor (region.cpp: supervision and behavior;
// region_routing.cpp: where messages go). Not part of the public API.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/message.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>

#include "troupe/runtime/metrics.hpp"
#include "troupe/runtime/region.hpp"
#include "troupe/runtime/restart_intensity.hpp"

namespace troupe::runtime::detail {

/// Who waits for a request delegated to another node.
struct in_flight_entry {
  using clock = std::chrono::steady_clock;
  caf::strong_actor_ptr requester;
  caf::message_id id;
  clock::time_point sent;
};

struct region_state {
  region_spec spec;
  shard_context base;
  region_status_ptr status;
  region_placement placement;
  /// Requests delegated to other nodes within the last request timeout.
  std::unordered_map<std::string, std::deque<in_flight_entry>> in_flight;
  /// `troupe_routed_requests_total{service,node}` by node (looked up once).
  std::unordered_map<std::string, metric_counter*> routed;
  std::vector<caf::actor> shards;
  std::vector<restart_intensity> intensity;
  std::unordered_map<caf::actor_addr, uint16_t> index_of;
  bool fault_injection = false;
  static inline const char* name = "region";
};

using region_actor = caf::stateful_actor<region_state>;

/// Returns the node that owns shard `idx` (this node on a single node).
const std::string& owner_of(const region_state& st, uint16_t idx);

/// Hands `msg` to the shard actor `idx` of this node.
caf::result<caf::message> forward_local(region_actor* self, uint16_t idx,
                                        caf::message msg);

/// Routes `msg` to shard `idx`, wherever it runs; refuses writes without
/// a quorum.
caf::result<caf::message> forward(region_actor* self, uint16_t idx,
                                  caf::message msg);

/// Persists a journal entry the primary of shard `idx` sent to this
/// backup; answers `(replicate)` once it is durable here.
caf::result<caf::message> persist_replica(region_actor* self, uint16_t idx,
                                          const std::string& blob);

/// Fails the requests sent towards `name` within the last request
/// timeout.
void fail_in_flight(region_actor* self, const std::string& name);

} // namespace troupe::runtime::detail
