#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>

#include "troupe/persistence/store.hpp"
#include "troupe/runtime/metrics.hpp"
#include "troupe/runtime/shard_context.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::runtime::shard_image_ptr)

namespace troupe::runtime {

namespace detail {
struct pending_reply;
using pending_reply_ptr = std::shared_ptr<pending_reply>;
} // namespace detail

/// The write path of one durable shard actor.
///
/// A shard never applies a change before the group committer accepted it:
/// `submit` hands the entry to the committer (which may refuse it when its
/// bounded queue is full: 429), the caller then applies the same ops to its
/// memory, and the client's reply travels with the entry: the committer
/// sends it once the entry is durable under the node's durability level,
/// without waking the shard. Only a failed commit comes back to the shard,
/// as `(committed, seq, false, error)`: memory is then ahead of disk, so the
/// actor must crash and be restarted from its durable state.
class shard_journal {
public:
  explicit shard_journal(shard_context ctx) : ctx_(std::move(ctx)) {
    // nop
  }

  shard_journal(const shard_journal&) = delete;
  shard_journal& operator=(const shard_journal&) = delete;

  /// Sets the sequence number of the last durable entry (after loading).
  void restore(uint64_t last_seq) { last_seq_ = last_seq; }

  /// Returns the sequence number of the last submitted entry.
  uint64_t last_seq() const { return last_seq_; }

  /// Submits `ops` as the next entry; the requester behind `rp` receives
  /// `reply` once the entry is durable (or `unavailable` if the commit
  /// fails), straight from the committer: the reply arrives even if this
  /// shard stopped in between. Returns a non-empty error (overloaded,
  /// unavailable) when refused.
  caf::error submit(caf::event_based_actor* self,
                    std::vector<persistence::journal_op> ops,
                    caf::response_promise rp, caf::message reply);

  /// Submits `ops` with nobody waiting for the outcome.
  caf::error submit(caf::event_based_actor* self,
                    std::vector<persistence::journal_op> ops);

  /// Handles `(committed, seq, false, error)`, which the shard receives
  /// when a commit failed; returns false (the caller should then crash so
  /// that it is reloaded from disk).
  bool on_committed(uint64_t seq, bool ok, const std::string& error);

  /// Returns the context of the shard.
  const shard_context& context() const { return ctx_; }

private:
  /// A replica an entry goes to.
  struct target {
    std::string name;
    /// The epoch of the configuration the entry was written under.
    uint64_t epoch = 0;
    /// Its membership actor; invalid while unreachable.
    caf::actor gateway;
  };

  /// Returns the replicas of the next entry and sets `epoch` to the epoch
  /// it is written under. Static: the backups up now. etcd: every replica
  /// of the shard's configuration.
  std::vector<target> replication_targets(uint64_t& epoch) const;

  /// Sends the encoded entry to one replica; `pending` (if set) learns
  /// when the replica persisted it, failed or timed out.
  void replicate(caf::event_based_actor* self, const target& t,
                 const std::string& blob, detail::pending_reply_ptr pending);

  /// etcd: `t` did not persist an entry of `pending`; parks the write until
  /// the region removed `t` from the configuration.
  void replica_failed(const target& t, const detail::pending_reply_ptr& pending,
                      const std::string& why);

  shard_context ctx_;
  uint64_t last_seq_ = 0;
  /// `troupe_replication_pending{service}` (looked up once).
  metric_gauge* lag_ = nullptr;
};

/// Loads the shard's durable state on the committer thread, after every
/// write queued before; `self` then receives `(loaded, shard_image_ptr)`.
void load_shard_async(caf::event_based_actor* self, const shard_context& ctx);

} // namespace troupe::runtime
