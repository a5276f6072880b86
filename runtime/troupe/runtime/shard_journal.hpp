#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>

#include "troupe/persistence/store.hpp"
#include "troupe/runtime/shard_context.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::runtime::shard_image_ptr)

namespace troupe::runtime {

/// The write path of one durable shard actor.
///
/// A shard never applies a change before the group committer accepted it:
/// `submit` hands the entry to the committer (which may refuse it when its
/// bounded queue is full: 429), the caller then applies the same ops to its
/// memory, and the client's reply is held until the committer reports the
/// entry durable under the node's durability level, which it does with a
/// `(committed, seq, ok, error)` message to the actor. A failed commit leaves
/// memory ahead of disk, so the actor must then crash and be restarted from
/// its durable state by its supervisor.
class shard_journal {
public:
  /// Creates the journal of the shard actor `self`. When `self` stops
  /// (crash, escalation, shutdown), every write still waiting for its
  /// commit is answered with `unavailable`, so that no caller waits for a
  /// reply that can no longer come. Their outcome is unknown: the committer
  /// may still make them durable.
  shard_journal(caf::event_based_actor* self, shard_context ctx);

  shard_journal(const shard_journal&) = delete;
  shard_journal& operator=(const shard_journal&) = delete;

  /// Sets the sequence number of the last durable entry (after loading).
  void restore(uint64_t last_seq) { last_seq_ = last_seq; }

  /// Returns the sequence number of the last submitted entry.
  uint64_t last_seq() const { return last_seq_; }

  /// Submits `ops` as the next entry; `rp` receives `reply` once durable.
  /// Returns a non-empty error (overloaded, unavailable) when refused.
  caf::error submit(caf::event_based_actor* self,
                    std::vector<persistence::journal_op> ops,
                    caf::response_promise rp, caf::message reply);

  /// Submits `ops` with nobody waiting for the outcome.
  caf::error submit(caf::event_based_actor* self,
                    std::vector<persistence::journal_op> ops);

  /// Handles a commit report; returns false if the commit failed.
  bool on_committed(uint64_t seq, bool ok, const std::string& error);

  /// Returns the number of entries awaiting their commit.
  size_t pending() const { return pending_->size(); }

  /// Returns the context of the shard.
  const shard_context& context() const { return ctx_; }

private:
  struct waiting {
    caf::response_promise rp;
    caf::message reply;
  };

  shard_context ctx_;
  uint64_t last_seq_ = 0;
  using pending_map = std::unordered_map<uint64_t, waiting>;

  /// Shared with the actor's exit hook, which may outlive this object.
  std::shared_ptr<pending_map> pending_;
};

/// Loads the shard's durable state on the committer thread, after every
/// write queued before; `self` then receives `(loaded, shard_image_ptr)`.
void load_shard_async(caf::event_based_actor* self, const shard_context& ctx);

} // namespace troupe::runtime
