// Mint on a cluster of three, with bank_sim (examples/bank_sim) as the
// institution, run as a child of the test.
//
// UsersOnEveryNodeReadTheSameThroughEveryNode: transactions of 200 users
// (on user shards whose primaries are on every node) imported through n1
// give, through every node, the monthly spending a plain aggregation in
// the test computes (the shipped map's category for the few known sellers
// used, else uncategorized); accounts linked through n2 and followed
// through n3 hold exactly what bank_sim serves; a manual override through
// n3 of a seller the map does not know re-categorizes, within seconds, the
// transactions of that seller of users whose shards run on other nodes.
//
// RefreshesSurviveANodeKilledMidPull: bank_sim answers slowly while pulls
// of accounts on n3's user shards run (first pulls of new accounts and
// refreshes of pulled ones); n3 is killed with SIGKILL while some run.
// Through the survivors every job ends (done or failed, none stuck) and
// every account holds exactly one copy of bank_sim's data; after n3 is
// back, reads through it agree.
//
// The cluster harness has no [mint] settings: the test appends its own
// section to each node's generated config before the nodes start, and
// gives every node the same key in TROUPE_MINT_KEY (the nodes inherit the
// test's environment).
#include "cluster.hpp"
#include "listening_process.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TROUPE_BANK_SIM
#error "TROUPE_BANK_SIM (the path of the bank_sim binary) is not defined"
#endif

using namespace troupe_cluster;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string api = "/mint/api/v1/";

/// [mint] of every node: 16 user shards, 4 seller shards, institutions on
/// loopback, first pulls reaching back past bank_sim's first day, short
/// retries, and stuck jobs noticed within seconds.
const char* mint_section = "\n[mint]\n"
                           "shards = 16\n"
                           "seller_shards = 4\n"
                           "institution_hosts = [\"127.0.0.1\"]\n"
                           "history_days = 400\n"
                           "extract_retry_ms = 100\n"
                           "job_timeout_ms = 5000\n"
                           "refresh_check_interval_ms = 1000\n";

constexpr size_t mint_shards = 16;

/// The key every node seals passwords with (64 hex digits).
const char* mint_key =
    "4d696e742d636c75737465722d746573742d6b65792d30313233343536373839";

/// The months bank_sim has transactions in (and the import uses).
const std::vector<std::string> months{"2026-09", "2026-10", "2026-11"};

/// An answer that may come while shards fail over.
bool transient(const http_response& r) {
  return r.status == 503 || r.status == 504 || r.status == 0;
}

/// Sends until the answer is not transient or `deadline` passed.
http_response ask(uint16_t port, const std::string& method,
                  const std::string& target, const std::string& body,
                  clock_type::time_point deadline) {
  auto r = send(port, method, target, body);
  while (transient(r) && clock_type::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    r = send(port, method, target, body);
  }
  return r;
}

http_response ask(uint16_t port, const std::string& target,
                  clock_type::time_point deadline) {
  return ask(port, "GET", target, "", deadline);
}

std::string base64(const std::string& in) {
  static const char* digits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += digits[(acc >> bits) & 63];
    }
  }
  if (bits > 0)
    out += digits[(acc << (6 - bits)) & 63];
  while (out.size() % 4 != 0)
    out += '=';
  return out;
}

/// The key sellers are matched on: lower-cased, runs of whitespace
/// collapsed, trimmed.
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
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return out;
}

/// Category names in the service's order (ties of spending keep it).
const std::vector<std::string> category_order{
    "housing",       "food",     "groceries",    "gas",
    "transport",     "shopping", "utilities",    "health",
    "entertainment", "travel",   "uncategorized"};

size_t category_index(const std::string& name) {
  return static_cast<size_t>(
      std::find(category_order.begin(), category_order.end(), name) -
      category_order.begin());
}

/// The shipped map's categories of the known sellers the import uses.
const std::map<std::string, std::string> shipped{{"exxon", "gas"},
                                                 {"target", "shopping"},
                                                 {"whole foods", "groceries"},
                                                 {"starbucks", "food"}};

std::string money(int64_t cents) {
  auto mag = cents < 0 ? -cents : cents;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", cents < 0 ? "-" : "",
                static_cast<long long>(mag / 100),
                static_cast<long long>(mag % 100));
  return buf;
}

std::string iso8601(int64_t t) {
  auto tt = static_cast<time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// "YYYY-MM" of Unix seconds.
std::string month_of(int64_t t) {
  return iso8601(t).substr(0, 7);
}

int64_t unix_of(int year, int month, int day) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  return static_cast<int64_t>(timegm(&tm));
}

// -- bank_sim ----------------------------------------------------------------

/// bank_sim as a child process on a free port; killed on destruction (and
/// by the kernel should the test die first).
class bank_sim {
public:
  /// Starts it and reads "listening <port>"; false (with a failure) if not.
  bool start() {
    proc_ = std::make_unique<troupe_e2e::listening_process>(
        std::vector<std::string>{TROUPE_BANK_SIM, "--port", "0", "--bind",
                                 "127.0.0.1"});
    port_ = proc_->port();
    if (port_ == 0)
      ADD_FAILURE() << proc_->error();
    return port_ != 0;
  }

  void stop() { proc_.reset(); }

  uint16_t port() const { return port_; }

  /// POST /_control?<query>.
  void control(const std::string& query) {
    auto r = send(port_, "POST", "/_control?" + query);
    EXPECT_EQ(r.status, 200)
        << "bank_sim /_control?" << query << ": " << r.body;
  }

  json stats() { return send(port_, "GET", "/_stats").body_json(); }

  /// The account URL of `login` (any path ending before /transactions).
  std::string account_url(const std::string& login) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/accounts/" + login;
  }

  /// Everything bank_sim serves `login` (password "pass-<login>").
  json transactions(const std::string& login) {
    try {
      troupe_e2e::connection conn{port_, 10s};
      auto r = conn.request(
          "GET", "/accounts/" + login + "/transactions?since=2000-01-01", "",
          {{"Authorization", "Basic " + base64(login + ":pass-" + login)}});
      EXPECT_EQ(r.status, 200) << "bank_sim, " << login << ": " << r.body;
      return r.body_json();
    } catch (const troupe_e2e::io_error& e) {
      ADD_FAILURE() << "bank_sim, " << login << ": " << e.what();
      return json::array();
    }
  }

private:
  std::unique_ptr<troupe_e2e::listening_process> proc_;
  uint16_t port_ = 0;
};

/// (created_at, seller, amount) rows, sorted: what an account holds.
using rows = std::vector<std::tuple<std::string, std::string, std::string>>;

rows rows_of(const json& list) {
  rows out;
  if (list.is_array())
    for (const auto& t : list)
      out.emplace_back(t.value("created_at", std::string{}),
                       t.value("seller", std::string{}),
                       t.value("amount", std::string{}));
  std::sort(out.begin(), out.end());
  return out;
}

// -- the fixture -------------------------------------------------------------

/// One imported transaction of the reference.
struct txn {
  int64_t at = 0;
  std::string seller;
  int64_t cents = 0;
  /// Set by a manual override in the test.
  std::string manual;
};

class clusterMint : public ::testing::Test {
protected:
  void SetUp() override {
    started_ = clock_type::now();
    ASSERT_EQ(::setenv("TROUPE_MINT_KEY", mint_key, 1), 0);
    ASSERT_TRUE(bank_.start());
    cluster_ = std::make_unique<cluster>();
    for (size_t i = 0; i < c().size(); ++i) {
      const auto& path = c().node(i).config_path();
      auto text = troupe_e2e::read_file(path);
      ASSERT_EQ(text.find("[mint]"), std::string::npos)
          << "the cluster harness now writes [mint]: set the Mint settings "
             "through node_settings instead";
      troupe_e2e::write_file(path, text + mint_section);
    }
    ASSERT_TRUE(c().start()) << "cluster did not form";
    auto owners = primaries(0);
    ASSERT_EQ(owners.size(), mint_shards);
    std::printf(
        "[ mint ] bank_sim on port %u; user shards by primary: n1 "
        "%zu, n2 %zu, n3 %zu\n",
        static_cast<unsigned>(bank_.port()),
        static_cast<size_t>(std::count(owners.begin(), owners.end(), "n1")),
        static_cast<size_t>(std::count(owners.begin(), owners.end(), "n2")),
        static_cast<size_t>(std::count(owners.begin(), owners.end(), "n3")));
  }

  void TearDown() override {
    if (HasFailure() && cluster_)
      std::cerr << cluster_->logs();
    cluster_.reset();
    bank_.stop();
    ::unsetenv("TROUPE_MINT_KEY");
    std::printf("[ mint ] %s in %lld ms\n",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                elapsed_ms(started_));
  }

  cluster& c() { return *cluster_; }

  /// The primary of each user shard, as node `observer` sees it.
  std::vector<std::string> primaries(size_t observer) {
    std::vector<std::string> out;
    auto v = c().view(observer);
    if (v.is_object() && v["shards"].contains("mint"))
      for (const auto& row : v["shards"]["mint"])
        out.push_back(row.value("primary", std::string{}));
    return out;
  }

  /// `count` user ids "<prefix>-<k>" whose user shard has node `owner` as
  /// primary (or, with owned = false, another node).
  std::vector<std::string> users_on(size_t owner, size_t count,
                                    const std::string& prefix,
                                    bool owned = true) {
    std::vector<std::string> out;
    for (size_t k = 0; out.size() < count && k < 100000; ++k) {
      auto id = prefix + "-" + std::to_string(k);
      if ((c().owner_of("mint", id) == owner) == owned)
        out.push_back(id);
    }
    return out;
  }

  /// Links `user`'s account at bank_sim (login = user id) through node
  /// `via`; returns the account id ("" and a failure otherwise) and keeps
  /// the id of its first job in `first_job_`.
  std::string link(size_t via, const std::string& user) {
    json body{{"user_id", user},
              {"account_url", bank_.account_url(user)},
              {"account_login", user},
              {"account_password", "pass-" + user}};
    auto r = send(c().port(via), "POST", api + "account", body.dump());
    EXPECT_EQ(r.status, 201)
        << "link " << user << " through " << c().name(via) << ": " << r.body;
    EXPECT_EQ(r.body.find("pass-"), std::string::npos) << r.body;
    auto j = r.body_json();
    if (r.status != 201 || !j.is_object() || !j["account_id"].is_string() ||
        !j["job_id"].is_string()) {
      ADD_FAILURE() << "link " << user << ": no account_id and job_id in "
                    << r.body;
      return {};
    }
    auto account = j["account_id"].get<std::string>();
    first_job_[account] = j["job_id"].get<std::string>();
    return account;
  }

  /// The jobs of `account` (ids "<shard>-<n>" of its shard whose
  /// account_id is it), asked through node `via`: the shard's job numbers
  /// are scanned until three in a row are unknown.
  std::vector<std::string> jobs_of(size_t via, const std::string& account,
                                   clock_type::time_point deadline) {
    std::vector<std::string> out;
    auto shard = account.substr(0, account.find('-'));
    for (size_t n = 1, misses = 0; misses < 3; ++n) {
      auto id = shard + "-" + std::to_string(n);
      auto r = ask(c().port(via), api + "job?job_id=" + id, deadline);
      if (r.status == 404) {
        ++misses;
        continue;
      }
      misses = 0;
      EXPECT_EQ(r.status, 200) << "job " << id << ": " << r.body;
      if (r.status != 200)
        break;
      if (r.body_json().value("account_id", std::string{}) == account)
        out.push_back(id);
    }
    return out;
  }

  /// Polls job `id` through the nodes of `via` in turn until it is done or
  /// failed, at most until `deadline`; returns its last answer.
  json finished_job(const std::vector<size_t>& via, const std::string& id,
                    clock_type::time_point deadline) {
    json j;
    for (size_t k = 0;; ++k) {
      auto r = ask(c().port(via[k % via.size()]), api + "job?job_id=" + id,
                   deadline);
      j = r.body_json();
      auto status = j.is_object() ? j.value("status", std::string{}) : "";
      if (r.status == 200 && (status == "done" || status == "failed"))
        return j;
      if (clock_type::now() >= deadline) {
        ADD_FAILURE() << "job " << id << " not finished: " << r.status << " "
                      << r.body;
        return j;
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  /// Every transaction of `user` in bank_sim's months, through node `via`
  /// (one GET per month, limit 1000).
  json transactions_of(size_t via, const std::string& user,
                       clock_type::time_point deadline) {
    json all = json::array();
    for (const auto& m : months) {
      auto r = ask(c().port(via),
                   api + "transactions?user_id=" + user + "&month=" + m +
                       "&limit=1000",
                   deadline);
      EXPECT_EQ(r.status, 200)
          << user << " " << m << " through " << c().name(via) << ": " << r.body;
      auto list = r.body_json();
      if (r.status != 200 || !list.is_array())
        continue;
      for (auto& t : list)
        all.push_back(std::move(t));
    }
    return all;
  }

  // -- the reference of imported transactions --------------------------------

  std::string category_of(const txn& t) const {
    if (!t.manual.empty())
      return t.manual;
    auto key = seller_key(t.seller);
    if (auto i = shipped.find(key); i != shipped.end())
      return i->second;
    if (auto i = crowd_.find(key); i != crowd_.end())
      return i->second;
    return "uncategorized";
  }

  /// The API's spending answer of `user` in `month`, from the reference.
  json expected_spending(const std::string& user, const std::string& month) {
    std::array<int64_t, 11> sums{};
    for (const auto& t : imported_[user])
      if (month_of(t.at) == month)
        sums[category_index(category_of(t))] += t.cents;
    std::vector<std::pair<int64_t, size_t>> rows;
    for (size_t i = 0; i < sums.size(); ++i)
      if (sums[i] != 0)
        rows.emplace_back(sums[i], i);
    std::stable_sort(rows.begin(), rows.end(),
                     [](auto& a, auto& b) { return a.first > b.first; });
    json out = json::array();
    for (auto [cents, i] : rows)
      out.push_back(
          {{"category", category_order[i]}, {"amount", money(cents)}});
    return out;
  }

  /// Expects the spending of every user and month of `users` through each
  /// node of `via` to be the reference's (answers that are transient or
  /// not yet as expected are asked again until `deadline`).
  void expect_spending(const std::vector<std::string>& users,
                       const std::vector<size_t>& via,
                       clock_type::time_point deadline,
                       const std::string& when) {
    auto started = clock_type::now();
    size_t asked = 0;
    size_t again = 0;
    for (auto node : via)
      for (const auto& user : users)
        for (const auto& m : months) {
          auto target = api + "spending?user_id=" + user + "&month=" + m;
          auto want = expected_spending(user, m);
          auto r = send(c().port(node), "GET", target);
          ++asked;
          while ((transient(r) || r.body_json() != want) &&
                 clock_type::now() < deadline) {
            ++again;
            std::this_thread::sleep_for(100ms);
            r = send(c().port(node), "GET", target);
          }
          EXPECT_EQ(r.status, 200)
              << when << ": " << user << " " << m << " through "
              << c().name(node) << ": " << r.body;
          EXPECT_EQ(r.body_json(), want) << when << ": " << user << " " << m
                                         << " through " << c().name(node);
          if (HasFailure())
            return;
        }
    std::printf("[ mint ] %s: spending of %zu users x %zu months through %zu "
                "nodes as the reference says (%zu asked, %zu asked again) in "
                "%lld ms\n",
                when.c_str(), users.size(), months.size(), via.size(), asked,
                again, elapsed_ms(started));
  }

  bank_sim bank_;
  std::unique_ptr<cluster> cluster_;
  std::mt19937_64 rng_{20261206};
  /// user -> imported transactions, in the order stored
  std::map<std::string, std::vector<txn>> imported_;
  /// account -> the job of its first pull (as the link answered)
  std::map<std::string, std::string> first_job_;
  /// seller key -> the crowd's category the test expects
  std::map<std::string, std::string> crowd_;
  clock_type::time_point started_;
};

} // namespace

TEST_F(clusterMint, UsersOnEveryNodeReadTheSameThroughEveryNode) {
  const std::vector<size_t> all{0, 1, 2};
  // -- 200 users, spread over shards of every node ---------------------------
  std::vector<std::string> users;
  std::map<size_t, size_t> by_owner;
  for (size_t k = 0; k < 200; ++k) {
    users.push_back("mint-user." + std::to_string(k));
    ++by_owner[c().owner_of("mint", users.back())];
  }
  for (auto i : all)
    ASSERT_GT(by_owner[i], 0u) << c().name(i) << " is primary of no user";

  // Known sellers in several spellings, and sellers the map does not know.
  const std::vector<std::string> sellers{
      "Exxon",          "EXXON",          "Target",
      "target",         "Whole Foods",    "  whole   FOODS ",
      "Starbucks",      "STARBUCKS",      "Corner Bistro",
      "corner  BISTRO", "Lakeside Kiosk", "Zed's Garage"};
  const int64_t from = unix_of(2026, 9, 1);
  const int64_t to = unix_of(2026, 12, 1);
  std::string body = "user_id\ttimestamp\tseller\tamount\n# 200 users\n";
  std::uniform_int_distribution<int64_t> when{from, to - 1};
  std::uniform_int_distribution<int64_t> cents{1, 40000};
  std::uniform_int_distribution<size_t> pick{0, sellers.size() - 1};
  std::vector<std::pair<std::string, txn>> lines;
  for (const auto& u : users) {
    auto n = 8 + rng_() % 13;
    for (size_t k = 0; k < n; ++k) {
      txn t{when(rng_), sellers[pick(rng_)], cents(rng_), {}};
      if (rng_() % 10 == 0)
        t.cents = -t.cents; // a refund
      lines.emplace_back(u, t);
    }
  }
  // Month edges of one user.
  lines.emplace_back(users[0],
                     txn{unix_of(2026, 10, 1) - 1, "Exxon", 1234, {}});
  lines.emplace_back(users[0], txn{unix_of(2026, 10, 1), "Exxon", 4321, {}});
  std::shuffle(lines.begin(), lines.end(), rng_);
  size_t line_no = 2;
  size_t bad_line = 0;
  for (size_t k = 0; k < lines.size(); ++k) {
    const auto& [u, t] = lines[k];
    if (k == lines.size() / 2) { // one bad line amid the good ones
      body += users[1] + "\t2026-10-10T10:00:00Z\tExxon\t1.234\n";
      bad_line = ++line_no;
    }
    auto at = k % 2 == 0 ? std::to_string(t.at) : iso8601(t.at);
    body += u + "\t" + at + "\t" + t.seller + "\t" + money(t.cents) + "\n";
    ++line_no;
    imported_[u].push_back(t);
  }
  auto started = clock_type::now();
  auto r = send(c().port(0), "POST", api + "transactions/import", body, 60s);
  ASSERT_EQ(r.status, 200) << r.body;
  auto answer = r.body_json();
  EXPECT_EQ(answer["imported"], lines.size()) << r.body;
  EXPECT_EQ(answer["rejected_count"], 1) << r.body;
  EXPECT_EQ(answer["rejected"],
            json::parse(R"([{"line":)" + std::to_string(bad_line) +
                        R"(,"reason":"bad_amount"}])"))
      << r.body;
  std::printf("[ mint ] imported %zu transactions of %zu users through n1 in "
              "%lld ms (user shards' primaries: n1 %zu, n2 %zu, n3 %zu "
              "users)\n",
              lines.size(), users.size(), elapsed_ms(started), by_owner[0],
              by_owner[1], by_owner[2]);

  // -- spending and transactions through every node ---------------------------
  expect_spending(users, all, clock_type::now() + 30s, "imported");
  ASSERT_FALSE(HasFailure());
  auto deadline = clock_type::now() + 30s;
  for (size_t k = 0; k < users.size(); ++k) {
    const auto& u = users[k];
    auto via = all[k % all.size()];
    auto got = transactions_of(via, u, deadline);
    ASSERT_EQ(got.size(), imported_[u].size())
        << u << " through " << c().name(via);
    // transaction_id is the n-th transaction stored, in the import's order.
    for (const auto& t : got) {
      auto id = std::stoul(t.value("transaction_id", std::string{"0"}));
      ASSERT_TRUE(id >= 1 && id <= imported_[u].size()) << t.dump();
      const auto& want = imported_[u][id - 1];
      EXPECT_EQ(t["seller"], want.seller) << u << " " << t.dump();
      EXPECT_EQ(t["amount"], money(want.cents)) << u << " " << t.dump();
      EXPECT_EQ(t["created_at"], iso8601(want.at)) << u << " " << t.dump();
      EXPECT_EQ(t["category"], category_of(want)) << u << " " << t.dump();
      EXPECT_EQ(t["manual"], false) << u << " " << t.dump();
    }
  }
  r = send(c().port(2), "GET",
           api + "spending?user_id=nobody-here&month=2026-10");
  EXPECT_EQ(r.status, 404) << r.body;
  ASSERT_FALSE(HasFailure());

  // -- accounts linked through n2, followed through n3 ------------------------
  std::vector<std::string> holders;
  for (size_t k = 0; k < 10; ++k)
    holders.push_back("bank-holder-" + std::to_string(k));
  std::map<std::string, std::string> accounts; // user -> account
  started = clock_type::now();
  for (const auto& u : holders) {
    accounts[u] = link(1, u);
    ASSERT_FALSE(accounts[u].empty());
  }
  deadline = clock_type::now() + 60s;
  std::map<std::string, json> done; // user -> its finished job
  for (const auto& u : holders) {
    const auto& account = accounts[u];
    // Its only job is the one the link named.
    auto jobs = jobs_of(2, account, deadline);
    ASSERT_EQ(jobs, std::vector<std::string>{first_job_[account]})
        << "jobs of " << account << " (" << u << ")";
    done[u] = finished_job({2}, jobs[0], deadline);
  }
  auto pulled_at = elapsed_ms(started);
  // One pull per account (before the test asks bank_sim itself).
  auto served = bank_.stats().value("served", size_t{0});
  EXPECT_EQ(served, holders.size()) << bank_.stats().dump();
  size_t pulled = 0;
  for (const auto& u : holders) {
    const auto& j = done[u];
    auto bank = bank_.transactions(u);
    ASSERT_TRUE(bank.is_array() && !bank.empty()) << u;
    EXPECT_EQ(j.value("status", std::string{}), "done") << j.dump();
    EXPECT_EQ(j.value("account_id", std::string{}), accounts[u]) << j.dump();
    EXPECT_EQ(j.value("transactions", size_t{0}), bank.size()) << j.dump();
    EXPECT_FALSE(j.contains("error")) << j.dump();
    auto got = transactions_of(2, u, deadline);
    EXPECT_EQ(got.size(), bank.size()) << u;
    EXPECT_TRUE(rows_of(got) == rows_of(bank))
        << u << ": the transactions differ from what bank_sim serves";
    pulled += got.size();
  }
  std::printf("[ mint ] %zu accounts linked through n2, pulled (%zu "
              "requests served by bank_sim) and done as seen through n3 in "
              "%lld ms: %zu transactions, as bank_sim serves them\n",
              holders.size(), served, pulled_at, pulled);
  ASSERT_FALSE(HasFailure());

  // -- a manual override re-categorizes other users' transactions -------------
  // The voter and another user of the seller, on shards of other nodes.
  const std::string seller = "corner bistro";
  auto has_seller = [&](const std::string& u) {
    return std::any_of(
        imported_[u].begin(), imported_[u].end(),
        [&](const txn& t) { return seller_key(t.seller) == seller; });
  };
  std::string voter, other;
  for (const auto& u : users)
    if (has_seller(u) && voter.empty())
      voter = u;
    else if (has_seller(u) && !voter.empty() &&
             c().owner_of("mint", u) != c().owner_of("mint", voter)) {
      other = u;
      break;
    }
  ASSERT_FALSE(voter.empty() || other.empty());
  size_t id = 0;
  for (size_t k = 0; k < imported_[voter].size() && id == 0; ++k)
    if (seller_key(imported_[voter][k].seller) == seller)
      id = k + 1;
  started = clock_type::now();
  r = send(c().port(2), "PUT", api + "transaction/category",
           json{{"user_id", voter},
                {"transaction_id", id},
                {"category", "entertainment"}}
               .dump());
  ASSERT_EQ(r.status, 204) << r.body;
  imported_[voter][id - 1].manual = "entertainment";
  crowd_[seller] = "entertainment";
  // Bounded poll: the other user's spending follows within seconds.
  expect_spending({other}, {c().owner_of("mint", other)},
                  clock_type::now() + 30s, "after the override");
  std::printf("[ mint ] override of %s's transaction %zu (%s's shard) "
              "through n3 re-categorized %s's (%s's shard) in %lld ms\n",
              voter.c_str(), id, c().name(c().owner_of("mint", voter)).c_str(),
              other.c_str(), c().name(c().owner_of("mint", other)).c_str(),
              elapsed_ms(started));
  ASSERT_FALSE(HasFailure());
  // The voter's transaction is manual; everyone's spending follows the crowd.
  auto got = transactions_of(0, voter, clock_type::now() + 30s);
  for (const auto& t : got)
    if (t.value("transaction_id", std::string{}) == std::to_string(id)) {
      EXPECT_EQ(t["manual"], true) << t.dump();
      EXPECT_EQ(t["category"], "entertainment") << t.dump();
    } else {
      EXPECT_EQ(t["manual"], false) << t.dump();
    }
  expect_spending(users, all, clock_type::now() + 30s, "after the override");
}

TEST_F(clusterMint, RefreshesSurviveANodeKilledMidPull) {
  const size_t victim = 2;
  const std::vector<size_t> all{0, 1, 2};
  const std::vector<size_t> survivors{0, 1};
  // Accounts on the victim's user shards: pulled once before (refreshed
  // while it is killed), and new (first pulls while it is killed); and a
  // few on the survivors' shards.
  auto old_users = users_on(victim, 6, "old-holder");
  auto new_users = users_on(victim, 10, "new-holder");
  auto side_users = users_on(victim, 4, "side-holder", false);
  std::map<std::string, std::string> accounts; // user -> account
  auto deadline = clock_type::now() + 60s;
  for (const auto& u : old_users) {
    accounts[u] = link(0, u);
    ASSERT_FALSE(accounts[u].empty());
  }
  for (const auto& u : old_users) {
    auto jobs = jobs_of(1, accounts[u], deadline);
    ASSERT_EQ(jobs, std::vector<std::string>{first_job_[accounts[u]]})
        << accounts[u];
    auto j = finished_job({1}, jobs[0], deadline);
    ASSERT_EQ(j.value("status", std::string{}), "done") << j.dump();
  }
  std::printf("[ mint ] %zu accounts on n3's shards pulled once\n",
              old_users.size());

  // -- slow pulls on n3, killed while some run --------------------------------
  bank_.control("delay_ms=1500");
  std::vector<std::string> jobs; // every job started from here on
  std::map<std::string, std::string> job_user;
  for (const auto& u : new_users) {
    accounts[u] = link(0, u);
    ASSERT_FALSE(accounts[u].empty());
  }
  for (const auto& u : old_users) {
    auto r = send(c().port(1), "POST", api + "account/refresh",
                  json{{"account_id", accounts[u]}}.dump());
    ASSERT_EQ(r.status, 202) << r.body;
    auto id = r.body_json().value("job_id", std::string{});
    ASSERT_FALSE(id.empty()) << r.body;
    jobs.push_back(id);
    job_user[id] = u;
  }
  for (const auto& u : side_users) {
    accounts[u] = link(1, u);
    ASSERT_FALSE(accounts[u].empty());
  }
  for (const auto* group : {&new_users, &side_users})
    for (const auto& u : *group) {
      auto id = first_job_[accounts[u]];
      jobs.push_back(id);
      job_user[id] = u;
    }
  // Wait until one of the victim's jobs runs (the statuses of every job
  // at that moment are kept for the log).
  std::map<std::string, size_t> at_kill;
  bool running = eventually(
      [&] {
        at_kill.clear();
        bool seen = false;
        for (const auto& id : jobs) {
          auto r = send(c().port(0), "GET", api + "job?job_id=" + id);
          auto status = r.body_json().value("status", std::string{"?"});
          ++at_kill[status];
          seen = seen || (status == "running" &&
                          c().owner_of("mint", job_user[id]) == victim);
        }
        return seen;
      },
      15s);
  ASSERT_TRUE(running) << "no job of n3's shards ever ran";
  c().node(victim).kill9();
  auto killed_at = clock_type::now();
  bank_.control("delay_ms=0");
  std::string summary;
  for (const auto& [status, n] : at_kill)
    summary += " " + status + " " + std::to_string(n);
  std::printf("[ mint ] n3 killed with jobs running; just before:%s\n",
              summary.c_str());
  ASSERT_TRUE(c().wait_seen(survivors, victim, "down", clock_type::now() + 10s))
      << "n3 not seen down";

  // -- every job ends; every account holds one copy --------------------------
  deadline = clock_type::now() + 60s;
  std::map<std::string, json> finished;
  std::map<std::string, size_t> outcome;
  for (const auto& id : jobs) {
    finished[id] = finished_job(survivors, id, deadline);
    ++outcome[finished[id].value("status", std::string{"?"})];
  }
  summary.clear();
  for (const auto& [status, n] : outcome)
    summary += " " + status + " " + std::to_string(n);
  std::printf("[ mint ] every job ended %lld ms after the kill:%s "
              "(bank_sim served %zu pulls for %zu jobs)\n",
              elapsed_ms(killed_at), summary.c_str(),
              bank_.stats().value("served", size_t{0}),
              old_users.size() + jobs.size());
  ASSERT_FALSE(HasFailure());

  /// Per user: the count of transactions read and of those the done jobs
  /// added, checked against bank_sim's data.
  std::map<std::string, json> bank;
  for (const auto& [u, account] : accounts)
    bank[u] = bank_.transactions(u);
  auto check_accounts = [&](const std::vector<size_t>& via,
                            const std::string& when) {
    auto started = clock_type::now();
    size_t total = 0;
    size_t k = 0;
    for (const auto& [u, account] : accounts) {
      auto node = via[k++ % via.size()];
      auto got = transactions_of(node, u, clock_type::now() + 60s);
      // Everything the done jobs of the account added, counted once.
      size_t added = 0;
      bool done = false;
      for (const auto& id : jobs_of(node, account, clock_type::now() + 60s)) {
        auto r = ask(c().port(node), api + "job?job_id=" + id,
                     clock_type::now() + 30s);
        auto j = r.body_json();
        EXPECT_EQ(r.status, 200) << r.body;
        if (j.value("status", std::string{}) == "done") {
          done = true;
          added += j.value("transactions", size_t{0});
        }
      }
      EXPECT_TRUE(done || got.empty())
          << when << ": " << u << " has transactions but no done job";
      EXPECT_EQ(got.size(), added)
          << when << ": " << u << " (" << account
          << "): transactions read vs added by its done jobs";
      if (done) {
        EXPECT_EQ(got.size(), bank[u].size())
            << when << ": " << u << " through " << c().name(node);
        EXPECT_TRUE(rows_of(got) == rows_of(bank[u]))
            << when << ": " << u << " through " << c().name(node)
            << ": not one copy of what bank_sim serves";
      }
      total += got.size();
    }
    std::printf("[ mint ] %s: %zu accounts hold %zu transactions, one copy "
                "of bank_sim's each, read in %lld ms\n",
                when.c_str(), accounts.size(), total, elapsed_ms(started));
  };
  check_accounts(survivors, "with n3 killed");
  // The refreshes of pulled accounts found nothing new.
  for (const auto& u : old_users) {
    for (const auto& [id, j] : finished) {
      if (job_user[id] == u && j.value("status", std::string{}) == "done") {
        EXPECT_EQ(j.value("transactions", size_t{99}), 0u) << j.dump();
      }
    }
  }
  ASSERT_FALSE(HasFailure());

  // -- n3 back ----------------------------------------------------------------
  ASSERT_TRUE(c().node(victim).restart()); // same ports, same data dir
  auto back_deadline = clock_type::now() + 30s;
  ASSERT_TRUE(c().wait_seen(all, victim, "up", back_deadline));
  for (auto i : survivors)
    ASSERT_TRUE(c().wait_seen({victim}, i, "up", back_deadline)) << c().name(i);
  ASSERT_TRUE(c().wait_preferred(0));
  for (const auto& id : jobs) {
    auto r = ask(c().port(victim), api + "job?job_id=" + id,
                 clock_type::now() + 30s);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body_json(), finished[id]) << "job " << id << " through n3";
  }
  check_accounts({victim}, "after n3 came back");
}
