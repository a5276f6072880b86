// `troupe status`: the summary and its text from GET /api/v1/stats answers
// (fixtures/stats_cluster.json: n1 and n2 up with 12 s of samples, n3 down
// with stats null; see the numbers below).
#include "status_format.hpp"

#include <fstream>
#include <functional>
#include <sstream>

#include <gtest/gtest.h>

#include "stats_fixture.hpp"

using namespace troupe::app;
using json = nlohmann::json;

namespace {

json fixture() {
  return json::parse(fixture_text());
}

status_summary summary_of(const json& j) {
  auto r = summarize_status(j);
  EXPECT_TRUE(r.summary) << r.error;
  return r.summary ? *r.summary : status_summary{};
}

std::string utc_text(const status_summary& s) {
  status_style style;
  style.local_time = false;
  return render_status(s, style);
}

const status_node* node(const status_summary& s, const std::string& name) {
  for (auto& n : s.nodes)
    if (n.name == name)
      return &n;
  return nullptr;
}

/// The line of `text` that starts with `prefix` ("" if none).
std::string line_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0)
      return line;
  return {};
}

} // namespace

TEST(status_format, header_fields) {
  auto s = summary_of(fixture());
  EXPECT_EQ(s.cluster, "troupe-test");
  EXPECT_EQ(s.self, "n1");
  EXPECT_EQ(s.membership, "etcd");
  ASSERT_TRUE(s.quorum);
  EXPECT_TRUE(*s.quorum);
  auto text = utc_text(s);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "cluster troupe-test  via n1  membership etcd  quorum yes  "
            "nodes up 2/3  at 16:53:31");
}

TEST(status_format, node_rates_and_latency_over_the_last_10_seconds) {
  auto s = summary_of(fixture());
  ASSERT_EQ(s.nodes.size(), 3u);
  auto* n1 = node(s, "n1");
  ASSERT_TRUE(n1);
  EXPECT_TRUE(n1->has_stats);
  EXPECT_EQ(n1->state, "up");
  EXPECT_EQ(n1->http, "127.0.0.1:8080");
  // The two seconds before the window (1000 req/s, p99 90 ms) are left out.
  ASSERT_TRUE(n1->rps && n1->errors_per_s && n1->p99_ms);
  EXPECT_DOUBLE_EQ(*n1->rps, 110.0);
  EXPECT_DOUBLE_EQ(*n1->errors_per_s, 1.0);
  // 9 s of p99 2 ms at 100 req/s and 10 s of 4 ms at 10 req/s.
  EXPECT_NEAR(*n1->p99_ms, 2.2, 1e-9);
  // From "current".
  EXPECT_DOUBLE_EQ(n1->cpu.value_or(-1), 0.39);
  EXPECT_DOUBLE_EQ(n1->rss_mib.value_or(-1), 128.0);
  // pastebin's last 2 + cache's last non-null 3.
  EXPECT_DOUBLE_EQ(n1->replication_lag.value_or(-1), 5.0);
  EXPECT_EQ(n1->shards_served, 2u);

  auto* n2 = node(s, "n2");
  ASSERT_TRUE(n2);
  // No "current": the last non-null samples.
  EXPECT_DOUBLE_EQ(n2->cpu.value_or(-1), 1.25);
  EXPECT_DOUBLE_EQ(n2->rss_mib.value_or(-1), 250.0);
  EXPECT_DOUBLE_EQ(n2->rps.value_or(-1), 50.0);
  EXPECT_DOUBLE_EQ(n2->p99_ms.value_or(-1), 6.0);
  EXPECT_FALSE(n2->replication_lag);
  EXPECT_EQ(n2->shards_served, 3u);
}

TEST(status_format, down_node_without_stats) {
  auto s = summary_of(fixture());
  auto* n3 = node(s, "n3");
  ASSERT_TRUE(n3);
  EXPECT_FALSE(n3->has_stats);
  EXPECT_EQ(n3->state, "down");
  EXPECT_EQ(n3->error, "unreachable: connection refused");
  EXPECT_FALSE(n3->cpu || n3->rss_mib || n3->rps || n3->errors_per_s ||
               n3->p99_ms || n3->replication_lag);
  EXPECT_EQ(n3->shards_served, 0u);
  auto text = utc_text(s);
  auto row = line_starting(text, "n3 ");
  EXPECT_NE(row.find("down"), std::string::npos) << text;
  EXPECT_NE(row.find("127.0.0.1:8082"), std::string::npos) << text;
  EXPECT_NE(row.find(" - "), std::string::npos) << text;
  EXPECT_NE(text.find("  n3: unreachable: connection refused\n"),
            std::string::npos)
      << text;
  // An error that only repeats the state is not repeated.
  auto j = fixture();
  j["nodes"][2]["error"] = "down";
  text = utc_text(summary_of(j));
  EXPECT_EQ(text.find("  n3:"), std::string::npos) << text;
}

TEST(status_format, services) {
  auto s = summary_of(fixture());
  ASSERT_EQ(s.services.size(), 2u);
  auto& cache = s.services[0];
  EXPECT_EQ(cache.name, "cache");
  EXPECT_EQ(cache.shards, 2u);
  ASSERT_EQ(cache.served.size(), 1u);
  EXPECT_EQ(cache.served[0], (std::pair<std::string, std::size_t>{"n2", 2}));
  auto& pastebin = s.services[1];
  EXPECT_EQ(pastebin.name, "pastebin");
  EXPECT_EQ(pastebin.shards, 4u);
  ASSERT_EQ(pastebin.served.size(), 2u);
  EXPECT_EQ(pastebin.served[0].first, "n1");
  EXPECT_EQ(pastebin.served[0].second, 2u);
  EXPECT_EQ(pastebin.served[1].first, "n2");
  EXPECT_EQ(pastebin.served[1].second, 1u);
  EXPECT_EQ(pastebin.moving, 2u);
  EXPECT_EQ(pastebin.stashing, 1u);
  EXPECT_EQ(pastebin.unserved, 1u);
  auto text = utc_text(s);
  EXPECT_EQ(line_starting(text, "pastebin"),
            "pastebin       4  n1:2 n2:1       2         1         1");
}

TEST(status_format, busiest_routes_merge_nodes) {
  auto s = summary_of(fixture());
  // /cache/api/v1/query had traffic only before the window.
  ASSERT_EQ(s.routes.size(), 2u);
  auto& get = s.routes[0];
  EXPECT_EQ(get.route, "/pastebin/api/v1/paste/{id}");
  EXPECT_DOUBLE_EQ(get.rps, 150.0);
  EXPECT_DOUBLE_EQ(get.errors_per_s, 1.0);
  // Weighted by requests: n1 100 req/s at 0.5 ms, n2 50 req/s at 1.5 ms.
  EXPECT_NEAR(get.p50_ms.value_or(-1), 1250.0 / 1500.0, 1e-9);
  EXPECT_NEAR(get.p99_ms.value_or(-1), 4800.0 / 1400.0, 1e-9);
  EXPECT_EQ(s.routes[1].route, "/pastebin/api/v1/paste");
  EXPECT_DOUBLE_EQ(s.routes[1].rps, 10.0);

  status_limits one;
  one.max_routes = 1;
  auto r = summarize_status(fixture(), one);
  ASSERT_TRUE(r.summary);
  ASSERT_EQ(r.summary->routes.size(), 1u);
  EXPECT_EQ(r.summary->routes[0].route, "/pastebin/api/v1/paste/{id}");
}

TEST(status_format, last_ten_events_oldest_first) {
  auto s = summary_of(fixture());
  ASSERT_EQ(s.events.size(), 10u);
  EXPECT_EQ(s.events.front().kind, "node_up");
  EXPECT_EQ(s.events.back().text, "pastebin/0 loading");
  auto text = utc_text(s);
  EXPECT_NE(text.find("16:52:30  n1    node_up      n2 up\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("16:53:15  n2    shard_state  pastebin/0 loading\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("n1 started"), std::string::npos);
}

TEST(status_format, whole_text) {
  auto text = utc_text(summary_of(fixture()));
  EXPECT_EQ(
      text,
      R"(cluster troupe-test  via n1  membership etcd  quorum yes  nodes up 2/3  at 16:53:31

NODES
NAME  STATE  HTTP             CPU  RSS MIB  REQ/S  5XX/S  P99 MS  SHARDS  REPL LAG
n1    up     127.0.0.1:8080  0.39    128.0  110.0    1.0    2.20       2         5
n2    up     127.0.0.1:8081  1.25    250.0   50.0    0.0    6.00       3         -
n3    down   127.0.0.1:8082     -        -      -      -       -       0         -
  n3: unreachable: connection refused

SERVICES
SERVICE   SHARDS  SERVED     MOVING  STASHING  UNSERVED
cache          2  n2:2            0         0         0
pastebin       4  n1:2 n2:1       2         1         1

ROUTES (busiest, last 10 s)
ROUTE                        REQ/S  5XX/S  P50 MS  P99 MS
/pastebin/api/v1/paste/{id}  150.0    1.0    0.83    3.43
/pastebin/api/v1/paste        10.0    0.0    1.00    4.00

EVENTS (latest last)
TIME      NODE  KIND         TEXT
16:52:30  n1    node_up      n2 up
16:52:35  n2    shard_moved  pastebin/2 n2 -> n1
16:52:40  n1    epoch        config epoch 4
16:52:45  n2    restart      pastebin/1 restarted
16:52:50  n1    shard_state  cache/0 up
16:52:55  n2    node_down    n3 down
16:53:00  n1    shard_moved  pastebin/3 n3 -> ?
16:53:05  n2    node_up      n2 up
16:53:10  n1    node_down    n3 down?[31m red
16:53:15  n2    shard_state  pastebin/0 loading
)");
}

TEST(status_format, colors_only_when_asked) {
  auto s = summary_of(fixture());
  EXPECT_EQ(utc_text(s).find('\033'), std::string::npos);
  status_style style;
  style.color = true;
  style.local_time = false;
  auto colored = render_status(s, style);
  EXPECT_NE(colored.find("\033[32mup\033[0m"), std::string::npos);
  EXPECT_NE(colored.find("\033[31mdown\033[0m"), std::string::npos);
  // Colors do not shift the columns: stripped, the text is the plain one.
  std::string stripped;
  for (std::size_t i = 0; i < colored.size(); ++i) {
    if (colored[i] == '\033') {
      i = colored.find('m', i);
      continue;
    }
    stripped += colored[i];
  }
  EXPECT_EQ(stripped, utc_text(s));
}

TEST(status_format, empty_cluster) {
  auto s = summary_of(json{{"nodes", json::array()}});
  auto text = utc_text(s);
  EXPECT_NE(text.find("cluster ?  via ?  membership ?  quorum ?  nodes up 0/0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("(no nodes)"), std::string::npos);
  EXPECT_NE(text.find("(no shards)"), std::string::npos);
  EXPECT_NE(text.find("(no traffic)"), std::string::npos);
  EXPECT_NE(text.find("(none)"), std::string::npos);
}

TEST(status_format, malformed_bodies_are_errors) {
  for (const char* body : {"", "not json", "{\"nodes\": [", "[]", "42",
                           "{\"cluster\": \"x\"}", "{\"nodes\": {}}"}) {
    auto r = summarize_status(std::string_view{body});
    EXPECT_FALSE(r.summary) << body;
    EXPECT_FALSE(r.error.empty()) << body;
    EXPECT_EQ(r.error.find('\n'), std::string::npos) << body;
  }
  EXPECT_EQ(summarize_status(std::string_view{"not json"}).error,
            "the answer is not JSON");
  // A node's own stats (scope=node) instead of the cluster's.
  auto own = fixture()["nodes"][0]["stats"];
  EXPECT_NE(summarize_status(own).error.find("one node's stats"),
            std::string::npos);
}

TEST(status_format, mistyped_fields_are_unknown) {
  auto j = json::parse(R"({
    "cluster": 7, "self": null, "quorum": "yes", "now": 1e300,
    "nodes": [1, "n0", {"name": 5, "state": [], "stats": {
        "t": "x", "routes": [1], "current": {"cpu": "hot"},
        "replication_lag": {"a": 3, "b": [null, "x"]}}},
      {"name": "n2", "stats": {"t": [1000, "x", 3000],
        "routes": {"/x": {"rps": [1], "errors": "no", "p99_ms": [null, 5, 7, 9]},
                   "/y": 4}}},
      {"name": "n4", "state": "up", "stats": null}],
    "shards": {"a": 7, "b": [null, {"serving": 3, "moving": 1, "stashed": "9"},
                             {"serving": "n2", "moving": true}]},
    "events": [1, {"t": "x", "kind": 4}, {"t": -1e300, "text": "old"}]
  })");
  auto r = summarize_status(j);
  ASSERT_TRUE(r.summary) << r.error;
  auto& s = *r.summary;
  EXPECT_EQ(s.cluster, "?");
  EXPECT_FALSE(s.quorum);
  EXPECT_FALSE(s.now);
  ASSERT_EQ(s.nodes.size(), 3u);
  EXPECT_EQ(s.nodes[0].name, "?");
  EXPECT_FALSE(s.nodes[0].cpu);
  EXPECT_FALSE(s.nodes[0].rps);
  EXPECT_FALSE(s.nodes[0].replication_lag);
  // n2: samples 1000 and 3000 count (the window is the last 10 s of t);
  // the route's arrays are too short or too long.
  EXPECT_DOUBLE_EQ(s.nodes[1].rps.value_or(-1), 0.5);
  EXPECT_DOUBLE_EQ(s.nodes[1].p99_ms.value_or(-1), 7.0);
  EXPECT_EQ(s.nodes[1].shards_served, 1u);
  ASSERT_EQ(s.services.size(), 2u);
  EXPECT_EQ(s.services[0].shards, 0u);
  EXPECT_EQ(s.services[1].shards, 2u);
  EXPECT_EQ(s.services[1].unserved, 1u);
  EXPECT_EQ(s.services[1].moving, 1u);
  EXPECT_EQ(s.services[1].stashing, 0u);
  EXPECT_EQ(s.events.size(), 2u);
  auto text = utc_text(s);
  EXPECT_NE(text.find("nodes up 1/3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  n4: no stats\n"), std::string::npos) << text;
}

/// Every value of the fixture, in turn replaced by a value of each other
/// JSON type or removed: never a throw, a crash or an error other than the
/// one for a missing "nodes" list.
TEST(status_format, no_field_can_break_it) {
  auto base = fixture();
  std::vector<json::json_pointer> pointers;
  std::function<void(const json&, const json::json_pointer&)> walk =
      [&](const json& j, const json::json_pointer& at) {
        pointers.push_back(at);
        if (j.is_object())
          for (auto& [k, v] : j.items())
            walk(v, at / k);
        else if (j.is_array())
          for (std::size_t i = 0; i < j.size(); ++i)
            walk(j[i], at / i);
      };
  walk(base, json::json_pointer{});
  ASSERT_GT(pointers.size(), 500u);
  const json replacements[] = {nullptr,       "x",           -1, 1e308, true,
                               json::array(), json::object()};
  std::size_t rendered = 0;
  for (auto& p : pointers) {
    if (p.empty())
      continue;
    std::vector<json> variants;
    for (auto& r : replacements) {
      auto v = base;
      v[p] = r;
      variants.push_back(std::move(v));
    }
    if (base[p.parent_pointer()].is_object()) {
      auto removed = base;
      removed[p.parent_pointer()].erase(p.back());
      variants.push_back(std::move(removed));
    }
    for (auto& v : variants) {
      status_result r;
      ASSERT_NO_THROW(r = summarize_status(v)) << p.to_string();
      if (!r.summary) {
        EXPECT_EQ(p.to_string(), "/nodes") << r.error;
        continue;
      }
      std::string text;
      ASSERT_NO_THROW(text = utc_text(*r.summary)) << p.to_string();
      EXPECT_FALSE(text.empty());
      ++rendered;
    }
  }
  EXPECT_GT(rendered, 1000u);
}
