#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace troupe::runtime {

/// This node's lease in etcd, as far as this node can vouch for it: the
/// lease id and the time until which etcd cannot have expired it.
///
/// The etcd agent renews the lease every third of its TTL. When a renewal
/// sent at `t0` succeeds, etcd keeps the lease at least until `t0 + TTL`
/// (etcd starts the TTL when the renewal *arrives*, which is after `t0`), so
/// the agent sets the deadline to `t0 + TTL - margin`. Until the deadline
/// no other node can have taken over a shard this node serves; after it,
/// this node stops serving reads and acknowledging writes. Readable from
/// any thread without locks (the edge, shards, the group committer).
class lease_status {
public:
  using clock = std::chrono::steady_clock;

  /// Returns whether the lease is valid now.
  bool valid() const { return valid_at(clock::now()); }

  /// Returns whether the lease is valid at `t`.
  bool valid_at(clock::time_point t) const {
    return t.time_since_epoch().count() <
           deadline_.load(std::memory_order_acquire);
  }

  /// Returns the lease id (0 before the first grant or after a loss).
  int64_t id() const { return id_.load(std::memory_order_acquire); }

  /// Returns the deadline (the epoch of the clock when invalid).
  clock::time_point deadline() const {
    return clock::time_point{
        clock::duration{deadline_.load(std::memory_order_acquire)}};
  }

  /// Sets the lease and its deadline (etcd agent only).
  void renew(int64_t id, clock::time_point deadline) {
    id_.store(id, std::memory_order_release);
    deadline_.store(deadline.time_since_epoch().count(),
                    std::memory_order_release);
  }

  /// Marks the lease gone (etcd agent only; also at shutdown).
  void lose() {
    deadline_.store(0, std::memory_order_release);
    id_.store(0, std::memory_order_release);
  }

private:
  std::atomic<int64_t> id_{0};
  std::atomic<clock::rep> deadline_{0};
};

using lease_status_ptr = std::shared_ptr<lease_status>;

} // namespace troupe::runtime
