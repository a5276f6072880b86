#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/message_id.hpp>

#include "troupe/runtime/lease.hpp"

namespace troupe::runtime {

namespace detail {

/// Where the reply to a write goes. Enqueued straight into the requester's
/// mailbox from whichever thread learns that the write is durable (the
/// committer thread, or the shard itself with async), with no hop through
/// the shard: `response_promise::deliver` is only safe on the actor's own
/// thread, so the promise is taken apart into receiver and request id.
struct reply_to {
  caf::strong_actor_ptr receiver;
  caf::message_id id;

  void send(caf::message msg) const;
};

/// Sends a write's reply once every party (the local commit, each replica)
/// is done. Shared by the committer thread, the shard's thread and, with
/// etcd, the region (a replica's removal). With etcd the reply is an
/// acknowledgement only while this node's lease is valid; after that the
/// write fails, since another node may serve the shard by then.
struct pending_reply {
  pending_reply(int parties, reply_to to, caf::message msg,
                lease_status_ptr lease = nullptr, int64_t lease_id = 0)
      : remaining(parties), client(std::move(to)), reply(std::move(msg)),
        lease(std::move(lease)), lease_id(lease_id) {
    // nop
  }

  /// One party is done; the last one sends the reply.
  void arrive();

  /// The write failed (a commit failed, the shard lost its primary role):
  /// answer with `err` at once; later arrivals send nothing.
  void fail(caf::error err);

  std::atomic<int> remaining;
  std::atomic<bool> failed{false};
  reply_to client;
  caf::message reply;
  /// With etcd: the lease under which the shard's primary writes.
  lease_status_ptr lease;
  int64_t lease_id = 0;
};

using pending_reply_ptr = std::shared_ptr<pending_reply>;

} // namespace detail

/// The replicas a primary shard writes to under etcd membership. The
/// region sets them from the shard's configuration in etcd; the shard's
/// journal reads them for every entry (one atomic load) and stamps the
/// entry with their epoch.
///
/// A replica that fails to persist an entry in time cannot simply be
/// skipped: the write would then be acknowledged without being on every
/// replica of the configuration. The entry's write is *parked* on that
/// replica instead, and the region removes the replica from the
/// configuration by a compare-and-swap in etcd; once `set` installs the
/// smaller configuration, the parked writes go on. If the region cannot
/// remove it (another node took the shard over), `fail_parked` fails them.
class replica_set {
public:
  /// The configuration entries are written under.
  struct view {
    uint64_t epoch = 0;
    /// Every replica but the primary.
    std::vector<std::string> backups;
  };

  replica_set();

  /// Returns the current configuration (lock-free).
  std::shared_ptr<const view> current() const {
    return std::atomic_load(&current_);
  }

  /// Installs a configuration: writes parked on a replica that it no
  /// longer holds go on.
  void set(uint64_t epoch, std::vector<std::string> backups);

  /// Parks `w` until `node` leaves the replicas. Returns false without
  /// parking when it already left (the caller lets the write go on).
  bool park(const std::string& node, detail::pending_reply_ptr w);

  /// Fails every parked write with `why`.
  void fail_parked(const caf::error& why);

  /// Returns the number of parked writes.
  size_t parked() const;

private:
  std::shared_ptr<const view> current_;
  mutable std::mutex mtx_;
  std::vector<std::pair<std::string, detail::pending_reply_ptr>> parked_;
};

using replica_set_ptr = std::shared_ptr<replica_set>;

} // namespace troupe::runtime
