#include "troupe/pastebin/shard.hpp"

#include <memory>
#include <random>
#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/skip.hpp>

#include "troupe/pastebin/paste_shard_state.hpp"
#include "troupe/pastebin/shortlink.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/metrics.hpp"
#include "troupe/runtime/shard_journal.hpp"

namespace troupe::pastebin {

namespace {

using runtime::errc;
using runtime::make_error;

/// Expired pastes deleted per sweep tick: bounds the work of one tick.
constexpr size_t sweep_batch = 10000;

/// Keeps `troupe_pastebin_pastes` (the pastes of this node's shards) in
/// step with one shard: adds the change since the last update.
struct paste_count {
  runtime::metric_gauge* gauge = nullptr;
  double counted = 0;

  void update(size_t n) {
    if (gauge == nullptr)
      return;
    gauge->add(static_cast<double>(n) - counted);
    counted = static_cast<double>(n);
  }
};

struct shard_state {
  shard_state(runtime::shard_context ctx, clock_fn f)
      : journal(std::move(ctx)), now(std::move(f)) {
    if (auto* m = journal.context().metrics)
      count.gauge = &m->gauge("troupe_pastebin_pastes",
                              "Pastes held by this node's shards");
  }
  paste_count count;
  paste_shard_state logic;
  runtime::shard_journal journal;
  clock_fn now;
  std::mt19937_64 rng{std::random_device{}()};
};

using state_ptr = std::shared_ptr<shard_state>;

/// Passes a create whose shortlink is taken on to the owner of a fresh
/// shortlink; the final shard answers the client directly.
caf::result<caf::message> retry_create(caf::event_based_actor* self,
                                       state_ptr st, const paste_input& in,
                                       uint32_t attempt) {
  const auto& ctx = st->journal.context();
  auto region = caf::actor_cast<caf::actor>(ctx.region);
  if (attempt + 1 >=
          static_cast<uint32_t>(ctx.config->pastebin.create_retries) ||
      !region)
    return make_error(errc::conflict, "no free shortlink after " +
                                          std::to_string(attempt + 1) +
                                          " attempts");
  auto next = make_shortlink(in.client, in.created_at, st->rng());
  self->delegate(region, create_atom::value, std::move(next), in, attempt + 1);
  return caf::delegated<caf::message>{};
}

caf::result<caf::message> create(caf::event_based_actor* self, state_ptr st,
                                 const std::string& link, const paste_input& in,
                                 uint32_t attempt) {
  auto ops = st->logic.plan_create(link, in, st->now());
  if (!ops)
    return retry_create(self, st, in, attempt);
  auto rp = self->make_response_promise();
  if (auto err = st->journal.submit(self, *ops, rp, caf::make_message(link)))
    return err;
  for (const auto& op : *ops)
    st->logic.apply(op);
  return rp;
}

/// Persists dirty visit counters; `rp` (if pending) learns when durable.
caf::error flush_visits(caf::event_based_actor* self, state_ptr st,
                        caf::response_promise rp) {
  auto ops = st->logic.dirty_visit_ops();
  if (ops.empty()) {
    if (rp.pending())
      rp.deliver(runtime::flush_atom::value);
    return {};
  }
  auto err = st->journal.submit(self, std::move(ops), std::move(rp),
                                caf::make_message(runtime::flush_atom::value));
  if (!err)
    st->logic.clear_dirty();
  return err;
}

void sweep(caf::event_based_actor* self, state_ptr st) {
  auto ops = st->logic.plan_sweep(st->now(), sweep_batch);
  if (ops.empty())
    return;
  if (st->journal.submit(self, ops))
    return; // refused: the next tick tries again
  for (const auto& op : ops)
    st->logic.apply(op);
}

caf::behavior serving(caf::event_based_actor* self, state_ptr st) {
  const auto& cfg = st->journal.context().config->pastebin;
  auto stats_every = cfg.stats_flush_interval;
  auto sweep_every = cfg.sweep_interval;
  self->delayed_send(self, stats_every, stats_tick_atom::value);
  self->delayed_send(self, sweep_every, sweep_atom::value);
  return {
      [self, st](create_atom, const std::string& link, const paste_input& in,
                 uint32_t attempt) {
        return create(self, st, link, in, attempt);
      },
      [st](get_atom, const std::string& link,
           uint8_t kind) -> caf::result<paste_view> {
        if (auto view = st->logic.visit(link, kind, st->now()))
          return std::move(*view);
        return make_error(errc::not_found, "no paste with shortlink " + link);
      },
      [st](stats_atom, const std::string& month, const std::string& link,
           uint32_t limit) { return st->logic.stats(month, link, limit); },
      [st](runtime::committed_atom, uint64_t seq, bool ok,
           const std::string& err) {
        // Memory is ahead of disk after a failed commit: crash, so that the
        // supervisor restarts this shard from its durable state.
        if (!st->journal.on_committed(seq, ok, err))
          throw std::runtime_error("commit failed: " + err);
      },
      [self, st](runtime::flush_atom) -> caf::result<caf::message> {
        auto rp = self->make_response_promise();
        if (auto err = flush_visits(self, st, rp))
          return err;
        return rp;
      },
      [self, st, stats_every](stats_tick_atom) {
        st->count.update(st->logic.size());
        flush_visits(self, st, caf::response_promise{});
        self->delayed_send(self, stats_every, stats_tick_atom::value);
      },
      [self, st, sweep_every](sweep_atom) {
        sweep(self, st);
        self->delayed_send(self, sweep_every, sweep_atom::value);
      },
      [](runtime::crash_atom) -> caf::result<void> {
        throw std::runtime_error("injected fault");
      },
  };
}

} // namespace

caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, clock_fn now) {
  auto st = std::make_shared<shard_state>(ctx, std::move(now));
  // A stopped or crashed shard's pastes leave the node's count.
  self->attach_functor([st] { st->count.update(0); });
  // Requests wait in the mailbox until the durable state is loaded.
  self->set_default_handler(caf::skip);
  runtime::load_shard_async(self, ctx);
  return {
      [self, st](runtime::loaded_atom, const runtime::shard_image_ptr& image) {
        st->logic.restore(*image);
        st->journal.restore(image->last_seq);
        st->count.update(st->logic.size());
        self->set_default_handler(caf::print_and_drop);
        const auto& ctx = st->journal.context();
        if (auto region = caf::actor_cast<caf::actor>(ctx.region))
          self->send(region, runtime::ready_atom::value, ctx.shard);
        self->become(serving(self, st));
      },
  };
}

} // namespace troupe::pastebin
