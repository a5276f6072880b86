#include "troupe/runtime/stats_history.hpp"

#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "troupe/runtime/cluster_snapshot.hpp"
#include "troupe/runtime/region.hpp"

using namespace troupe::runtime;
using nlohmann::json;

namespace {

/// A registry with one route's counters and latency histogram.
void serve(metrics_registry& reg, const std::string& route, unsigned status,
           double seconds, int times) {
  auto& c = reg.counter("troupe_http_requests_total", "",
                        {{"route", route},
                         {"method", "GET"},
                         {"status", std::to_string(status)}});
  auto& h = reg.histogram("troupe_http_request_duration_seconds", "",
                          {{"route", route}}, default_latency_buckets());
  for (int i = 0; i < times; ++i) {
    c.inc();
    h.observe(seconds);
  }
}

} // namespace

TEST(stats_history, quantiles_match_prometheus_interpolation) {
  std::vector<double> bounds{0.001, 0.01, 0.1};
  // 100 observations: 50 in (0, 1ms], 40 in (1ms, 10ms], 10 in (10ms, 100ms].
  std::vector<uint64_t> counts{50, 40, 10, 0};
  EXPECT_DOUBLE_EQ(histogram_quantile(0.5, bounds, counts), 0.001);
  EXPECT_NEAR(histogram_quantile(0.7, bounds, counts), 0.001 + 0.009 * 0.5,
              1e-12);
  EXPECT_NEAR(histogram_quantile(0.99, bounds, counts), 0.01 + 0.09 * 0.9,
              1e-12);
  // The +Inf bucket answers the last finite bound, as Prometheus does.
  EXPECT_DOUBLE_EQ(histogram_quantile(0.99, bounds, {0, 0, 0, 5}), 0.1);
  EXPECT_TRUE(std::isnan(histogram_quantile(0.5, bounds, {0, 0, 0, 0})));
}

TEST(stats_history, services_of_routes) {
  EXPECT_EQ(service_of_route("/pastebin/api/v1/paste/{id}"), "pastebin");
  EXPECT_EQ(service_of_route("/cache/api/v1/get/{key}"), "cache");
  EXPECT_EQ(service_of_route("/api/v1/stats"), "ops");
  EXPECT_EQ(service_of_route("/metrics"), "ops");
  EXPECT_EQ(service_of_route("/"), "ops");
  EXPECT_EQ(service_of_route("/admin/v1/fault/crash"), "ops");
  EXPECT_EQ(service_of_route("unmatched"), "ops");
}

TEST(stats_history, one_second_of_rates_errors_and_latency) {
  metrics_registry reg;
  stats_history h{"n1"};
  serve(reg, "/pastebin/api/v1/paste/{id}", 200, 0.0003, 10);
  h.add(read_stats(reg), 1000); // the base: no sample yet
  EXPECT_EQ(h.samples(), 0u);
  serve(reg, "/pastebin/api/v1/paste/{id}", 200, 0.0003, 98);
  serve(reg, "/pastebin/api/v1/paste/{id}", 503, 0.004, 2);
  reg.gauge("troupe_replication_pending", "", {{"service", "pastebin"}}).set(7);
  reg.gauge("troupe_cache_hits", "").set(30);
  reg.gauge("troupe_cache_misses", "").set(10);
  reg.gauge("troupe_pastebin_pastes", "").set(42);
  auto r = read_stats(reg);
  r.cpu_seconds = 0.5;
  h.add(std::move(r), 3000); // two seconds later
  ASSERT_EQ(h.samples(), 1u);
  auto out = json::parse(h.render(0));
  EXPECT_EQ(out["node"], "n1");
  EXPECT_EQ(out["t"], json::array({3000}));
  const auto& route = out["routes"]["/pastebin/api/v1/paste/{id}"];
  EXPECT_EQ(route["service"], "pastebin");
  EXPECT_DOUBLE_EQ(route["rps"][0].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(route["errors"][0].get<double>(), 1.0);
  // 98 of 100 in (0.25 ms, 0.5 ms]: the median interpolates inside it.
  EXPECT_GT(route["p50_ms"][0].get<double>(), 0.25);
  EXPECT_LE(route["p50_ms"][0].get<double>(), 0.5);
  EXPECT_GT(route["p99_ms"][0].get<double>(), 2.5);
  EXPECT_LE(route["p99_ms"][0].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(out["cpu"][0].get<double>(), 0.25);
  EXPECT_EQ(out["replication_lag"]["pastebin"], json::array({7}));
  EXPECT_DOUBLE_EQ(out["cache_hit_rate"][0].get<double>(), 0.75);
  EXPECT_TRUE(out["commit_batch"][0].is_null()); // no commit that second
  EXPECT_EQ(out["current"]["totals"]["pastes"], 42);
  EXPECT_DOUBLE_EQ(out["current"]["requests_per_s"].get<double>(), 50.0);
}

TEST(stats_history, arrays_stay_aligned_when_routes_come_and_go) {
  metrics_registry reg;
  stats_history h{"n1"};
  h.add(read_stats(reg), 0);
  serve(reg, "/a/x", 200, 0.001, 1);
  h.add(read_stats(reg), 1000);
  h.add(read_stats(reg), 2000); // no traffic
  serve(reg, "/b/y", 200, 0.001, 1);
  h.add(read_stats(reg), 3000);
  auto out = json::parse(h.render(0));
  ASSERT_EQ(out["t"].size(), 3u);
  EXPECT_EQ(out["routes"]["/a/x"]["rps"], json::parse("[1, null, null]"));
  EXPECT_EQ(out["routes"]["/b/y"]["rps"], json::parse("[null, null, 1]"));
  // Only what is newer than `since`: the page's incremental refresh.
  auto tail = json::parse(h.render(2000));
  EXPECT_EQ(tail["t"], json::array({3000}));
  EXPECT_FALSE(tail["routes"].contains("/a/x"));
}

TEST(stats_history, memory_stays_bounded_over_long_runs) {
  metrics_registry reg;
  stats_history h{"n1", 900, 256};
  for (int64_t i = 0; i < 5000; ++i) {
    // A bounded set of routes, as the router's route table is.
    serve(reg, "/svc/r" + std::to_string(i % 20), 200, 0.001, 1);
    h.add(read_stats(reg), i * 1000);
    h.add_event({i * 1000, "shard_moved", "x"});
  }
  EXPECT_EQ(h.samples(), 900u);
  EXPECT_EQ(h.events(), 256u);
  EXPECT_EQ(h.names(), 20u);
  auto out = json::parse(h.render(0));
  EXPECT_EQ(out["t"].size(), 900u);
  EXPECT_EQ(out["t"][0], 4100 * 1000); // the last 900 of 4,999 seconds
  EXPECT_EQ(out["events"].size(), 256u);
  for (const auto& [name, route] : out["routes"].items())
    EXPECT_EQ(route["rps"].size(), 900u) << name;
}

TEST(cluster_snapshot, logs_nodes_moves_epochs_states_and_restarts) {
  auto row = [](uint16_t i, std::string serving, uint64_t epoch,
                uint8_t state = region_status::remote) {
    shard_row r;
    r.shard = i;
    r.owners = {"n1", "n2"};
    r.serving = std::move(serving);
    r.epoch = epoch;
    r.state = state;
    return r;
  };
  cluster_snapshot a;
  a.members = {{"n1", true}, {"n2", true}, {"n3", true}};
  a.shards["pastebin"] = {row(0, "n3", 1), row(1, "n3", 1), row(2, "n1", 1),
                          row(3, "n1", 1, region_status::up)};
  a.restarts["pastebin"] = 0;
  auto b = a;
  b.members["n3"] = false;
  b.shards["pastebin"][0].serving = "n1";
  b.shards["pastebin"][1].serving = "n1";
  b.shards["pastebin"][2].epoch = 2;
  b.shards["pastebin"][3].state = region_status::failed;
  b.restarts["pastebin"] = 2;
  auto events = diff_snapshots(a, b, 5000);
  std::vector<std::string> texts;
  for (const auto& e : events) {
    EXPECT_EQ(e.t_ms, 5000);
    texts.push_back(e.kind + ": " + e.text);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{
                       "node_down: n3 down",
                       "shard_moved: pastebin: 2 shards n3 -> n1",
                       "epoch: pastebin: epoch raised on 1 shard (replicas "
                       "changed)",
                       "shard_state: pastebin: 1 shard failed",
                       "restart: pastebin: 2 supervised restarts",
                   }));
  EXPECT_TRUE(diff_snapshots(b, b, 6000).empty());
}

TEST(cluster_snapshot, moving_and_serving_in_json) {
  shard_row r;
  r.shard = 4;
  r.owners = {"n1", "n2", "n3"};
  r.serving = "n2";
  r.stashed = 3;
  auto j = shard_json(r, false);
  EXPECT_EQ(j["primary"], "n1");
  EXPECT_EQ(j["replicas"], json::array({"n2", "n3"}));
  EXPECT_EQ(j["serving"], "n2");
  EXPECT_EQ(j["moving"], true);
  EXPECT_EQ(j["stashed"], 3);
  EXPECT_FALSE(j.contains("state"));
  r.serving.clear();
  EXPECT_TRUE(shard_json(r, false)["serving"].is_null());
}

TEST(cluster_snapshot, merged_events_list_each_change_once) {
  auto event = [](int64_t t, const std::string& node, const std::string& kind,
                  const std::string& text) {
    return json{{"t", t}, {"node", node}, {"kind", kind}, {"text", text}};
  };
  json nodes = json::array();
  nodes.push_back({{"name", "n1"},
                   {"stats",
                    {{"events",
                      {event(1000, "n1", "started", "n1 started"),
                       event(9000, "n1", "node_down", "n3 down"),
                       event(30000, "n1", "node_down", "n3 down")}}}}});
  nodes.push_back({{"name", "n2"},
                   {"stats",
                    {{"events",
                      {event(1500, "n2", "started", "n2 started"),
                       event(10500, "n2", "node_down", "n3 down")}}}}});
  nodes.push_back({{"name", "n3"}, {"stats", nullptr}});
  auto merged = merge_events(nodes);
  std::vector<std::string> seen;
  for (const auto& e : merged)
    seen.push_back(std::to_string(e["t"].get<int64_t>()) + " " +
                   e["node"].get<std::string>() + " " +
                   e["text"].get<std::string>());
  // n2's "n3 down" 1.5 s after n1's is the same change; 21 s later it is a
  // new one.
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "1000 n1 n1 started", "1500 n2 n2 started",
                      "9000 n1 n3 down", "30000 n1 n3 down"}));

  json many = json::array();
  json list = json::array();
  for (int64_t i = 0; i < 500; ++i)
    list.push_back(event(i * 10000, "n1", "epoch", "x"));
  many.push_back({{"name", "n1"}, {"stats", {{"events", list}}}});
  auto capped = merge_events(many);
  ASSERT_EQ(capped.size(), max_cluster_events);
  EXPECT_EQ(capped.back()["t"], 499 * 10000); // the newest kept
}
