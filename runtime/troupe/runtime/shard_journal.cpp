#include "troupe/runtime/shard_journal.hpp"

#include <atomic>

#include <caf/send.hpp>

#include "troupe/log.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/replica_set.hpp"

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

namespace {

/// A backup refused an entry because another node serves the shard with a
/// newer epoch: this primary was deposed while it was cut off. The write
/// is not acknowledged and the region stops this shard and catches up.
void deposed(const shard_context& ctx, const detail::pending_reply_ptr& pending,
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
  auto targets = replication_targets(entry.epoch);
  // With `async` the client is answered once the write is queued, so it
  // never waits for backups either.
  bool wait = ctx_.config->persistence.level != config::durability::async;
  auto pending = std::make_shared<detail::pending_reply>(
      1 + (wait ? static_cast<int>(targets.size()) : 0),
      detail::reply_to{rp.pending() ? rp.next() : nullptr, rp.id()},
      std::move(reply), ctx_.lease, ctx_.lease_id);
  auto blob = targets.empty() ? std::string{} : persistence::encode(entry);
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
  auto waiting = wait ? pending : nullptr;
  for (auto& t : targets) {
    if (t.gateway)
      replicate(self, t, blob, waiting);
    else
      replica_failed(t, waiting, "it is unreachable");
  }
  return {};
}

std::vector<shard_journal::target>
shard_journal::replication_targets(uint64_t& epoch) const {
  std::vector<target> out;
  if (!ctx_.members)
    return out;
  auto view = ctx_.members->view();
  auto gateway_of = [&](const std::string& name) -> caf::actor {
    const auto* m = view->find(name);
    return m != nullptr && m->up ? m->gateway : nullptr;
  };
  if (ctx_.replicas) {
    // etcd: every replica of the configuration, reachable or not.
    auto current = ctx_.replicas->current();
    epoch = current->epoch;
    for (const auto& name : current->backups)
      out.push_back(target{name, epoch, gateway_of(name)});
    return out;
  }
  // static: the backups that are up now.
  for (const auto& name : ctx_.backups)
    if (auto gateway = gateway_of(name))
      out.push_back(target{name, epoch, std::move(gateway)});
  return out;
}

void shard_journal::replica_failed(const target& t,
                                   const detail::pending_reply_ptr& pending,
                                   const std::string& why) {
  if (!pending)
    return;
  // A write is acknowledged only once every replica of the configuration
  // has it: park it until the region removed this replica by a CAS.
  if (!ctx_.replicas->park(t.name, pending)) {
    pending->arrive(); // removed already
    return;
  }
  log::debug("replication", ctx_.service, "/", ctx_.shard, ": replica ", t.name,
             " did not persist an entry (", why,
             "); asking to remove it from the configuration");
  if (auto region = caf::actor_cast<caf::actor>(ctx_.region))
    caf::anon_send(region, drop_atom::value, ctx_.shard, t.name, t.epoch);
}

void shard_journal::replicate(caf::event_based_actor* self, const target& t,
                              const std::string& blob,
                              detail::pending_reply_ptr pending) {
  if (lag_ == nullptr && ctx_.metrics != nullptr)
    lag_ = &ctx_.metrics->gauge(
        "troupe_replication_pending",
        "Journal entries sent to backups and not yet persisted there",
        {{"service", ctx_.service}});
  if (lag_ != nullptr)
    lag_->add(1);
  auto lag = lag_;
  // Static: a backup that has not persisted the entry within the failure
  // timeout is either down (the membership will say so) or too slow to
  // wait for: the write is durable here; the backup misses the entry.
  // etcd: the replica is removed from the configuration first.
  self->request(t.gateway, ctx_.config->membership.failure_timeout,
                deliver_atom::value, ctx_.service, ctx_.shard,
                caf::make_message(replicate_atom::value, blob))
      .then(
          [pending, lag](replicate_atom) {
            if (lag != nullptr)
              lag->add(-1);
            if (pending)
              pending->arrive();
          },
          [this, t, pending, lag](caf::error& err) {
            if (lag != nullptr)
              lag->add(-1);
            if (ctx_.replicas)
              return replica_failed(t, pending, caf::to_string(err));
            if (is_conflict(err))
              deposed(ctx_, pending, err);
            else
              log::warning(
                  "replication", ctx_.service, "/", ctx_.shard,
                  ": a backup did not persist an entry: ", caf::to_string(err));
            if (pending)
              pending->arrive();
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
