#pragma once

// Internal to the etcd agent (etcd_agent.cpp: watching, compare-and-swap,
// the actor; etcd_agent_lease.cpp: the lease and the cluster's shared
// config). Not part of the public API.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "troupe/config/config.hpp"
#include "troupe/runtime/etcd_client.hpp"
#include "troupe/runtime/lease.hpp"
#include "troupe/runtime/shard_config.hpp"

namespace troupe::runtime::agent_detail {

using clock_type = lease_status::clock;

// Outcomes of etcd calls, sent by the client's thread to the agent.
using granted_atom = caf::atom_constant<caf::atom("e_grant")>;
using registered_atom = caf::atom_constant<caf::atom("e_reg")>;
using renewed_atom = caf::atom_constant<caf::atom("e_renew")>;
using polled_atom = caf::atom_constant<caf::atom("e_poll")>;
using swapped_atom = caf::atom_constant<caf::atom("e_cas")>;
using revoked_atom = caf::atom_constant<caf::atom("e_revoke")>;
using checked_atom = caf::atom_constant<caf::atom("e_check")>;
using claimed_atom = caf::atom_constant<caf::atom("e_claim")>;

/// A configuration as last read, per service and shard.
struct cached_config {
  std::string value;
  int64_t revision = 0;
};

/// What the agent knows: its lease, the cluster's members and configurations,
/// the calls in flight.
struct agent_state {
  config::node_config cfg;
  std::unique_ptr<etcd::client> client;
  lease_status_ptr lease;
  caf::actor membership;
  std::unique_ptr<etcd_keys> keys;
  uint64_t incarnation = 0;
  // -- the config every node shares -------------------------------------------
  /// This node's config matches the cluster's in etcd (checked before each
  /// new lease).
  bool checked = false;
  bool checking = false;
  clock_type::time_point check_started;
  clock_type::time_point next_check;
  // -- lease ------------------------------------------------------------------
  int64_t lease_id = 0;
  bool registered = false;
  bool granting = false;
  bool renewing = false;
  /// Set by `(revoke)`: the node stops; no new lease.
  bool stopping = false;
  clock_type::time_point last_renewal;
  bool was_valid = false;
  /// When the call in flight (grant, renewal, poll) started: one that gets
  /// no answer within a few call timeouts is given up.
  clock_type::time_point grant_started;
  clock_type::time_point poll_started;
  // -- watching ---------------------------------------------------------------
  bool polling = false;
  bool loaded = false;
  int64_t revision = 0;
  /// Live leases: node -> ids, oldest first.
  std::map<std::string, std::vector<int64_t>> members;
  std::map<std::string, std::map<uint16_t, cached_config>> configs;
  std::unordered_map<std::string, caf::actor> regions;
  // -- compare-and-swaps in flight -------------------------------------------
  std::unordered_map<uint64_t, caf::response_promise> swaps;
  uint64_t next_swap = 0;
  /// The last etcd error logged (each is logged once, until a success).
  std::string last_error;
  static inline const char* name = "etcd_agent";
};

using agent_actor = caf::stateful_actor<agent_state>;

/// Sends `xs` to the agent from the etcd client's thread (weakly held:
/// the agent may be gone by then).
template <class... Ts>
void post(const caf::actor_addr& agent, Ts&&... xs) {
  if (auto hdl = caf::actor_cast<caf::actor>(agent))
    caf::anon_send(hdl, std::forward<Ts>(xs)...);
}

/// How long one call to etcd may take.
std::chrono::milliseconds call_timeout(const config::node_config& cfg);

/// Logs an etcd error once (until the next success).
void note_error(agent_actor* self, const std::string& what);

/// Logs that etcd answers again after an error.
void note_success(agent_actor* self);

/// Sends `msg` to every subscribed region.
void tell_regions(agent_actor* self, caf::message msg);

// -- etcd_agent_lease.cpp -----------------------------------------------------

/// Tells the regions when the lease became valid or invalid.
void check_validity(agent_actor* self);

/// Grants a lease and registers this node's member key with it.
void grant(agent_actor* self);
void on_granted(agent_actor* self, const std::string& error, int64_t id,
                int64_t ttl, clock_type::time_point t0);
void on_registered(agent_actor* self, const std::string& error, int64_t id,
                   int64_t ttl, clock_type::time_point t0);

/// Renews the lease.
void renew(agent_actor* self);
void on_renewed(agent_actor* self, const std::string& error, int64_t id,
                int64_t ttl, clock_type::time_point t0);

/// Reads the cluster's shared config (and claims it when no node runs).
void check_config(agent_actor* self);
void on_checked(agent_actor* self, const std::string& error,
                const etcd::txn_response& res);

} // namespace troupe::runtime::agent_detail

// Handed from the etcd client's thread to the agent, in this process only.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::runtime::etcd::txn_response)
