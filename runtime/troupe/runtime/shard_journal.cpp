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

namespace {

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

} // namespace

caf::error shard_journal::submit(caf::event_based_actor* self,
                                 std::vector<persistence::journal_op> ops,
                                 caf::response_promise rp, caf::message reply) {
  auto seq = last_seq_ + 1;
  persistence::journal_entry entry;
  entry.seq = seq;
  entry.ops = std::move(ops);
  reply_to client{rp.pending() ? rp.next() : nullptr, rp.id()};
  // The shard itself is only told about failures, and only weakly held: a
  // queued commit must not keep a stopped shard alive.
  auto shard = self->address();
  auto res = ctx_.committer->submit(
      *ctx_.store, ctx_.shard, std::move(entry),
      [client, reply = std::move(reply), shard,
       seq](bool ok, const std::string& err) mutable {
        if (ok) {
          client.send(std::move(reply));
          return;
        }
        client.send(caf::make_message(
            make_error(errc::unavailable, "write failed: " + err)));
        if (auto hdl = caf::actor_cast<caf::actor>(shard))
          caf::anon_send(hdl, committed_atom::value, seq, false, err);
      });
  if (res != persistence::submit_result::accepted)
    return refused(res);
  last_seq_ = seq;
  return {};
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
