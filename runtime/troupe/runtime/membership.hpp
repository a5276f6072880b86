#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "troupe/config/config.hpp"
#include "troupe/runtime/lease.hpp"

namespace troupe::runtime {

/// One member as this node sees it.
struct member {
  std::string name;
  bool up = false;
  /// Random per process start: a new value means the node restarted.
  uint64_t incarnation = 0;
  /// The member's membership actor (also its gateway for routed
  /// messages); invalid while down.
  caf::actor gateway;
  /// With etcd: the member's live leases in etcd, oldest first (a node
  /// that restarted may still have its old one until it expires). The
  /// newest is its own; empty while it holds none.
  std::vector<int64_t> leases;

  /// Returns whether lease `id` of this member is live in etcd.
  bool holds(int64_t id) const;

  /// Returns the member's newest live lease, 0 if none.
  int64_t lease() const { return leases.empty() ? 0 : leases.back(); }
};

/// An immutable snapshot of the membership, swapped whole on every change.
struct member_view {
  std::string self;
  /// Every configured node, self included, in config order.
  std::vector<member> members;
  /// Static: nodes up (self included) >= a majority of the configured
  /// nodes. Use membership_status::quorum(), which also covers etcd.
  bool quorum = true;

  /// Returns the entry of `name`, or nullptr.
  const member* find(const std::string& name) const;

  /// Returns the number of members up, self included.
  size_t up_count() const;
};

using member_view_ptr = std::shared_ptr<const member_view>;

/// Returns the view of a node that has not heard from anyone yet: only
/// itself up.
member_view initial_view(const config::node_config& cfg);

/// The membership's current view, readable from any thread without locks
/// (the edge, regions, `/api/v1/cluster`).
class membership_status {
public:
  /// `lease`: this node's lease in etcd (unset with static membership).
  explicit membership_status(member_view initial,
                             lease_status_ptr lease = nullptr);

  /// Returns the current view.
  member_view_ptr view() const { return std::atomic_load(&view_); }

  /// Returns whether this node may serve: with etcd, whether it holds a
  /// valid lease; with static membership, whether it sees a majority of
  /// the configured nodes.
  bool quorum() const { return lease_ ? lease_->valid() : view()->quorum; }

  /// Returns this node's lease in etcd (unset with static membership).
  const lease_status_ptr& lease() const { return lease_; }

  /// Replaces the view (membership actor only).
  void publish(member_view next);

private:
  member_view_ptr view_;
  lease_status_ptr lease_;
};

using membership_status_ptr = std::shared_ptr<membership_status>;

/// Returns the config parts every node of a cluster must share, as text:
/// cluster name, node names and actor endpoints, replication factor,
/// membership source, shard counts.
std::string cluster_config_text(const config::node_config& cfg);

/// Returns a hash of `cluster_config_text`. Nodes with different hashes
/// refuse each other.
uint64_t cluster_config_hash(const config::node_config& cfg);

/// Starts the static membership provider: publishes its actor on this
/// node's actor endpoint, connects to every other configured node, sends
/// each a heartbeat (name, incarnation, config hash) every
/// `heartbeat_interval`, and marks a node down when its connection drops
/// or it stayed silent for `failure_timeout`. Regions that subscribed with
/// `(subscribe, region)` receive `(member_down, name)` and
/// `(member_up, name)`. With etcd, "down" only means unreachable: the
/// etcd agent sends the live leases as `(leases, names, ids)`, which go
/// into the view, and the regions receive `(leases)`. Routed messages
/// `(deliver, service, shard, msg)` from other nodes go to the local region of
/// `service` in `regions`. Returns the actor, or an error text if the endpoint
/// cannot be bound.
struct membership_start {
  caf::actor actor;
  std::string error;
};

membership_start start_membership(caf::actor_system& sys,
                                  const config::node_config& cfg,
                                  membership_status_ptr status);

} // namespace troupe::runtime
