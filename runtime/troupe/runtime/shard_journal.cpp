#include "troupe/runtime/shard_journal.hpp"

#include <atomic>

#include <caf/send.hpp>

#include "troupe/log.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::runtime {

namespace {

caf::error refused(persistence::submit_result res) {
  if (res == persistence::submit_result::overloaded)
    return make_error(errc::overloaded, "write queue is full, retry later");
  return make_error(errc::unavailable, "node is shutting down");
}

bool is_conflict(const caf::error& err) {
  return err.category() == error_category &&
         err.code() == static_cast<uint8_t>(errc::conflict);
}

} // namespace

namespace detail {

/// Where the reply to a write goes. Enqueued straight into the requester's
/// mailbox from whichever thread learns that the write is durable (the
/// committer thread, or the shard itself with async), with no hop through
/// the shard: `response_promise::deliver` is only safe on the actor's own
/// thread, so the promise is taken apart into receiver and request id.
struct reply_to {
  caf::strong_actor_ptr receiver;
  caf::message_id id;

  void send(caf::message msg) const {
    if (receiver)
      receiver->enqueue(nullptr, id.response_id(), std::move(msg), nullptr);
  }
};

/// Sends a write's reply once its entry is durable here and every backup
/// that was live at submit time persisted it (or failed, or went down:
/// a write never waits for a dead node). Shared by the committer thread
/// and the shard's thread.
struct pending_reply {
  pending_reply(int parties, reply_to to, caf::message msg)
      : remaining(parties), client(std::move(to)), reply(std::move(msg)) {
    // nop
  }

  /// One party is done; the last one sends the reply.
  void arrive() {
    if (--remaining == 0 && !failed)
      client.send(std::move(reply));
  }

  /// The local commit failed: answer with `err` at once.
  void fail(caf::error err) {
    failed = true;
    client.send(caf::make_message(std::move(err)));
  }

  std::atomic<int> remaining;
  std::atomic<bool> failed{false};
  reply_to client;
  caf::message reply;
};

} // namespace detail

namespace {

/// A backup refused an entry because another node serves the shard with a
/// newer epoch: this primary was deposed while it was cut off. The write
/// is not acknowledged and the region stops this shard and catches up.
void deposed(const shard_context& ctx,
             const std::shared_ptr<detail::pending_reply>& pending,
             const caf::error& err) {
  log::warning("replication", ctx.service, "/", ctx.shard,
               ": a backup refused an entry (", error_message(err),
               "); stepping down");
  auto why = make_error(errc::unavailable,
                        "shard " + std::to_string(ctx.shard) + " of " +
                            ctx.service + " moved to another node; retry");
  if (pending)
    pending->fail(why);
  if (auto region = caf::actor_cast<caf::actor>(ctx.region))
    caf::anon_send(region, deposed_atom::value, ctx.shard, ctx.epoch);
}

} // namespace

caf::error shard_journal::submit(caf::event_based_actor* self,
                                 std::vector<persistence::journal_op> ops,
                                 caf::response_promise rp, caf::message reply) {
  auto seq = last_seq_ + 1;
  persistence::journal_entry entry;
  entry.seq = seq;
  entry.epoch = ctx_.epoch;
  entry.ops = std::move(ops);
  auto backups = live_backups();
  // With `async` the client is answered once the write is queued, so it
  // never waits for backups either.
  bool wait = ctx_.config->persistence.level != config::durability::async;
  auto pending = std::make_shared<detail::pending_reply>(
      1 + (wait ? static_cast<int>(backups.size()) : 0),
      detail::reply_to{rp.pending() ? rp.next() : nullptr, rp.id()},
      std::move(reply));
  auto blob = backups.empty() ? std::string{} : persistence::encode(entry);
  // The shard itself is only told about failures, and only weakly held: a
  // queued commit must not keep a stopped shard alive.
  auto shard = self->address();
  auto res = ctx_.committer->submit(
      *ctx_.store, ctx_.shard, std::move(entry),
      [pending, shard, seq](bool ok, const std::string& err) {
        if (ok)
          return pending->arrive();
        pending->fail(make_error(errc::unavailable, "write failed: " + err));
        if (auto hdl = caf::actor_cast<caf::actor>(shard))
          caf::anon_send(hdl, committed_atom::value, seq, false, err);
      });
  if (res != persistence::submit_result::accepted)
    return refused(res);
  last_seq_ = seq;
  for (auto& gateway : backups)
    replicate(self, gateway, blob, wait ? pending : nullptr);
  return {};
}

std::vector<caf::actor> shard_journal::live_backups() const {
  std::vector<caf::actor> out;
  if (!ctx_.members)
    return out;
  auto view = ctx_.members->view();
  for (const auto& name : ctx_.backups)
    if (const auto* m = view->find(name); m && m->up && m->gateway)
      out.push_back(m->gateway);
  return out;
}

void shard_journal::replicate(caf::event_based_actor* self,
                              const caf::actor& gateway,
                              const std::string& blob,
                              std::shared_ptr<detail::pending_reply> pending) {
  if (lag_ == nullptr && ctx_.metrics != nullptr)
    lag_ = &ctx_.metrics->gauge(
        "troupe_replication_pending",
        "Journal entries sent to backups and not yet persisted there",
        {{"service", ctx_.service}});
  if (lag_ != nullptr)
    lag_->add(1);
  auto done = [pending, lag = lag_] {
    if (lag != nullptr)
      lag->add(-1);
    if (pending)
      pending->arrive();
  };
  // A backup that has not persisted the entry within the failure timeout
  // is either down (the membership will say so) or too slow to wait for:
  // the write is durable here; the backup misses the entry.
  self->request(gateway, ctx_.config->membership.failure_timeout,
                deliver_atom::value, ctx_.service, ctx_.shard,
                caf::make_message(replicate_atom::value, blob))
      .then([done](replicate_atom) { done(); },
            [done, pending, ctx = &ctx_](caf::error& err) {
              if (is_conflict(err))
                deposed(*ctx, pending, err);
              else
                log::warning("replication", ctx->service, "/", ctx->shard,
                             ": a backup did not persist an entry: ",
                             caf::to_string(err));
              done();
            });
}

caf::error shard_journal::submit(caf::event_based_actor* self,
                                 std::vector<persistence::journal_op> ops) {
  return submit(self, std::move(ops), caf::response_promise{}, caf::message{});
}

bool shard_journal::on_committed(uint64_t seq, bool ok,
                                 const std::string& error) {
  if (!ok)
    log::error("journal", ctx_.service, "/", ctx_.shard, ": commit of entry ",
               seq, " failed: ", error);
  return ok;
}

void load_shard_async(caf::event_based_actor* self, const shard_context& ctx) {
  auto dest = caf::actor_cast<caf::actor>(self);
  auto* store = ctx.store;
  auto shard = ctx.shard;
  ctx.committer->submit_task([dest, store, shard] {
    auto image =
        std::make_shared<persistence::shard_image>(store->load_shard(shard));
    caf::anon_send(dest, loaded_atom::value, shard_image_ptr{std::move(image)});
  });
}

} // namespace troupe::runtime
