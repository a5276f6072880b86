#include "troupe/mint/render.hpp"

#include <algorithm>
#include <vector>

#include "troupe/json_text.hpp"
#include "troupe/mint/money.hpp"
#include "troupe/timestamp.hpp"

namespace troupe::mint {

namespace {

void field(std::string& out, const char* name, std::string_view value) {
  append_json_string(out, name);
  out += ':';
  append_json_string(out, value);
}

void money(std::string& out, const char* name, int64_t cents) {
  append_json_string(out, name);
  out += ":\"";
  append_cents(out, cents);
  out += '"';
}

std::string month_text(int32_t month) {
  auto s = std::to_string(month / 100) + "-";
  s += month % 100 < 10 ? "0" : "";
  return s + std::to_string(month % 100);
}

} // namespace

std::string render_transactions(const ledger& book, const user_state& u,
                                int32_t month, size_t limit) {
  std::vector<uint32_t> hits;
  for (uint32_t i = 0; i < u.txns.size(); ++i)
    if (month_of(u.txns[i].created_at) == month)
      hits.push_back(i);
  std::stable_sort(hits.begin(), hits.end(), [&](uint32_t a, uint32_t b) {
    return u.txns[a].created_at > u.txns[b].created_at;
  });
  if (hits.size() > limit)
    hits.resize(limit);
  std::string out = "[";
  for (auto i : hits) {
    const auto& t = u.txns[i];
    out += out.size() > 1 ? ",{" : "{";
    field(out, "transaction_id", std::to_string(i + 1));
    out += ',';
    field(out, "created_at", format_iso8601(t.created_at));
    out += ',';
    field(out, "seller", book.seller(t.seller).name);
    out += ',';
    money(out, "amount", t.cents);
    out += ',';
    field(out, "category", to_string(t.cat));
    out += t.manual ? ",\"manual\":true}" : ",\"manual\":false}";
  }
  return out + "]";
}

std::string render_spending(const user_state& u, int32_t month) {
  std::vector<std::pair<int64_t, size_t>> rows;
  if (auto i = u.spending.find(month); i != u.spending.end())
    for (size_t c = 0; c < category_count; ++c)
      if (i->second[c] != 0)
        rows.emplace_back(i->second[c], c);
  std::stable_sort(rows.begin(), rows.end(),
                   [](auto& a, auto& b) { return a.first > b.first; });
  std::string out = "[";
  for (auto [cents, c] : rows) {
    out += out.size() > 1 ? ",{" : "{";
    field(out, "category", to_string(static_cast<category>(c)));
    out += ',';
    money(out, "amount", cents);
    out += '}';
  }
  return out + "]";
}

std::string render_budget(const user_state& u, int32_t month) {
  auto i = u.spending.find(month);
  std::string out = "[";
  for (size_t c = 0; c < budget_categories; ++c) {
    auto cat = static_cast<category>(c);
    out += c > 0 ? ",{" : "{";
    field(out, "category", to_string(cat));
    out += ',';
    money(out, "budget", ledger::budget_of(u, cat));
    out += ',';
    money(out, "spent", i == u.spending.end() ? 0 : i->second[c]);
    out += u.budgets[c] >= 0 ? ",\"source\":\"user\"}"
                             : ",\"source\":\"template\"}";
  }
  return out + "]";
}

std::string render_notes(const user_state& u, size_t limit) {
  std::string out = "[";
  size_t n = 0;
  for (auto i = u.notes.rbegin(); i != u.notes.rend() && n < limit; ++i, ++n) {
    out += n > 0 ? ",{" : "{";
    field(out, "created_at", format_iso8601(i->created_at));
    out += ',';
    field(out, "category", to_string(i->cat));
    out += ',';
    field(out, "kind", i->exceeded ? "exceeded" : "approaching");
    out += ',';
    money(out, "spent", i->spent);
    out += ',';
    money(out, "budget", i->budget);
    out += ',';
    field(out, "month", month_text(i->month));
    out += '}';
  }
  return out + "]";
}

std::string render_job(std::string_view id, const job_record& j) {
  std::string out = "{";
  field(out, "job_id", id);
  out += ',';
  field(out, "account_id", j.account);
  out += ',';
  field(out, "status", j.status);
  out += ",\"transactions\":" + std::to_string(j.transactions);
  out += ",\"attempts\":" + std::to_string(j.attempts) + ',';
  field(out, "created_at", format_iso8601(j.created_at));
  out += ',';
  field(out, "updated_at", format_iso8601(j.updated_at));
  if (!j.error.empty()) {
    out += ',';
    field(out, "error", j.error);
  }
  return out + "}";
}

} // namespace troupe::mint
