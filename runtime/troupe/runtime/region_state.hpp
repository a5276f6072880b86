#pragma once

// Internal to the region actor (region.cpp: supervision and behavior;
// region_routing.cpp: where messages go). Not part of the public API.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>

#include "troupe/persistence/store.hpp"
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

/// What this node does for one shard of the region.
enum class shard_role : uint8_t {
  /// Not an owner of the shard: messages go to its acting primary.
  none,
  /// An owner that has not caught up yet since it started (or stepped
  /// down): waits for the other owners, then syncs.
  waiting,
  /// Catching up from `sync_from`.
  syncing,
  /// Runs the shard actor: the shard's acting primary.
  primary,
  /// Primary that stopped its shard to send its state to another owner;
  /// new messages are stashed until that owner installed it.
  handing_over,
  /// An owner that persists the primary's journal entries.
  backup,
};

/// A message held while its shard is handed over.
struct stashed_message {
  caf::response_promise rp;
  caf::message msg;
};

/// A hand-over in progress: who asked, and how to answer.
struct handover {
  caf::strong_actor_ptr requester;
  caf::message_id id;
  std::string to;
  persistence::log_position from;
  uint64_t token = 0;
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
  // Failover (cluster only; on a single node every shard is `primary`).
  std::vector<shard_role> roles;
  /// The highest epoch this node knows of each shard.
  std::vector<uint64_t> epochs;
  /// The owners of each shard, in rank order.
  std::vector<std::vector<std::string>> owners;
  /// Source of each shard being synced; the token tells stale replies.
  std::vector<std::string> sync_from;
  std::vector<uint64_t> sync_token;
  std::vector<std::deque<stashed_message>> stash;
  std::unordered_map<uint16_t, handover> handovers;
  /// What to do once a shard stopped on purpose (hand-over, stepping down).
  std::unordered_map<uint16_t, std::function<void()>> on_stopped;
  /// Set once the start-up grace (failure_timeout) is over.
  bool grace_over = false;
  /// This node's index in [[nodes]]: the low byte of the epochs it makes.
  uint64_t node_index = 0;
  /// `troupe_shard_moves_total{service}`.
  metric_counter* moves = nullptr;
  static inline const char* name = "region";
};

using region_actor = caf::stateful_actor<region_state>;

// region.cpp

/// Spawns the shard actor `idx` (it loads its state and reports ready).
void spawn_shard(region_actor* self, uint16_t idx);

/// Stops the shard actor `idx` on purpose; `then` runs once it exited
/// (every write it submitted is then queued at the committer).
void stop_shard(region_actor* self, uint16_t idx, std::function<void()> then);

// region_routing.cpp

/// Routes `msg` to shard `idx`, wherever it runs; refuses writes without
/// a quorum. For messages from the edge and the service's front.
caf::result<caf::message> forward(region_actor* self, uint16_t idx,
                                  caf::message msg);

/// Routes a message that another node routed here as `(local, idx, msg)`:
/// `(hop, msg)` is served here or refused, anything else may be sent on
/// once more (to the node this one knows to serve the shard).
caf::result<caf::message> forward_routed(region_actor* self, uint16_t idx,
                                         caf::message msg);

/// Sends the messages stashed for shard `idx` where they belong now.
void release_stash(region_actor* self, uint16_t idx);

/// Persists a journal entry the primary of shard `idx` sent to this
/// backup; answers `(replicate)` once it is durable here.
caf::result<caf::message> persist_replica(region_actor* self, uint16_t idx,
                                          const std::string& blob);

/// Fails the requests sent towards `name` within the last request
/// timeout.
void fail_in_flight(region_actor* self, const std::string& name);

/// Returns the first owner of shard `idx` that `view` shows up, skipping
/// this node if `others_only`; empty if none is up.
std::string first_up_owner(const region_state& st, uint16_t idx,
                           const member_view& view, bool others_only);

// region_failover.cpp

/// Sets every shard's role at start and spawns the shards this node
/// serves at once (every shard on a single node).
void init_roles(region_actor* self);

/// Re-evaluates every shard after a membership change or the start-up
/// grace: syncs waiting owners, promotes backups whose higher-ranked
/// owners are down, and (for memory-only services) gives shards back.
void reconcile_all(region_actor* self);

/// A node came up: the shards this node serves tell it to catch up.
void on_member_up(region_actor* self, const std::string& name);

/// A node went down: hand-overs and syncs involving it are abandoned.
void on_member_down(region_actor* self, const std::string& name);

/// Another owner asks for the state of shard `idx` after `from`.
caf::result<caf::message> on_sync_request(region_actor* self, uint16_t idx,
                                          persistence::log_position from,
                                          const std::string& requester);

/// The owner a hand-over went to installed it (`took_over`: and serves).
void on_synced(region_actor* self, uint16_t idx, const std::string& requester,
               bool took_over);

/// The acting primary of shard `idx` (at `epoch`) saw this node come up.
void on_offer(region_actor* self, uint16_t idx, uint64_t epoch);

/// This node learned that a newer primary serves shard `idx`: stop the
/// shard if it still runs it at `epoch`, and catch up.
void step_down(region_actor* self, uint16_t idx, uint64_t epoch);

/// A hand-over of shard `idx` did not complete in time.
void on_handover_timeout(region_actor* self, uint16_t idx, uint64_t token);

/// The committer read this node's position of shard `idx` for sync
/// `token`: ask the source for what this node lacks.
void on_position(region_actor* self, uint16_t idx, uint64_t token,
                 persistence::log_position pos);

/// The committer installed the transfer of sync `token`.
void on_installed(region_actor* self, uint16_t idx, uint64_t token,
                  persistence::log_position pos);

/// Starts over a sync of shard `idx` that failed.
void retry_sync(region_actor* self, uint16_t idx);

} // namespace troupe::runtime::detail
