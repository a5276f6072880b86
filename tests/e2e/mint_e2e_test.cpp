// End-to-end tests of Mint (/mint/api/v1/*) against a real `troupe run`
// process and the institution simulator examples/bank_sim (a child process
// of its own per test):
//  - an import of 1,000 users' random transactions (with bad lines) checked
//    against a plain reference aggregation, and the same lines chunked;
//  - extraction from bank_sim: everything once, refreshes adding nothing;
//    5xx retried, read timeouts and refused connections `unreachable`, bad
//    credentials and garbage answers; a full extraction queue (429);
//  - a job interrupted by kill -9 ending with one copy of the data, and
//    every answer the same after kill -9;
//  - account passwords (and the key) in no file, log line, metric or
//    answer; a node that refuses to start without its key or with another;
//  - bad requests that change nothing, private institution addresses;
//  - manual categories and the crowd's votes, budgets and notifications
//    sent once per category, kind and month.
//
// Most tests share one node (institution_hosts = ["127.0.0.1"]) and use
// user ids of their own (see `tag`); tests that kill, restart or scan a
// node, or need other settings, start their own. Every node gets its key
// through TROUPE_MINT_KEY in the environment it inherits.
#include "harness.hpp"
#include "listening_process.hpp"
#include "shared_node.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#ifndef TROUPE_BANK_SIM
#error "TROUPE_BANK_SIM (the path of the bank_sim binary) must be defined"
#endif

using namespace troupe_e2e;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

const std::string api = "/mint/api/v1/";

/// The key of every node here, and another one.
const char* const node_key =
    "4f1c2a9b7e3d5c6a8b0e1f2d3c4b5a69788796a5b4c3d2e1f001122334455667";
const char* const other_key =
    "aa00bb11cc22dd33ee44ff5566778899aabbccddeeff00112233445566778899";

/// Sets (or, with nullptr, removes) TROUPE_MINT_KEY; children started
/// afterwards inherit it.
void use_key(const char* key) {
  if (key != nullptr)
    ::setenv("TROUPE_MINT_KEY", key, 1);
  else
    ::unsetenv("TROUPE_MINT_KEY");
}

/// A node with 8 Mint shards, a first pull reaching back 400 days (all of
/// bank_sim's data), fast retries and a 1 s read timeout; `hosts` is the
/// TOML array of mint.institution_hosts and `extra` more [mint] settings.
std::string mint_config(const std::string& hosts = R"(["127.0.0.1"])",
                        const std::string& extra = "") {
  return R"(
[[nodes]]
name = "n1"
actor = "127.0.0.1:{ACTOR_PORT}"
http = "127.0.0.1:{PORT}"
data_dir = "{DATA_DIR}"

[mint]
shards = 8
seller_shards = 4
institution_hosts = )" +
         hosts + R"(
history_days = 400
extract_retry_ms = 50
read_timeout_ms = 1000
connect_timeout_ms = 1000
)" + extra;
}

/// A suffix for ids no other test of this process uses.
std::string tag() {
  static int next = 0;
  return std::to_string(::time(nullptr) % 100000) + "-" +
         std::to_string(next++);
}

// -- time and money ----------------------------------------------------------

int64_t utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  std::tm parts{};
  parts.tm_year = y - 1900;
  parts.tm_mon = mo - 1;
  parts.tm_mday = d;
  parts.tm_hour = h;
  parts.tm_min = mi;
  parts.tm_sec = s;
  return static_cast<int64_t>(::timegm(&parts));
}

std::tm parts_of(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  std::tm parts{};
  ::gmtime_r(&tt, &parts);
  return parts;
}

/// `t` as ISO 8601 in UTC (`Z`), or as local time at `offset_s` seconds
/// east with a `+HH:MM` zone.
std::string iso(int64_t t, int offset_s = -1) {
  auto p = parts_of(offset_s >= 0 ? t + offset_s : t);
  char zone[32] = "Z";
  if (offset_s >= 0)
    std::snprintf(zone, sizeof zone, "+%02d:%02d", offset_s / 3600,
                  offset_s / 60 % 60);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%s",
                p.tm_year + 1900, p.tm_mon + 1, p.tm_mday, p.tm_hour, p.tm_min,
                p.tm_sec, zone);
  return buf;
}

/// "YYYY-MM" of Unix seconds (UTC).
std::string month_of(int64_t t) {
  auto p = parts_of(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d", p.tm_year + 1900, p.tm_mon + 1);
  return buf;
}

/// Cents as the API writes money: "12.30", "-0.05".
std::string money(int64_t cents) {
  auto mag = cents < 0 ? -cents : cents;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", cents < 0 ? "-" : "",
                static_cast<long long>(mag / 100),
                static_cast<long long>(mag % 100));
  return buf;
}

/// The cents of a money text with exactly two places ("-3.10"); a value
/// far out of range when it is not one.
int64_t cents_of(const std::string& text) {
  auto dot = text.find('.');
  if (dot == std::string::npos || dot + 3 != text.size())
    return INT64_MIN;
  bool negative = !text.empty() && text[0] == '-';
  auto whole = text.substr(negative ? 1 : 0, dot - (negative ? 1 : 0));
  int64_t v = std::atoll(whole.c_str()) * 100 + std::atoll(&text[dot + 1]);
  return negative ? -v : v;
}

// -- categories
// ----------------------------------------------------------------

/// Seller keys as Mint matches them: ASCII lower case, whitespace runs
/// collapsed to one space, trimmed.
std::string seller_key(const std::string& seller) {
  std::string out;
  bool gap = false;
  for (char c : seller) {
    if (c == ' ' || c == '\t') {
      gap = !out.empty();
      continue;
    }
    if (gap)
      out += ' ';
    gap = false;
    out += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

/// The shipped map's (actors/troupe/mint/sellers.tsv) categories of the
/// sellers used here, by seller key; every bank_sim seller is here, the
/// four the map does not know as "uncategorized".
const std::map<std::string, std::string>& shipped_map() {
  static const std::map<std::string, std::string> m = {
      {"exxon", "gas"},
      {"shell", "gas"},
      {"chevron", "gas"},
      {"target", "shopping"},
      {"walmart", "shopping"},
      {"amazon", "shopping"},
      {"whole foods", "groceries"},
      {"trader joe's", "groceries"},
      {"starbucks", "food"},
      {"mcdonald's", "food"},
      {"chipotle", "food"},
      {"netflix", "entertainment"},
      {"spotify", "entertainment"},
      {"uber", "transport"},
      {"lyft", "transport"},
      {"delta air lines", "travel"},
      {"marriott", "travel"},
      {"cvs pharmacy", "health"},
      {"walgreens", "health"},
      {"comcast", "utilities"},
      {"at&t", "utilities"},
      {"home depot", "housing"},
  };
  return m;
}

/// The category of a seller no override or vote touched.
std::string category_of(const std::string& seller) {
  auto i = shipped_map().find(seller_key(seller));
  return i == shipped_map().end() ? "uncategorized" : i->second;
}

// -- requests -----------------------------------------------------------------

http_response put_json(connection& c, const std::string& target,
                       const std::string& body) {
  return c.request("PUT", target, body, {{"Content-Type", "application/json"}});
}

http_response import_body(connection& c, const std::string& body) {
  return c.request("POST", api + "transactions/import", body,
                   {{"Content-Type", "text/tab-separated-values"}});
}

/// One import line.
std::string txn_line(const std::string& user, const std::string& ts,
                     const std::string& seller, const std::string& amount) {
  return user + "\t" + ts + "\t" + seller + "\t" + amount;
}

http_response link_account(connection& c, const std::string& user,
                           const std::string& url, const std::string& login,
                           const std::string& password) {
  return post_json(c, api + "account",
                   json{{"user_id", user},
                        {"account_url", url},
                        {"account_login", login},
                        {"account_password", password}}
                       .dump());
}

http_response refresh_account(connection& c, const std::string& account) {
  return post_json(c, api + "account/refresh",
                   json{{"account_id", account}}.dump());
}

http_response get_job(connection& c, const std::string& id) {
  return c.request("GET", api + "job?job_id=" + url_encode(id));
}

std::string user_query(const std::string& user, const std::string& month) {
  return "user_id=" + url_encode(user) +
         (month.empty() ? "" : "&month=" + month);
}

/// GET spending: category -> amount, checking the order (largest first)
/// and that no amount is zero. Empty on a non-200 answer (also reported).
std::map<std::string, std::string>
spending(connection& c, const std::string& user, const std::string& month) {
  auto r = c.request("GET", api + "spending?" + user_query(user, month));
  std::map<std::string, std::string> out;
  EXPECT_EQ(r.status, 200) << user << " " << month << ": " << r.body;
  auto j = r.body_json();
  if (r.status != 200 || !j.is_array()) {
    ADD_FAILURE() << "spending of " << user << " " << month << ": " << r.body;
    return out;
  }
  int64_t previous = INT64_MAX;
  for (const auto& row : j) {
    auto amount = row.value("amount", std::string{});
    auto cents = cents_of(amount);
    EXPECT_NE(cents, 0) << r.body;
    EXPECT_LE(cents, previous) << "not largest first: " << r.body;
    previous = cents;
    out[row.value("category", std::string{})] = amount;
  }
  return out;
}

/// GET transactions of a month (limit 1000); a discarded value on non-200.
json transactions(connection& c, const std::string& user,
                  const std::string& month) {
  auto r = c.request("GET", api + "transactions?" + user_query(user, month) +
                                "&limit=1000");
  EXPECT_EQ(r.status, 200) << user << " " << month << ": " << r.body;
  return r.status == 200 ? r.body_json() : json{};
}

/// category -> cents as the API answers it: non-zero sums as money texts.
std::map<std::string, std::string>
as_rows(const std::map<std::string, int64_t>& sums) {
  std::map<std::string, std::string> out;
  for (const auto& [category, cents] : sums)
    if (cents != 0)
      out[category] = money(cents);
  return out;
}

/// Expects an error answer `{"error":{"code","message"}}`.
void expect_error(const http_response& r, int status, const std::string& code,
                  const std::string& what) {
  EXPECT_EQ(r.status, status) << what << ": " << r.body;
  EXPECT_EQ(r.error_code(), code) << what << ": " << r.body;
  auto j = r.body_json();
  bool has_message = j.is_object() && j["error"].is_object() &&
                     j["error"]["message"].is_string() &&
                     !j["error"]["message"].get<std::string>().empty();
  EXPECT_TRUE(has_message) << what << ": " << r.body;
}

std::string error_message_of(const http_response& r) {
  auto j = r.body_json();
  if (j.is_object() && j["error"].is_object() &&
      j["error"]["message"].is_string())
    return j["error"]["message"].get<std::string>();
  return {};
}

// -- jobs
// ----------------------------------------------------------------------

/// The ids of `account`'s jobs, oldest first. Job ids are `"<shard>-<n>"`
/// numbered per shard and the link's answer names no job, so this scans
/// the account's shard (bounded: it stops after 20 unknown ids in a row).
std::vector<std::string> jobs_of(connection& c, const std::string& account) {
  std::vector<std::string> out;
  auto shard = account.substr(0, account.find('-'));
  int misses = 0;
  for (int n = 1; n <= 2000 && misses < 20; ++n) {
    auto id = shard + "-" + std::to_string(n);
    auto r = get_job(c, id);
    if (r.status != 200) {
      ++misses;
      continue;
    }
    misses = 0;
    if (r.body_json().value("account_id", std::string{}) == account)
      out.push_back(id);
  }
  return out;
}

/// The job of `account`'s first pull ("" when none is found).
std::string first_job(connection& c, const std::string& account) {
  auto jobs = jobs_of(c, account);
  EXPECT_FALSE(jobs.empty()) << "no job of account " << account;
  return jobs.empty() ? std::string{} : jobs.front();
}

bool finished(const json& job) {
  auto s = job.value("status", std::string{});
  return s == "done" || s == "failed";
}

/// Polls GET job until it is done or failed (at most `timeout`); returns
/// the last answer's JSON.
json wait_job(connection& c, const std::string& id,
              std::chrono::milliseconds timeout = 20s) {
  auto deadline = steady::now() + timeout;
  json last;
  while (steady::now() < deadline) {
    auto r = get_job(c, id);
    last = r.status == 200 ? r.body_json() : json{{"http", r.status}};
    if (finished(last))
      return last;
    std::this_thread::sleep_for(25ms);
  }
  ADD_FAILURE() << "job " << id << " not finished within " << timeout.count()
                << " ms; last: " << last.dump();
  return last;
}

/// Polls until `pred()` holds (at most `timeout`); returns whether it did.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = steady::now() + timeout;
  for (;;) {
    if (pred())
      return true;
    if (steady::now() > deadline)
      return false;
    std::this_thread::sleep_for(50ms);
  }
}

// -- bank_sim
// ---------------------------------------------------------------------

std::string base64(const std::string& in) {
  static const char* abc =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v =
        (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6)
      out += abc[(v >> k) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += abc[(v >> 18) & 63];
    out += abc[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += abc[(v >> 18) & 63];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

/// The 32 bytes of `node_key`.
std::string raw_key() {
  std::string out;
  for (size_t i = 0; i < 64; i += 2)
    out +=
        static_cast<char>(std::stoi(std::string{node_key + i, 2}, nullptr, 16));
  return out;
}

/// A transaction bank_sim serves.
struct bank_txn {
  std::string id;
  std::string created_at;
  std::string seller;
  std::string amount;
};

/// examples/bank_sim as a child process on a free port; killed (SIGKILL)
/// when destroyed. `port()` is 0 when it did not start.
class bank_sim_process {
public:
  explicit bank_sim_process(const std::vector<std::string>& extra = {})
      : proc_(argv(extra)) {
    if (proc_.port() == 0)
      ADD_FAILURE() << proc_.error();
    port_ = proc_.port();
  }

  uint16_t port() const { return port_; }

  /// An account URL on this simulator.
  std::string url(const std::string& path = "/bank") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  /// POST /_control?<query>; expects 200.
  void control(const std::string& query) {
    auto r = request(port_, "POST", "/_control?" + query);
    EXPECT_EQ(r.status, 200)
        << "bank_sim /_control?" << query << ": " << r.body;
  }

  json stats() {
    auto r = request(port_, "GET", "/_stats");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body_json();
  }

  /// The transactions bank_sim serves `login` since `since` (YYYY-MM-DD),
  /// fetched as Mint would (basic auth with bank_sim's password).
  std::vector<bank_txn> transactions(const std::string& login,
                                     const std::string& since = "2025-01-01") {
    auto r = request(
        port_, "GET", "/bank/transactions?since=" + since, "",
        {{"Authorization", "Basic " + base64(login + ":pass-" + login)}});
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<bank_txn> out;
    auto j = r.body_json();
    if (!j.is_array())
      return out;
    for (const auto& t : j)
      out.push_back(
          {t.value("id", std::string{}), t.value("created_at", std::string{}),
           t.value("seller", std::string{}), t.value("amount", std::string{})});
    return out;
  }

private:
  static std::vector<std::string> argv(const std::vector<std::string>& extra) {
    std::vector<std::string> out{TROUPE_BANK_SIM, "--port", "0"};
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  }

  troupe_e2e::listening_process proc_;
  uint16_t port_ = 0;
};

/// The month ("YYYY-MM") of an ISO 8601 UTC time text.
std::string month_of_iso(const std::string& text) {
  return text.substr(0, 7);
}

/// month -> category -> cents of bank_sim's transactions (shipped map).
std::map<std::string, std::map<std::string, int64_t>>
aggregate(const std::vector<bank_txn>& txns) {
  std::map<std::string, std::map<std::string, int64_t>> out;
  for (const auto& t : txns)
    out[month_of_iso(t.created_at)][category_of(t.seller)] +=
        cents_of(t.amount);
  return out;
}

const std::vector<std::string> bank_months = {"2026-09", "2026-10", "2026-11"};

/// Expects `user`'s spending of the simulator's three months to be exactly
/// one copy of `txns`, and as many transactions per month.
void expect_one_copy(connection& c, const std::string& user,
                     const std::vector<bank_txn>& txns) {
  auto want = aggregate(txns);
  std::map<std::string, size_t> per_month;
  for (const auto& t : txns)
    ++per_month[month_of_iso(t.created_at)];
  for (const auto& m : bank_months) {
    EXPECT_EQ(spending(c, user, m), as_rows(want[m])) << user << " " << m;
    auto list = transactions(c, user, m);
    EXPECT_EQ(list.size(), per_month[m]) << user << " " << m;
  }
}

// -- the shared node
// ----------------------------------------------------------------

class MintE2E : public shared_node_test<MintE2E> {
public:
  // Imports stored in rounds of 1,000 lines.
  static std::string config_text() {
    return mint_config(R"(["127.0.0.1"])", "import_batch_lines = 1000\n");
  }

  static void SetUpTestSuite() {
    use_key(node_key);
    shared_node_test<MintE2E>::SetUpTestSuite();
  }
};

// -- 1. the import against a reference aggregation
// ------------------------------

struct oracle_txn {
  std::string user;
  int64_t t = 0;
  std::string seller;
  int64_t cents = 0;
  std::string ts_text;
  std::string amount_text;
};

TEST_F(MintE2E, ImportOf1000UsersMatchesAReferenceAggregation) {
  connection c{port(), 30s};
  const auto run = tag();
  const uint64_t seed = 20261206;
  std::mt19937_64 rng{seed};
  auto pick = [&rng](uint64_t n) { return static_cast<size_t>(rng() % n); };

  // Sellers of the shipped map (some spelled otherwise) and unknown ones.
  const std::vector<std::string> known = {
      "Exxon",         "Target",          "Whole Foods", "Starbucks",
      "Shell",         "Netflix",         "Uber",        "Comcast",
      "CVS Pharmacy",  "Delta Air Lines", "Home Depot",  "Trader Joe's",
      "WHOLE   foods", " starbucks ",     "EXXON",       "target"};
  const std::vector<std::string> unknown = {
      "Oracle Corner Store " + run, "Mom's Bakery " + run,
      "Rare Books 17 " + run, "Caf\xC3\xA9 Z\xC3\xBCrich " + run,
      "Pixel Arcade " + run};

  const int64_t start = utc(2026, 9, 1);
  const int64_t end = utc(2026, 12, 1); // exclusive
  std::vector<oracle_txn> txns;
  std::vector<std::string> users;
  for (int u = 0; u < 1000; ++u) {
    char id[32];
    std::snprintf(id, sizeof id, "or%s-%04d", run.c_str(), u);
    users.push_back(id);
    auto n = 15 + pick(11); // 15..25, ~20
    for (size_t k = 0; k < n; ++k) {
      oracle_txn t;
      t.user = id;
      t.t = start +
            static_cast<int64_t>(pick(static_cast<uint64_t>(end - start)));
      t.seller = pick(10) < 7 ? known[pick(known.size())]
                              : unknown[pick(unknown.size())];
      t.cents = 1 + static_cast<int64_t>(pick(25000));
      if (pick(100) < 8)
        t.cents = -t.cents; // a refund
      txns.push_back(t);
    }
  }
  // Month edges, and a zone that moves a time into the month before.
  auto edge = [&](int64_t t, const std::string& ts) {
    oracle_txn x;
    x.user = users[0];
    x.t = t;
    x.seller = "Starbucks";
    x.cents = 1234;
    x.ts_text = ts;
    txns.push_back(x);
  };
  edge(utc(2026, 10, 1) - 1, iso(utc(2026, 10, 1) - 1));
  edge(utc(2026, 10, 1), std::to_string(utc(2026, 10, 1)));
  edge(utc(2026, 9, 30, 23, 30), iso(utc(2026, 9, 30, 23, 30), 7200));
  edge(utc(2026, 11, 30, 23, 59, 59), iso(utc(2026, 11, 30, 23, 59, 59)));

  // The texts: Unix seconds, ISO 8601 UTC, or with a +02:00 zone; amounts
  // with 0, 1 or 2 decimal places.
  for (auto& t : txns) {
    if (t.ts_text.empty()) {
      auto form = pick(20);
      t.ts_text = form < 9    ? std::to_string(t.t)
                  : form < 19 ? iso(t.t)
                              : iso(t.t, 7200);
    }
    auto mag = t.cents < 0 ? -t.cents : t.cents;
    std::string text = money(mag);
    if (mag % 100 == 0 && pick(2) == 0)
      text = std::to_string(mag / 100);
    else if (mag % 10 == 0 && pick(2) == 0)
      text = text.substr(0, text.size() - 1);
    t.amount_text = (t.cents < 0 ? "-" : "") + text;
  }
  std::shuffle(txns.begin(), txns.end(), rng);

  // The body: a header, a comment, a blank line, then the transactions
  // with bad lines in between (their line numbers kept).
  const std::string u1 = users[1];
  const std::vector<std::pair<std::string, std::string>> bad = {
      {txn_line(u1, "1790000000", "Exxon", "1.00") + "\textra", "field_count"},
      {u1 + "\t1790000000\tExxon", "field_count"},
      {txn_line("bad user", "1790000000", "Exxon", "1.00"), "bad_user_id"},
      {txn_line(std::string(65, 'u'), "1790000000", "Exxon", "1.00"),
       "bad_user_id"},
      {txn_line(u1, "2026-02-30T10:00:00Z", "Exxon", "1.00"), "bad_timestamp"},
      {txn_line(u1, "yesterday", "Exxon", "1.00"), "bad_timestamp"},
      {"user_id\ttimestamp\tseller\tamount", "bad_timestamp"},
      {txn_line(u1, "1790000000", "", "1.00"), "bad_seller"},
      {txn_line(u1, "1790000000", std::string(65, 's'), "1.00"), "bad_seller"},
      {txn_line(u1, "1790000000", "Exxon", "1.234"), "bad_amount"},
      {txn_line(u1, "1790000000", "Exxon", "abc"), "bad_amount"},
      {txn_line(u1, "1790000000", "Exxon", "1e3"), "bad_amount"},
      {txn_line(u1, "1790000000", "Exxon", "100000000000.01"), "bad_amount"},
      {txn_line(u1, "1790000000", "Exxon " + std::string(600, 'x'), "1.00"),
       "line_too_long"},
  };
  std::string body = "user_id\ttimestamp\tseller\tamount\n# a comment\n\n";
  uint64_t line_no = 3;
  json want_rejected = json::array();
  std::set<size_t> bad_at;
  while (bad_at.size() < bad.size())
    bad_at.insert(pick(txns.size()));
  auto bad_pos = bad_at.begin();
  size_t next_bad = 0;
  for (size_t i = 0; i < txns.size(); ++i) {
    if (bad_pos != bad_at.end() && *bad_pos == i) {
      body += bad[next_bad].first + "\n";
      want_rejected.push_back(
          {{"line", ++line_no}, {"reason", bad[next_bad].second}});
      ++next_bad;
      ++bad_pos;
    }
    const auto& t = txns[i];
    body += txn_line(t.user, t.ts_text, t.seller, t.amount_text) + "\n";
    ++line_no;
  }

  auto t0 = steady::now();
  auto r = import_body(c, body);
  auto import_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0)
          .count();
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.body_json();
  EXPECT_EQ(j["imported"], txns.size()) << r.body;
  EXPECT_EQ(j["rejected_count"], bad.size()) << r.body;
  EXPECT_EQ(j["rejected"], want_rejected);

  // The reference: user -> month -> category -> cents.
  std::map<std::string, std::map<std::string, std::map<std::string, int64_t>>>
      ref;
  for (const auto& t : txns)
    ref[t.user][month_of(t.t)][category_of(t.seller)] += t.cents;

  t0 = steady::now();
  size_t checked = 0;
  for (const auto& u : users)
    for (const auto& m :
         {"2026-08", "2026-09", "2026-10", "2026-11", "2026-12"}) {
      auto got = spending(c, u, m);
      auto want = as_rows(ref[u][m]);
      if (got != want) {
        ADD_FAILURE() << "spending of " << u << " " << m << ": got "
                      << json(got).dump() << ", want " << json(want).dump();
        if (++checked > 20)
          FAIL() << "too many mismatches";
      }
    }
  auto read_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0)
          .count();

  // The transactions of some users, month by month.
  for (size_t u = 0; u < 25; ++u) {
    using row = std::tuple<std::string, std::string, std::string, std::string>;
    std::set<std::string> ids;
    size_t total = 0;
    for (const auto& m : {"2026-09", "2026-10", "2026-11"}) {
      std::vector<row> want;
      for (const auto& t : txns)
        if (t.user == users[u] && month_of(t.t) == m)
          want.emplace_back(iso(t.t), t.seller, money(t.cents),
                            category_of(t.seller));
      auto list = transactions(c, users[u], m);
      ASSERT_TRUE(list.is_array()) << list.dump();
      std::vector<row> got;
      std::string previous = "9999";
      for (const auto& x : list) {
        got.emplace_back(x.value("created_at", ""), x.value("seller", ""),
                         x.value("amount", ""), x.value("category", ""));
        EXPECT_EQ(x.value("manual", true), false) << x.dump();
        EXPECT_LE(x.value("created_at", ""), previous) << "not newest first";
        previous = x.value("created_at", "");
        ids.insert(x.value("transaction_id", ""));
      }
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << users[u] << " " << m;
      total += want.size();
    }
    // transaction_id: "1" to "N", each once.
    std::set<std::string> all;
    for (size_t k = 1; k <= total; ++k)
      all.insert(std::to_string(k));
    EXPECT_EQ(ids, all) << users[u];
  }
  // limit: the newest ones.
  auto limited =
      c.request("GET", api + "transactions?" + user_query(users[0], "2026-09") +
                           "&limit=2");
  ASSERT_EQ(limited.status, 200) << limited.body;
  auto all = transactions(c, users[0], "2026-09");
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(limited.body_json(), json(std::vector<json>{all[0], all[1]}));

  std::printf("[ mint ] imported %zu transactions of %zu users in %lld ms; "
              "5,000 spending reads in %lld ms (seed %llu)\n",
              txns.size(), users.size(), static_cast<long long>(import_ms),
              static_cast<long long>(read_ms),
              static_cast<unsigned long long>(seed));
}

TEST_F(MintE2E, AChunkedImportStoresWhatTheSameLinesWithALengthStore) {
  connection c{port()};
  auto run = tag();
  auto a = "len-" + run, b = "chunk-" + run;
  std::mt19937_64 rng{7};
  const std::vector<std::string> sellers = {
      "Exxon", "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC " + run, "Target",
      "Whole Foods"};
  // 3,000 lines with a CRLF now and then, a comment and a bad line.
  auto body_of = [&](const std::string& user, uint64_t seed) {
    rng.seed(seed);
    std::string body = "user_id\ttimestamp\tseller\tamount\r\n# c\n";
    for (int k = 0; k < 3000; ++k) {
      auto t = utc(2026, 10, 1) + static_cast<int64_t>(rng() % (31 * 86400));
      body += txn_line(user, k % 2 ? iso(t) : std::to_string(t),
                       sellers[rng() % sellers.size()],
                       money(static_cast<int64_t>(rng() % 100000) - 5000)) +
              (k % 7 == 0 ? "\r\n" : "\n");
      if (k == 1500)
        body += txn_line(user, "x", "Exxon", "1") + "\n";
    }
    return body;
  };
  auto r = import_body(c, body_of(a, 99));
  ASSERT_EQ(r.status, 200) << r.body;
  // The same lines for B, in chunks of 1 to 700 bytes (splitting lines,
  // CRLFs and UTF-8 sequences anywhere).
  auto body = body_of(b, 99);
  std::vector<std::string> chunks;
  for (size_t at = 0; at < body.size();) {
    auto len = std::min<size_t>(1 + rng() % 700, body.size() - at);
    chunks.push_back(body.substr(at, len));
    at += len;
  }
  auto rc = c.raw(chunked_post(api + "transactions/import",
                               "text/tab-separated-values", chunks));
  ASSERT_EQ(rc.status, 200) << rc.body;
  EXPECT_EQ(rc.body_json(), r.body_json());
  EXPECT_EQ(r.body_json()["imported"], 3000) << r.body;
  EXPECT_EQ(r.body_json()["rejected"],
            json::parse(R"([{"line":1504,"reason":"bad_timestamp"}])"))
      << r.body;
  EXPECT_EQ(spending(c, b, "2026-10"), spending(c, a, "2026-10"));
  auto ta = transactions(c, a, "2026-10"), tb = transactions(c, b, "2026-10");
  ASSERT_EQ(ta.size(), 1000u); // the limit
  ASSERT_EQ(tb.size(), ta.size());
  for (size_t k = 0; k < ta.size(); ++k) {
    EXPECT_EQ(ta[k]["created_at"], tb[k]["created_at"]) << k;
    EXPECT_EQ(ta[k]["amount"], tb[k]["amount"]) << k;
    EXPECT_EQ(ta[k]["seller"], tb[k]["seller"]) << k;
  }
}

// -- 2. extraction
// ------------------------------------------------------------------

TEST_F(MintE2E, ExtractionPullsEverythingOnceAndARefreshAddsNothing) {
  bank_sim_process sim;
  ASSERT_NE(sim.port(), 0);
  connection c{port()};
  auto user = "alice-" + tag();
  auto expected = sim.transactions("alice", "2025-11-01");
  ASSERT_EQ(expected.size(), 91u * 3); // 2026-09-01..11-30, 3 a day

  auto r = link_account(c, user, sim.url(), "alice", "pass-alice");
  ASSERT_EQ(r.status, 201) << r.body;
  auto account = r.body_json().value("account_id", std::string{});
  ASSERT_FALSE(account.empty()) << r.body;
  auto job_id = first_job(c, account);
  ASSERT_FALSE(job_id.empty());
  auto job = wait_job(c, job_id);
  EXPECT_EQ(job.value("status", ""), "done") << job.dump();
  EXPECT_EQ(job.value("transactions", -1), static_cast<int>(expected.size()))
      << job.dump();
  EXPECT_EQ(job.value("account_id", ""), account) << job.dump();
  EXPECT_EQ(job.value("attempts", 0), 1) << job.dump();
  EXPECT_FALSE(job.contains("error")) << job.dump();
  expect_one_copy(c, user, expected);

  // The seller and amount of every transaction, as bank_sim sent them.
  std::multiset<std::pair<std::string, std::string>> want, got;
  for (const auto& t : expected)
    want.insert({t.seller, t.amount});
  for (const auto& m : bank_months)
    for (const auto& t : transactions(c, user, m))
      got.insert({t.value("seller", ""), t.value("amount", "")});
  EXPECT_TRUE(got == want);

  // A refresh overlaps the last days: nothing new, nothing twice.
  for (int round = 0; round < 2; ++round) {
    auto rr = refresh_account(c, account);
    ASSERT_EQ(rr.status, 202) << rr.body;
    auto refresh_job = rr.body_json().value("job_id", std::string{});
    ASSERT_FALSE(refresh_job.empty()) << rr.body;
    EXPECT_NE(refresh_job, job_id);
    auto done = wait_job(c, refresh_job);
    EXPECT_EQ(done.value("status", ""), "done") << done.dump();
    EXPECT_EQ(done.value("transactions", -1), 0) << done.dump();
    expect_one_copy(c, user, expected);
  }
  // The finished first job is unchanged.
  EXPECT_EQ(get_job(c, job_id).body_json(), job);
}

// -- 3. retries
// ----------------------------------------------------------------------

TEST_F(MintE2E, FiveHundredsAreRetriedThenFailUnreachable) {
  bank_sim_process sim;
  ASSERT_NE(sim.port(), 0);
  connection c{port()};
  auto user = "retry-" + tag();
  auto r = link_account(c, user, sim.url(), "bob", "pass-bob");
  ASSERT_EQ(r.status, 201) << r.body;
  auto account = r.body_json().value("account_id", std::string{});
  auto first = wait_job(c, first_job(c, account));
  ASSERT_EQ(first.value("status", ""), "done") << first.dump();
  auto expected = sim.transactions("bob");

  // Two 500s, then the third try gets the data.
  sim.control("reset=1&fail_next=2");
  auto rr = refresh_account(c, account);
  ASSERT_EQ(rr.status, 202) << rr.body;
  auto job = wait_job(c, rr.body_json().value("job_id", ""));
  EXPECT_EQ(job.value("status", ""), "done") << job.dump();
  EXPECT_GE(job.value("attempts", 0), 3) << job.dump();
  EXPECT_EQ(job.value("transactions", -1), 0) << job.dump();
  auto st = sim.stats();
  EXPECT_EQ(st["failed"], 2) << st.dump();
  EXPECT_EQ(st["served"], 1) << st.dump();

  // More 500s than tries: failed, unreachable, after extract_attempts (4).
  sim.control("reset=1&fail_next=10");
  rr = refresh_account(c, account);
  ASSERT_EQ(rr.status, 202) << rr.body;
  job = wait_job(c, rr.body_json().value("job_id", ""));
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "unreachable") << job.dump();
  EXPECT_EQ(job.value("attempts", 0), 4) << job.dump();
  st = sim.stats();
  EXPECT_EQ(st["failed"], 4) << st.dump();
  EXPECT_EQ(st["served"], 0) << st.dump();
  sim.control("reset=1");
  expect_one_copy(c, user, expected);
}

// -- 4. timeouts and refused connections --------------------------------------

TEST_F(MintE2E, ReadTimeoutsAndRefusedConnectionsFailUnreachable) {
  bank_sim_process sim;
  ASSERT_NE(sim.port(), 0);
  connection c{port()};
  auto user = "slow-" + tag();
  // Every answer 3 s late, read_timeout_ms 1000: each try times out.
  sim.control("delay_ms=3000");
  auto r = link_account(c, user, sim.url(), "carol", "pass-carol");
  ASSERT_EQ(r.status, 201) << r.body;
  auto account = r.body_json().value("account_id", std::string{});
  auto job = wait_job(c, first_job(c, account), 30s);
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "unreachable") << job.dump();
  EXPECT_EQ(job.value("attempts", 0), 4) << job.dump();
  EXPECT_EQ(job.value("transactions", -1), 0) << job.dump();
  auto st = sim.stats();
  EXPECT_EQ(st["requests"], 4) << st.dump();
  // Nothing stored: the user exists (the link), without transactions.
  for (const auto& m : bank_months)
    EXPECT_TRUE(spending(c, user, m).empty()) << m;

  // Without the delay, a refresh pulls everything (none was pulled yet).
  sim.control("reset=1");
  auto rr = refresh_account(c, account);
  ASSERT_EQ(rr.status, 202) << rr.body;
  job = wait_job(c, rr.body_json().value("job_id", ""));
  EXPECT_EQ(job.value("status", ""), "done") << job.dump();
  EXPECT_EQ(job.value("transactions", -1), 91 * 3) << job.dump();
  expect_one_copy(c, user, sim.transactions("carol"));

  // A port nobody listens on: connection refused, 4 tries, unreachable.
  auto closed = "http://127.0.0.1:" + std::to_string(free_port()) + "/bank";
  r = link_account(c, user, closed, "carol", "pass-carol");
  ASSERT_EQ(r.status, 201) << r.body;
  job = wait_job(c, first_job(c, r.body_json().value("account_id", "")));
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "unreachable") << job.dump();
  EXPECT_EQ(job.value("attempts", 0), 4) << job.dump();
}

// -- 5. bad credentials and bad answers
// ------------------------------------------

TEST_F(MintE2E, BadCredentialsAndGarbageAnswersFailTheJob) {
  bank_sim_process sim;
  ASSERT_NE(sim.port(), 0);
  connection c{port()};
  auto user = "creds-" + tag();
  auto run_link = [&](const std::string& login, const std::string& password) {
    auto r = link_account(c, user, sim.url(), login, password);
    EXPECT_EQ(r.status, 201) << r.body;
    return wait_job(c, first_job(c, r.body_json().value("account_id", "")));
  };

  // A wrong password: 401, not retried.
  auto job = run_link("dave", "not-the-password");
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "bad_credentials") << job.dump();
  EXPECT_EQ(job.value("attempts", 0), 1) << job.dump();
  EXPECT_EQ(sim.stats()["unauthorized"], 1);

  // The right password while the institution refuses everyone.
  sim.control("bad_credentials=1");
  job = run_link("dave", "pass-dave");
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "bad_credentials") << job.dump();

  // Not JSON: bad_response.
  sim.control("reset=1&garbage=1");
  job = run_link("erin", "pass-erin");
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "bad_response") << job.dump();
  EXPECT_EQ(job.value("attempts", 0), 1) << job.dump();
  sim.control("reset=1");

  // None of them stored a transaction.
  for (const auto& m : bank_months)
    EXPECT_TRUE(spending(c, user, m).empty()) << m;
}

// Redirects are followed hop by hop, at most mint.max_redirects (3), and
// only to hosts of mint.institution_hosts.
TEST_F(MintE2E, RedirectsAreBoundedAndCheckedHopByHop) {
  bank_sim_process sim;
  ASSERT_NE(sim.port(), 0);
  connection c{port()};
  auto user = "moved-" + tag();
  auto r = link_account(c, user, sim.url(), "gina", "pass-gina");
  ASSERT_EQ(r.status, 201) << r.body;
  auto account = r.body_json().value("account_id", "");
  ASSERT_EQ(wait_job(c, first_job(c, account)).value("status", ""), "done");
  auto refresh_with = [&](const std::string& query) {
    sim.control("reset=1&" + query);
    auto rr = refresh_account(c, account);
    EXPECT_EQ(rr.status, 202) << rr.body;
    return wait_job(c, rr.body_json().value("job_id", ""));
  };

  // One hop on the same origin: followed, credentials kept.
  auto job = refresh_with("redirect=1");
  EXPECT_EQ(job.value("status", ""), "done") << job.dump();
  EXPECT_EQ(sim.stats()["served"], 1);

  // An endless chain: given up after 3 redirects (4 requests), not retried.
  job = refresh_with("redirect=2");
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "bad_response") << job.dump();
  EXPECT_EQ(sim.stats()["requests"], 4);

  // To a host not on the list (localhost): never called.
  job = refresh_with("redirect=3");
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "unreachable") << job.dump();
  EXPECT_EQ(sim.stats()["requests"], 1);
  sim.control("reset=1");
}

// -- 9. bad requests
// ----------------------------------------------------------------

TEST_F(MintE2E, BadRequestsAre4xxAndChangeNothing) {
  connection c{port()};
  auto user = "bad-" + tag();
  auto ghost = "ghost-" + tag(); // never stored
  auto r = import_body(
      c, txn_line(user, "2026-10-03T10:00:00Z", "Exxon", "40.00") + "\n" +
             txn_line(user, "2026-10-04T10:00:00Z", "Unknown Shop " + user,
                      "-5.25") +
             "\n" +
             txn_line(user, "2026-11-04T10:00:00Z", "Whole Foods", "12.5") +
             "\n");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(
      put_json(c, api + "income",
               json{{"user_id", user}, {"monthly_income", "1000.00"}}.dump())
          .status,
      204);

  auto snapshot = [&] {
    std::vector<std::string> out;
    for (std::string q : {"spending?" + user_query(user, "2026-10"),
                          "spending?" + user_query(user, "2026-11"),
                          "transactions?" + user_query(user, "2026-10"),
                          "budget?" + user_query(user, "2026-10"),
                          "notifications?" + user_query(user, "")}) {
      auto g = c.request("GET", api + q);
      out.push_back(std::to_string(g.status) + " " + g.body);
    }
    return out;
  };
  auto before = snapshot();
  EXPECT_EQ(spending(c, user, "2026-10"),
            (std::map<std::string, std::string>{{"gas", "40.00"},
                                                {"uncategorized", "-5.25"}}));

  auto bad = [&](const std::string& method, const std::string& path,
                 const std::string& body, int status, const std::string& code) {
    auto res = method == "GET"   ? c.request("GET", api + path)
               : method == "PUT" ? put_json(c, api + path, body)
                                 : post_json(c, api + path, body);
    expect_error(res, status, code, method + " " + path + " " + body);
    return res;
  };
  const std::string url = "http://127.0.0.1:9/bank";
  auto link_body = [&](json patch) {
    json b{{"user_id", ghost},
           {"account_url", url},
           {"account_login", "x"},
           {"account_password", "pass-x"}};
    for (auto& [k, v] : patch.items())
      if (v.is_null())
        b.erase(k);
      else
        b[k] = v;
    return b.dump();
  };
  const std::string inv = "invalid_argument";
  // POST account
  bad("POST", "account", "{\"user_id\":", 400, inv);
  bad("POST", "account", "[]", 400, inv);
  bad("POST", "account", link_body({{"user_id", 7}}), 400, inv);
  bad("POST", "account", link_body({{"user_id", "bad user"}}), 400, inv);
  bad("POST", "account", link_body({{"user_id", std::string(65, 'u')}}), 400,
      inv);
  bad("POST", "account", link_body({{"account_url", nullptr}}), 400, inv);
  bad("POST", "account", link_body({{"account_password", nullptr}}), 400, inv);
  bad("POST", "account", link_body({{"account_url", "ftp://127.0.0.1/x"}}), 400,
      inv);
  bad("POST", "account", link_body({{"account_url", "not a url"}}), 400, inv);
  bad("POST", "account", link_body({{"account_url", "/relative/path"}}), 400,
      inv);
  bad("POST", "account", link_body({{"account_url", url + "?a=1"}}), 400, inv);
  bad("POST", "account",
      link_body(
          {{"account_url", "http://127.0.0.1/" + std::string(2100, 'p')}}),
      400, inv);
  auto named =
      bad("POST", "account",
          link_body({{"account_url", "http://example.invalid/"}}), 400, inv);
  EXPECT_NE(error_message_of(named).find("mint.institution_hosts"),
            std::string::npos)
      << named.body;
  bad("POST", "account", link_body({{"account_password", ""}}), 400, inv);
  bad("POST", "account", link_body({{"account_password", "a\nb"}}), 400, inv);
  bad("POST", "account",
      link_body({{"account_password", std::string(1025, 'p')}}), 400, inv);
  bad("POST", "account", link_body({{"account_login", ""}}), 400, inv);
  bad("POST", "account", link_body({{"account_login", std::string(257, 'l')}}),
      400, inv);
  bad("POST", "account", link_body({{"account_login", 12}}), 400, inv);
  // refresh and job
  bad("POST", "account/refresh", "{", 400, inv);
  bad("POST", "account/refresh", json{{"account_id", 5}}.dump(), 400, inv);
  bad("POST", "account/refresh", "{}", 400, inv);
  for (std::string id :
       {"bogus", "7-999999", "99-1", "-1", "1-", "1-x", "65536-1"})
    bad("POST", "account/refresh", json{{"account_id", id}}.dump(), 404,
        "not_found");
  bad("GET", "job", "", 400, inv);
  for (std::string id : {"bogus", "3-999999", "99-1"})
    bad("GET", "job?job_id=" + id, "", 404, "not_found");
  // reads
  for (std::string what :
       {"transactions", "spending", "budget", "notifications"}) {
    bad("GET", what, "", 400, inv);
    bad("GET", what + "?user_id=bad%20user", "", 400, inv);
    bad("GET", what + "?" + user_query(ghost, ""), "", 404, "not_found");
  }
  for (std::string what : {"transactions", "spending", "budget"})
    for (std::string m : {"2026-13", "2026-00", "2026-1", "26-01", "abcd-ef",
                          "2026_10", "2026-10-01"})
      bad("GET", what + "?" + user_query(user, m), "", 400, inv);
  for (std::string l : {"0", "1001", "x", "-1", "1.5"}) {
    bad("GET", "transactions?" + user_query(user, "2026-10") + "&limit=" + l,
        "", 400, inv);
    bad("GET", "notifications?" + user_query(user, "") + "&limit=" + l, "", 400,
        inv);
  }
  // income and budget
  for (const json& amount :
       {json("1.234"), json(-5), json("-5.00"), json("1e3"), json("abc"),
        json(true), json("100000000000.01"), json(nullptr)}) {
    json b{{"user_id", user}, {"monthly_income", amount}};
    if (amount.is_null())
      b.erase("monthly_income");
    bad("PUT", "income", b.dump(), 400, inv);
    json bb{{"user_id", user}, {"category", "food"}, {"amount", amount}};
    if (amount.is_null())
      bb.erase("amount");
    bad("PUT", "budget", bb.dump(), 400, inv);
  }
  bad("PUT", "income", json{{"user_id", 5}, {"monthly_income", 5}}.dump(), 400,
      inv);
  bad("PUT", "income", "not json", 400, inv);
  for (std::string cat : {"uncategorized", "Food", "nope", ""})
    bad("PUT", "budget",
        json{{"user_id", user}, {"category", cat}, {"amount", "5"}}.dump(), 400,
        inv);
  // manual categories
  auto cat_body = [&](const std::string& u, json id, const std::string& cat) {
    return json{{"user_id", u}, {"transaction_id", id}, {"category", cat}}
        .dump();
  };
  bad("PUT", "transaction/category", cat_body(user, "1", "uncategorized"), 400,
      inv);
  bad("PUT", "transaction/category", cat_body(user, "1", "nope"), 400, inv);
  bad("PUT", "transaction/category", cat_body(user, "abc", "food"), 400, inv);
  bad("PUT", "transaction/category", cat_body(user, -1, "food"), 400, inv);
  bad("PUT", "transaction/category", "{", 400, inv);
  bad("PUT", "transaction/category", cat_body(user, "0", "food"), 404,
      "not_found");
  bad("PUT", "transaction/category", cat_body(user, "4", "food"), 404,
      "not_found");
  bad("PUT", "transaction/category", cat_body(user, 99999999999, "food"), 404,
      "not_found");
  bad("PUT", "transaction/category", cat_body(ghost, "1", "food"), 404,
      "not_found");

  // Nothing changed, and nothing was stored for the ghost.
  EXPECT_EQ(snapshot(), before);
  for (std::string what :
       {"transactions", "spending", "budget", "notifications"})
    bad("GET", what + "?" + user_query(ghost, ""), "", 404, "not_found");
}

// -- 10. manual categories, the crowd, budgets and notifications
// ---------------

/// PUT income of a cent above 100 billion; returns the status.
int put_income_over_max(connection& c, const std::string& user) {
  return put_json(c, api + "income",
                  json{{"user_id", user}, {"monthly_income", "100000000000.01"}}
                      .dump())
      .status;
}

/// The transactions of `user` in October 2026 by transaction_id.
std::map<std::string, json> october(connection& c, const std::string& user) {
  std::map<std::string, json> out;
  auto list = transactions(c, user, "2026-10");
  if (list.is_array())
    for (const auto& t : list)
      out[t.value("transaction_id", "")] = t;
  return out;
}

/// The transaction_id of `user`'s October transaction of `seller` and
/// `amount` ("" when none).
std::string id_of(connection& c, const std::string& user,
                  const std::string& seller, const std::string& amount) {
  for (const auto& [id, t] : october(c, user))
    if (t.value("seller", "") == seller && t.value("amount", "") == amount)
      return id;
  ADD_FAILURE() << "no transaction " << seller << " " << amount << " of "
                << user;
  return {};
}

/// The category of `user`'s October transaction `id`.
std::string category_of(const std::string& user, const std::string& id,
                        connection& c) {
  return october(c, user)[id].value("category", "");
}

TEST_F(MintE2E, ManualCategoriesWinAndTheCrowdRecategorizesEveryone) {
  connection c{port()};
  auto run = tag();
  auto a = "crowd-a-" + run, b = "crowd-b-" + run, cc = "crowd-c-" + run,
       d = "crowd-d-" + run;
  auto seller = "Crowd Cafe " + run;
  auto variant = "  CROWD   cafe " + run + " "; // the same seller key
  std::string lines;
  for (const auto& l : {txn_line(a, "2026-10-05T10:00:00Z", seller, "10.00"),
                        txn_line(a, "2026-10-06T10:00:00Z", seller, "20.00"),
                        txn_line(a, "2026-10-07T10:00:00Z", "Starbucks", "5"),
                        txn_line(b, "2026-10-08T10:00:00Z", variant, "7.00"),
                        txn_line(b, "2026-10-09T10:00:00Z", seller, "3.00"),
                        txn_line(cc, "2026-10-10T10:00:00Z", seller, "1.00"),
                        txn_line(d, "2026-10-11T10:00:00Z", "Starbucks", "2")})
    lines += l + "\n";
  auto r = import_body(c, lines);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.body_json()["imported"], 7) << r.body;
  EXPECT_EQ(spending(c, b, "2026-10"),
            (std::map<std::string, std::string>{{"uncategorized", "10.00"}}));

  auto a1 = id_of(c, a, seller, "10.00"), a2 = id_of(c, a, seller, "20.00"),
       a3 = id_of(c, a, "Starbucks", "5.00");
  auto b1 = id_of(c, b, variant, "7.00"), b2 = id_of(c, b, seller, "3.00");
  auto c1 = id_of(c, cc, seller, "1.00");
  auto set = [&](const std::string& u, const std::string& id,
                 const std::string& cat) {
    auto res = put_json(
        c, api + "transaction/category",
        json{{"user_id", u}, {"transaction_id", id}, {"category", cat}}.dump());
    EXPECT_EQ(res.status, 204)
        << u << " " << id << " " << cat << ": " << res.body;
  };
  auto category = [&](const std::string& u, const std::string& id) {
    auto t = october(c, u)[id];
    return t.value("category", "") + (t.value("manual", false) ? "*" : "");
  };
  auto wait_all =
      [&](const std::vector<std::tuple<std::string, std::string, std::string>>&
              want) {
        std::string last;
        bool ok = eventually([&] {
          last.clear();
          bool all = true;
          for (const auto& [u, id, cat] : want) {
            auto got = category(u, id);
            last += u + "#" + id + "=" + got + " ";
            all = all && got == cat;
          }
          return all;
        });
        EXPECT_TRUE(ok) << "not re-categorized within 10 s: " << last;
      };

  // A's override: manual at once, and the crowd's category for everyone.
  set(a, a1, "food");
  EXPECT_EQ(category(a, a1), "food*");
  wait_all(
      {{a, a2, "food"}, {b, b1, "food"}, {b, b2, "food"}, {cc, c1, "food"}});
  EXPECT_EQ(spending(c, b, "2026-10"),
            (std::map<std::string, std::string>{{"food", "10.00"}}));

  // A known seller: the override is manual, no vote (D keeps the map's).
  set(a, a3, "entertainment");
  EXPECT_EQ(category(a, a3), "entertainment*");

  // C votes shopping: 1 to 1, the earliest vote (food) stays.
  set(cc, c1, "shopping");
  // B votes shopping: 2 to 1, shopping for every non-manual transaction.
  set(b, b1, "shopping");
  wait_all({{a, a2, "shopping"}, {b, b2, "shopping"}});
  EXPECT_EQ(category(a, a1), "food*");
  EXPECT_EQ(category(b, b1), "shopping*");
  EXPECT_EQ(category(cc, c1), "shopping*");
  // B moves its vote to travel: 1 : 1 : 1, the earliest standing (food).
  set(b, b1, "travel");
  wait_all({{a, a2, "food"}, {b, b2, "food"}, {b, b1, "travel*"}});

  EXPECT_EQ(spending(c, a, "2026-10"),
            (std::map<std::string, std::string>{{"food", "30.00"},
                                                {"entertainment", "5.00"}}));
  EXPECT_EQ(spending(c, b, "2026-10"),
            (std::map<std::string, std::string>{{"travel", "7.00"},
                                                {"food", "3.00"}}));
  EXPECT_EQ(spending(c, cc, "2026-10"),
            (std::map<std::string, std::string>{{"shopping", "1.00"}}));
  EXPECT_EQ(spending(c, d, "2026-10"),
            (std::map<std::string, std::string>{{"food", "2.00"}}));
  // A transaction of the seller imported afterwards, for a user who had
  // none: the crowd's category (once D's shard heard of the last change).
  r = import_body(c, txn_line(d, "2026-10-12T10:00:00Z", seller, "4.00"));
  ASSERT_EQ(r.status, 200) << r.body;
  wait_all({{d, id_of(c, d, seller, "4.00"), "food"}});
}

TEST_F(MintE2E, BudgetsAndNotificationsOncePerCategoryKindAndMonth) {
  connection c{port()};
  auto user = "notes-" + tag();
  auto month = utc_month();
  auto now_line = [&](const std::string& seller, const std::string& amount) {
    return txn_line(user, iso(::time(nullptr)), seller, amount);
  };
  auto notes = [&] {
    auto r = c.request("GET", api + "notifications?" + user_query(user, ""));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body_json();
  };
  auto import_now = [&](const std::string& seller, const std::string& amount) {
    auto r = import_body(c, now_line(seller, amount) + "\n");
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.body_json()["imported"], 1) << r.body;
  };

  ASSERT_EQ(put_json(c, api + "income",
                     json{{"user_id", user}, {"monthly_income", 1000}}.dump())
                .status,
            204);
  ASSERT_EQ(
      put_json(
          c, api + "budget",
          json{{"user_id", user}, {"category", "food"}, {"amount", "10.00"}}
              .dump())
          .status,
      204);
  auto br = c.request("GET", api + "budget?" + user_query(user, ""));
  ASSERT_EQ(br.status, 200) << br.body;
  json want_budget = json::array();
  const std::vector<std::pair<std::string, std::string>> template_budgets = {
      {"housing", "300.00"},      {"food", "10.00"},
      {"groceries", "100.00"},    {"gas", "50.00"},
      {"transport", "50.00"},     {"shopping", "100.00"},
      {"utilities", "50.00"},     {"health", "50.00"},
      {"entertainment", "50.00"}, {"travel", "50.00"}};
  for (const auto& [cat, amount] : template_budgets)
    want_budget.push_back({{"category", cat},
                           {"budget", amount},
                           {"spent", "0.00"},
                           {"source", cat == "food" ? "user" : "template"}});
  EXPECT_EQ(br.body_json(), want_budget);
  EXPECT_EQ(notes(), json::array());

  // Groceries (budget 100.00): 50, then 80 % reached, then above 100 %.
  import_now("Whole Foods", "50.00");
  EXPECT_EQ(notes(), json::array());
  import_now("Trader Joe's", "30.00");
  auto n = notes();
  ASSERT_EQ(n.size(), 1u) << n.dump();
  EXPECT_EQ(n[0]["category"], "groceries");
  EXPECT_EQ(n[0]["kind"], "approaching");
  EXPECT_EQ(n[0]["spent"], "80.00");
  EXPECT_EQ(n[0]["budget"], "100.00");
  EXPECT_EQ(n[0]["month"], month);
  import_now("Whole Foods", "25.00");
  import_now("Whole Foods", "40.00");
  // Food (the user's 10.00): both at once.
  import_now("Starbucks", "12.00");
  import_now("Starbucks", "3.00");
  // A refund below 80 % and back above: no repeat either.
  import_now("Whole Foods", "-100.00");
  import_now("Whole Foods", "100.00");
  // A budget of 0.00 notifies nothing.
  ASSERT_EQ(
      put_json(
          c, api + "budget",
          json{{"user_id", user}, {"category", "travel"}, {"amount", 0}}.dump())
          .status,
      204);
  import_now("Delta Air Lines", "250.00");
  // The month before: checked in its own month.
  auto p = parts_of(::time(nullptr));
  auto last_month = utc(p.tm_year + 1900, p.tm_mon + 1, 1) - 15 * 86400;
  auto r = import_body(
      c, txn_line(user, iso(last_month), "Whole Foods", "90.00") + "\n");
  ASSERT_EQ(r.status, 200) << r.body;
  // A new income re-checks the month: nothing new is due.
  ASSERT_EQ(
      put_json(c, api + "income",
               json{{"user_id", user}, {"monthly_income", "1000.00"}}.dump())
          .status,
      204);

  n = notes();
  ASSERT_EQ(n.size(), 5u) << n.dump();
  using note_row = std::tuple<std::string, std::string, std::string,
                              std::string, std::string>;
  std::set<note_row> got,
      want{{"groceries", "approaching", "80.00", "100.00", month},
           {"groceries", "exceeded", "105.00", "100.00", month},
           {"food", "approaching", "12.00", "10.00", month},
           {"food", "exceeded", "12.00", "10.00", month},
           {"groceries", "approaching", "90.00", "100.00",
            month_of(last_month)}};
  std::string previous = "9999";
  for (const auto& x : n) {
    got.insert({x.value("category", ""), x.value("kind", ""),
                x.value("spent", ""), x.value("budget", ""),
                x.value("month", "")});
    EXPECT_LE(x.value("created_at", ""), previous) << "not newest first";
    previous = x.value("created_at", "");
  }
  EXPECT_EQ(got, want) << n.dump();
  auto limited = c.request("GET", api + "notifications?" +
                                      user_query(user, "") + "&limit=1");
  ASSERT_EQ(limited.status, 200) << limited.body;
  EXPECT_EQ(limited.body_json(), json::array({n[0]}));

  br = c.request("GET", api + "budget?" + user_query(user, month));
  ASSERT_EQ(br.status, 200) << br.body;
  auto rows = br.body_json();
  ASSERT_EQ(rows.size(), 10u) << br.body;
  EXPECT_EQ(rows[1]["spent"], "15.00") << br.body;
  EXPECT_EQ(rows[2]["spent"], "145.00") << br.body;
  EXPECT_EQ(rows[9], (json{{"category", "travel"},
                           {"budget", "0.00"},
                           {"spent", "250.00"},
                           {"source", "user"}}))
      << br.body;

  // The largest amount, 100 billion, is money; a cent more is not.
  auto rich = "rich-" + tag();
  ASSERT_EQ(
      put_json(
          c, api + "income",
          json{{"user_id", rich}, {"monthly_income", "100000000000.00"}}.dump())
          .status,
      204);
  br = c.request("GET", api + "budget?" + user_query(rich, month));
  ASSERT_EQ(br.status, 200) << br.body;
  EXPECT_EQ(br.body_json()[0]["budget"], "30000000000.00") << br.body;
  auto big = import_body(
      c,
      txn_line(rich, "2026-10-01T00:00:00Z", "Target", "-100000000000.00") +
          "\n" +
          txn_line(rich, "2026-10-01T00:00:00Z", "Target", "100000000000") +
          "\n" +
          txn_line(rich, "2026-10-01T00:00:00Z", "Target", "100000000000.01"));
  ASSERT_EQ(big.status, 200) << big.body;
  EXPECT_EQ(big.body_json()["imported"], 2) << big.body;
  EXPECT_EQ(big.body_json()["rejected"],
            json::parse(R"([{"line":3,"reason":"bad_amount"}])"))
      << big.body;
  auto t = transactions(c, rich, "2026-10");
  std::multiset<std::string> amounts;
  for (const auto& x : t)
    amounts.insert(x.value("amount", ""));
  EXPECT_EQ(amounts, (std::multiset<std::string>{"-100000000000.00",
                                                 "100000000000.00"}));
  EXPECT_EQ(put_income_over_max(c, rich), 400);
}

// -- 6. kill -9 in the middle of a job
// ----------------------------------------------

TEST(MintE2EKill9, AJobInterruptedByKill9EndsWithOneCopyOfTheData) {
  bank_sim_process sim;
  ASSERT_NE(sim.port(), 0);
  use_key(node_key);
  node_process node{mint_config()};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  auto expected = sim.transactions("frank");
  std::string user = "kill9-frank";
  std::string account, job_id;
  {
    connection c{node.port()};
    sim.control("delay_ms=3000");
    auto r = link_account(c, user, sim.url(), "frank", "pass-frank");
    ASSERT_EQ(r.status, 201) << r.body;
    account = r.body_json().value("account_id", "");
    job_id = first_job(c, account);
    ASSERT_FALSE(job_id.empty());
    bool running = eventually(
        [&] {
          return get_job(c, job_id).body_json().value("status", "") ==
                 "running";
        },
        5s);
    ASSERT_TRUE(running) << get_job(c, job_id).body;
  }
  node.kill9();
  sim.control("delay_ms=0");
  ASSERT_TRUE(node.restart());
  connection c{node.port()};
  auto job = wait_job(c, job_id, 30s);
  EXPECT_TRUE(finished(job)) << job.dump();
  std::printf("[ mint ] the job after kill -9 and a restart: %s\n",
              job.dump().c_str());
  if (job.value("status", "") == "done")
    EXPECT_EQ(job.value("transactions", -1), static_cast<int>(expected.size()))
        << job.dump();
  else
    EXPECT_FALSE(job.value("error", "").empty()) << job.dump();
  // A refresh after the restart: one copy, never two.
  auto rr = refresh_account(c, account);
  ASSERT_EQ(rr.status, 202) << rr.body;
  auto again = wait_job(c, rr.body_json().value("job_id", ""));
  EXPECT_EQ(again.value("status", ""), "done") << again.dump();
  expect_one_copy(c, user, expected);

  // And once more after a clean restart.
  stop_cleanly(node);
  ASSERT_TRUE(node.restart());
  connection c2{node.port()};
  expect_one_copy(c2, user, expected);
  EXPECT_EQ(get_job(c2, job_id).body_json().value("status", ""),
            job.value("status", ""));
  stop_cleanly(node);
}

// -- 6b. everything is back after kill -9 ------------------------------------

TEST(MintE2ERestart, EveryAnswerIsTheSameAfterKill9) {
  bank_sim_process sim;
  ASSERT_NE(sim.port(), 0);
  use_key(node_key);
  node_process node{mint_config()};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  const std::string a = "rs-a", b = "rs-b", n = "rs-notes", x = "rs-bank";
  const std::string seller = "Restart Diner";
  auto now = iso(::time(nullptr));
  std::string account, job_id;
  std::vector<std::string> reads;
  for (const auto& u : {a, b, n, x})
    for (const auto& q :
         {"transactions?" + user_query(u, "2026-10") + "&limit=1000",
          "transactions?" + user_query(u, "") + "&limit=1000",
          "spending?" + user_query(u, "2026-10"),
          "spending?" + user_query(u, "2026-11"),
          "spending?" + user_query(u, ""), "budget?" + user_query(u, "")})
      reads.push_back(q);
  // Notifications come back in the order they were sent, also those of one
  // second (equal created_at).
  auto notes_of = [&](connection& c, const std::string& u) {
    auto r = c.request("GET", api + "notifications?" + user_query(u, ""));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    std::string previous = "9999";
    for (const auto& e : r.body_json()) {
      EXPECT_LE(e.value("created_at", ""), previous) << r.body;
      previous = e.value("created_at", "");
      out.push_back(e.dump());
    }
    return out;
  };
  auto snapshot = [&](connection& c) {
    std::vector<std::string> out;
    for (const auto& u : {a, b, n, x})
      for (const auto& note : notes_of(c, u))
        out.push_back(u + ": " + note);
    for (const auto& q : reads) {
      auto r = c.request("GET", api + q);
      out.push_back(q + " -> " + std::to_string(r.status) + " " + r.body);
    }
    out.push_back(get_job(c, job_id).body);
    return out;
  };
  std::vector<std::string> before, notes_before;
  {
    connection c{node.port()};
    std::string lines;
    for (const auto& l :
         {txn_line(a, "2026-10-05T10:00:00Z", seller, "10.00"),
          txn_line(a, "2026-10-06T10:00:00Z", seller, "20.00"),
          txn_line(a, "2026-10-07T10:00:00Z", "Exxon", "30.00"),
          txn_line(b, "2026-10-08T10:00:00Z", seller, "7.00"),
          txn_line(b, "2026-11-08T10:00:00Z", "Target", "-2.50"),
          txn_line(n, now, "Whole Foods", "85.00"),
          txn_line(n, now, "Starbucks", "30.00")})
      lines += l + "\n";
    ASSERT_EQ(import_body(c, lines).status, 200);
    ASSERT_EQ(put_json(c, api + "income",
                       json{{"user_id", n}, {"monthly_income", "1000"}}.dump())
                  .status,
              204);
    ASSERT_EQ(
        put_json(
            c, api + "budget",
            json{{"user_id", n}, {"category", "food"}, {"amount", "20"}}.dump())
            .status,
        204);
    auto a1 = id_of(c, a, seller, "10.00"), a3 = id_of(c, a, "Exxon", "30.00");
    for (const auto& [id, cat] :
         std::vector<std::pair<std::string, std::string>>{{a1, "health"},
                                                          {a3, "travel"}})
      ASSERT_EQ(
          put_json(
              c, api + "transaction/category",
              json{{"user_id", a}, {"transaction_id", id}, {"category", cat}}
                  .dump())
              .status,
          204);
    // The crowd's category reached A's other and B's transaction (the
    // snapshot must not race with it).
    auto a2 = id_of(c, a, seller, "20.00");
    bool crowd = eventually([&] {
      auto t = october(c, b);
      return !t.empty() &&
             t.begin()->second.value("category", "") == "health" &&
             october(c, a)[a2].value("category", "") == "health";
    });
    ASSERT_TRUE(crowd) << json(october(c, b)).dump()
                       << json(october(c, a)).dump();
    auto r = link_account(c, x, sim.url(), "hank", "pass-hank");
    ASSERT_EQ(r.status, 201) << r.body;
    account = r.body_json().value("account_id", "");
    job_id = first_job(c, account);
    auto job = wait_job(c, job_id);
    ASSERT_EQ(job.value("status", ""), "done") << job.dump();
    before = snapshot(c);
    // Groceries approaching, food approaching and exceeded.
    notes_before = notes_of(c, n);
    EXPECT_EQ(notes_before.size(), 3u);
  }

  node.kill9();
  ASSERT_TRUE(node.restart());
  connection c{node.port()};
  auto after = snapshot(c);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i)
    EXPECT_EQ(after[i], before[i]);

  // Still once: no notification again, no transaction twice, and a new
  // transaction of the seller gets the crowd's category.
  auto r = import_body(
      c, txn_line(n, iso(::time(nullptr)), "Starbucks", "50.00") + "\n" +
             txn_line(b, "2026-10-20T10:00:00Z", seller, "1.00"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(notes_of(c, n), notes_before);
  EXPECT_EQ(category_of(b, id_of(c, b, seller, "1.00"), c), "health");
  auto rr = refresh_account(c, account);
  ASSERT_EQ(rr.status, 202) << rr.body;
  auto again = wait_job(c, rr.body_json().value("job_id", ""));
  EXPECT_EQ(again.value("status", ""), "done") << again.dump();
  EXPECT_EQ(again.value("transactions", -1), 0) << again.dump();
  expect_one_copy(c, x, sim.transactions("hank"));
  stop_cleanly(node);
}

// -- 6c. a full extraction queue ----------------------------------------------

TEST(MintE2EQueue, AFullExtractionQueueIs429AndStoresNothing) {
  bank_sim_process sim;
  ASSERT_NE(sim.port(), 0);
  use_key(node_key);
  // One worker and one queued job at most.
  node_process node{mint_config(R"(["127.0.0.1"])",
                                "extract_workers = 1\nextract_queue = 1\n")};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  sim.control("delay_ms=3000");
  // The first runs (held 3 s by the institution), the second waits.
  auto r1 = link_account(c, "q-1", sim.url(), "ivan", "pass-ivan");
  ASSERT_EQ(r1.status, 201) << r1.body;
  auto job1 = first_job(c, r1.body_json().value("account_id", ""));
  ASSERT_TRUE(eventually(
      [&] {
        return get_job(c, job1).body_json().value("status", "") == "running";
      },
      5s));
  auto r2 = link_account(c, "q-2", sim.url(), "judy", "pass-judy");
  ASSERT_EQ(r2.status, 201) << r2.body;
  // The third: 429, and nothing stored for its (new) user.
  auto r3 = link_account(c, "q-3", sim.url(), "kate", "pass-kate");
  expect_error(r3, 429, "overloaded", "a third link");
  EXPECT_FALSE(r3.header("retry-after").empty());
  // (The contract: "429 when the queue is full (nothing stored)", and
  // reads of a user nothing was stored for are 404.)
  for (std::string what : {"spending", "transactions", "budget"}) {
    auto g = c.request("GET", api + what + "?" + user_query("q-3", ""));
    EXPECT_EQ(g.status, 404)
        << "GET " << what << " of a user whose only link was refused with "
        << "429: " << g.body;
  }
  // A refresh is refused the same way, and adds no job.
  auto account1 = r1.body_json().value("account_id", "");
  auto rr = refresh_account(c, account1);
  expect_error(rr, 429, "overloaded", "a refresh");
  sim.control("delay_ms=0");
  EXPECT_EQ(wait_job(c, job1).value("status", ""), "done");
  auto job2 = wait_job(c, first_job(c, r2.body_json().value("account_id", "")));
  EXPECT_EQ(job2.value("status", ""), "done") << job2.dump();
  EXPECT_EQ(jobs_of(c, account1).size(), 1u);
  // With room again, q-3 links.
  auto again = link_account(c, "q-3", sim.url(), "kate", "pass-kate");
  ASSERT_EQ(again.status, 201) << again.body;
  auto job3 =
      wait_job(c, first_job(c, again.body_json().value("account_id", "")));
  EXPECT_EQ(job3.value("status", ""), "done") << job3.dump();
  expect_one_copy(c, "q-3", sim.transactions("kate"));
  stop_cleanly(node);
}

// -- 7. secrets
// ----------------------------------------------------------------------

/// Paths of the regular files under `dir`, recursively.
void files_under(const std::string& dir, std::vector<std::string>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr)
    return;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..")
      continue;
    auto path = dir + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode))
      files_under(path, out);
    else if (S_ISREG(st.st_mode))
      out.push_back(path);
  }
  ::closedir(d);
}

/// Expects none of `secrets` in any file under `dir`.
void expect_in_no_file(const std::string& dir,
                       const std::vector<std::string>& secrets) {
  std::vector<std::string> files;
  files_under(dir, files);
  EXPECT_FALSE(files.empty()) << dir;
  size_t bytes = 0;
  for (const auto& f : files) {
    auto text = read_file(f);
    bytes += text.size();
    for (const auto& s : secrets)
      EXPECT_EQ(text.find(s), std::string::npos)
          << "\"" << s << "\" found in " << f;
  }
  std::printf("[ mint ] scanned %zu files (%zu bytes) of %s\n", files.size(),
              bytes, dir.c_str());
}

TEST(MintE2ESecrets, PasswordsAppearInNoFileLogMetricOrAnswer) {
  bank_sim_process sim;
  ASSERT_NE(sim.port(), 0);
  use_key(node_key);
  // Debug logging: the most a log could say.
  node_process node{mint_config(), {"--log-level", "debug"}};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  const std::string good = "pass-zed";
  const std::string wrong = "Wr0ng-Secret-yan-7Qx";
  const std::vector<std::string> secrets = {
      good,     wrong,    base64("zed:" + good), base64("yan:" + wrong),
      node_key, raw_key()};
  std::vector<std::string> answers;
  {
    connection c{node.port()};
    auto r = link_account(c, "zed-user", sim.url(), "zed", good);
    ASSERT_EQ(r.status, 201) << r.body;
    answers.push_back(r.body);
    auto zed_account = r.body_json().value("account_id", "");
    auto w = link_account(c, "yan-user", sim.url(), "yan", wrong);
    ASSERT_EQ(w.status, 201) << w.body;
    answers.push_back(w.body);
    auto yan_account = w.body_json().value("account_id", "");
    auto zed_job = wait_job(c, first_job(c, zed_account));
    EXPECT_EQ(zed_job.value("status", ""), "done") << zed_job.dump();
    auto yan_job = wait_job(c, first_job(c, yan_account));
    EXPECT_EQ(yan_job.value("error", ""), "bad_credentials") << yan_job.dump();
    // Failures that log: garbage, then 500s.
    sim.control("garbage=1");
    auto rr = refresh_account(c, zed_account);
    answers.push_back(rr.body);
    wait_job(c, rr.body_json().value("job_id", ""));
    sim.control("reset=1&fail_next=10");
    rr = refresh_account(c, zed_account);
    answers.push_back(rr.body);
    wait_job(c, rr.body_json().value("job_id", ""));
    sim.control("reset=1");
    // Bad links with the passwords in them: their errors say nothing.
    for (const auto& body : {json{{"user_id", "zed user"},
                                  {"account_url", sim.url()},
                                  {"account_login", "zed"},
                                  {"account_password", good}},
                             json{{"user_id", "zed-user"},
                                  {"account_url", "http://example.invalid/"},
                                  {"account_login", "zed"},
                                  {"account_password", good}},
                             json{{"user_id", "zed-user"},
                                  {"account_url", sim.url()},
                                  {"account_login", "zed\n"},
                                  {"account_password", wrong}}}) {
      auto b = post_json(c, api + "account", body.dump());
      EXPECT_EQ(b.status, 400) << b.body;
      answers.push_back(b.body);
    }

    // Every answer about the accounts.
    for (const auto& acc : {zed_account, yan_account}) {
      for (const auto& id : jobs_of(c, acc)) {
        auto j = get_job(c, id);
        answers.push_back(j.body);
        std::set<std::string> keys;
        auto fields = j.body_json();
        if (fields.is_object())
          for (auto i = fields.begin(); i != fields.end(); ++i)
            keys.insert(i.key());
        keys.erase("error");
        EXPECT_EQ(keys, (std::set<std::string>{"job_id", "account_id", "status",
                                               "transactions", "attempts",
                                               "created_at", "updated_at"}))
            << j.body;
      }
    }
    for (std::string u : {"zed-user", "yan-user"})
      for (std::string q :
           {"transactions?" + user_query(u, "2026-10") + "&limit=1000",
            "spending?" + user_query(u, "2026-10"),
            "budget?" + user_query(u, ""),
            "notifications?" + user_query(u, "")})
        answers.push_back(c.request("GET", api + q).body);
    auto metrics = c.request("GET", "/metrics");
    EXPECT_EQ(metrics.status, 200);
    answers.push_back(metrics.body);
    for (const auto& page : {"/", "/api/v1/cluster", "/healthz"})
      answers.push_back(c.request("GET", page).body);
  }
  for (const auto& a : answers)
    for (const auto& s : secrets)
      EXPECT_EQ(a.find(s), std::string::npos)
          << "\"" << s << "\" in an answer: " << a.substr(0, 300);

  // Files while running, then after a clean stop; and the whole log.
  expect_in_no_file(node.data_dir(), secrets);
  stop_cleanly(node);
  expect_in_no_file(node.data_dir(), secrets);
  auto log = node.log();
  for (const auto& s : secrets)
    EXPECT_EQ(log.find(s), std::string::npos) << "\"" << s << "\" in the log";
}

// -- 8. the key
// ----------------------------------------------------------------------

TEST(MintE2EKey, ANodeRefusesToStartWithoutItsKeyOrWithAnother) {
  bank_sim_process sim;
  ASSERT_NE(sim.port(), 0);
  use_key(node_key);
  node_process node{mint_config()};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  auto expected = sim.transactions("gail");
  {
    connection c{node.port()};
    auto r = link_account(c, "key-gail", sim.url(), "gail", "pass-gail");
    ASSERT_EQ(r.status, 201) << r.body;
    auto job = wait_job(c, first_job(c, r.body_json().value("account_id", "")));
    ASSERT_EQ(job.value("status", ""), "done") << job.dump();
  }
  stop_cleanly(node);

  auto refused = [&](const char* key, const std::string& says) {
    use_key(key);
    auto before = node.log().size();
    node.start();
    int status = node.wait_exit(20s);
    if (status == -1) {
      ADD_FAILURE() << "still running without the right key";
      node.kill9();
      return;
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0)
        << "status " << status;
    auto out = node.log().substr(before);
    EXPECT_NE(out.find(says), std::string::npos) << out;
    for (const char* k : {node_key, other_key})
      EXPECT_EQ(out.find(k), std::string::npos) << "the key is in the log";
  };
  refused(nullptr, "TROUPE_MINT_KEY");
  refused(other_key, "not the one");
  refused("not-a-key", "TROUPE_MINT_KEY");

  // With its key it starts (also written as base64), and the account is
  // back.
  auto key64 = base64(raw_key());
  use_key(key64.c_str());
  ASSERT_TRUE(node.restart());
  stop_cleanly(node);
  use_key(node_key);
  ASSERT_TRUE(node.restart());
  connection c{node.port()};
  expect_one_copy(c, "key-gail", expected);
  stop_cleanly(node);
}

// -- 9b. public hosts only, and the import size limit
// ---------------------------

TEST(MintE2EOpenHosts, PrivateAddressesAreRefusedAndBigImportsAre413) {
  use_key(node_key);
  node_process node{mint_config("[]", "max_import_bytes = 4096\n")};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  const std::string user = "open-user";
  auto r = import_body(
      c, txn_line(user, "2026-10-03T10:00:00Z", "Target", "19.99") + "\n");
  ASSERT_EQ(r.status, 200) << r.body;
  auto before = spending(c, user, "2026-10");
  EXPECT_EQ(before,
            (std::map<std::string, std::string>{{"shopping", "19.99"}}));

  // IP literals that are not public: 400 at link time.
  for (std::string url :
       {"http://10.0.0.1/x", "http://127.0.0.1:8080/bank",
        "http://192.168.1.20/", "http://172.16.5.4/", "http://169.254.169.254/",
        "http://100.64.0.1/", "http://[::1]/", "http://0.0.0.0/",
        "http://224.0.0.1/"}) {
    auto res = link_account(c, user, url, "x", "pass-x");
    expect_error(res, 400, "invalid_argument", url);
  }
  // A name resolving to loopback: accepted, refused when pulling.
  r = link_account(c, user, "http://localhost:9/bank", "x", "pass-x");
  ASSERT_EQ(r.status, 201) << r.body;
  auto job = wait_job(c, first_job(c, r.body_json().value("account_id", "")));
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "unreachable") << job.dump();

  // A body over mint.max_import_bytes: 413, nothing stored.
  std::string big;
  while (big.size() <= 4096)
    big += txn_line(user, "2026-10-04T10:00:00Z", "Target", "1.00") + "\n";
  expect_error(import_body(c, big), 413, "payload_too_large", "Content-Length");
  connection c2{node.port()};
  EXPECT_EQ(spending(c2, user, "2026-10"), before);
  auto t = transactions(c2, user, "2026-10");
  EXPECT_EQ(t.size(), 1u) << t.dump();
  stop_cleanly(node);
}

} // namespace
