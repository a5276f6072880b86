#include "troupe/config/config.hpp"

#include <gtest/gtest.h>

using namespace troupe::config;

namespace {

std::string parse_error(const std::string& text) {
  auto res = parse_config(text, "t.toml");
  EXPECT_FALSE(res.config) << "expected an error for: " << text;
  return res.error;
}

} // namespace

TEST(config, shipped_single_toml_equals_the_embedded_default) {
  auto res = load_config_file(TROUPE_SOURCE_DIR "/cluster-config/single.toml");
  ASSERT_TRUE(res.config) << res.error;
  auto def = default_config();
  auto& cfg = *res.config;
  EXPECT_EQ(cfg.self, def.self);
  ASSERT_EQ(cfg.nodes.size(), 1u);
  EXPECT_EQ(cfg.nodes[0].http.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(cfg.nodes[0].actor.to_string(), "127.0.0.1:4242");
  EXPECT_EQ(cfg.nodes[0].data_dir, "./data");
  EXPECT_EQ(cfg.persistence.level, durability::sync);
  EXPECT_EQ(cfg.http.request_timeout, def.http.request_timeout);
  EXPECT_EQ(cfg.http.max_body_bytes, def.http.max_body_bytes);
  EXPECT_EQ(cfg.pastebin.shards, def.pastebin.shards);
  EXPECT_EQ(cfg.crawler.per_host_delay, def.crawler.per_host_delay);
  EXPECT_EQ(cfg.crawler.refresh_after, def.crawler.refresh_after);
  EXPECT_EQ(cfg.crawler.user_agent, def.crawler.user_agent);
  EXPECT_EQ(cfg.search.cache_ttl, def.search.cache_ttl);
  EXPECT_EQ(cfg.search.registry_capacity, def.search.registry_capacity);
  EXPECT_EQ(cfg.pastebin.max_paste_bytes, def.pastebin.max_paste_bytes);
  EXPECT_EQ(cfg.runtime.max_restarts, def.runtime.max_restarts);
  EXPECT_EQ(cfg.runtime.restart_period, def.runtime.restart_period);
  EXPECT_EQ(cfg.runtime.scheduler_policy, def.runtime.scheduler_policy);
  EXPECT_EQ(cfg.runtime.scheduler_threads, def.runtime.scheduler_threads);
  EXPECT_EQ(cfg.http.io_threads, def.http.io_threads);
  EXPECT_EQ(cfg.persistence.sync_interval, def.persistence.sync_interval);
  EXPECT_FALSE(cfg.runtime.fault_injection);
  EXPECT_EQ(cfg.membership.heartbeat_interval,
            def.membership.heartbeat_interval);
  EXPECT_EQ(cfg.membership.failure_timeout, def.membership.failure_timeout);
  EXPECT_EQ(cfg.cache.shards, def.cache.shards);
  EXPECT_EQ(cfg.cache.capacity_bytes, def.cache.capacity_bytes);
  EXPECT_EQ(cfg.cache.max_value_bytes, def.cache.max_value_bytes);
  EXPECT_EQ(cfg.cache.sweep_interval, def.cache.sweep_interval);
  EXPECT_EQ(cfg.cache.sweep_buckets_per_tick, def.cache.sweep_buckets_per_tick);
  EXPECT_EQ(cfg.cache.snapshot, def.cache.snapshot);
  EXPECT_EQ(cfg.cache.snapshot_interval, def.cache.snapshot_interval);
  EXPECT_EQ(cfg.twitter.shards, def.twitter.shards);
  EXPECT_EQ(cfg.twitter.home_timeline_size, def.twitter.home_timeline_size);
  EXPECT_EQ(cfg.twitter.active_days, def.twitter.active_days);
  EXPECT_EQ(cfg.twitter.fanout_limit, def.twitter.fanout_limit);
  EXPECT_EQ(cfg.twitter.search_timeout, def.twitter.search_timeout);
  EXPECT_EQ(cfg.twitter.sweep_interval, def.twitter.sweep_interval);
  EXPECT_EQ(cfg.twitter.notifications_per_user,
            def.twitter.notifications_per_user);
  EXPECT_EQ(cfg.twitter.max_followees, def.twitter.max_followees);
  EXPECT_EQ(cfg.twitter.fanout_queue, def.twitter.fanout_queue);
  EXPECT_EQ(cfg.social.shards, def.social.shards);
  EXPECT_EQ(cfg.social.search_timeout, def.social.search_timeout);
  EXPECT_EQ(cfg.social.search_max_visited, def.social.search_max_visited);
  EXPECT_EQ(cfg.social.max_import_bytes, def.social.max_import_bytes);
  EXPECT_EQ(cfg.social.import_batch_edges, def.social.import_batch_edges);
  EXPECT_EQ(cfg.salesrank.shards, def.salesrank.shards);
  EXPECT_EQ(cfg.salesrank.refresh_interval, def.salesrank.refresh_interval);
  EXPECT_EQ(cfg.salesrank.top_size, def.salesrank.top_size);
  EXPECT_EQ(cfg.salesrank.max_ingest_bytes, def.salesrank.max_ingest_bytes);
  EXPECT_EQ(cfg.salesrank.ingest_batch_lines, def.salesrank.ingest_batch_lines);
}

TEST(config, social_settings_are_read_and_checked) {
  auto res = parse_config("[social]\nshards = 4\nsearch_timeout_ms = 300\n"
                          "import_batch_edges = 100\n",
                          "t.toml");
  ASSERT_TRUE(res.config) << res.error;
  EXPECT_EQ(res.config->social.shards, 4u);
  EXPECT_EQ(res.config->social.search_timeout.count(), 300);
  EXPECT_EQ(res.config->social.import_batch_edges, 100u);
  EXPECT_NE(parse_error("[social]\nshards = 0\n").find("social.shards"),
            std::string::npos);
  EXPECT_NE(parse_error("[social]\nimport_batch_edges = 2000000\n")
                .find("social.import_batch_edges"),
            std::string::npos);
}

TEST(config, crawler_and_search_settings_are_read_and_checked) {
  auto res = parse_config("[crawler]\nshards = 4\nper_host_delay_ms = 0\n"
                          "refresh_after_s = 60\nuser_agent = \"bot/2\"\n"
                          "public_only = true\n[search]\nshards = 2\n"
                          "cache_ttl_s = 5\ntimeout_ms = 900\n",
                          "t.toml");
  ASSERT_TRUE(res.config) << res.error;
  const auto& cr = res.config->crawler;
  EXPECT_EQ(cr.shards, 4u);
  EXPECT_EQ(cr.per_host_delay.count(), 0);
  EXPECT_EQ(cr.refresh_after.count(), 60);
  EXPECT_EQ(cr.user_agent, "bot/2");
  EXPECT_TRUE(cr.public_only);
  EXPECT_EQ(cr.per_host_connections, 1u) << "default kept";
  EXPECT_EQ(res.config->search.shards, 2u);
  EXPECT_EQ(res.config->search.cache_ttl.count(), 5);
  EXPECT_EQ(res.config->search.timeout.count(), 900);
  for (auto [text, key] :
       {std::pair{"[crawler]\nmax_depth = 65\n", "crawler.max_depth"},
        {"[crawler]\nshards = 0\n", "crawler.shards"},
        {"[crawler]\nrefresh_after_s = 0\n", "crawler.refresh_after_s"},
        {"[crawler]\nper_host_delay_ms = -1\n", "crawler.per_host_delay_ms"},
        {"[search]\nmax_limit = 5000\n", "search.max_limit"},
        {"[search]\nbogus = 1\n", "search.bogus"}})
    EXPECT_NE(parse_error(text).find(key), std::string::npos) << text;
}

TEST(config, dashboard_history_settings_are_read_and_checked) {
  auto res = parse_config("[runtime]\nstats_interval_ms = 0\n"
                          "stats_history_s = 60\n",
                          "t.toml");
  ASSERT_TRUE(res.config) << res.error;
  EXPECT_EQ(res.config->runtime.stats_interval.count(), 0) << "0: no sampling";
  EXPECT_EQ(res.config->runtime.stats_history_s, 60);
  for (auto [text, key] :
       {std::pair{"[runtime]\nstats_history_s = 0\n",
                  "runtime.stats_history_s"},
        {"[runtime]\nstats_history_s = 100000\n", "runtime.stats_history_s"},
        {"[runtime]\nstats_interval_ms = -1\n", "runtime.stats_interval_ms"},
        {"[runtime]\nstats_interval_ms = 10\nstats_history_s = 3600\n",
         "runtime.stats_interval_ms"}})
    EXPECT_NE(parse_error(text).find(key), std::string::npos) << text;
}

TEST(config, cache_settings_are_read_and_checked) {
  auto res = parse_config("[cache]\nshards = 2\ncapacity_bytes = 1048576\n"
                          "snapshot = true\nsnapshot_interval_ms = 500\n",
                          "t.toml");
  ASSERT_TRUE(res.config) << res.error;
  EXPECT_EQ(res.config->cache.shards, 2u);
  EXPECT_EQ(res.config->cache.capacity_bytes, 1048576u);
  EXPECT_TRUE(res.config->cache.snapshot);
  EXPECT_EQ(res.config->cache.snapshot_interval.count(), 500);
  EXPECT_EQ(parse_error("[cache]\nshards = 0\n"),
            "t.toml: cache.shards: must be an integer >= 1");
  EXPECT_EQ(parse_error("[cache]\nshards = 64\ncapacity_bytes = 65536\n"),
            "t.toml: cache.capacity_bytes: must give each of the cache.shards "
            "at least 4096 bytes");
  EXPECT_EQ(parse_error("[cache]\nmax_value_bytes = 4194304\n"),
            "t.toml: cache.max_value_bytes: must not exceed "
            "http.max_body_bytes (2097152)");
  EXPECT_EQ(parse_error("[cache]\nsnapshot = 1\n")
                .rfind("t.toml: cache.snapshot:", 0),
            0u);
}

TEST(config, values_are_read) {
  auto res = parse_config(R"(
self = "b"
[[nodes]]
name = "a"
actor = "127.0.0.1:5000"
http = "127.0.0.1:9000"
data_dir = "/tmp/a"
[[nodes]]
name = "b"
actor = "127.0.0.1:5001"
http = "127.0.0.1:9001"
data_dir = "/tmp/b"
link = "127.0.0.1:4401"
[persistence]
durability = "group"
[http]
request_timeout_ms = 250
)",
                          "t.toml");
  ASSERT_TRUE(res.config) << res.error;
  EXPECT_EQ(res.config->self_entry().name, "b");
  EXPECT_EQ(res.config->self_entry().http.port, 9001);
  EXPECT_EQ(res.config->self_entry().link.port, 4401);
  EXPECT_EQ(res.config->nodes[0].link.port, 0); // no link: routed over CAF
  EXPECT_EQ(res.config->persistence.level, durability::group);
  EXPECT_EQ(res.config->http.request_timeout.count(), 250);
}

TEST(config, errors_name_file_key_and_problem) {
  EXPECT_EQ(parse_error("[http]\nio_thread = 2\n"),
            "t.toml: http.io_thread: unknown key");
  EXPECT_EQ(parse_error("[http]\nio_threads = \"two\"\n"),
            "t.toml: http.io_threads: must be an integer >= 1");
  EXPECT_EQ(parse_error("[persistence]\ndurability = \"fast\"\n"),
            "t.toml: persistence.durability: must be \"sync\", \"group\" or "
            "\"async\"");
  EXPECT_EQ(parse_error("[[nodes]]\nname = \"a\"\nactor = \"x\"\n"),
            "t.toml: nodes[0].actor: must be a string \"host:port\"");
  EXPECT_EQ(parse_error("[[nodes]]\nname = \"a\"\nlink = 4401\n"),
            "t.toml: nodes[0].link: must be a string \"host:port\"");
  EXPECT_EQ(parse_error("http = 3\n"), "t.toml: http: must be a table");
  EXPECT_EQ(parse_error("[runtime]\nfault_injection = true\n"),
            "t.toml: runtime.admin_token: must be set when fault_injection "
            "is enabled");
  EXPECT_EQ(
      parse_error("log_level = \"loud\"\n").rfind("t.toml: log_level:", 0), 0u);
}

TEST(config, syntax_errors_name_the_line) {
  auto err = parse_error("cluster = \"x\"\n[http\n");
  EXPECT_EQ(err.rfind("t.toml:2: ", 0), 0u) << err;
}

TEST(config, several_nodes_need_self) {
  auto text = R"(
[[nodes]]
name = "a"
actor = "127.0.0.1:5000"
http = "127.0.0.1:9000"
data_dir = "a"
[[nodes]]
name = "b"
actor = "127.0.0.1:5001"
http = "127.0.0.1:9001"
data_dir = "b"
)";
  EXPECT_EQ(parse_error(text).rfind("t.toml: self:", 0), 0u);
  EXPECT_EQ(parse_error("self = \"c\"\n" + std::string{text}),
            "t.toml: self: node 'c' is not listed in [[nodes]]");
  auto dup = "self = \"a\"\n" + std::string{text} +
             "[[nodes]]\nname = \"a\"\nactor = \"h:1\"\nhttp = \"h:2\"\n"
             "data_dir = \"x\"\n";
  EXPECT_EQ(parse_error(dup), "t.toml: nodes[2].name: duplicate node name 'a'");
}

TEST(config, flags_override_the_file_and_default) {
  overrides flags;
  flags.node = "edge";
  flags.http = "127.0.0.1:18080";
  flags.data_dir = "/tmp/x";
  auto res = load(std::nullopt, flags);
  ASSERT_TRUE(res.config) << res.error;
  EXPECT_EQ(res.config->self, "edge");
  EXPECT_EQ(res.config->self_entry().http.port, 18080);
  EXPECT_EQ(res.config->self_entry().data_dir, "/tmp/x");
  flags.http = "nonsense";
  res = load(std::nullopt, flags);
  EXPECT_FALSE(res.config);
  EXPECT_EQ(res.error, "--http: must be HOST:PORT, got 'nonsense'");
  res = load(std::string{"/nonexistent/troupe.toml"}, {});
  EXPECT_EQ(res.error, "/nonexistent/troupe.toml: cannot open file");
}

TEST(config, endpoints) {
  EXPECT_EQ(parse_endpoint("127.0.0.1:80")->port, 80);
  EXPECT_FALSE(parse_endpoint("127.0.0.1"));
  EXPECT_FALSE(parse_endpoint(":80"));
  EXPECT_FALSE(parse_endpoint("h:99999"));
  EXPECT_FALSE(parse_endpoint("h:8x"));
}

TEST(config, a_bad_log_level_flag_is_an_error) {
  overrides flags;
  flags.log_level = "loud";
  auto res = load(std::nullopt, flags);
  EXPECT_FALSE(res.config);
  EXPECT_EQ(res.error,
            "--log-level: must be debug, info, warning, error or off, got "
            "'loud'");
  flags.log_level = "debug";
  res = load(std::nullopt, flags);
  ASSERT_TRUE(res.config) << res.error;
  EXPECT_EQ(res.config->log_level, "debug");
}

namespace {

const char* two_nodes = R"(
self = "a"
[[nodes]]
name = "a"
actor = "127.0.0.1:1"
http = "127.0.0.1:2"
data_dir = "d1"
[[nodes]]
name = "b"
actor = "127.0.0.1:3"
http = "127.0.0.1:4"
data_dir = "d2"
)";

} // namespace

TEST(config, etcd_membership_is_read) {
  auto res = parse_config(std::string{two_nodes} +
                              "[membership]\nsource = \"etcd\"\n"
                              "etcd_endpoints = [\"10.0.0.2:2379\", "
                              "\"10.0.0.3:2379\"]\nlease_ttl_ms = 3000\n"
                              "etcd_prefix = \"/apps/troupe\"\n",
                          "t.toml");
  ASSERT_TRUE(res.config) << res.error;
  const auto& m = res.config->membership;
  EXPECT_EQ(m.source, membership_source::etcd);
  ASSERT_EQ(m.etcd_endpoints.size(), 2u);
  EXPECT_EQ(m.etcd_endpoints[1].to_string(), "10.0.0.3:2379");
  EXPECT_EQ(m.lease_ttl.count(), 3000);
  EXPECT_EQ(m.etcd_prefix, "/apps/troupe");
  EXPECT_EQ(default_config().membership.source, membership_source::static_list);
}

TEST(config, etcd_membership_errors_name_the_key) {
  auto with = [](const std::string& membership) {
    return std::string{two_nodes} + "[membership]\n" + membership;
  };
  EXPECT_EQ(parse_error(with("source = \"zookeeper\"\n")),
            "t.toml: membership.source: must be \"static\" or \"etcd\"");
  EXPECT_EQ(parse_error(with("source = \"etcd\"\n")),
            "t.toml: membership.etcd_endpoints: must name at least one "
            "\"host:port\" when source = \"etcd\"");
  EXPECT_EQ(parse_error(with("etcd_endpoints = [\"nohost\"]\n")),
            "t.toml: membership.etcd_endpoints: must be an array of "
            "\"host:port\" strings");
  EXPECT_EQ(parse_error(with("source = \"etcd\"\netcd_endpoints = "
                             "[\"e:2379\"]\nlease_ttl_ms = 1500\n")),
            "t.toml: membership.lease_ttl_ms: must be whole seconds (etcd "
            "grants leases in seconds), e.g. 2000");
  EXPECT_EQ(parse_error(with("lease_ttl_ms = 500\n")),
            "t.toml: membership.lease_ttl_ms: must be an integer number of "
            "milliseconds >= 1000");
  EXPECT_EQ(parse_error(with("source = \"etcd\"\netcd_endpoints = "
                             "[\"e:2379\"]\netcd_prefix = \"troupe/\"\n")),
            "t.toml: membership.etcd_prefix: must start with '/' and not end "
            "with one");
  EXPECT_EQ(parse_error("[membership]\nsource = \"etcd\"\n"
                        "etcd_endpoints = [\"e:2379\"]\n"),
            "t.toml: membership.source: \"etcd\" coordinates two or more "
            "[[nodes]]; a single node needs no etcd (use \"static\")");
}
