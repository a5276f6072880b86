#pragma once

// What a node knows of the cluster at one instant: which members are up and
// who serves each shard. `/api/v1/cluster` and the dashboard render it; the
// stats sampler compares two of them to log what changed (a node went down,
// shards moved, an epoch was raised, a shard restarted).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "troupe/runtime/stats_history.hpp"

namespace troupe::runtime {

class node;
struct region_status;

/// One shard as this node sees it.
struct shard_row {
  uint16_t shard = 0;
  /// The owners in rank order: the preferred primary first, then backups.
  std::vector<std::string> owners;
  /// The node serving it now; empty while unknown (etcd: no configuration
  /// yet; static: no owner up).
  std::string serving;
  /// With etcd: whether a configuration was read, its epoch and the
  /// replicas in sync (the serving node first).
  bool has_config = false;
  uint64_t epoch = 0;
  std::vector<std::string> in_sync;
  /// `region_status::shard_state`: `remote` unless this node runs it.
  uint8_t state = 3;
  /// Messages held while the shard moves.
  uint32_t stashed = 0;

  /// Served by another node than its preferred primary, or loading here.
  bool moving() const;
};

/// The shards of `status` as node `n` sees them now.
std::vector<shard_row> shard_rows(const node& n, const region_status& status);

/// One shard as `/api/v1/cluster` and `/api/v1/stats` show it (docs/api.md);
/// `etcd`: with epoch and replicas in sync.
nlohmann::json shard_json(const shard_row& row, bool etcd);

/// The body of `GET /api/v1/cluster` (docs/api.md): members, shards.
nlohmann::json cluster_json(const node& n);

struct cluster_snapshot {
  /// node -> seen up
  std::map<std::string, bool> members;
  /// service -> its shards
  std::map<std::string, std::vector<shard_row>> shards;
  /// service -> supervised restarts so far
  std::map<std::string, uint64_t> restarts;
};

/// Takes a snapshot of what `n` knows now.
cluster_snapshot snapshot_cluster(const node& n);

/// The events between two snapshots: members up or down, shards served by
/// another node (grouped per service and move), epochs raised, changes of
/// the state of shards run here, supervised restarts.
std::vector<stats_event> diff_snapshots(const cluster_snapshot& before,
                                        const cluster_snapshot& after,
                                        int64_t t_ms);

/// Events in a cluster answer; the same event (kind and text) seen by
/// several nodes within `same_event_ms` is listed once.
constexpr size_t max_cluster_events = 200;
constexpr int64_t same_event_ms = 3000;

/// Merges the events of every node row (`{"stats": {"events": [...]}}`),
/// oldest first, each change once (`started` from every node), the newest
/// `max_cluster_events`.
nlohmann::json merge_events(const nlohmann::json& nodes);

} // namespace troupe::runtime
