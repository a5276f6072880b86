#include "troupe/mint/shard_state.hpp"

#include <algorithm>
#include <charconv>

#include "troupe/log.hpp"
#include "troupe/persistence/codec.hpp"

namespace troupe::mint {

namespace {

using persistence::decode;
using persistence::encode;

uint64_t counter_of(std::string_view id) {
  auto dash = id.find('-');
  uint64_t n = 0;
  if (dash != std::string_view::npos)
    std::from_chars(id.data() + dash + 1, id.data() + id.size(), n);
  return n;
}

void restore_profile(ledger& book, std::string_view user, const profile& p) {
  auto& u = book.user(user);
  u.income = p.income;
  for (size_t i = 0; i < p.budgets.size() && i < budget_categories; ++i)
    u.budgets[i] = p.budgets[i];
  u.active_day = p.active_day;
}

} // namespace

std::optional<uint16_t> shard_of_id(std::string_view id) {
  auto dash = id.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 5 ||
      dash + 1 == id.size() || id.size() > 32)
    return std::nullopt;
  unsigned shard = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + dash, shard);
  uint64_t n = 0;
  auto [q, ec2] =
      std::from_chars(id.data() + dash + 1, id.data() + id.size(), n);
  if (ec != std::errc{} || p != id.data() + dash || shard > 65535 ||
      ec2 != std::errc{} || q != id.data() + id.size())
    return std::nullopt;
  return static_cast<uint16_t>(shard);
}

void shard_state::restore(const persistence::shard_image& image) {
  // Crowd categories first, so that replayed transactions get them.
  for (const auto& [key, value] : image.records)
    if (key[0] == 'c')
      if (auto c = parse_category(value))
        book.set_crowd(key.substr(1), *c, 0, nullptr);
  for (const auto& [key, value] : image.records) {
    txn_batch batch;
    if (key[0] != 'b' || !decode(value, batch)) {
      if (key[0] == 'b')
        log::error("mint", "shard ", shard(), ": undecodable batch skipped");
      continue;
    }
    for (const auto& t : batch.txns) {
      book.add(t.user, t.created_at, t.seller, t.cents, 0, nullptr);
      if (!t.account.empty())
        accounts[t.account].ext_ids.insert(t.ext_id);
    }
  }
  for (const auto& [key, value] : image.records) {
    auto tag = key[0];
    auto rest = std::string_view{key}.substr(1);
    if (tag == 'm' && rest.size() > 5) {
      auto user = rest.substr(0, rest.size() - 5);
      auto b =
          reinterpret_cast<const unsigned char*>(rest.data() + rest.size() - 4);
      uint32_t id = (uint32_t{b[0]} << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
      if (auto c = parse_category(value))
        book.set_manual(user, id, *c, 0, nullptr);
    } else if (tag == 'n' && rest.find('\0') != std::string_view::npos) {
      note_record r;
      auto c = decode(value, r) ? parse_category(r.category) : std::nullopt;
      if (c)
        book.restore_note(rest.substr(0, rest.find('\0')),
                          note{r.created_at, r.month, *c, r.exceeded, r.spent,
                               r.budget, r.order});
    } else if (tag == 'u') {
      profile p;
      if (decode(value, p))
        restore_profile(book, rest, p);
    } else if (tag == 'a') {
      auto& a = accounts[std::string{rest}];
      decode(value, a.rec);
      accounts_made = std::max(accounts_made, counter_of(rest));
    } else if (tag == 'j') {
      job_record j;
      if (decode(value, j)) {
        jobs_made = std::max(jobs_made, counter_of(rest));
        accounts[j.account].jobs.emplace_back(rest);
        jobs.emplace(std::string{rest}, std::move(j));
      }
    }
  }
  // Job ids sort by text: order each account's jobs by their counter.
  for (auto& [id, a] : accounts)
    std::sort(a.jobs.begin(), a.jobs.end(),
              [](auto& x, auto& y) { return counter_of(x) < counter_of(y); });
  book.sort_notes();
  publish();
}

std::string shard_state::next_id(uint64_t& counter) const {
  return std::to_string(shard()) + "-" + std::to_string(++counter);
}

journal_op shard_state::job_op(const std::string& id) const {
  return {journal_op::put, "j" + id, encode(jobs.at(id))};
}

journal_op shard_state::account_op(const std::string& id) const {
  return {journal_op::put, "a" + id, encode(accounts.at(id).rec)};
}

journal_op shard_state::profile_op(const user_state& u) const {
  profile p;
  p.income = u.income;
  p.budgets.assign(u.budgets.begin(), u.budgets.end());
  p.active_day = u.active_day;
  return {journal_op::put, "u" + u.id, encode(p)};
}

void shard_state::note_ops(const std::vector<fired_note>& fired,
                           std::vector<journal_op>& ops) const {
  for (const auto& f : fired) {
    note_record r{f.n.created_at, f.n.month,  to_string(f.n.cat), f.n.exceeded,
                  f.n.spent,      f.n.budget, f.n.order};
    ops.push_back({journal_op::put,
                   note_key(f.user, f.n.month, static_cast<uint8_t>(f.n.cat),
                            f.n.exceeded),
                   encode(r)});
  }
  env->board->notifications += fired.size();
}

std::optional<journal_op>
shard_state::activity_op(std::string_view user) const {
  const auto* u = book.find(user);
  if (u != nullptr && u->active_day >= today())
    return std::nullopt;
  profile p;
  p.budgets.assign(budget_categories, -1);
  if (u != nullptr) {
    p.income = u->income;
    p.budgets.assign(u->budgets.begin(), u->budgets.end());
  }
  p.active_day = today();
  return journal_op{journal_op::put, "u" + std::string{user},
                    persistence::encode(p)};
}

bool shard_state::touch(std::string_view user) {
  auto& u = book.user(user);
  auto day = today();
  if (u.active_day >= day)
    return false;
  u.active_day = day;
  return true;
}

std::string shard_state::new_job(const std::string& account, int64_t since) {
  auto id = next_id(jobs_made);
  job_record j;
  j.account = account;
  j.status = "queued";
  j.created_at = j.updated_at = now();
  j.since = since;
  jobs.emplace(id, j);
  accounts[account].jobs.push_back(id);
  return id;
}

void shard_state::trim_jobs(const std::string& account,
                            std::vector<journal_op>& ops) {
  auto& list = accounts[account].jobs;
  // Keep the newest `jobs_per_account` jobs (never one still going).
  while (list.size() > env->settings.jobs_per_account) {
    auto& oldest = jobs[list.front()];
    if (oldest.status != "done" && oldest.status != "failed")
      break;
    ops.push_back({journal_op::erase, "j" + list.front(), {}});
    jobs.erase(list.front());
    list.pop_front();
  }
}

void shard_state::publish() {
  auto users = static_cast<int64_t>(book.users());
  env->board->users += users - published_users;
  published_users = users;
}

} // namespace troupe::mint
