// The operator's data behind the dashboard, on a real node: GET /api/v1/stats
// (its shape, what one second of traffic looks like in it, `since`, bad
// input) and the Prometheus histograms of /metrics, checked by promtool.

#include <cstdio>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "shared_node.hpp"

using namespace troupe_e2e;

namespace {

const std::string paste_path = "/pastebin/api/v1/paste";

class e2eDashboard : public shared_node_test<e2eDashboard> {
protected:
  /// Creates `n` pastes and reads each back once; returns the shortlinks.
  static std::vector<std::string> traffic(connection& c, int n) {
    std::vector<std::string> links;
    for (int i = 0; i < n; ++i) {
      auto r =
          c.request("POST", paste_path,
                    json{{"paste_contents", "p" + std::to_string(i)}}.dump(),
                    {{"Content-Type", "application/json"}});
      EXPECT_EQ(r.status, 201) << r.body;
      if (r.status != 201)
        break;
      links.push_back(r.body_json()["shortlink"].get<std::string>());
      ++created_;
      EXPECT_EQ(
          c.request("GET", paste_path + "?shortlink=" + links.back()).status,
          200);
    }
    return links;
  }

  /// Pastes created on the suite's node so far.
  static inline int created_ = 0;

  /// GET /api/v1/stats + `query`, parsed.
  static json stats(connection& c, const std::string& query = "") {
    auto r = c.request("GET", "/api/v1/stats" + query);
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 500);
    return r.body_json();
  }

  /// Waits (at most 5 s) until the node's history holds a second in which
  /// `route` served requests; returns the node's stats then.
  static json wait_for_route(connection& c, const std::string& route) {
    for (int i = 0; i < 50; ++i) {
      auto s = stats(c, "?scope=node");
      if (s.contains("routes") && s["routes"].contains(route))
        return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "no second with traffic on " << route;
    return json::object();
  }
};

/// The length every series of a node's stats must have.
void expect_aligned(const json& s) {
  auto n = s["t"].size();
  for (const char* key : {"cpu", "rss_bytes", "actors", "fanout_backlog",
                          "commit_batch", "fsync_ms", "cache_hit_rate"})
    EXPECT_EQ(s[key].size(), n) << key;
  for (const char* group : {"entities", "replication_lag"})
    for (const auto& [name, col] : s[group].items())
      EXPECT_EQ(col.size(), n) << group << " " << name;
  for (const auto& [route, r] : s["routes"].items())
    for (const char* key : {"rps", "errors", "p50_ms", "p99_ms"})
      EXPECT_EQ(r[key].size(), n) << route << " " << key;
}

} // namespace

TEST_F(e2eDashboard, StatsShowTheClusterAndASecondOfTraffic) {
  connection c{port()};
  auto links = traffic(c, 40);
  ASSERT_EQ(links.size(), 40u);
  auto node = wait_for_route(c, paste_path);
  expect_aligned(node);
  EXPECT_EQ(node["node"], "n1");
  const auto& route = node["routes"][paste_path];
  EXPECT_EQ(route["service"], "pastebin");
  double served = 0;
  for (size_t i = 0; i < route["rps"].size(); ++i) {
    if (route["rps"][i].is_null())
      continue;
    served += route["rps"][i].get<double>();
    EXPECT_LE(route["p50_ms"][i].get<double>(),
              route["p99_ms"][i].get<double>());
    EXPECT_GT(route["p50_ms"][i].get<double>(), 0);
  }
  // 80 requests, one sample per second: the rates add up to them (the
  // seconds are measured, not assumed, so allow for timer drift).
  EXPECT_NEAR(served, 80, 8);
  // Every create was synced to disk (durability "sync" by default).
  bool synced = false;
  for (const auto& v : node["fsync_ms"])
    synced = synced || (v.is_number() && v.get<double>() > 0);
  EXPECT_TRUE(synced) << node["fsync_ms"];

  auto all = stats(c);
  EXPECT_EQ(all["self"], "n1");
  EXPECT_EQ(all["interval_ms"], 1000);
  EXPECT_EQ(all["history_s"], 900);
  ASSERT_EQ(all["nodes"].size(), 1u);
  EXPECT_EQ(all["nodes"][0]["state"], "up");
  ASSERT_TRUE(all["nodes"][0]["stats"].is_object());
  EXPECT_GE(all["nodes"][0]["stats"]["current"]["rss_bytes"].get<double>(),
            1 << 20);
  ASSERT_EQ(all["shards"]["pastebin"].size(), 64u);
  for (const auto& shard : all["shards"]["pastebin"]) {
    EXPECT_EQ(shard["serving"], "n1");
    EXPECT_EQ(shard["moving"], false);
    EXPECT_EQ(shard["stashed"], 0);
  }
  ASSERT_FALSE(all["events"].empty());
  EXPECT_EQ(all["events"][0]["kind"], "started");
}

TEST_F(e2eDashboard, TotalsCountWhatTheServicesHold) {
  connection c{port()};
  traffic(c, 5);
  // Shards publish their count with their stats flush (2 s by default).
  double pastes = -1;
  for (int i = 0; i < 60 && pastes != created_; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // Empty until the node's first sample.
    auto totals = stats(c, "?scope=node")["current"]["totals"];
    pastes = totals.value("pastes", -1.0);
  }
  EXPECT_EQ(pastes, created_);
}

TEST_F(e2eDashboard, SinceReturnsOnlyWhatIsNew) {
  connection c{port()};
  traffic(c, 3);
  auto full = wait_for_route(c, paste_path);
  // Two seconds at least, so that `since` has something to cut off.
  for (int i = 0; i < 30 && full["t"].size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    full = stats(c, "?scope=node");
  }
  ASSERT_GE(full["t"].size(), 2u);
  auto last = full["t"].back().get<int64_t>();
  auto tail = stats(c, "?scope=node&since=" + std::to_string(last));
  expect_aligned(tail);
  for (const auto& t : tail["t"])
    EXPECT_GT(t.get<int64_t>(), last);
  EXPECT_LE(tail["t"].size(), 2u);
  for (const auto& e : tail["events"])
    EXPECT_GT(e["t"].get<int64_t>(), last);
}

TEST_F(e2eDashboard, BadQueriesAreRefused) {
  connection c{port()};
  for (const char* q :
       {"?since=abc", "?since=-5", "?since=1e3",
        "?since=99999999999999999999999", "?scope=everything", "?scope="}) {
    auto r = c.request("GET", std::string{"/api/v1/stats"} + q);
    EXPECT_EQ(r.status, 400) << q << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument") << q;
  }
}

TEST_F(e2eDashboard, LatencyHistogramsArePrometheusHistograms) {
  connection c{port()};
  traffic(c, 10);
  auto m = c.request("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  const std::string family = "troupe_http_request_duration_seconds";
  EXPECT_NE(m.body.find("# TYPE " + family + " histogram"), std::string::npos);
  auto series = family + "_bucket{route=\"" + paste_path + "\",le=\"+Inf\"} ";
  auto at = m.body.find(series);
  ASSERT_NE(at, std::string::npos) << m.body.substr(0, 3000);
  auto count_at = m.body.find(family + "_count{route=\"" + paste_path + "\"} ");
  ASSERT_NE(count_at, std::string::npos);
  auto inf = std::stoull(m.body.substr(at + series.size()));
  auto count = std::stoull(
      m.body.substr(count_at + family.size() + paste_path.size() + 17));
  EXPECT_EQ(inf, count);
  EXPECT_GE(count, 20u);
  EXPECT_NE(m.body.find(family + "_sum{route=\"" + paste_path + "\"}"),
            std::string::npos);

  // promtool (Debian's prometheus package, installed by
  // scripts/install-deps.sh --tests) lints the exposition format.
  ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
      << "promtool not found: run scripts/install-deps.sh --tests";
  auto cmd = "curl -s http://127.0.0.1:" + std::to_string(port()) +
             "/metrics | promtool check metrics 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p))
    out.append(buf, n);
  int rc = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 0) << out;
  EXPECT_EQ(out, "") << out;
}
