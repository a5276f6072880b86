#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_addr.hpp>

#include "troupe/config/config.hpp"
#include "troupe/runtime/lease.hpp"
#include "troupe/runtime/membership.hpp"

namespace troupe::persistence {
class store;
class group_committer;
struct shard_image;
} // namespace troupe::persistence

namespace troupe::runtime {

class metrics_registry;
class replica_set;

/// Everything a shard actor needs from its node: which shard it is and where
/// its durable state lives. Pointers refer to objects owned by the `node`,
/// which outlive every actor.
struct shard_context {
  std::string service;
  uint16_t shard = 0;
  persistence::store* store = nullptr;
  persistence::group_committer* committer = nullptr;
  const config::node_config* config = nullptr;
  metrics_registry* metrics = nullptr;
  /// The region supervising the shard (weak, so no handle cycle).
  caf::actor_addr region;
  /// The nodes holding backups of this shard (empty on a single node).
  std::vector<std::string> backups;
  /// The cluster's membership, to reach live backups (unset on a single
  /// node).
  membership_status_ptr members;
  /// The epoch this shard's journal entries carry: set by the region when
  /// this node became the shard's primary. Backups refuse entries of an
  /// older epoch than they have seen, which fences a deposed primary.
  uint64_t epoch = 0;
  /// With etcd: the replicas of the shard's current configuration (every
  /// write waits for all of them; `backups` is unused) ...
  std::shared_ptr<replica_set> replicas;
  /// ... and this node's lease: the shard serves no request and
  /// acknowledges no write unless it is valid and still the one with id
  /// `lease_id`, under which the configuration names this node primary.
  lease_status_ptr lease;
  int64_t lease_id = 0;

  /// Returns whether the shard may serve now (always without etcd).
  bool may_serve() const {
    return !lease || (lease->valid() && lease->id() == lease_id);
  }
};

/// The durable state of one shard as loaded from disk, shared read-only.
using shard_image_ptr = std::shared_ptr<const persistence::shard_image>;

} // namespace troupe::runtime
