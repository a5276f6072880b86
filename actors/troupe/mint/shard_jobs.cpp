#include "troupe/mint/shard_jobs.hpp"

#include "troupe/log.hpp"
#include "troupe/mint/messages.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/timestamp.hpp"

namespace troupe::mint::jobs {

namespace {

using runtime::errc;
using runtime::make_error;

bool finished(const job_record& j) {
  return j.status == "done" || j.status == "failed";
}

/// Hands job `id` to the node's extraction pool; `done(accepted)`.
void enqueue(caf::event_based_actor* self, const state_ptr& st,
             const std::string& id, std::function<void(bool)> done) {
  const auto& j = st->jobs.at(id);
  const auto& a = st->accounts.at(j.account).rec;
  auto password = st->env->key
                      ? open(*st->env->key, a.sealed_password, j.account)
                      : std::nullopt;
  if (!password) {
    log::error("mint", "job ", id, ": the password of account ", j.account,
               " does not open with this node's key");
    return done(false);
  }
  auto msg =
      caf::make_message(enqueue_atom::value, id, st->shard(), a.url, a.login,
                        std::move(*password), format_date(j.since), j.account);
  self->request(st->env->extractor, std::chrono::seconds(10), std::move(msg))
      .then([done](bool ok) { done(ok); },
            [done](caf::error&) { done(false); });
}

/// Journals `ops` answering `rp` with `reply`, then runs `done`; rolls
/// back with `undo` and answers the error when the journal refuses.
void commit(caf::event_based_actor* self, const state_ptr& st,
            std::vector<journal_op> ops, caf::response_promise rp,
            caf::message reply, const std::function<void()>& undo,
            const std::function<void()>& done) {
  if (auto err =
          st->journal.submit(self, std::move(ops), rp, std::move(reply))) {
    undo();
    if (rp.pending())
      rp.deliver(std::move(err));
    return;
  }
  done();
}

/// Creates a job of `account` since `since` and queues it; answers `rp`
/// with `reply(job id)` once stored, 429 if the pool is full. With
/// `by_user`, the account's user counts as active once the job is stored
/// (not before: a refused link leaves no user behind).
void start_job(caf::event_based_actor* self, const state_ptr& st,
               const std::string& account, int64_t since, bool by_user,
               caf::response_promise rp,
               std::function<caf::message(const std::string&)> reply,
               std::function<void()> undo) {
  auto id = st->new_job(account, since);
  enqueue(self, st, id, [=](bool ok) mutable {
    auto drop = [st, id, account, undo] {
      st->jobs.erase(id);
      auto& list = st->accounts[account].jobs;
      if (!list.empty() && list.back() == id)
        list.pop_back();
      undo();
    };
    if (!ok) {
      drop();
      if (rp.pending())
        rp.deliver(
            make_error(errc::overloaded, "the extraction queue is full"));
      return;
    }
    // The records as they are now: a worker may have reported already.
    std::vector<journal_op> ops;
    st->trim_jobs(account, ops);
    ops.push_back(st->account_op(account));
    ops.push_back(st->job_op(id));
    auto user = by_user ? st->accounts[account].rec.user : std::string{};
    if (auto op = by_user ? st->activity_op(user) : std::nullopt)
      ops.push_back(std::move(*op));
    commit(self, st, std::move(ops), rp, reply(id), drop, [st, user] {
      if (!user.empty())
        st->touch(user);
      st->publish();
    });
  });
}

} // namespace

caf::result<caf::message> link(caf::event_based_actor* self,
                               const state_ptr& st, const std::string& user,
                               const std::string& url, const std::string& login,
                               const std::string& sealed_for_user) {
  if (!st->env->key)
    return make_error(errc::unavailable,
                      "no key for account passwords is configured "
                      "(TROUPE_MINT_KEY or [mint] key_file)");
  auto password = open(*st->env->key, sealed_for_user, user);
  if (!password)
    return make_error(errc::invalid_argument, "sealed password does not open");
  auto id = st->next_id(st->accounts_made);
  auto& a = st->accounts[id];
  a.rec = {user,      url,         login, seal(*st->env->key, *password, id),
           st->now(), st->today(), 0};
  auto since =
      st->now() - static_cast<int64_t>(st->env->settings.history_days) * 86400;
  auto rp = self->make_response_promise();
  start_job(
      self, st, id, since, true, rp,
      [id](const std::string& job) { return caf::make_message(id, job); },
      [st, id] { st->accounts.erase(id); });
  return rp;
}

caf::result<std::string> refresh(caf::event_based_actor* self,
                                 const state_ptr& st,
                                 const std::string& account) {
  auto i = st->accounts.find(account);
  if (i == st->accounts.end() || i->second.rec.user.empty())
    return make_error(errc::not_found, "no account " + account);
  const auto& rec = i->second.rec;
  auto since =
      rec.newest > 0
          ? rec.newest - 3 * 86400 // late postings of past days
          : st->now() -
                static_cast<int64_t>(st->env->settings.history_days) * 86400;
  auto rp = self->make_response_promise<std::string>();
  start_job(
      self, st, account, since, true, rp,
      [](const std::string& job) { return caf::make_message(job); }, [] {});
  return rp;
}

void on_state(caf::event_based_actor* self, const state_ptr& st,
              const std::string& job, const std::string& status,
              uint32_t attempts, const std::string& error) {
  auto i = st->jobs.find(job);
  if (i == st->jobs.end() || finished(i->second))
    return;
  auto before = i->second;
  auto& j = i->second;
  j.status = status == "failed" ? "failed" : "running";
  j.attempts = attempts;
  j.error = error;
  j.updated_at = st->now();
  if (st->journal.submit(self, {st->job_op(job)}))
    j = before; // refused: the next report or the job timeout tries again
  else if (j.status == "failed")
    ++st->env->board->jobs_failed;
}

caf::result<caf::message> on_extracted(caf::event_based_actor* self,
                                       const state_ptr& st,
                                       const std::string& job,
                                       const std::string& bytes) {
  auto i = st->jobs.find(job);
  if (i == st->jobs.end())
    return make_error(errc::not_found, "no job " + job);
  if (finished(i->second))
    return caf::make_message(ok_atom::value);
  txn_batch pulled;
  if (!persistence::decode(bytes, pulled))
    return make_error(errc::invalid_argument, "malformed transaction batch");
  auto& acc = st->accounts[i->second.account];
  txn_batch fresh;
  std::unordered_set<std::string> seen;
  for (auto& t : pulled.txns)
    if (acc.ext_ids.count(t.ext_id) == 0 && seen.insert(t.ext_id).second) {
      t.user = acc.rec.user;
      t.account = i->second.account;
      fresh.txns.push_back(std::move(t));
    }
  auto job_rec = i->second;
  job_rec.status = "done";
  job_rec.transactions = fresh.txns.size();
  job_rec.error.clear();
  job_rec.updated_at = st->now();
  auto acc_rec = acc.rec;
  for (const auto& t : fresh.txns)
    acc_rec.newest = std::max(acc_rec.newest, t.created_at);
  std::vector<journal_op> ops{
      {journal_op::put, "j" + job, persistence::encode(job_rec)},
      {journal_op::put, "a" + i->second.account, persistence::encode(acc_rec)}};
  if (!fresh.txns.empty())
    ops.push_back({journal_op::put, seq_key('b', st->journal.last_seq() + 1),
                   persistence::encode(fresh)});
  auto rp = self->make_response_promise();
  if (auto err = st->journal.submit(self, std::move(ops), rp,
                                    caf::make_message(ok_atom::value)))
    return err;
  i->second = job_rec;
  acc.rec = acc_rec;
  std::vector<fired_note> fired;
  for (const auto& t : fresh.txns) {
    acc.ext_ids.insert(t.ext_id);
    st->book.add(t.user, t.created_at, t.seller, t.cents, st->now(), &fired);
  }
  st->env->board->transactions += fresh.txns.size();
  ++st->env->board->jobs_done;
  if (!fired.empty()) {
    std::vector<journal_op> notes;
    st->note_ops(fired, notes);
    if (st->journal.submit(self, std::move(notes)))
      throw std::runtime_error("notifications could not be journaled");
  }
  return rp;
}

void schedule(caf::event_based_actor* self, const state_ptr& st, bool resume) {
  auto now = st->now();
  auto stuck = now - st->env->settings.job_timeout.count() / 1000;
  std::vector<std::string> due;
  for (auto& [id, j] : st->jobs)
    if (!finished(j) && (resume || j.updated_at < stuck))
      due.push_back(id);
  for (auto& id : due) {
    st->jobs[id].updated_at = now;
    enqueue(self, st, id, [](bool) {});
  }
  auto active_since =
      st->today() - static_cast<int64_t>(st->env->settings.active_days);
  for (auto& [id, a] : st->accounts) {
    const auto* u = st->book.find(a.rec.user);
    bool going = !a.jobs.empty() && !finished(st->jobs[a.jobs.back()]);
    if (a.rec.user.empty() || u == nullptr || u->active_day < active_since ||
        a.rec.refreshed_day >= st->today() || going)
      continue;
    auto before = a.rec.refreshed_day;
    a.rec.refreshed_day = st->today();
    ++st->env->board->refreshes;
    auto since =
        a.rec.newest > 0
            ? a.rec.newest - 3 * 86400
            : now -
                  static_cast<int64_t>(st->env->settings.history_days) * 86400;
    auto rp = caf::response_promise{};
    start_job(
        self, st, id, since, false, rp,
        [](const std::string&) { return caf::message{}; },
        [st, id = id, before] {
          st->accounts[id].rec.refreshed_day = before; // try again next check
          --st->env->board->refreshes;
        });
  }
}

} // namespace troupe::mint::jobs
