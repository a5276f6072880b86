#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "troupe/config/config.hpp"
#include "troupe/runtime/membership.hpp"
#include "troupe/runtime/metrics.hpp"
#include "troupe/runtime/region.hpp"
#include "troupe/runtime/shard_map.hpp"
#include "troupe/runtime/stats_history.hpp"
#include "troupe/runtime/virtual_host.hpp"

namespace troupe::persistence {
class lmdb_env;
class group_committer;
class store;
} // namespace troupe::persistence

namespace troupe::runtime {

/// One troupe node: an actor system, the LMDB environment under the data
/// dir with its group committer, the metrics registry, and the regions and
/// virtual-actor hosts of the services it runs.
///
/// Lifecycle: construct, `start()`, add services, ..., `stop()`. `stop()`
/// flushes every region's buffers, commits and syncs everything queued, and
/// stops all actors; the destructor calls it.
class node {
public:
  /// Hook to register message types (and more) before the system starts.
  using customize_fn = std::function<void(caf::actor_system_config&)>;

  explicit node(config::node_config cfg, customize_fn customize = {});

  ~node();

  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Opens the data dir and starts persistence. Returns an error line or
  /// an empty string.
  std::string start();

  /// Starts a sharded service; returns its region actor.
  caf::actor start_region(region_spec spec);

  /// Starts a kind of virtual actor; returns its host.
  caf::actor start_virtual(virtual_spec spec);

  /// Makes `handle` part of the node: it is stopped by `stop()`.
  void manage(caf::actor handle) { hosts_.push_back(std::move(handle)); }

  /// Returns the region of `service`, or an invalid handle.
  caf::actor region(const std::string& service) const;

  /// Returns whether every region has loaded the shards it runs (and
  /// caught up on those it replicates) and, in a cluster, this node holds
  /// a valid lease in etcd (static: sees a majority of the nodes).
  bool ready() const;

  /// Returns the membership (unset on a single node).
  const membership_status_ptr& members() const { return members_; }

  /// Returns the live status of every region.
  std::vector<region_status_ptr> regions() const;

  /// Flushes, drains persistence and stops every actor. Idempotent.
  void stop();

  caf::actor_system& system() { return *system_; }
  const config::node_config& config() const { return cfg_; }
  metrics_registry& metrics() { return metrics_; }
  /// The dashboard's history of this node (runtime/stats_history.hpp).
  const std::shared_ptr<stats_history>& stats() const { return stats_; }
  /// Answers `(node_stats, since, cluster)` (runtime/stats_actors.hpp).
  const caf::actor& stats_front() const { return stats_front_; }
  const shard_map& placement() const { return placement_; }
  persistence::group_committer& committer() { return *committer_; }
  persistence::lmdb_env& env() { return *env_; }

  /// Returns the store of `service`, creating it on first use.
  persistence::store& store(const std::string& service);

private:
  void register_collectors();
  void start_stats();
  std::string lock_data_dir(const std::string& dir);

  config::node_config cfg_;
  metrics_registry metrics_;
  std::shared_ptr<stats_history> stats_;
  caf::actor stats_front_;
  shard_map placement_;
  std::unique_ptr<caf::actor_system_config> sys_cfg_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<persistence::lmdb_env> env_;
  std::unique_ptr<persistence::group_committer> committer_;
  std::map<std::string, std::unique_ptr<persistence::store>> stores_;
  std::map<std::string, caf::actor> regions_;
  /// Guards `statuses_`: the stats sampler reads it while services start.
  mutable std::mutex statuses_mtx_;
  std::vector<region_status_ptr> statuses_;
  std::vector<caf::actor> hosts_;
  membership_status_ptr members_;
  caf::actor membership_;
  /// With etcd: the node's agent of etcd.
  caf::actor agent_;
  bool stopped_ = false;
  int lock_fd_ = -1;
};

} // namespace troupe::runtime
