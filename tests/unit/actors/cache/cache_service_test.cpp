// The cache service on a real node (real actors, real LMDB) through its
// typed interface, with a clock the test moves: validation, the active
// expiry sweep, warm restart from the snapshot, and supervised restarts.

#include "troupe/cache/service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <caf/all.hpp>

#include "../../runtime/test_node.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_map.hpp"
#include "troupe/services.hpp"

using namespace troupe;
using namespace troupe::cache;
using namespace std::chrono_literals;

namespace {

constexpr int64_t t0 = 1'767'225'600'000;

std::atomic<int64_t> fake_now{t0};

config::node_config cache_config(bool snapshot) {
  auto cfg = test::test_node::small_config();
  cfg.cache.shards = 4;
  cfg.cache.capacity_bytes = 4 << 20;
  cfg.cache.max_value_bytes = 64 * 1024;
  cfg.cache.sweep_interval = 10ms;
  cfg.cache.snapshot = snapshot;
  return cfg;
}

runtime::errc code_of(const caf::error& err) {
  return static_cast<runtime::errc>(err.code());
}

struct cache_service : ::testing::Test {
  explicit cache_service(bool snapshot = false)
      : node(cache_config(snapshot), services::register_types) {
    fake_now = t0;
    svc = start();
  }

  service start() {
    return cache::start(*node, [] { return fake_now.load(); });
  }

  /// Stops the node (handles first: none may outlive its actor system),
  /// moves the clock to `now`, and starts node and service again.
  void restart(int64_t now) {
    svc = service{};
    node.restart();
    fake_now = now;
    svc = start();
  }

  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs) {
    return test::ask<T>(*node, caf::actor_cast<caf::actor>(svc.api),
                        std::forward<Ts>(xs)...);
  }

  caf::expected<ok_atom> put(std::string key, std::string value,
                             uint32_t ttl = 0) {
    return ask<ok_atom>(put_atom::value, std::move(key), std::move(value), ttl);
  }

  caf::expected<std::string> get(std::string key) {
    return ask<std::string>(get_atom::value, std::move(key));
  }

  cache_stats stats() { return *ask<cache_stats>(stats_atom::value); }

  test::test_node node;
  service svc;
};

struct cache_with_snapshots : cache_service {
  cache_with_snapshots() : cache_service(true) {
    // nop
  }
};

} // namespace

TEST_F(cache_service, the_typed_interface_stores_reads_and_deletes) {
  ASSERT_TRUE(put("k", "v"));
  EXPECT_EQ(get("k"), std::string{"v"});
  EXPECT_TRUE(ask<ok_atom>(delete_atom::value, std::string{"k"}));
  auto gone = get("k");
  ASSERT_FALSE(gone);
  EXPECT_EQ(code_of(gone.error()), runtime::errc::not_found);
  auto again = ask<ok_atom>(delete_atom::value, std::string{"k"});
  ASSERT_FALSE(again);
  EXPECT_EQ(code_of(again.error()), runtime::errc::not_found);
  auto s = stats();
  EXPECT_EQ(s.capacity_bytes, 4u << 20);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.entries, 0u);
}

TEST_F(cache_service, bad_keys_and_values_are_refused_and_change_nothing) {
  EXPECT_EQ(code_of(put("", "v").error()), runtime::errc::invalid_argument);
  EXPECT_EQ(code_of(put(std::string(1025, 'k'), "v").error()),
            runtime::errc::invalid_argument);
  EXPECT_TRUE(put(std::string(1024, 'k'), "v"));
  EXPECT_EQ(code_of(put("k", std::string(64 * 1024 + 1, 'v')).error()),
            runtime::errc::payload_too_large);
  EXPECT_TRUE(put("k", std::string(64 * 1024, 'v')));
  EXPECT_EQ(stats().entries, 2u);
}

TEST_F(cache_service, an_entry_larger_than_its_shard_budget_is_413) {
  auto cfg = cache_config(false);
  cfg.cache.capacity_bytes = 4 * 16 * 1024; // 16 KiB per shard
  test::test_node small{cfg, services::register_types};
  auto s = cache::start(*small, [] { return fake_now.load(); });
  auto api = caf::actor_cast<caf::actor>(s.api);
  auto r = test::ask<ok_atom>(*small, api, put_atom::value, std::string{"k"},
                              std::string(20 * 1024, 'v'), uint32_t{0});
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), runtime::errc::payload_too_large);
}

TEST_F(cache_service, the_sweep_reclaims_expired_entries_nobody_reads) {
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(put("k" + std::to_string(i), "v", i % 2 == 0 ? 5 : 0));
  EXPECT_EQ(stats().entries, 200u);
  fake_now = t0 + 5000;
  for (int i = 0; i < 500 && stats().entries != 100; ++i)
    std::this_thread::sleep_for(10ms);
  auto s = stats();
  EXPECT_EQ(s.entries, 100u);
  EXPECT_EQ(s.expired, 100u);
  EXPECT_EQ(s.misses, 0u); // nothing was read
}

TEST_F(cache_service, the_counters_reach_the_metrics) {
  ASSERT_TRUE(put("k", "v"));
  ASSERT_TRUE(get("k"));
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = node->metrics().render_prometheus();
    if (text.find("troupe_cache_hits 1\n") != std::string::npos)
      break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(text.find("troupe_cache_entries 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("troupe_cache_hits 1\n"), std::string::npos);
  EXPECT_NE(text.find("troupe_cache_capacity_bytes 4194304\n"),
            std::string::npos);
}

TEST_F(cache_service, without_snapshots_a_restarted_node_starts_empty) {
  ASSERT_TRUE(put("k", "v"));
  restart(t0);
  EXPECT_FALSE(get("k"));
}

TEST_F(cache_with_snapshots, a_restarted_node_serves_what_it_had) {
  std::string binary{"\0\xff\x01", 3};
  ASSERT_TRUE(put("keep", binary));
  ASSERT_TRUE(put("ttl", "short", 2));
  ASSERT_TRUE(put("long", "lived", 3600));
  restart(t0 + 2000); // "ttl" expired while the node was down
  EXPECT_EQ(get("keep"), binary);
  EXPECT_EQ(get("long"), std::string{"lived"});
  EXPECT_FALSE(get("ttl"));
  EXPECT_EQ(stats().entries, 2u);
}

TEST_F(cache_with_snapshots, a_crashed_shard_restarts_empty) {
  // A supervised restart must not bring back the last snapshot: values
  // written after it would come back stale.
  ASSERT_TRUE(put("k", "v1"));
  restart(t0);
  ASSERT_EQ(get("k"), std::string{"v1"});
  ASSERT_TRUE(put("k", "v2"));
  auto shard = runtime::shard_of("k", 4);
  ASSERT_TRUE(test::ask<runtime::crash_atom>(
      *node, svc.region, runtime::crash_atom::value, shard));
  for (int i = 0; i < 200 && node->regions().back()->restarts == 0; ++i)
    std::this_thread::sleep_for(10ms);
  for (int i = 0; i < 200 && !node->ready(); ++i)
    std::this_thread::sleep_for(10ms);
  auto after = get("k");
  EXPECT_FALSE(after) << "served " << *after;
}
