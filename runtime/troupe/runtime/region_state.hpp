#pragma once

// Internal to the region actor (region.cpp: supervision and behavior;
// region_routing.cpp: where messages go). Not part of the public API.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>

#include "troupe/persistence/store.hpp"
#include "troupe/runtime/metrics.hpp"
#include "troupe/runtime/region.hpp"
#include "troupe/runtime/replica_set.hpp"
#include "troupe/runtime/restart_intensity.hpp"
#include "troupe/runtime/shard_config.hpp"

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

struct region_state;
using region_actor = caf::stateful_actor<region_state>;

/// With etcd: what this node knows and does about one shard besides its
/// role (region_etcd.cpp).
struct etcd_shard {
  /// What runs once a proposed configuration change's outcome is known.
  using outcome_fn = std::function<void(region_actor*, uint16_t, bool applied)>;

  /// A proposal whose answer was lost: it is read back from etcd.
  struct unknown_outcome {
    int64_t expected = 0;
    std::string proposed;
    outcome_fn done;
  };

  /// The newest configuration seen (revision 0: none exists, as far as
  /// this node knows).
  shard_config cfg;
  /// A compare-and-swap of the configuration is in flight: one at a time.
  bool cas_pending = false;
  /// Replicas the primary's journal asked to remove.
  std::vector<std::string> drop;
  /// The replicas the shard actor writes to (primary only).
  replica_set_ptr replicas = std::make_shared<replica_set>();
  /// Backup: the seq of the next entry it accepts, and the epoch below
  /// which it refuses entries (the configuration that made it a replica).
  uint64_t next_seq = 0;
  uint64_t fence = 0;
  /// Follower: the position its store reached by the last sync.
  persistence::log_position synced;
  /// Follower: installed, now asking the primary to join the replicas;
  /// messages for the shard are stashed meanwhile.
  bool joining = false;
  /// The position of this node's store when the region started (the epoch
  /// of a configuration this node creates is above it).
  persistence::log_position start;
  std::optional<unknown_outcome> unknown;
  /// Failed sync attempts in a row (only the first is logged).
  uint32_t failures = 0;
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
  // etcd membership (unset with static membership).
  bool etcd = false;
  std::vector<etcd_shard> etcd_shards;
  std::unique_ptr<etcd_keys> keys;
  /// Set once the etcd agent read every configuration of the service ...
  bool configs_loaded = false;
  /// ... and once the positions of this node's copies are known.
  bool positions_known = false;
  /// The leases live at the last `(leases)` update, and those seen live
  /// once and gone since (bounded: cleared at 1024).
  std::vector<std::pair<std::string, int64_t>> live_leases;
  std::unordered_set<int64_t> expired_leases;
  /// `troupe_config_changes_total{service}`: configurations this node
  /// changed by a CAS in etcd; `troupe_replicas_removed_total{service}`:
  /// replicas removed because they did not persist an entry in time.
  metric_counter* config_changes = nullptr;
  metric_counter* replicas_removed = nullptr;
  static inline const char* name = "region";
};

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

/// Publishes how many messages are stashed for shard `idx` (dashboard).
inline void note_stashed(region_state& st, uint16_t idx) {
  if (st.status && idx < st.status->stashed.size())
    st.status->stashed[idx].store(static_cast<uint32_t>(st.stash[idx].size()),
                                  std::memory_order_relaxed);
}

/// Sends the messages stashed for shard `idx` where they belong now.
void release_stash(region_actor* self, uint16_t idx);

/// Persists a journal entry the primary of shard `idx` sent to this
/// backup; answers `(replicate)` once it is durable here.
caf::result<caf::message> persist_replica(region_actor* self, uint16_t idx,
                                          const std::string& blob);

/// Fails the requests sent towards `name` within the last request
/// timeout: it "went down" or "lost its lease".
void fail_in_flight(region_actor* self, const std::string& name,
                    const char* what = "went down");

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

/// Reads what brings `from` up to this node's copy of shard `idx` on the
/// committer thread and answers the request `id` of `requester` with it.
/// `exact`: any difference is sent (etcd: the copies must end equal);
/// otherwise only when `from` is behind.
void send_transfer(region_actor* self, uint16_t idx,
                   persistence::log_position from,
                   caf::strong_actor_ptr requester, caf::message_id id,
                   bool exact);

/// The primary of `idx` pauses it for a transfer to `requester`: stops the
/// shard (new messages are stashed), then answers `rp` with the transfer
/// after `from` (see send_transfer); a hand-over not completed within the
/// request timeout is abandoned (`(grace, idx, token)`).
void pause_for_transfer(region_actor* self, uint16_t idx,
                        const std::string& requester,
                        persistence::log_position from,
                        caf::response_promise& rp, bool exact);

/// Installs `transfer` into this node's store on the committer thread
/// (after every write queued before); the region then receives
/// `(synced, idx, token, epoch, seq)`.
void install_transfer(region_actor* self, uint16_t idx, uint64_t token,
                      std::shared_ptr<persistence::shard_transfer> transfer);

/// Decodes a transfer blob; logs and returns nullptr when unreadable.
std::shared_ptr<persistence::shard_transfer>
decode_transfer(region_actor* self, uint16_t idx, const std::string& blob);

/// Sends a one-way control message to the region of shard `idx` on `node`.
void tell(region_actor* self, const std::string& node, uint16_t idx,
          caf::message msg);

/// Returns the rank of `name` among the owners of `idx` (0 = preferred).
size_t rank_of(const region_state& st, uint16_t idx, const std::string& name);

/// Returns whether `name` owns shard `idx`.
bool owns(const region_state& st, uint16_t idx, const std::string& name);

// region_etcd.cpp, region_etcd_config.cpp and region_etcd_sync.cpp
// (membership source etcd)

/// Sets every shard's role at start (etcd).
void etcd_init(region_actor* self);

/// A configuration arrived (from the agent or another node).
void etcd_on_config(region_actor* self, uint16_t idx, const std::string& json,
                    int64_t revision);

/// Re-evaluates every shard against its configuration and the leases.
void etcd_reconcile_all(region_actor* self);

/// Re-evaluates shard `idx`.
void etcd_reconcile(region_actor* self, uint16_t idx);

/// The journal of primary shard `idx` asks to remove replica `node`.
void etcd_on_drop(region_actor* self, uint16_t idx, const std::string& node,
                  uint64_t epoch);

/// A follower asks this primary for what it lacks of shard `idx`.
caf::result<caf::message> etcd_on_sync(region_actor* self, uint16_t idx,
                                       persistence::log_position from,
                                       const std::string& requester);

/// A follower installed the transfer and asks to join the replicas.
caf::result<caf::message> etcd_on_join(region_actor* self, uint16_t idx,
                                       const std::string& requester,
                                       int64_t lease,
                                       persistence::log_position at);

/// Persists an entry the primary of shard `idx` sent to this replica.
caf::result<caf::message> etcd_persist_replica(region_actor* self, uint16_t idx,
                                               const std::string& blob);

/// The follower side of a sync (region_etcd_sync.cpp).
void etcd_start_sync(region_actor* self, uint16_t idx);
void etcd_on_position(region_actor* self, uint16_t idx, uint64_t token,
                      persistence::log_position pos);
void etcd_on_installed(region_actor* self, uint16_t idx, uint64_t token,
                       persistence::log_position pos);

/// Proposes `next` as the configuration of `idx` by a CAS on the revision
/// this node knows, relying on the member keys `must_exist` (leases held)
/// and `must_not_exist` (leases expired); `done` learns whether it was
/// applied. The shard's other changes wait until then.
void etcd_propose(region_actor* self, uint16_t idx, shard_config next,
                  std::vector<std::string> must_exist,
                  std::vector<std::string> must_not_exist,
                  etcd_shard::outcome_fn done);

/// The join CAS of `requester` (at position `at`) ended.
void etcd_after_join(region_actor* self, uint16_t idx,
                     const std::string& requester, persistence::log_position at,
                     bool applied, caf::response_promise& rp);

/// A hand-over (sync) of `idx` was not completed in time.
void etcd_on_handover_timeout(region_actor* self, uint16_t idx, uint64_t token);

/// This node's copy of `idx` misses an entry (a failed replica write).
void etcd_resync(region_actor* self, uint16_t idx);

/// Returns the node serving `idx` by its configuration, "" when none, this
/// one, or one whose lease expired (the shard is failing over).
std::string etcd_target(const region_state& st, uint16_t idx);

/// Serves shard `idx` by its configuration (etcd).
void etcd_become_primary(region_actor* self, uint16_t idx);

/// Adopts `cfg` for shard `idx` if it is newer than the one known.
bool etcd_adopt(region_actor* self, uint16_t idx, shard_config cfg);

/// Adopts a configuration as stored in etcd (`json` empty: none stored).
void etcd_adopt_stored(region_actor* self, uint16_t idx,
                       const std::string& json, int64_t revision);

/// The live leases changed: remembers the ones that expired (a primary
/// under one of them serves nothing: requests for its shards get 503 at
/// once instead of waiting for it), fails the requests in flight towards
/// nodes left without a lease (a frozen node refuses them when it thaws),
/// and re-evaluates every shard.
void etcd_on_leases(region_actor* self);

/// Reads back the configuration of `idx` after a lost CAS answer.
void etcd_retry_read_back(region_actor* self, uint16_t idx);

/// The positions of this node's copies of every shard are known.
void etcd_on_positions(region_actor* self, const std::vector<uint64_t>& epochs);

/// Fails the messages stashed for shard `idx` with `why`.
void fail_stash(region_actor* self, uint16_t idx, const caf::error& why);

} // namespace troupe::runtime::detail
