// Mint on a real node (real actors, real LMDB, four user shards and two
// seller shards) with a clock the test moves, talked to by the messages of
// messages.hpp: imported transactions read back as the API renders them,
// everything the same after a restart (no notification sent twice, ids
// going on), the crowd's seller categories reaching every user shard (ties
// to the earliest vote, manual categories kept, votes and categories
// surviving a restart), the daily refresh of active users' accounts, the
// key sealing passwords, bad inputs storing nothing, and pulled
// transactions counted once per institution id.

#include "troupe/mint/service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "../../runtime/test_node.hpp"
#include "troupe/mint/crypto.hpp"
#include "troupe/mint/messages.hpp"
#include "troupe/mint/records.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_map.hpp"
#include "troupe/services.hpp"
#include "troupe/timestamp.hpp"

using namespace troupe;
using namespace troupe::mint;
using namespace std::chrono_literals;
using troupe::test::ask;

namespace {

constexpr size_t user_shards = 4;
constexpr size_t seller_shards = 2;
/// 2026-12-06T09:30:00Z.
constexpr int64_t start_time = 1796549400;
/// 2026-11-15T12:00:00Z.
constexpr int64_t mid_november = 1794744000;
constexpr int64_t day_secs = 86400;
constexpr int32_t december = 202612;
constexpr int32_t november = 202611;
/// A loopback URL: refused by the default host policy (public addresses
/// only), so a pull of it fails at once as `unreachable`.
constexpr const char* loopback_url = "http://127.0.0.1:9/";

/// Small shards; no daily refresh within a test.
config::node_config quick_config() {
  auto cfg = test::test_node::small_config();
  cfg.mint.shards = user_shards;
  cfg.mint.seller_shards = seller_shards;
  cfg.mint.refresh_check_interval = std::chrono::hours(1);
  cfg.mint.extract_workers = 4;
  return cfg;
}

/// Checks for due refreshes every 50 ms; institutions at 127.0.0.1 are
/// allowed, and a pull fails after its first try.
config::node_config scheduler_config() {
  auto cfg = quick_config();
  cfg.mint.refresh_check_interval = 50ms;
  cfg.mint.institution_hosts = {"127.0.0.1"};
  cfg.mint.extract_attempts = 1;
  return cfg;
}

/// Institutions at 127.0.0.1 are allowed; after a failed first try a
/// worker waits an hour (longer than any test) before the next.
config::node_config extraction_config() {
  auto cfg = quick_config();
  cfg.mint.institution_hosts = {"127.0.0.1"};
  cfg.mint.extract_attempts = 4;
  cfg.mint.extract_retry = std::chrono::hours(1);
  return cfg;
}

runtime::errc code_of(const caf::error& err) {
  return static_cast<runtime::errc>(err.code());
}

/// The reply, or a text naming the error (so EXPECT_EQ shows it).
std::string text_of(const caf::expected<std::string>& r) {
  return r ? *r : "error: " + to_string(r.error());
}

/// Waits (at most 1000 polls and `limit`) until `pred()` holds.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (int i = 0; i < 1000; ++i) {
    if (pred())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

/// The value of a top-level field of a flat JSON object ("" if absent).
std::string json_field(const std::string& json, const std::string& name) {
  auto key = "\"" + name + "\":";
  auto i = json.find(key);
  if (i == std::string::npos)
    return {};
  i += key.size();
  if (i < json.size() && json[i] == '"') {
    auto end = json.find('"', i + 1);
    return json.substr(i + 1, end - i - 1);
  }
  return json.substr(i, json.find_first_of(",}", i) - i);
}

/// Returns the shard index an account or job id names.
uint16_t shard_in(const std::string& id) {
  return static_cast<uint16_t>(std::stoul(id.substr(0, id.find('-'))));
}

std::string id_on(uint16_t shard, int n) {
  return std::to_string(shard) + "-" + std::to_string(n);
}

/// Returns `prefix` + k for the first k whose user lives on shard `idx`.
std::string user_on_shard(const std::string& prefix, uint16_t idx) {
  for (int k = 0;; ++k) {
    auto user = prefix + std::to_string(k);
    if (runtime::shard_of(user, user_shards) == idx)
      return user;
  }
}

/// One user per user shard (index = shard).
std::vector<std::string> user_per_shard(const std::string& prefix) {
  std::vector<std::string> users;
  for (uint16_t idx = 0; idx < user_shards; ++idx)
    users.push_back(user_on_shard(prefix, idx));
  return users;
}

txn_entry txn(const std::string& user, int64_t at, const std::string& seller,
              int64_t cents) {
  txn_entry t;
  t.user = user;
  t.created_at = at;
  t.seller = seller;
  t.cents = cents;
  return t;
}

/// A transaction as an institution reports it for `account`.
txn_entry pulled(const std::string& account, const std::string& ext_id,
                 int64_t at, const std::string& seller, int64_t cents) {
  auto t = txn("mallory", at, seller, cents); // the user is the account's
  t.account = account;
  t.ext_id = ext_id;
  return t;
}

// -- the API's JSON, written independently of render.cpp ---------------------

const std::vector<std::string> budget_names = {
    "housing",  "food",      "groceries", "gas",           "transport",
    "shopping", "utilities", "health",    "entertainment", "travel"};

/// The template's per mille of the income, in the order above.
const std::vector<int64_t> template_share = {300, 100, 100, 50, 50,
                                             100, 50,  50,  50, 50};

std::string money(int64_t cents) {
  auto mag = cents < 0 ? -cents : cents;
  auto frac = std::to_string(mag % 100);
  return (cents < 0 ? "-" : "") + std::to_string(mag / 100) + "." +
         (frac.size() < 2 ? "0" : "") + frac;
}

std::string txn_json(int id, int64_t at, const std::string& seller,
                     int64_t cents, const std::string& category,
                     bool manual = false) {
  return "{\"transaction_id\":\"" + std::to_string(id) +
         "\",\"created_at\":\"" + format_iso8601(at) + "\",\"seller\":\"" +
         seller + "\",\"amount\":\"" + money(cents) + "\",\"category\":\"" +
         category + "\",\"manual\":" + (manual ? "true" : "false") + "}";
}

std::string list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items)
    out += (out.size() > 1 ? "," : "") + item;
  return out + "]";
}

/// The spending list of `(category, cents)` amounts (summed per category,
/// zero sums left out, largest first, equal ones in category order).
std::string
spending_json(const std::vector<std::pair<std::string, int64_t>>& amounts) {
  auto order = budget_names;
  order.push_back("uncategorized");
  std::vector<std::pair<std::string, int64_t>> rows;
  for (const auto& c : order) {
    int64_t sum = 0;
    for (const auto& [name, cents] : amounts)
      sum += name == c ? cents : 0;
    if (sum != 0)
      rows.emplace_back(c, sum);
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](auto& a, auto& b) { return a.second > b.second; });
  std::vector<std::string> items;
  for (const auto& [c, cents] : rows)
    items.push_back("{\"category\":\"" + c + "\",\"amount\":\"" + money(cents) +
                    "\"}");
  return list(items);
}

/// The budget list for an income, the user's own budgets and the spending.
std::string budget_json(int64_t income,
                        const std::map<std::string, int64_t>& own,
                        const std::map<std::string, int64_t>& spent) {
  std::vector<std::string> items;
  for (size_t i = 0; i < budget_names.size(); ++i) {
    const auto& c = budget_names[i];
    auto mine = own.find(c);
    auto budget =
        mine != own.end() ? mine->second : income * template_share[i] / 1000;
    auto s = spent.find(c);
    items.push_back(
        "{\"category\":\"" + c + "\",\"budget\":\"" + money(budget) +
        "\",\"spent\":\"" + money(s == spent.end() ? 0 : s->second) +
        "\",\"source\":\"" + (mine != own.end() ? "user" : "template") + "\"}");
  }
  return list(items);
}

std::string note_json(int64_t at, const std::string& category,
                      const std::string& kind, int64_t spent, int64_t budget,
                      const std::string& month) {
  return "{\"created_at\":\"" + format_iso8601(at) + "\",\"category\":\"" +
         category + "\",\"kind\":\"" + kind + "\",\"spent\":\"" + money(spent) +
         "\",\"budget\":\"" + money(budget) + "\",\"month\":\"" + month + "\"}";
}

// -- the fixture --------------------------------------------------------------

struct mint_fixture : ::testing::Test {
  explicit mint_fixture(config::node_config cfg)
      : node(std::move(cfg), services::register_types) {
    // nop
  }

  ~mint_fixture() override { ::unsetenv("TROUPE_MINT_KEY"); }

  /// Starts Mint with `k` in TROUPE_MINT_KEY (unset without one) and waits
  /// until every shard has loaded; returns mint::start's error ("" when it
  /// started).
  std::string try_start(const std::optional<secret_key>& k) {
    if (k)
      ::setenv("TROUPE_MINT_KEY", k->to_hex().c_str(), 1);
    else
      ::unsetenv("TROUPE_MINT_KEY");
    std::string error;
    auto started = mint::start(*node, error, [c = clock] { return c->load(); });
    ::unsetenv("TROUPE_MINT_KEY");
    if (!started)
      return error.empty() ? "(refused without an error)" : error;
    EXPECT_EQ(error, "");
    svc = std::move(*started);
    wait_ready();
    return {};
  }

  /// Every user shard answers a job query, every seller shard a vote on a
  /// seller of the shipped map (which stores nothing).
  void wait_ready() {
    for (uint16_t idx = 0; idx < user_shards; ++idx) {
      auto r = at_shard<std::string>(
          idx, caf::make_message(job_atom::value, id_on(idx, 0)));
      ASSERT_FALSE(r);
      EXPECT_EQ(code_of(r.error()), runtime::errc::not_found);
    }
    for (uint16_t idx = 0; idx < seller_shards; ++idx) {
      auto r = ask<ok_atom>(
          *node, svc.sellers, runtime::to_shard_atom::value, idx,
          caf::make_message(vote_atom::value, std::string{"starbucks"},
                            std::string{"ready/1"}, std::string{"food"}));
      ASSERT_TRUE(r) << "seller shard " << idx << ": " << to_string(r.error());
    }
  }

  /// Stops the node, starts a new one on the same data dir and Mint on it.
  void restart() {
    svc = mint::service{};
    node.restart();
    ASSERT_EQ(try_start(key), "");
  }

  template <class T>
  caf::expected<T> at_shard(uint16_t idx, caf::message msg) {
    return ask<T>(*node, svc.region, runtime::to_shard_atom::value, idx,
                  std::move(msg));
  }

  /// Sends one batch per user shard, as the import route does; returns the
  /// sum of the shards' answers.
  uint64_t import(const std::vector<txn_entry>& txns) {
    std::vector<txn_batch> batches(user_shards);
    for (const auto& t : txns)
      batches[runtime::shard_of(t.user, user_shards)].txns.push_back(t);
    uint64_t stored = 0;
    for (uint16_t idx = 0; idx < user_shards; ++idx) {
      if (batches[idx].txns.empty())
        continue;
      auto n = at_shard<uint64_t>(
          idx, caf::make_message(import_atom::value,
                                 persistence::encode(batches[idx])));
      EXPECT_TRUE(n) << "shard " << idx << ": " << to_string(n.error());
      if (n)
        stored += *n;
    }
    return stored;
  }

  caf::expected<std::string> try_txns(const std::string& user,
                                      int32_t month = december,
                                      uint32_t limit = 100) {
    return ask<std::string>(*node, svc.route(user), txns_atom::value, user,
                            month, limit);
  }

  std::string txns(const std::string& user, int32_t month = december,
                   uint32_t limit = 100) {
    return text_of(try_txns(user, month, limit));
  }

  caf::expected<std::string> try_spending(const std::string& user,
                                          int32_t month = december) {
    return ask<std::string>(*node, svc.route(user), spend_atom::value, user,
                            month);
  }

  std::string spending(const std::string& user, int32_t month = december) {
    return text_of(try_spending(user, month));
  }

  caf::expected<std::string> try_budget(const std::string& user,
                                        int32_t month = december) {
    return ask<std::string>(*node, svc.route(user), budget_get_atom::value,
                            user, month);
  }

  std::string budget(const std::string& user, int32_t month = december) {
    return text_of(try_budget(user, month));
  }

  caf::expected<std::string> try_notes(const std::string& user,
                                       uint32_t limit = 20) {
    return ask<std::string>(*node, svc.route(user), notes_atom::value, user,
                            limit);
  }

  std::string notes(const std::string& user, uint32_t limit = 20) {
    return text_of(try_notes(user, limit));
  }

  /// A manual category; answers the seller key to vote for.
  caf::expected<std::string> set_category(const std::string& user, uint32_t id,
                                          const std::string& category) {
    return ask<std::string>(*node, svc.route(user), set_category_atom::value,
                            user, id, category);
  }

  /// A manual category and its vote, as the API route sends them.
  void override_and_vote(const std::string& user, uint32_t id,
                         const std::string& category,
                         const std::string& expected_key = "joe's diner") {
    auto key = set_category(user, id, category);
    ASSERT_TRUE(key) << to_string(key.error());
    ASSERT_EQ(*key, expected_key);
    auto voted = vote(*key, user + "/" + std::to_string(id), category);
    ASSERT_TRUE(voted) << to_string(voted.error());
  }

  caf::expected<ok_atom> vote(const std::string& key, const std::string& voter,
                              const std::string& category) {
    return ask<ok_atom>(*node, svc.sellers, vote_atom::value, key, voter,
                        category);
  }

  caf::expected<ok_atom> income(const std::string& user, int64_t cents) {
    return ask<ok_atom>(*node, svc.route(user), income_atom::value, user,
                        cents);
  }

  caf::expected<ok_atom> set_budget(const std::string& user,
                                    const std::string& category,
                                    int64_t cents) {
    return ask<ok_atom>(*node, svc.route(user), budget_set_atom::value, user,
                        category, cents);
  }

  /// Links an account; answers its id and sets `linked_job` to the id of
  /// its first job.
  caf::expected<std::string> link(const std::string& user,
                                  const std::string& url,
                                  const std::string& password = "hunter2") {
    caf::scoped_actor self{node->system()};
    caf::expected<std::string> result{caf::sec::none};
    linked_job.clear();
    self->request(svc.route(user), caf::infinite, link_atom::value, user, url,
                  std::string{"login-" + user}, seal(key, password, user))
        .receive(
            [&](std::string& account, std::string& job) {
              result = std::move(account);
              linked_job = std::move(job);
            },
            [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  caf::expected<std::string> try_job(const std::string& id) {
    return at_shard<std::string>(shard_in(id),
                                 caf::make_message(job_atom::value, id));
  }

  std::string job(const std::string& id) { return text_of(try_job(id)); }

  /// Waits until job `id` exists and has finished; returns its JSON.
  std::string finished_job(const std::string& id) {
    std::string last;
    eventually([&] {
      last = job(id);
      auto status = json_field(last, "status");
      return status == "done" || status == "failed";
    });
    return last;
  }

  caf::expected<std::string> refresh(const std::string& account) {
    return at_shard<std::string>(
        shard_in(account), caf::make_message(refresh_atom::value, account));
  }

  caf::expected<ok_atom> extracted(const std::string& job_id,
                                   const std::string& bytes) {
    return at_shard<ok_atom>(
        shard_in(job_id),
        caf::make_message(extracted_atom::value, job_id, bytes));
  }

  void set_clock(int64_t t) { clock->store(t); }
  int64_t now() const { return clock->load(); }

  std::shared_ptr<std::atomic<int64_t>> clock =
      std::make_shared<std::atomic<int64_t>>(start_time);
  secret_key key = secret_key::random();
  /// The first job of the account `link` made last.
  std::string linked_job;
  test::test_node node;
  mint::service svc;
};

struct MintService : mint_fixture {
  MintService() : mint_fixture(quick_config()) {
    // nop
  }

  void SetUp() override { ASSERT_EQ(try_start(key), ""); }
};

struct MintServiceScheduler : mint_fixture {
  MintServiceScheduler() : mint_fixture(scheduler_config()) {
    // nop
  }

  void SetUp() override { ASSERT_EQ(try_start(key), ""); }
};

struct MintServiceExtraction : mint_fixture {
  MintServiceExtraction() : mint_fixture(extraction_config()) {
    // nop
  }

  void SetUp() override { ASSERT_EQ(try_start(key), ""); }
};

/// Starts Mint only when a test asks.
struct MintServiceKey : mint_fixture {
  MintServiceKey() : mint_fixture(quick_config()) {
    // nop
  }

  std::string key_check_path() {
    return node->config().self_entry().data_dir + "/mint-key.check";
  }
};

} // namespace

// -- 1. import, then read
// ------------------------------------------------------

TEST_F(MintService, imported_transactions_read_back_as_the_api_renders_them) {
  const auto t = start_time;
  EXPECT_EQ(import({txn("alice", t - 3600, "Whole Foods", 5210),
                    txn("alice", t - 7200, "Shell", 4000),
                    txn("alice", t - 60, "Joe's Diner", 1250),
                    txn("alice", t - 30, "whole  FOODS", -310),
                    txn("alice", mid_november, "Amazon", 2000),
                    txn("bob", t - 10, "Starbucks", 475)}),
            6u);
  // Newest first; ids in the order stored; the refund matches its seller
  // in another spelling.
  EXPECT_EQ(
      txns("alice"),
      "[{\"transaction_id\":\"4\",\"created_at\":\"2026-12-06T09:29:30Z\","
      "\"seller\":\"whole  FOODS\",\"amount\":\"-3.10\","
      "\"category\":\"groceries\",\"manual\":false},"
      "{\"transaction_id\":\"3\",\"created_at\":\"2026-12-06T09:29:00Z\","
      "\"seller\":\"Joe's Diner\",\"amount\":\"12.50\","
      "\"category\":\"uncategorized\",\"manual\":false},"
      "{\"transaction_id\":\"1\",\"created_at\":\"2026-12-06T08:30:00Z\","
      "\"seller\":\"Whole Foods\",\"amount\":\"52.10\","
      "\"category\":\"groceries\",\"manual\":false},"
      "{\"transaction_id\":\"2\",\"created_at\":\"2026-12-06T07:30:00Z\","
      "\"seller\":\"Shell\",\"amount\":\"40.00\","
      "\"category\":\"gas\",\"manual\":false}]");
  EXPECT_EQ(txns("alice", december, 2),
            list({txn_json(4, t - 30, "whole  FOODS", -310, "groceries"),
                  txn_json(3, t - 60, "Joe's Diner", 1250, "uncategorized")}));
  EXPECT_EQ(
      txns("alice", november),
      "[{\"transaction_id\":\"5\",\"created_at\":\"2026-11-15T12:00:00Z\","
      "\"seller\":\"Amazon\",\"amount\":\"20.00\","
      "\"category\":\"shopping\",\"manual\":false}]");
  EXPECT_EQ(txns("alice", 202610), "[]");
  EXPECT_EQ(txns("bob"), list({txn_json(1, t - 10, "Starbucks", 475, "food")}));

  EXPECT_EQ(spending("alice"),
            "[{\"category\":\"groceries\",\"amount\":\"49.00\"},"
            "{\"category\":\"gas\",\"amount\":\"40.00\"},"
            "{\"category\":\"uncategorized\",\"amount\":\"12.50\"}]");
  EXPECT_EQ(spending("alice", november),
            "[{\"category\":\"shopping\",\"amount\":\"20.00\"}]");
  EXPECT_EQ(spending("alice", 202610), "[]");

  // Without an income the template budgets 0.00 (and notifies nothing).
  EXPECT_EQ(
      budget("alice"),
      "[{\"category\":\"housing\",\"budget\":\"0.00\",\"spent\":\"0.00\","
      "\"source\":\"template\"},"
      "{\"category\":\"food\",\"budget\":\"0.00\",\"spent\":\"0.00\","
      "\"source\":\"template\"},"
      "{\"category\":\"groceries\",\"budget\":\"0.00\",\"spent\":"
      "\"49.00\",\"source\":\"template\"},"
      "{\"category\":\"gas\",\"budget\":\"0.00\",\"spent\":\"40.00\","
      "\"source\":\"template\"},"
      "{\"category\":\"transport\",\"budget\":\"0.00\",\"spent\":\"0.00\","
      "\"source\":\"template\"},"
      "{\"category\":\"shopping\",\"budget\":\"0.00\",\"spent\":\"0.00\","
      "\"source\":\"template\"},"
      "{\"category\":\"utilities\",\"budget\":\"0.00\",\"spent\":\"0.00\","
      "\"source\":\"template\"},"
      "{\"category\":\"health\",\"budget\":\"0.00\",\"spent\":\"0.00\","
      "\"source\":\"template\"},"
      "{\"category\":\"entertainment\",\"budget\":\"0.00\",\"spent\":"
      "\"0.00\",\"source\":\"template\"},"
      "{\"category\":\"travel\",\"budget\":\"0.00\",\"spent\":\"0.00\","
      "\"source\":\"template\"}]");
  EXPECT_EQ(budget("alice", november),
            budget_json(0, {}, {{"shopping", 2000}}));
  EXPECT_EQ(notes("alice"), "[]");

  // An income: the template's shares; gas at 40 % of its 100.00.
  ASSERT_TRUE(income("alice", 200000));
  EXPECT_EQ(budget("alice"),
            budget_json(200000, {}, {{"groceries", 4900}, {"gas", 4000}}));
  EXPECT_EQ(notes("alice"), "[]");
  // The user's own gas budget: 40.00 of 45.00 is over 80 %.
  ASSERT_TRUE(set_budget("alice", "gas", 4500));
  EXPECT_EQ(budget("alice"), budget_json(200000, {{"gas", 4500}},
                                         {{"groceries", 4900}, {"gas", 4000}}));
  EXPECT_EQ(notes("alice"),
            "[{\"created_at\":\"2026-12-06T09:30:00Z\",\"category\":\"gas\","
            "\"kind\":\"approaching\",\"spent\":\"40.00\",\"budget\":\"45.00\","
            "\"month\":\"2026-12\"}]");
  // A minute later a transaction takes gas above its budget.
  set_clock(t + 60);
  EXPECT_EQ(import({txn("alice", t + 30, "SHELL", 1000)}), 1u);
  auto both = list({note_json(t + 60, "gas", "exceeded", 5000, 4500, "2026-12"),
                    note_json(t, "gas", "approaching", 4000, 4500, "2026-12")});
  EXPECT_EQ(notes("alice"), both);
  EXPECT_EQ(notes("alice", 1), list({note_json(t + 60, "gas", "exceeded", 5000,
                                               4500, "2026-12")}));
  // Once per category, kind and month; budgets of 0.00 notify nothing.
  set_clock(t + 120);
  EXPECT_EQ(import({txn("alice", t + 90, "Shell", 500)}), 1u);
  ASSERT_TRUE(set_budget("alice", "gas", 4000));
  ASSERT_TRUE(set_budget("alice", "groceries", 0));
  EXPECT_EQ(notes("alice"), both);
  EXPECT_EQ(spending("alice"),
            spending_json(
                {{"groceries", 4900}, {"gas", 5500}, {"uncategorized", 1250}}));
  EXPECT_EQ(svc.board->notifications.load(), 2u);

  // Unknown users are not found, and reading them creates nothing.
  for (int round = 0; round < 2; ++round) {
    for (auto r : {try_txns("nobody"), try_spending("nobody"),
                   try_budget("nobody"), try_notes("nobody")}) {
      ASSERT_FALSE(r) << *r;
      EXPECT_EQ(code_of(r.error()), runtime::errc::not_found);
    }
  }
  // An income alone makes a user.
  ASSERT_TRUE(income("carol", 100000));
  EXPECT_EQ(txns("carol"), "[]");
  EXPECT_EQ(spending("carol"), "[]");
  EXPECT_EQ(budget("carol"), budget_json(100000, {}, {}));
  EXPECT_EQ(notes("carol"), "[]");
}

// -- 2. restart
// ----------------------------------------------------------------

TEST_F(MintService, everything_reads_the_same_after_a_restart) {
  const auto t = start_time;
  auto users = user_per_shard("r");
  std::vector<txn_entry> lines;
  for (const auto& u : users) {
    lines.push_back(txn(u, t - 500, "Whole Foods", 3000));
    lines.push_back(txn(u, t - 400, "Shell", 4000));
    lines.push_back(txn(u, t - 300, "Joe's Diner", 1200));
    lines.push_back(txn(u, t - 200, "Starbucks", 650));
    lines.push_back(txn(u, mid_november, "Amazon", 2500));
  }
  EXPECT_EQ(import(lines), lines.size());
  // A crowd category (from user 0's override) on every shard.
  override_and_vote(users[0], 3, "food");
  ASSERT_TRUE(eventually([&] {
    for (size_t i = 1; i < users.size(); ++i)
      if (txns(users[i]).find("\"Joe's Diner\",\"amount\":\"12.00\","
                              "\"category\":\"food\"") == std::string::npos)
        return false;
    return true;
  })) << txns(users[1]);
  // A manual category of a seller the shipped map knows (no vote).
  auto none = set_category(users[2], 4, "entertainment");
  ASSERT_TRUE(none) << to_string(none.error());
  EXPECT_EQ(*none, "");
  // Incomes, budgets and notifications.
  ASSERT_TRUE(income(users[1], 100000)); // gas 50.00: 40.00 is 80 %
  ASSERT_TRUE(set_budget(users[3], "groceries", 2500));
  set_clock(t + 60);
  EXPECT_EQ(import({txn(users[1], t + 30, "Shell", 1500)}), 1u);
  ASSERT_TRUE(set_budget(users[2], "food", 1500)); // 12.00 of 15.00
  EXPECT_EQ(notes(users[1]),
            list({note_json(t + 60, "gas", "exceeded", 5500, 5000, "2026-12"),
                  note_json(t, "gas", "approaching", 4000, 5000, "2026-12")}));
  EXPECT_EQ(
      notes(users[3]),
      list({note_json(t, "groceries", "exceeded", 3000, 2500, "2026-12"),
            note_json(t, "groceries", "approaching", 3000, 2500, "2026-12")}));
  EXPECT_EQ(notes(users[2]), list({note_json(t + 60, "food", "approaching",
                                             1200, 1500, "2026-12")}));
  // A linked account whose first pull failed.
  auto account = link(users[0], loopback_url);
  ASSERT_TRUE(account) << to_string(account.error());
  EXPECT_EQ(*account, id_on(0, 1));
  EXPECT_EQ(linked_job, id_on(0, 1));
  auto job_before = finished_job(id_on(0, 1));
  EXPECT_EQ(json_field(job_before, "status"), "failed") << job_before;
  EXPECT_EQ(json_field(job_before, "error"), "unreachable") << job_before;
  EXPECT_EQ(json_field(job_before, "account_id"), *account) << job_before;

  auto snapshot = [&] {
    std::vector<std::string> all;
    for (const auto& u : users)
      for (auto s :
           {txns(u), txns(u, november), spending(u), spending(u, november),
            budget(u), budget(u, november), notes(u)})
        all.push_back(s);
    all.push_back(job(id_on(0, 1)));
    return all;
  };
  auto before = snapshot();
  EXPECT_EQ(svc.board->notifications.load(), 5u);

  restart();
  set_clock(t + 120);
  auto after = snapshot();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(after[i], before[i]) << "item " << i;
  // Nothing notified again: not on loading, nor for spending further.
  EXPECT_EQ(svc.board->notifications.load(), 0u);
  EXPECT_EQ(import({txn(users[1], t + 100, "Shell", 100),
                    txn(users[3], t + 100, "Whole Foods", 100)}),
            2u);
  ASSERT_TRUE(income(users[1], 100000));
  ASSERT_TRUE(set_budget(users[3], "groceries", 2500));
  EXPECT_EQ(notes(users[1]), before[1 * 7 + 6]);
  EXPECT_EQ(notes(users[3]), before[3 * 7 + 6]);
  EXPECT_EQ(svc.board->notifications.load(), 0u);
  // Ids go on: transactions, accounts and jobs; the crowd's category
  // applies to new transactions.
  EXPECT_EQ(import({txn(users[2], t + 110, "joe's   DINER", 800)}), 1u);
  EXPECT_EQ(txns(users[2], december, 1),
            list({txn_json(6, t + 110, "joe's   DINER", 800, "food")}));
  EXPECT_EQ(txns(users[1], december, 1),
            list({txn_json(7, t + 100, "Shell", 100, "gas")}));
  auto job2 = refresh(*account);
  ASSERT_TRUE(job2) << to_string(job2.error());
  EXPECT_EQ(*job2, id_on(0, 2));
  auto account2 = link(users[0], loopback_url);
  ASSERT_TRUE(account2) << to_string(account2.error());
  EXPECT_EQ(*account2, id_on(0, 2));
  EXPECT_EQ(linked_job, id_on(0, 3));
  EXPECT_EQ(json_field(finished_job(id_on(0, 3)), "account_id"), *account2);
  EXPECT_EQ(job(id_on(0, 1)), before.back());
}

// -- 3. the crowd's categories
// ---------------------------------------------------

TEST_F(MintService, crowd_categories_reach_every_user_shard) {
  const auto t = start_time;
  auto users = user_per_shard("c");
  std::vector<txn_entry> lines;
  for (const auto& u : users) {
    lines.push_back(txn(u, t - 300, "Joe's Diner", 1000));
    lines.push_back(txn(u, t - 200, "JOE'S  diner", 700));
    lines.push_back(txn(u, t - 100, "Starbucks", 300));
  }
  EXPECT_EQ(import(lines), lines.size());

  /// What the users should read: the category of each one's first (and
  /// whether set by hand) and second Joe's Diner transaction.
  struct view {
    std::string first;
    bool manual;
    std::string second;
  };
  auto expected_txns = [&](const view& v) {
    return list({txn_json(3, t - 100, "Starbucks", 300, "food"),
                 txn_json(2, t - 200, "JOE'S  diner", 700, v.second),
                 txn_json(1, t - 300, "Joe's Diner", 1000, v.first, v.manual)});
  };
  auto expected_spending = [&](const view& v) {
    return spending_json({{"food", 300}, {v.first, 1000}, {v.second, 700}});
  };
  std::vector<view> want(users.size(),
                         view{"uncategorized", false, "uncategorized"});
  auto converge = [&](const char* step) {
    std::string got;
    auto ok = eventually([&] {
      for (size_t i = 0; i < users.size(); ++i) {
        got = users[i] + ": " + txns(users[i]) + " " + spending(users[i]);
        if (txns(users[i]) != expected_txns(want[i]) ||
            spending(users[i]) != expected_spending(want[i]))
          return false;
      }
      return true;
    });
    EXPECT_TRUE(ok) << step << ": last read " << got;
    return ok;
  };
  ASSERT_TRUE(converge("before any vote"));

  // A: user 0 sets travel by hand, the seller's only vote.
  override_and_vote(users[0], 1, "travel");
  want[0] = {"travel", true, "travel"};
  for (size_t i = 1; i < users.size(); ++i)
    want[i] = {"travel", false, "travel"};
  ASSERT_TRUE(converge("travel, 1 vote"));

  // B: user 2 votes health: a tie, the earliest vote (travel) stays.
  // C: user 3 votes health too: health wins on every shard; manual
  // categories stay.
  override_and_vote(users[2], 1, "health");
  override_and_vote(users[3], 1, "health");
  want[0] = {"travel", true, "health"};
  want[1] = {"health", false, "health"};
  want[2] = {"health", true, "health"};
  want[3] = {"health", true, "health"};
  ASSERT_TRUE(converge("health, 2 votes to 1"));

  // D: user 3 moves its vote to food: travel, health and food have one
  // vote each; the earliest (travel, not the latest or the first by name)
  // wins.
  override_and_vote(users[3], 1, "food");
  want[0].second = "travel";
  want[1] = {"travel", false, "travel"};
  want[2].second = "travel";
  want[3] = {"food", true, "travel"};
  ASSERT_TRUE(converge("travel, the earliest of a three-way tie"));

  // The crowd's category and the votes survive a restart.
  restart();
  ASSERT_TRUE(converge("after a restart"));
  EXPECT_EQ(import({txn(users[1], t - 50, " joe's diner ", 400)}), 1u);
  EXPECT_EQ(txns(users[1], december, 1),
            list({txn_json(4, t - 50, " joe's diner ", 400, "travel")}));
  // E1: user 1 votes shopping: a four-way tie, travel stays. E2: user 2
  // moves its vote to food: food has two (with user 3's from before the
  // restart) and wins; without the old votes shopping would.
  override_and_vote(users[1], 1, "shopping");
  override_and_vote(users[2], 1, "food");
  auto user0 =
      list({txn_json(3, t - 100, "Starbucks", 300, "food"),
            txn_json(2, t - 200, "JOE'S  diner", 700, "food"),
            txn_json(1, t - 300, "Joe's Diner", 1000, "travel", true)});
  auto user1 =
      list({txn_json(4, t - 50, " joe's diner ", 400, "food"),
            txn_json(3, t - 100, "Starbucks", 300, "food"),
            txn_json(2, t - 200, "JOE'S  diner", 700, "food"),
            txn_json(1, t - 300, "Joe's Diner", 1000, "shopping", true)});
  std::string last;
  EXPECT_TRUE(eventually([&] {
    last = txns(users[0]) + " " + txns(users[1]);
    return last == user0 + " " + user1;
  })) << last;
  EXPECT_EQ(spending(users[1]),
            spending_json({{"food", 1400}, {"shopping", 1000}}));
  // Votes on sellers the shipped map knows change nothing.
  ASSERT_TRUE(vote("starbucks", users[1] + "/3", "travel"));
  auto starbucks = set_category(users[1], 3, "food");
  ASSERT_TRUE(starbucks) << to_string(starbucks.error());
  EXPECT_EQ(*starbucks, "");
  EXPECT_EQ(
      txns(users[1]),
      list({txn_json(4, t - 50, " joe's diner ", 400, "food"),
            txn_json(3, t - 100, "Starbucks", 300, "food", true),
            txn_json(2, t - 200, "JOE'S  diner", 700, "food"),
            txn_json(1, t - 300, "Joe's Diner", 1000, "shopping", true)}));
}

// -- 4. the daily refresh
// --------------------------------------------------------

TEST_F(MintServiceScheduler, accounts_of_active_users_are_refreshed_daily) {
  auto url = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/";
  const uint16_t s = runtime::shard_of("sleepy", user_shards);
  const std::string sleepy = "sleepy";
  const auto busy = user_on_shard("busy", s);
  auto sleepy_account = link(sleepy, url);
  ASSERT_TRUE(sleepy_account) << to_string(sleepy_account.error());
  EXPECT_EQ(*sleepy_account, id_on(s, 1));
  EXPECT_EQ(linked_job, id_on(s, 1));
  auto busy_account = link(busy, url);
  ASSERT_TRUE(busy_account) << to_string(busy_account.error());
  EXPECT_EQ(*busy_account, id_on(s, 2));
  EXPECT_EQ(linked_job, id_on(s, 2));
  // Nothing listens there: one try, then `unreachable`.
  auto first = finished_job(id_on(s, 1));
  EXPECT_EQ(json_field(first, "status"), "failed") << first;
  EXPECT_EQ(json_field(first, "error"), "unreachable") << first;
  EXPECT_EQ(json_field(first, "account_id"), *sleepy_account) << first;
  EXPECT_EQ(json_field(first, "attempts"), "1") << first;
  EXPECT_EQ(json_field(first, "transactions"), "0") << first;
  EXPECT_EQ(json_field(finished_job(id_on(s, 2)), "account_id"), *busy_account);

  auto account_of = [&](int n) {
    return json_field(finished_job(id_on(s, n)), "account_id");
  };
  auto appears = [&](int n) {
    return eventually([&] { return static_cast<bool>(try_job(id_on(s, n))); });
  };

  // The next day both accounts are pulled again, once.
  set_clock(start_time + day_secs);
  ASSERT_TRUE(appears(3) && appears(4));
  EXPECT_EQ((std::set<std::string>{account_of(3), account_of(4)}),
            (std::set<std::string>{*sleepy_account, *busy_account}));
  EXPECT_FALSE(try_job(id_on(s, 5)));

  // 31 days later nobody was active: no refresh, until busy reads. Then
  // the next job is busy's (sleepy's account comes first in a round).
  set_clock(start_time + 32 * day_secs);
  ASSERT_TRUE(try_txns(busy));
  ASSERT_TRUE(appears(5));
  EXPECT_EQ(account_of(5), *busy_account);
  EXPECT_FALSE(try_job(id_on(s, 6)));

  // Sleepy reads too: its account is pulled the same day.
  ASSERT_TRUE(try_txns(sleepy));
  ASSERT_TRUE(appears(6));
  EXPECT_EQ(account_of(6), *sleepy_account);
  EXPECT_FALSE(try_job(id_on(s, 7)));

  // And both again the next day.
  set_clock(start_time + 33 * day_secs);
  ASSERT_TRUE(appears(7) && appears(8));
  EXPECT_EQ((std::set<std::string>{account_of(7), account_of(8)}),
            (std::set<std::string>{*sleepy_account, *busy_account}));
  EXPECT_FALSE(try_job(id_on(s, 9)));
  EXPECT_EQ(svc.board->refreshes.load(), 6u);
  EXPECT_EQ(svc.board->jobs_failed.load(), 8u);
}

// -- 5. the key
// ------------------------------------------------------------------

TEST_F(MintServiceKey, without_a_key_linking_is_unavailable) {
  ASSERT_EQ(try_start(std::nullopt), "");
  EXPECT_FALSE(std::filesystem::exists(key_check_path()));
  // Everything but linking works.
  EXPECT_EQ(import({txn("nokey", start_time - 60, "Shell", 1000)}), 1u);
  auto linked = link("nokey", loopback_url);
  ASSERT_FALSE(linked) << *linked;
  EXPECT_EQ(code_of(linked.error()), runtime::errc::unavailable);
  EXPECT_EQ(txns("nokey"),
            list({txn_json(1, start_time - 60, "Shell", 1000, "gas")}));
  auto acc = runtime::shard_of("nokey", user_shards);
  auto r = refresh(id_on(acc, 1));
  ASSERT_FALSE(r) << *r;
  EXPECT_EQ(code_of(r.error()), runtime::errc::not_found);
}

TEST_F(MintServiceKey, sealed_data_needs_its_key) {
  ASSERT_EQ(try_start(key), "");
  EXPECT_TRUE(std::filesystem::exists(key_check_path()));
  auto account = link("keyed", loopback_url);
  ASSERT_TRUE(account) << to_string(account.error());
  EXPECT_EQ(linked_job, *account);
  auto job_json = finished_job(*account);
  auto before = txns("keyed");

  // No key, or another one: Mint refuses to start, naming the key (never
  // its digits).
  svc = mint::service{};
  node.restart();
  auto other = secret_key::random();
  auto without = try_start(std::nullopt);
  EXPECT_NE(without.find("key"), std::string::npos) << without;
  EXPECT_NE(without.find("TROUPE_MINT_KEY"), std::string::npos) << without;
  auto wrong = try_start(other);
  EXPECT_NE(wrong.find("key"), std::string::npos) << wrong;
  EXPECT_NE(wrong, without);
  for (const auto& e : {without, wrong}) {
    EXPECT_EQ(e.find(key.to_hex()), std::string::npos);
    EXPECT_EQ(e.find(other.to_hex()), std::string::npos);
  }
  // The right key: the data is there and accounts link again.
  ASSERT_EQ(try_start(key), "");
  EXPECT_EQ(txns("keyed"), before);
  EXPECT_EQ(job(*account), job_json);
  auto second = link("keyed", loopback_url);
  ASSERT_TRUE(second) << to_string(second.error());
  EXPECT_EQ(*second, id_on(shard_in(*account), 2));
  EXPECT_EQ(linked_job, id_on(shard_in(*account), 2));
}

// -- 6. bad inputs
// -----------------------------------------------------------------

TEST_F(MintService, bad_inputs_are_refused_and_store_nothing) {
  const auto t = start_time;
  EXPECT_EQ(import({txn("alice", t - 60, "Shell", 1000),
                    txn("alice", t - 30, "Joe's Diner", 500)}),
            2u);
  const auto alice_txns = txns("alice");
  const auto alice_budget = budget("alice");

  // Malformed batches, for a user not stored yet.
  auto idx = runtime::shard_of("newbie", user_shards);
  auto good = persistence::encode(
      txn_batch{{txn("newbie", t, "Shell", 100), txn("newbie", t, "X", 1)}});
  std::vector<std::string> bad{
      good.substr(0, good.size() - 1),        // truncated
      good + "x",                             // trailing bytes
      persistence::encode(std::string{"hi"}), // not a batch
      std::string{},                          // nothing
  };
  for (const auto& b : bad) {
    auto r = at_shard<uint64_t>(idx, caf::make_message(import_atom::value, b));
    ASSERT_FALSE(r) << *r;
    EXPECT_EQ(code_of(r.error()), runtime::errc::invalid_argument);
  }
  auto nobody = try_txns("newbie");
  ASSERT_FALSE(nobody) << *nobody;
  EXPECT_EQ(code_of(nobody.error()), runtime::errc::not_found);

  // Overrides of transactions that do not exist, or to no category.
  auto expect_error = [](caf::expected<std::string> r, runtime::errc code,
                         const char* what) {
    ASSERT_FALSE(r) << what << ": " << *r;
    EXPECT_EQ(code_of(r.error()), code) << what;
  };
  expect_error(set_category("alice", 3, "food"), runtime::errc::not_found,
               "id 3");
  expect_error(set_category("alice", 0, "food"), runtime::errc::not_found,
               "id 0");
  expect_error(set_category("nobody", 1, "food"), runtime::errc::not_found,
               "unknown user");
  expect_error(set_category("alice", 1, "snacks"),
               runtime::errc::invalid_argument, "unknown category");

  // Unknown jobs and accounts, in any form.
  for (const auto& id : {id_on(0, 99), id_on(1, 1), std::string{"zzz"}}) {
    expect_error(
        at_shard<std::string>(0, caf::make_message(job_atom::value, id)),
        runtime::errc::not_found, "job");
    expect_error(
        at_shard<std::string>(0, caf::make_message(refresh_atom::value, id)),
        runtime::errc::not_found, "account");
    auto x = at_shard<ok_atom>(
        0, caf::make_message(extracted_atom::value, id, good));
    ASSERT_FALSE(x);
    EXPECT_EQ(code_of(x.error()), runtime::errc::not_found);
  }

  // Budgets of no budget category.
  for (const char* name : {"uncategorized", "snacks", ""}) {
    for (const char* user : {"alice", "budgetless"}) {
      auto r = set_budget(user, name, 1000);
      ASSERT_FALSE(r) << user << " " << name;
      EXPECT_EQ(code_of(r.error()), runtime::errc::invalid_argument) << name;
    }
  }
  auto budgetless = try_budget("budgetless");
  ASSERT_FALSE(budgetless) << *budgetless;
  EXPECT_EQ(code_of(budgetless.error()), runtime::errc::not_found);

  EXPECT_EQ(txns("alice"), alice_txns);
  EXPECT_EQ(budget("alice"), alice_budget);
  // Nor does any of it come back from the journal.
  restart();
  EXPECT_EQ(txns("alice"), alice_txns);
  EXPECT_EQ(budget("alice"), alice_budget);
  nobody = try_txns("newbie");
  ASSERT_FALSE(nobody) << *nobody;
  EXPECT_EQ(code_of(nobody.error()), runtime::errc::not_found);
  // The good batch is fine.
  auto n = at_shard<uint64_t>(idx, caf::make_message(import_atom::value, good));
  ASSERT_TRUE(n) << to_string(n.error());
  EXPECT_EQ(*n, 2u);
}

// -- 7. pulled transactions
// ------------------------------------------------------

TEST_F(MintServiceExtraction, pulled_transactions_count_once_per_id) {
  const auto t = start_time;
  auto url = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/bank";
  const std::string user = "saver";
  auto account = link(user, url);
  ASSERT_TRUE(account) << to_string(account.error());
  const auto s = shard_in(*account);
  EXPECT_EQ(*account, id_on(s, 1));
  const auto j1 = id_on(s, 1);
  EXPECT_EQ(linked_job, j1);
  // The worker reports its first try (which fails), then waits an hour.
  std::string last;
  ASSERT_TRUE(eventually([&] {
    last = job(j1);
    return json_field(last, "status") == "running" &&
           json_field(last, "attempts") == "1";
  })) << last;

  // The test plays the worker delivering the pull.
  set_clock(t + 60);
  auto a = pulled(*account, "tx-a", t - 3000, "Whole Foods", 2000);
  auto b = pulled(*account, "tx-b", t - 2000, "Shell", 3000);
  auto c = pulled(*account, "tx-c", t - 1000, "Joe's Diner", 1500);
  auto d = pulled(*account, "tx-d", t - 500, "Starbucks", 450);
  auto e = pulled(*account, "tx-e", t - 100, "Amazon", 999);
  ASSERT_TRUE(extracted(j1, persistence::encode(txn_batch{{a, b, c}})));
  const auto j1_done =
      "{\"job_id\":\"" + j1 + "\",\"account_id\":\"" + *account +
      "\",\"status\":\"done\",\"transactions\":3,\"attempts\":1,"
      "\"created_at\":\"2026-12-06T09:30:00Z\","
      "\"updated_at\":\"2026-12-06T09:31:00Z\"}";
  EXPECT_EQ(job(j1), j1_done);
  auto three =
      list({txn_json(3, t - 1000, "Joe's Diner", 1500, "uncategorized"),
            txn_json(2, t - 2000, "Shell", 3000, "gas"),
            txn_json(1, t - 3000, "Whole Foods", 2000, "groceries")});
  EXPECT_EQ(txns(user), three);
  // The account's user, whatever the batch says.
  auto mallory = try_txns("mallory");
  ASSERT_FALSE(mallory) << *mallory;

  // A refresh pulling b and c again, and d twice: d alone is new.
  auto j2 = refresh(*account);
  ASSERT_TRUE(j2) << to_string(j2.error());
  EXPECT_EQ(*j2, id_on(s, 2));
  ASSERT_TRUE(extracted(*j2, persistence::encode(txn_batch{{b, c, d, d}})));
  auto j2_json = job(*j2);
  EXPECT_EQ(json_field(j2_json, "status"), "done") << j2_json;
  EXPECT_EQ(json_field(j2_json, "transactions"), "1") << j2_json;
  auto four = list({txn_json(4, t - 500, "Starbucks", 450, "food"),
                    txn_json(3, t - 1000, "Joe's Diner", 1500, "uncategorized"),
                    txn_json(2, t - 2000, "Shell", 3000, "gas"),
                    txn_json(1, t - 3000, "Whole Foods", 2000, "groceries")});
  EXPECT_EQ(txns(user), four);
  EXPECT_EQ(spending(user), spending_json({{"groceries", 2000},
                                           {"gas", 3000},
                                           {"uncategorized", 1500},
                                           {"food", 450}}));

  // A delivery for a finished job is ignored.
  ASSERT_TRUE(extracted(j1, persistence::encode(txn_batch{{e}})));
  EXPECT_EQ(job(j1), j1_done);
  EXPECT_EQ(txns(user), four);

  // A malformed one is refused and leaves the job going.
  auto j3 = refresh(*account);
  ASSERT_TRUE(j3) << to_string(j3.error());
  auto refused = extracted(*j3, "garbage");
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), runtime::errc::invalid_argument);
  auto status = json_field(job(*j3), "status");
  EXPECT_TRUE(status == "queued" || status == "running") << status;
  EXPECT_EQ(txns(user), four);

  // After a restart the pulled ids are still known, and the interrupted
  // job takes its pull.
  restart();
  EXPECT_EQ(job(j1), j1_done);
  EXPECT_EQ(job(*j2), j2_json);
  EXPECT_EQ(txns(user), four);
  ASSERT_TRUE(extracted(*j3, persistence::encode(txn_batch{{a, d, e}})));
  auto j3_json = job(*j3);
  EXPECT_EQ(json_field(j3_json, "status"), "done") << j3_json;
  EXPECT_EQ(json_field(j3_json, "transactions"), "1") << j3_json;
  EXPECT_EQ(txns(user, december, 1),
            list({txn_json(5, t - 100, "Amazon", 999, "shopping")}));
  EXPECT_EQ(svc.board->transactions.load(), 1u);
}
