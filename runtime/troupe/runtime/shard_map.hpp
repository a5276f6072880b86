#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::runtime {

/// Returns the shard of `key`: `xxh64(key) % shards`.
uint16_t shard_of(std::string_view key, size_t shards);

/// Placement of a service's shards on the members of the cluster by
/// rendezvous (highest random weight) hashing: each node gets the score
/// `xxh64(service, shard, node)` and the owners of a shard are the members
/// ranked by descending score. The first is the primary, the next
/// `replication_factor - 1` are backups. A member that joins or leaves moves
/// only the shards whose top ranks it enters or leaves.
class shard_map {
public:
  /// Creates a map over `members` (node names).
  shard_map(std::vector<std::string> members, size_t replication_factor);

  /// Returns the owners of `shard` of `service`, primary first.
  std::vector<std::string> owners(std::string_view service,
                                  uint16_t shard) const;

  /// Returns the primary owner of `shard` of `service`.
  std::string primary(std::string_view service, uint16_t shard) const;

  /// Returns the members, in the order given.
  const std::vector<std::string>& members() const { return members_; }

  /// Returns the replication factor, capped at the member count.
  size_t replication_factor() const { return rf_; }

private:
  std::vector<std::string> members_;
  size_t rf_;
};

} // namespace troupe::runtime
