#include "troupe/mint/shard.hpp"

#include <algorithm>
#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/message_handler.hpp>
#include <caf/skip.hpp>

#include "troupe/mint/messages.hpp"
#include "troupe/mint/render.hpp"
#include "troupe/mint/shard_jobs.hpp"
#include "troupe/mint/shard_state.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::mint {

namespace {

using runtime::errc;
using runtime::make_error;

caf::error no_user(const std::string& user) {
  return make_error(errc::not_found, "no user " + user);
}

/// Journals the notifications `fired` and the profiles of `users`; a
/// refused write crashes the shard (memory is ahead of disk).
void after_change(caf::event_based_actor* self, const state_ptr& st,
                  const std::vector<fired_note>& fired,
                  const std::vector<std::string>& users = {}) {
  std::vector<journal_op> ops;
  st->note_ops(fired, ops);
  for (const auto& u : users)
    ops.push_back(st->profile_op(*st->book.find(u)));
  if (!ops.empty() && st->journal.submit(self, std::move(ops)))
    throw std::runtime_error("notifications could not be journaled");
}

/// Marks a reader active; stores it when the day changed.
const user_state* read_user(caf::event_based_actor* self, const state_ptr& st,
                            const std::string& user) {
  const auto* u = st->book.find(user);
  if (u == nullptr || u->active_day >= st->today())
    return u; // the common case: one lookup, nothing to store
  auto day = u->active_day;
  if (st->touch(user) && st->journal.submit(self, {st->profile_op(*u)}))
    st->book.user(user).active_day = day; // refused: not stored, not kept
  return u;
}

caf::result<caf::message> import(caf::event_based_actor* self,
                                 const state_ptr& st,
                                 const std::string& bytes) {
  txn_batch batch;
  if (!persistence::decode(bytes, batch))
    return make_error(errc::invalid_argument, "malformed transaction batch");
  auto rp = self->make_response_promise();
  auto n = static_cast<uint64_t>(batch.txns.size());
  std::vector<journal_op> ops{
      {journal_op::put, seq_key('b', st->journal.last_seq() + 1), bytes}};
  if (auto err =
          st->journal.submit(self, std::move(ops), rp, caf::make_message(n)))
    return err;
  std::vector<fired_note> fired;
  std::vector<std::string> active;
  auto now = st->now();
  for (const auto& t : batch.txns) {
    st->book.add(t.user, t.created_at, t.seller, t.cents, now, &fired);
    if (st->touch(t.user))
      active.push_back(t.user);
  }
  st->env->board->transactions += n;
  st->publish();
  after_change(self, st, fired, active);
  return rp;
}

caf::result<caf::message> set_category(caf::event_based_actor* self,
                                       const state_ptr& st,
                                       const std::string& user, uint32_t id,
                                       const std::string& name) {
  auto c = parse_category(name);
  const auto* u = st->book.find(user);
  if (!c || *c == category::uncategorized)
    return make_error(errc::invalid_argument,
                      "unknown budget category " + name);
  if (u == nullptr || id < 1 || id > u->txns.size())
    return make_error(errc::not_found,
                      "no transaction " + std::to_string(id) + " of " + user);
  auto rp = self->make_response_promise();
  std::vector<journal_op> ops{{journal_op::put, manual_key(user, id), name}};
  std::vector<fired_note> fired;
  auto vote = st->book.find(user)->txns[id - 1];
  // The answer (the seller key to vote for) is known before the change.
  auto key = st->book.seller(vote.seller).builtin
                 ? std::string{}
                 : st->book.seller(vote.seller).key;
  if (auto err =
          st->journal.submit(self, std::move(ops), rp, caf::make_message(key)))
    return err;
  st->book.set_manual(user, id, *c, st->now(), &fired);
  std::vector<std::string> active;
  if (st->touch(user))
    active.push_back(user);
  after_change(self, st, fired, active);
  return rp;
}

/// Sets income (`c` unset) or a category's budget.
caf::result<caf::message> set_money(caf::event_based_actor* self,
                                    const state_ptr& st,
                                    const std::string& user,
                                    std::optional<category> c, int64_t cents) {
  // The new profile is journaled before anything changes (a refused write
  // leaves no trace, not even a new user).
  const auto* known = st->book.find(user);
  user_state next = known != nullptr ? *known : user_state{};
  next.id = user;
  if (c)
    next.budgets[static_cast<size_t>(*c)] = cents;
  else
    next.income = cents;
  next.active_day = std::max(next.active_day, st->today());
  auto rp = self->make_response_promise();
  if (auto err = st->journal.submit(self, {st->profile_op(next)}, rp,
                                    caf::make_message(ok_atom::value)))
    return err;
  st->book.user(user).active_day = next.active_day;
  std::vector<fired_note> fired;
  if (c)
    st->book.set_budget(user, *c, cents, st->now(), &fired);
  else
    st->book.set_income(user, cents, st->now(), &fired);
  st->publish();
  after_change(self, st, fired);
  return rp;
}

caf::result<caf::message> set_crowd(caf::event_based_actor* self,
                                    const state_ptr& st, const std::string& key,
                                    const std::string& name) {
  auto c = parse_category(name);
  if (!c)
    return make_error(errc::invalid_argument, "unknown category " + name);
  if (st->book.crowd(key) == c)
    return caf::make_message(ok_atom::value);
  auto rp = self->make_response_promise();
  if (auto err = st->journal.submit(self, {{journal_op::put, "c" + key, name}},
                                    rp, caf::make_message(ok_atom::value)))
    return err;
  std::vector<fired_note> fired;
  st->book.set_crowd(key, *c, st->now(), &fired);
  after_change(self, st, fired);
  return rp;
}

caf::message_handler user_handlers(caf::event_based_actor* self, state_ptr st) {
  return caf::message_handler{
      [self, st](txns_atom, const std::string& user, int32_t month,
                 uint32_t limit) -> caf::result<std::string> {
        const auto* u = read_user(self, st, user);
        if (u == nullptr)
          return no_user(user);
        return render_transactions(st->book, *u, month, limit);
      },
      [self, st](spend_atom, const std::string& user,
                 int32_t month) -> caf::result<std::string> {
        const auto* u = read_user(self, st, user);
        if (u == nullptr)
          return no_user(user);
        return render_spending(*u, month);
      },
      [self, st](budget_get_atom, const std::string& user,
                 int32_t month) -> caf::result<std::string> {
        const auto* u = read_user(self, st, user);
        if (u == nullptr)
          return no_user(user);
        return render_budget(*u, month);
      },
      [self, st](notes_atom, const std::string& user,
                 uint32_t limit) -> caf::result<std::string> {
        const auto* u = read_user(self, st, user);
        if (u == nullptr)
          return no_user(user);
        return render_notes(*u, limit);
      },
      [self, st](set_category_atom, const std::string& user, uint32_t id,
                 const std::string& name) {
        return set_category(self, st, user, id, name);
      },
      [self, st](income_atom, const std::string& user, int64_t cents) {
        return set_money(self, st, user, std::nullopt, cents);
      },
      [self, st](budget_set_atom, const std::string& user,
                 const std::string& name,
                 int64_t cents) -> caf::result<caf::message> {
        auto c = parse_category(name);
        if (!c || *c == category::uncategorized)
          return make_error(errc::invalid_argument,
                            "unknown budget category " + name);
        return set_money(self, st, user, c, cents);
      },
  };
}

caf::message_handler job_handlers(caf::event_based_actor* self, state_ptr st) {
  return caf::message_handler{
      [self, st](link_atom, const std::string& user, const std::string& url,
                 const std::string& login, const std::string& sealed) {
        return jobs::link(self, st, user, url, login, sealed);
      },
      [self, st](refresh_atom, const std::string& account) {
        return jobs::refresh(self, st, account);
      },
      [st](job_atom, const std::string& id) -> caf::result<std::string> {
        auto i = st->jobs.find(id);
        if (i == st->jobs.end())
          return make_error(errc::not_found, "no job " + id);
        return render_job(id, i->second);
      },
      [self, st](job_state_atom, const std::string& job,
                 const std::string& status, uint32_t attempts,
                 const std::string& error) {
        jobs::on_state(self, st, job, status, attempts, error);
        return ok_atom::value;
      },
      [self, st](extracted_atom, const std::string& job,
                 const std::string& batch) {
        return jobs::on_extracted(self, st, job, batch);
      },
      [self, st](import_atom, const std::string& batch) {
        return import(self, st, batch);
      },
      [self, st](crowd_atom, const std::string& key, const std::string& name) {
        return set_crowd(self, st, key, name);
      },
  };
}

caf::behavior serving(caf::event_based_actor* self, state_ptr st) {
  auto every = st->env->settings.refresh_check_interval;
  self->delayed_send(self, every, tick_atom::value);
  return user_handlers(self, st)
      .or_else(job_handlers(self, st))
      .or_else(caf::message_handler{
          [self, st, every](tick_atom) {
            jobs::schedule(self, st, false);
            self->delayed_send(self, every, tick_atom::value);
          },
          [st](runtime::committed_atom, uint64_t seq, bool ok,
               const std::string& err) {
            // Memory is ahead of disk after a failed commit: crash, so that
            // the supervisor restarts this shard from its durable state.
            if (!st->journal.on_committed(seq, ok, err))
              throw std::runtime_error("commit failed: " + err);
          },
          // Every write is journaled when made: nothing waits to be flushed.
          [](runtime::flush_atom) { return runtime::flush_atom::value; },
          [](runtime::crash_atom) -> caf::result<void> {
            throw std::runtime_error("injected fault");
          },
      })
      .as_behavior_impl();
}

} // namespace

caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, shard_env_ptr env) {
  auto st = std::make_shared<shard_state>(ctx, std::move(env));
  // Requests wait in the mailbox until the durable state is loaded.
  self->set_default_handler(caf::skip);
  runtime::load_shard_async(self, ctx);
  return {
      [self, st](runtime::loaded_atom, const runtime::shard_image_ptr& image) {
        st->restore(*image);
        st->journal.restore(image->last_seq);
        self->set_default_handler(caf::print_and_drop);
        const auto& ctx = st->journal.context();
        if (auto region = caf::actor_cast<caf::actor>(ctx.region))
          self->send(region, runtime::ready_atom::value, ctx.shard);
        self->become(serving(self, st));
        jobs::schedule(self, st, true);
      },
  };
}

} // namespace troupe::mint
