#include "troupe/runtime/shard_journal.hpp"

#include <caf/send.hpp>

#include "troupe/log.hpp"
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

} // namespace

shard_journal::shard_journal(caf::event_based_actor* self, shard_context ctx)
    : ctx_(std::move(ctx)), pending_(std::make_shared<pending_map>()) {
  self->attach_functor([pending = pending_](const caf::error&) {
    for (auto& [seq, w] : *pending)
      if (w.rp.pending())
        w.rp.deliver(make_error(errc::unavailable,
                                "the shard stopped before the write was "
                                "confirmed; retry"));
    pending->clear();
  });
}

caf::error shard_journal::submit(caf::event_based_actor* self,
                                 std::vector<persistence::journal_op> ops,
                                 caf::response_promise rp, caf::message reply) {
  auto seq = last_seq_ + 1;
  persistence::journal_entry entry;
  entry.seq = seq;
  entry.ops = std::move(ops);
  // Register first: with async durability the report may be sent at once.
  pending_->emplace(seq, waiting{std::move(rp), std::move(reply)});
  // A weak reference: a queued commit must not keep a stopped shard (and
  // the promises it holds) alive.
  auto dest = self->address();
  auto res = ctx_.committer->submit(
      *ctx_.store, ctx_.shard, std::move(entry),
      [dest, seq](bool ok, const std::string& err) {
        if (auto hdl = caf::actor_cast<caf::actor>(dest))
          caf::anon_send(hdl, committed_atom::value, seq, ok, err);
      });
  if (res != persistence::submit_result::accepted) {
    pending_->erase(seq);
    return refused(res);
  }
  last_seq_ = seq;
  return {};
}

caf::error shard_journal::submit(caf::event_based_actor* self,
                                 std::vector<persistence::journal_op> ops) {
  return submit(self, std::move(ops), caf::response_promise{}, caf::message{});
}

bool shard_journal::on_committed(uint64_t seq, bool ok,
                                 const std::string& error) {
  auto i = pending_->find(seq);
  if (i == pending_->end())
    return ok;
  auto w = std::move(i->second);
  pending_->erase(i);
  if (ok) {
    if (w.rp.pending())
      w.rp.deliver(std::move(w.reply));
    return true;
  }
  log::error("journal", ctx_.service, "/", ctx_.shard, ": commit of entry ",
             seq, " failed: ", error);
  if (w.rp.pending())
    w.rp.deliver(make_error(errc::unavailable, "write failed: " + error));
  return false;
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
