#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::runtime {

/// The configuration of one shard as etcd stores it (membership source
/// `etcd`): who serves the shard and which replicas hold every write it
/// acknowledged. It changes only by a compare-and-swap on its revision, and
/// every change raises the epoch, so configurations of a shard are totally
/// ordered. See docs/design.md ("Partition safety").
struct shard_config {
  /// Raised by every change; journal entries carry the epoch they were
  /// written under.
  uint64_t epoch = 0;
  /// The node serving the shard ...
  std::string primary;
  /// ... while this lease of it lives (a node that restarts holds a new
  /// lease and must take the shard again by a CAS).
  int64_t lease = 0;
  /// Every replica in sync, the primary first: a write is acknowledged only
  /// once all of them have it durably.
  std::vector<std::string> replicas;
  /// The key's `mod_revision` in etcd; 0 while no configuration exists.
  int64_t revision = 0;

  /// Returns whether etcd holds a configuration.
  bool exists() const { return revision != 0; }

  /// Returns whether `name` is one of the replicas.
  bool has_replica(std::string_view name) const;

  /// Returns the replicas other than the primary.
  std::vector<std::string> backups() const;

  /// Renders the stored JSON value (without the revision).
  std::string encode() const;

  /// Parses a stored value; `why` names the problem on failure.
  static std::optional<shard_config>
  decode(std::string_view json, int64_t revision, std::string* why = nullptr);

  // -- the next configuration (epoch + 1; the revision is etcd's to set) ----

  /// The first configuration of a shard: `node` serves it alone.
  static shard_config initial(const std::string& node, int64_t lease,
                              uint64_t epoch);

  /// This configuration with `node` added to the replicas.
  shard_config with_replica(const std::string& node) const;

  /// This configuration without the replica `node`.
  shard_config without_replica(const std::string& node) const;

  /// This configuration served by the replica `node` (lease `lease`); the
  /// old primary stays a replica.
  shard_config handed_to(const std::string& node, int64_t lease) const;

  /// This configuration, its primary now holding `lease` (it restarted or
  /// lost its old lease); the replicas stay.
  shard_config renewed(int64_t lease) const;

  /// This configuration taken over by the replica `node` after the
  /// primary's lease expired: `node` serves it alone until the others
  /// caught up with it.
  shard_config elected(const std::string& node, int64_t lease) const;
};

/// Where a cluster's keys live in etcd, under `<prefix>/<cluster>/`:
/// `members/<node>/<lease>` (one key per live node, attached to its lease),
/// `shards/<service>/<index>` (one shard_config each) and `config` (what
/// every node must share).
class etcd_keys {
public:
  etcd_keys(std::string prefix, const std::string& cluster);

  /// The key a node holds while its lease lives.
  std::string member(std::string_view node, int64_t lease) const;

  /// The common prefix of every member key.
  const std::string& members() const { return members_; }

  /// The configuration key of a shard.
  std::string shard(std::string_view service, uint16_t idx) const;

  /// The common prefix of every configuration key.
  const std::string& shards() const { return shards_; }

  /// The key holding the config every node of the cluster must share
  /// (membership.hpp, `cluster_config_text`).
  const std::string& config() const { return config_; }

  /// Splits a member key into node and lease; false for other keys.
  bool parse_member(std::string_view key, std::string& node,
                    int64_t& lease) const;

  /// Splits a configuration key into service and index; false for others.
  bool parse_shard(std::string_view key, std::string& service,
                   uint16_t& idx) const;

private:
  std::string members_;
  std::string shards_;
  std::string config_;
};

} // namespace troupe::runtime
