#include "troupe/runtime/metrics.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

using namespace troupe::runtime;

TEST(metrics_registry, renders_prometheus_text) {
  metrics_registry reg;
  auto& c = reg.counter("requests_total", "Requests.",
                        {{"route", "/a"}, {"status", "200"}});
  c.inc();
  c.inc(2);
  reg.counter("requests_total", "Requests.",
              {{"route", "/b\"x\\\n"}, {"status", "404"}})
      .inc();
  reg.gauge("bytes", "Stored\nbytes.").set(1.5);
  auto& h =
      reg.histogram("latency_seconds", "Latency.", {{"route", "/a"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(3);
  EXPECT_EQ(&c, &reg.counter("requests_total", "Requests.",
                             {{"route", "/a"}, {"status", "200"}}));
  EXPECT_EQ(c.value(), 3u);
  const char* expected =
      "# HELP bytes Stored\\nbytes.\n"
      "# TYPE bytes gauge\n"
      "bytes 1.5\n"
      "# HELP latency_seconds Latency.\n"
      "# TYPE latency_seconds histogram\n"
      "latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"
      "latency_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"
      "latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"
      "latency_seconds_sum{route=\"/a\"} 3.55\n"
      "latency_seconds_count{route=\"/a\"} 3\n"
      "# HELP requests_total Requests.\n"
      "# TYPE requests_total counter\n"
      "requests_total{route=\"/a\",status=\"200\"} 3\n"
      "requests_total{route=\"/b\\\"x\\\\\\n\",status=\"404\"} 1\n";
  EXPECT_EQ(reg.render_prometheus(), expected);
}

TEST(metrics_registry, collectors_run_before_render) {
  metrics_registry reg;
  int runs = 0;
  reg.add_collector([&runs](metrics_registry& r) {
    r.gauge("lmdb_bytes", "LMDB bytes.").set(++runs * 100);
  });
  EXPECT_EQ(reg.render_prometheus(),
            "# HELP lmdb_bytes LMDB bytes.\n# TYPE lmdb_bytes gauge\n"
            "lmdb_bytes 100\n");
  EXPECT_NE(reg.render_prometheus().find("lmdb_bytes 200\n"),
            std::string::npos);
}

TEST(metrics_registry, type_conflict_throws) {
  metrics_registry reg;
  reg.counter("x", "X.");
  EXPECT_THROW(reg.gauge("x", "X."), std::invalid_argument);
}

TEST(metrics_registry, concurrent_increments_sum_up) {
  metrics_registry reg;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&reg, t] {
      for (int i = 0; i < 10000; ++i) {
        // Mix lookups (mutex) and updates (atomics).
        reg.counter("hits_total", "Hits.").inc();
        reg.gauge("level", "Level.").add(1);
        reg.histogram("h", "H.", {{"t", std::to_string(t % 2)}}, {1})
            .observe(0.5);
      }
    });
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(reg.counter("hits_total", "Hits.").value(), 40000u);
  EXPECT_EQ(reg.gauge("level", "Level.").value(), 40000.0);
  auto text = reg.render_prometheus();
  EXPECT_NE(text.find("h_count{t=\"0\"} 20000\n"), std::string::npos);
  EXPECT_NE(text.find("h_count{t=\"1\"} 20000\n"), std::string::npos);
}

TEST(metrics_registry, formats_values) {
  EXPECT_EQ(format_metric_value(0.005), "0.005");
  EXPECT_EQ(format_metric_value(10), "10");
  EXPECT_EQ(format_metric_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_metric_value(0.1 + 0.2), "0.30000000000000004");
}
