#include "troupe/mint/ledger.hpp"

#include <algorithm>
#include <tuple>

#include "troupe/timestamp.hpp"

namespace troupe::mint {

int32_t month_of(int64_t unix_seconds) {
  auto d = civil_from_days(floor_div(unix_seconds, 86400));
  return d.year * 100 + d.month;
}

const user_state* ledger::find(std::string_view user) const {
  auto i = user_index_.find(std::string{user});
  return i == user_index_.end() ? nullptr : &users_[i->second];
}

user_state& ledger::user(std::string_view id) {
  auto [i, added] = user_index_.try_emplace(
      std::string{id}, static_cast<uint32_t>(users_.size()));
  if (added) {
    users_.emplace_back();
    users_.back().id = std::string{id};
  }
  return users_[i->second];
}

uint32_t ledger::intern(std::string_view seller) {
  auto [i, added] = seller_index_.try_emplace(
      std::string{seller}, static_cast<uint32_t>(sellers_.size()));
  if (added) {
    seller_entry s;
    s.name = std::string{seller};
    s.key = seller_key(seller);
    s.builtin = builtin_.find(s.key);
    key_sellers_[s.key].push_back(i->second);
    sellers_.push_back(std::move(s));
  }
  return i->second;
}

category ledger::auto_category(const seller_entry& s) const {
  if (s.builtin)
    return *s.builtin;
  auto i = crowd_.find(s.key);
  return i == crowd_.end() ? category::uncategorized : i->second;
}

uint32_t ledger::add(std::string_view user_id, int64_t created_at,
                     std::string_view seller, int64_t cents, int64_t now,
                     std::vector<fired_note>* fired) {
  auto& u = user(user_id);
  auto uidx = user_index_[u.id];
  txn t;
  t.created_at = created_at;
  t.cents = cents;
  t.seller = intern(seller);
  auto& s = sellers_[t.seller];
  t.cat = auto_category(s);
  if (!s.builtin)
    s.refs.emplace_back(uidx, static_cast<uint32_t>(u.txns.size()));
  u.txns.push_back(t);
  ++txn_count_;
  auto month = month_of(created_at);
  auto& row = u.spending[month]; // value-initialized: zeros
  row[static_cast<size_t>(t.cat)] += cents;
  check(u, month, t.cat, now, fired);
  return static_cast<uint32_t>(u.txns.size());
}

void ledger::move(user_state& u, const txn& t, category to, int64_t now,
                  std::vector<fired_note>* fired) {
  auto month = month_of(t.created_at);
  auto& row = u.spending[month];
  row[static_cast<size_t>(t.cat)] -= t.cents;
  row[static_cast<size_t>(to)] += t.cents;
  check(u, month, to, now, fired);
  check(u, month, t.cat, now, fired); // a refund leaving raises spending
}

std::optional<ledger::override_result>
ledger::set_manual(std::string_view user_id, uint32_t id, category c,
                   int64_t now, std::vector<fired_note>* fired) {
  auto i = user_index_.find(std::string{user_id});
  if (i == user_index_.end() || id < 1 || id > users_[i->second].txns.size())
    return std::nullopt;
  auto& u = users_[i->second];
  auto& t = u.txns[id - 1];
  if (t.cat != c)
    move(u, t, c, now, fired);
  t.cat = c;
  t.manual = true;
  const auto& s = sellers_[t.seller];
  return override_result{s.builtin ? std::string{} : s.key};
}

size_t ledger::set_crowd(const std::string& key, category c, int64_t now,
                         std::vector<fired_note>* fired) {
  crowd_[key] = c;
  auto k = key_sellers_.find(key);
  if (k == key_sellers_.end())
    return 0;
  size_t changed = 0;
  for (auto sidx : k->second) {
    const auto& s = sellers_[sidx];
    if (s.builtin)
      continue;
    for (auto [uidx, tidx] : s.refs) {
      auto& u = users_[uidx];
      auto& t = u.txns[tidx];
      if (t.manual || t.cat == c)
        continue;
      move(u, t, c, now, fired);
      t.cat = c;
      ++changed;
    }
  }
  return changed;
}

std::optional<category> ledger::crowd(const std::string& key) const {
  auto i = crowd_.find(key);
  if (i == crowd_.end())
    return std::nullopt;
  return i->second;
}

void ledger::set_income(std::string_view user_id, int64_t cents, int64_t now,
                        std::vector<fired_note>* fired) {
  auto& u = user(user_id);
  u.income = cents;
  for (size_t c = 0; c < budget_categories; ++c)
    check(u, month_of(now), static_cast<category>(c), now, fired);
}

void ledger::set_budget(std::string_view user_id, category c, int64_t cents,
                        int64_t now, std::vector<fired_note>* fired) {
  auto& u = user(user_id);
  u.budgets[static_cast<size_t>(c)] = cents;
  check(u, month_of(now), c, now, fired);
}

int64_t ledger::budget_of(const user_state& u, category c) {
  auto i = static_cast<size_t>(c);
  if (i >= budget_categories)
    return 0;
  if (u.budgets[i] >= 0)
    return u.budgets[i];
  return u.income * template_per_mille[i] / 1000;
}

void ledger::restore_note(std::string_view user_id, const note& n) {
  user(user_id).notes.push_back(n);
}

void ledger::sort_notes() {
  for (auto& u : users_)
    std::stable_sort(u.notes.begin(), u.notes.end(),
                     [](const note& a, const note& b) {
                       return std::tie(a.created_at, a.order) <
                              std::tie(b.created_at, b.order);
                     });
}

void ledger::check(user_state& u, int32_t month, category c, int64_t now,
                   std::vector<fired_note>* fired) {
  auto budget = budget_of(u, c);
  if (fired == nullptr || budget <= 0)
    return;
  auto i = u.spending.find(month);
  auto spent = i == u.spending.end() ? 0 : i->second[static_cast<size_t>(c)];
  auto notify = [&](bool exceeded) {
    auto sent = std::any_of(u.notes.begin(), u.notes.end(), [&](const note& n) {
      return n.month == month && n.cat == c && n.exceeded == exceeded;
    });
    if (sent)
      return;
    note n{now,
           month,
           c,
           exceeded,
           spent,
           budget,
           static_cast<uint32_t>(u.notes.size())};
    u.notes.push_back(n);
    fired->push_back({u.id, n});
  };
  // Integer arithmetic: spent >= 80 % of the budget, spent > the budget.
  if (spent * 10 >= budget * 8)
    notify(false);
  if (spent > budget)
    notify(true);
}

} // namespace troupe::mint
