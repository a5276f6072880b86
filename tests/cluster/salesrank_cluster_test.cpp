// Sales rank on a cluster of three: sales ingested through one node rank
// the same through every node, as a plain aggregation in the test says
// (highest total first, ties by product id); the same through the
// survivors after one node is killed with SIGKILL (once its category
// shards failed over, with more sales ingested meanwhile), and again
// through all three after it is back (it caught up on what it missed).
//
// The cluster harness has no [salesrank] settings: the test appends its
// own section to each node's generated config before the nodes start
// (refresh every 200 ms, 16 category shards).
#include "cluster.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <xxhash.h>

using namespace troupe_cluster;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string api = "/salesrank/api/v1/";

/// [salesrank] shards, as the test configures them.
constexpr size_t salesrank_shards = 16;

const char* salesrank_section = "\n[salesrank]\n"
                                "shards = 16\n"
                                "refresh_interval_ms = 200\n";

/// The category shard of `category`, as the service places categories.
size_t shard_of(const std::string& category) {
  return XXH64(category.data(), category.size(), 0) % salesrank_shards;
}

/// One line of the ingest format.
std::string sale(int64_t t, const std::string& product,
                 const std::string& category, uint64_t qty) {
  return std::to_string(t) + "\t" + product + "\t" + category + "\t" +
         std::to_string(qty) + "\t1.00\tseller\tbuyer";
}

/// An answer that may come while shards fail over.
bool transient(const http_response& r) {
  return r.status == 503 || r.status == 504 || r.status == 0;
}

double metric(uint16_t port, const std::string& series) {
  return troupe_e2e::metric_value(send(port, "GET", "/metrics").body, series);
}

class clusterSalesRank : public ::testing::Test {
protected:
  void SetUp() override {
    cluster_ = std::make_unique<cluster>();
    for (size_t i = 0; i < c().size(); ++i) {
      const auto& path = c().node(i).config_path();
      auto text = troupe_e2e::read_file(path);
      ASSERT_EQ(text.find("[salesrank]"), std::string::npos)
          << "the cluster harness now writes [salesrank]: set the refresh "
             "interval through node_settings instead";
      troupe_e2e::write_file(path, text + salesrank_section);
    }
    ASSERT_TRUE(c().start()) << "cluster did not form";
  }

  void TearDown() override {
    if (HasFailure() && cluster_)
      std::cerr << cluster_->logs();
  }

  cluster& c() { return *cluster_; }

  /// The primary of each category shard, as node `observer` sees it.
  std::vector<std::string> primaries(size_t observer) {
    std::vector<std::string> out;
    auto v = c().view(observer);
    if (v.is_object() && v["shards"].contains("salesrank"))
      for (const auto& row : v["shards"]["salesrank"])
        out.push_back(row.value("primary", std::string{}));
    return out;
  }

  /// Sales of `n` lines over categories of very different sizes, in the
  /// past four days; recorded in `totals_`.
  std::string sales(size_t n, const std::string& tag) {
    auto now = static_cast<int64_t>(::time(nullptr));
    std::string body = "timestamp\tproduct_id\tcategory_id\tqty\ttotal_price"
                       "\tseller_id\tbuyer_id\n";
    std::uniform_int_distribution<int64_t> age{0, 96 * 3600};
    for (size_t k = 0; k < n; ++k) {
      // Category k gets a share of about 1/(k+1) of the sales.
      std::uniform_real_distribution<double> u{0, harmonic_.back()};
      auto x = u(rng_);
      auto cat = std::min<size_t>(
          static_cast<size_t>(
              std::upper_bound(harmonic_.begin(), harmonic_.end(), x) -
              harmonic_.begin()),
          categories_.size() - 1);
      const auto& category = categories_[cat];
      auto product = tag + std::to_string(rng_() % 40);
      uint64_t qty = 1 + rng_() % 3;
      body += sale(now - age(rng_), product, category, qty) + "\n";
      totals_[category][product] += qty;
    }
    return body;
  }

  /// The API's answer for `category` with limit 100.
  json expected(const std::string& category) {
    std::vector<std::pair<std::string, uint64_t>> rows(
        totals_[category].begin(), totals_[category].end());
    std::stable_sort(rows.begin(), rows.end(),
                     [](auto& x, auto& y) { return x.second > y.second; });
    json out = json::array();
    for (size_t k = 0; k < rows.size() && k < 100; ++k)
      out.push_back({{"id", k + 1},
                     {"category_id", category},
                     {"total_sold", rows[k].second},
                     {"product_id", rows[k].first}});
    return out;
  }

  /// Expects every category to rank as the reference says through every
  /// node of `via`; answers that are transient (503, 504, no answer) or
  /// not yet refreshed are asked again until `deadline`.
  void expect_rankings(const std::vector<size_t>& via,
                       clock_type::time_point deadline,
                       const std::string& when) {
    auto started = clock_type::now();
    transient_retries_ = 0;
    stale_retries_ = 0;
    for (auto node : via)
      for (const auto& category : categories_) {
        auto target = api + "popular?limit=100&category_id=" + category;
        auto want = expected(category);
        auto r = send(c().port(node), "GET", target);
        while ((transient(r) || r.body_json() != want) &&
               clock_type::now() < deadline) {
          ++(transient(r) ? transient_retries_ : stale_retries_);
          std::this_thread::sleep_for(50ms);
          r = send(c().port(node), "GET", target);
        }
        EXPECT_EQ(r.status, 200) << when << ", " << category << " through "
                                 << c().name(node) << ": " << r.body;
        EXPECT_EQ(r.body_json(), want)
            << when << ", " << category << " through " << c().name(node);
      }
    std::printf("[ salesrank ] %s: %zu categories through %zu nodes in %lld "
                "ms (asked again: %zu answers 503/504/none, %zu not yet "
                "refreshed)\n",
                when.c_str(), categories_.size(), via.size(),
                elapsed_ms(started), transient_retries_, stale_retries_);
  }

  /// Ingests one sale per request through node `via` (a request answered
  /// 503 stored nothing: it is sent again until `deadline`).
  void ingest_one_by_one(size_t via, const std::string& body,
                         clock_type::time_point deadline) {
    size_t at = 0;
    while (at < body.size()) {
      auto end = body.find('\n', at);
      auto line = body.substr(at, end - at + 1);
      at = end + 1;
      if (line.rfind("timestamp\t", 0) == 0)
        continue;
      auto r = send(c().port(via), "POST", api + "sales", line);
      while (r.status == 503 && clock_type::now() < deadline) {
        ++transient_retries_;
        std::this_thread::sleep_for(50ms);
        r = send(c().port(via), "POST", api + "sales", line);
      }
      ASSERT_EQ(r.status, 200) << "through " << c().name(via) << ": " << r.body;
      ASSERT_EQ(r.body_json()["accepted"], 1) << r.body;
    }
  }

  std::unique_ptr<cluster> cluster_;
  std::mt19937_64 rng_{20261206};
  std::vector<std::string> categories_;
  /// Partial sums of 1/(k+1) over the categories.
  std::vector<double> harmonic_;
  std::map<std::string, std::map<std::string, uint64_t>> totals_;
  size_t transient_retries_ = 0;
  size_t stale_retries_ = 0;
};

} // namespace

TEST_F(clusterSalesRank, RankingsMatchThroughEveryNodeAcrossAKillAndRestart) {
  for (int k = 0; k < 40; ++k) {
    categories_.push_back("cat:" + std::to_string(k));
    harmonic_.push_back((k > 0 ? harmonic_.back() : 0.0) + 1.0 / (k + 1));
  }
  const size_t victim = 2;
  const std::vector<size_t> all{0, 1, 2};
  const std::vector<size_t> survivors{0, 1};
  // The victim is the primary of some of the categories' shards, and so
  // is every other node.
  auto owners = primaries(0);
  ASSERT_EQ(owners.size(), salesrank_shards);
  std::map<std::string, size_t> owned;
  for (const auto& cat : categories_)
    ++owned[owners[shard_of(cat)]];
  for (auto i : all)
    ASSERT_GT(owned[c().name(i)], 0u) << c().name(i) << " owns no category";
  std::printf("[ salesrank ] categories by primary: n1 %zu, n2 %zu, n3 %zu\n",
              owned["n1"], owned["n2"], owned["n3"]);

  // -- every node up ----------------------------------------------------------
  auto body = sales(30000, "p");
  auto r = send(c().port(0), "POST", api + "sales", body, 60s);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body_json()["accepted"], 30000) << r.body;
  EXPECT_EQ(r.body_json()["rejected_count"], 0) << r.body;
  expect_rankings(all, clock_type::now() + 10s, "with every node up");
  double applied = 0;
  for (auto i : all)
    applied += metric(c().port(i), "troupe_salesrank_sales_total");
  EXPECT_EQ(applied, 30000.0) << "sales applied by the primaries";

  // -- one node killed --------------------------------------------------------
  c().node(victim).kill9();
  ASSERT_TRUE(c().wait_seen(survivors, victim, "down", clock_type::now() + 10s))
      << "n3 not seen down";
  auto failover_deadline =
      clock_type::now() + c().settings().failover_allowance();
  expect_rankings(survivors, failover_deadline, "with n3 killed");

  // More sales through the survivors while n3 is down, then through both.
  ASSERT_NO_FATAL_FAILURE(ingest_one_by_one(
      1, sales(150, "q"),
      clock_type::now() + c().settings().failover_allowance()));
  r = send(c().port(0), "POST", api + "sales", sales(5000, "r"), 60s);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body_json()["accepted"], 5000) << r.body;
  expect_rankings(survivors, clock_type::now() + 10s,
                  "after more sales with n3 killed");

  // -- the node back ----------------------------------------------------------
  ASSERT_TRUE(c().node(victim).restart()); // same ports, same data dir
  auto back_deadline = clock_type::now() + 20s;
  ASSERT_TRUE(c().wait_seen(all, victim, "up", back_deadline));
  for (auto i : survivors)
    ASSERT_TRUE(c().wait_seen({victim}, i, "up", back_deadline)) << c().name(i);
  ASSERT_TRUE(c().wait_preferred(0));
  expect_rankings(all, clock_type::now() + c().settings().failover_allowance(),
                  "after n3 came back");
  // And once more after sales with every node up.
  r = send(c().port(2), "POST", api + "sales", sales(2000, "s"), 60s);
  ASSERT_EQ(r.status, 200) << r.body;
  expect_rankings(all, clock_type::now() + 10s, "after sales through n3");
}
