#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>

#include "troupe/runtime/membership.hpp"
#include "troupe/runtime/shard_context.hpp"
#include "troupe/runtime/shard_map.hpp"

namespace troupe::runtime {

/// How a service's shards are made and how its messages find them.
struct region_spec {
  /// Service name, e.g. "pastebin".
  std::string service;
  /// Number of shards.
  size_t shards = 64;
  /// Extracts the entity key of a routed message (nullopt: not routable).
  std::function<std::optional<std::string>(const caf::message&)> key_of;
  /// Initializes one shard actor. The shard loads its durable state, then
  /// sends `(ready, shard)` to its parent region.
  std::function<caf::behavior(caf::event_based_actor*, shard_context)> shard;
  /// Tells whether a message changes state (refused with 503 while this
  /// node does not see a majority of the cluster). Unset: no message does.
  std::function<bool(const caf::message&)> is_write;
  /// True: the shards keep their state in the journal, which is streamed
  /// to backups and handed over when a shard moves. False for memory-only
  /// shards (the cache): a shard that moves starts empty on its new node.
  bool replicated = true;
};

/// Live view of a region, readable from any thread (dashboards, /readyz).
struct region_status {
  /// `remote`: the shard's primary is another node.
  enum shard_state : uint8_t { loading = 0, up = 1, failed = 2, remote = 3 };

  explicit region_status(std::string name, size_t n)
      : service(std::move(name)), shards(n), states(n), stashed(n) {
    for (auto& s : states)
      s = loading;
  }

  std::string service;
  size_t shards;
  std::vector<std::atomic<uint8_t>> states;
  /// Messages held for each shard while it moves (the dashboard's
  /// "stashing").
  std::vector<std::atomic<uint32_t>> stashed;
  std::atomic<uint64_t> restarts{0};
  /// The cluster's membership (unset on a single node).
  membership_status_ptr members;
  /// The owners of every shard in rank order (set with `members`): the
  /// first is the preferred primary, which serves the shard whenever it is
  /// up and caught up.
  std::vector<std::vector<std::string>> owners;

  /// Returns whether an owner of `key`'s shard is up (always on a single
  /// node): the first of them serves it. Callers free to pick a key (new
  /// shortlinks) pick one whose shard can take the write.
  bool owner_up(std::string_view key) const;
  std::atomic<uint64_t> escalations{0};
  /// Journal entries this node persisted as a backup of other nodes' shards.
  std::atomic<uint64_t> replica_entries{0};
  /// The region actor (weak: the region holds this status) and its key
  /// function, set once before the edge starts: the edge's link router sends
  /// keyed requests for remote shards straight to their node.
  caf::actor_addr region;
  std::function<std::optional<std::string>(const caf::message&)> key_of;

  /// Returns whether every shard this node runs is up.
  bool ready() const;

  /// Returns the local actor of the shard owning `key`, or an invalid
  /// handle when it is not running here; callers then go through the
  /// region. Lets hot paths skip the region's hop (one fewer scheduling
  /// of an actor per request) without holding node addresses.
  caf::actor shard_for(std::string_view key) const;

  /// Returns the local actor of shard `idx`, or an invalid handle.
  caf::actor shard_at(uint16_t idx) const;

  /// Returns `shard_for(key)`, or `region` when the shard is not local or
  /// this node lacks a quorum (the region then refuses writes).
  caf::actor route(std::string_view key, const caf::actor& region) const {
    if (members && !members->quorum())
      return region;
    auto shard = shard_for(key);
    return shard ? shard : region;
  }

  /// Publishes the current shard actors (the region calls this whenever
  /// one starts or stops; the node clears it at shutdown).
  void publish(std::vector<caf::actor> shards);

  /// With etcd: what this node knows of a shard's configuration.
  struct config_view {
    uint64_t epoch = 0;
    /// Empty while no configuration exists.
    std::string primary;
    /// The replicas in sync, the primary first.
    std::vector<std::string> replicas;
  };
  using config_views = std::vector<config_view>;

  /// Returns the configurations of every shard (etcd; nullptr otherwise).
  std::shared_ptr<const config_views> configs() const {
    return std::atomic_load(&configs_);
  }

  /// Publishes the configurations (the region, whenever one changes).
  void publish_configs(config_views views);

private:
  // Swapped whole (std::atomic_load/store on shared_ptr), read lock-free.
  std::shared_ptr<const std::vector<caf::actor>> routes_;
  std::shared_ptr<const config_views> configs_;
};

using region_status_ptr = std::shared_ptr<region_status>;

} // namespace troupe::runtime

// Passed within one process only (a region registering with the membership).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::runtime::region_status_ptr)

namespace troupe::runtime {

/// Where a region's shards live when the node is part of a cluster.
struct region_placement {
  /// This node's name.
  std::string self;
  /// The owners of every shard (static: over the configured nodes).
  const shard_map* map = nullptr;
  /// Unset on a single node: every shard is local.
  membership_status_ptr members;
  /// With etcd: the node's agent of etcd (runtime/etcd_agent.hpp), which
  /// decides with etcd who serves each shard.
  caf::actor agent;
};

/// Spawns the region actor of a service. It supervises the shard actors
/// (restart from durable state within the restart intensity, escalation to
/// "failed" beyond it), routes every keyed message to the shard owning the
/// key, and routes `(to_shard, idx, msg)` by index. `base` carries the
/// node-wide parts of the shard context.
///
/// In a cluster the region runs the shards this node is the acting primary
/// of: the first owner that is up (and caught up). Messages for other
/// shards go to that node's membership actor as `(deliver, service, idx,
/// msg)`, which hands them to its shard or region. Requests in flight
/// towards a node fail with `unavailable` as soon as the membership reports
/// it down. Failover, catch-up and hand-over are described in
/// docs/design.md ("Failover").
caf::actor spawn_region(caf::actor_system& sys, region_spec spec,
                        shard_context base, region_status_ptr status,
                        region_placement placement);

} // namespace troupe::runtime
