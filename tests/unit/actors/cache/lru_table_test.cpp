// The cache's LRU table: a randomized run against a tiny reference model
// (every answer, every counter and the whole LRU order after each step),
// then the edges one by one: TTL at the boundary, the byte budget,
// oversized entries, the bounded sweep and index growth.

#include "troupe/cache/lru_table.hpp"

#include <gtest/gtest.h>

#include <list>
#include <map>
#include <random>
#include <string>
#include <vector>

using troupe::cache::cache_stats;
using troupe::cache::lru_table;

namespace {

/// The obviously correct version: a list for the order, a map for lookup.
class reference_model {
public:
  explicit reference_model(uint64_t capacity) {
    stats.capacity_bytes = capacity;
  }

  std::optional<std::string> get(const std::string& key, int64_t now) {
    auto i = items_.find(key);
    if (i == items_.end() || expired(i->second, now)) {
      if (i != items_.end()) {
        ++stats.expired;
        remove(i);
      }
      ++stats.misses;
      return std::nullopt;
    }
    ++stats.hits;
    order_.splice(order_.begin(), order_, i->second.pos);
    return i->second.value;
  }

  bool set(const std::string& key, const std::string& value, int64_t expires_at,
           int64_t now) {
    auto charge = lru_table::charge_of(key.size(), value.size());
    if (charge > stats.capacity_bytes)
      return false;
    if (auto i = items_.find(key); i != items_.end())
      remove(i);
    while (stats.bytes + charge > stats.capacity_bytes) {
      auto oldest = items_.find(order_.back());
      ++(expired(oldest->second, now) ? stats.expired : stats.evictions);
      remove(oldest);
    }
    order_.push_front(key);
    items_[key] = item{value, expires_at, order_.begin()};
    ++stats.entries;
    stats.bytes += charge;
    return true;
  }

  bool erase(const std::string& key, int64_t now) {
    auto i = items_.find(key);
    if (i == items_.end())
      return false;
    bool live = !expired(i->second, now);
    if (!live)
      ++stats.expired;
    remove(i);
    return live;
  }

  /// A sweep over the whole index.
  void sweep_all(int64_t now) {
    for (auto i = items_.begin(); i != items_.end();) {
      auto next = std::next(i);
      if (expired(i->second, now)) {
        ++stats.expired;
        remove(i);
      }
      i = next;
    }
  }

  /// Keys, least recently used first.
  std::vector<std::string> order() const {
    return {order_.rbegin(), order_.rend()};
  }

  cache_stats stats;

private:
  struct item {
    std::string value;
    int64_t expires_at;
    std::list<std::string>::iterator pos;
  };

  static bool expired(const item& x, int64_t now) {
    return x.expires_at != 0 && now >= x.expires_at;
  }

  void remove(std::map<std::string, item>::iterator i) {
    stats.bytes -=
        lru_table::charge_of(i->first.size(), i->second.value.size());
    --stats.entries;
    order_.erase(i->second.pos);
    items_.erase(i);
  }

  std::list<std::string> order_;
  std::map<std::string, item> items_;
};

std::vector<std::string> order_of(const lru_table& t) {
  std::vector<std::string> keys;
  t.for_each_oldest_first([&](std::string_view k, std::string_view, int64_t) {
    keys.emplace_back(k);
  });
  return keys;
}

void expect_same_stats(const cache_stats& a, const cache_stats& b) {
  EXPECT_EQ(a.entries, b.entries);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.capacity_bytes, b.capacity_bytes);
  EXPECT_EQ(a.hits, b.hits);
  EXPECT_EQ(a.misses, b.misses);
  EXPECT_EQ(a.evictions, b.evictions);
  EXPECT_EQ(a.expired, b.expired);
}

/// Drives table and model with the same random operations.
void run_random(uint64_t seed, uint64_t capacity, size_t steps,
                bool under_pressure) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng{seed};
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  lru_table table{capacity};
  reference_model model{capacity};
  int64_t now = 1'000'000;
  for (size_t step = 0; step < steps; ++step) {
    auto key = "k" + std::to_string(pick(64));
    switch (pick(10)) {
    case 0:
    case 1:
    case 2: { // get
      auto got = table.get(key, now);
      auto want = model.get(key, now);
      ASSERT_EQ(got.has_value(), want.has_value()) << "step " << step;
      if (want) {
        ASSERT_EQ(std::string{*got}, *want) << "step " << step;
      }
      break;
    }
    case 3:
    case 4:
    case 5: { // set, sometimes with a TTL, sometimes too large
      auto size = pick(8) == 0 ? pick(capacity + 64) : pick(300);
      std::string value(size, static_cast<char>('a' + pick(26)));
      int64_t expires_at = pick(3) == 0 ? now + 1 + pick(5000) : 0;
      ASSERT_EQ(table.set(key, value, expires_at, now),
                model.set(key, value, expires_at, now))
          << "step " << step;
      break;
    }
    case 6: // erase
      ASSERT_EQ(table.erase(key, now), model.erase(key, now))
          << "step " << step;
      break;
    case 7:
    case 8: // time passes
      now += static_cast<int64_t>(pick(1500));
      break;
    default: // a sweep over the whole index
      table.sweep(now, size_t(-1));
      model.sweep_all(now);
    }
    expect_same_stats(table.stats(), model.stats);
    ASSERT_EQ(order_of(table), model.order()) << "step " << step;
    ASSERT_LE(table.stats().bytes, capacity);
  }
  // The run covered what it claims to.
  EXPECT_GT(model.stats.hits, 0u);
  EXPECT_GT(model.stats.misses, 0u);
  EXPECT_GT(model.stats.expired, 0u);
  if (under_pressure) {
    EXPECT_GT(model.stats.evictions, 0u);
  }
}

constexpr int64_t t0 = 1'767'225'600'000; // 2026-01-01, in ms

} // namespace

TEST(lru_table, matches_the_reference_model_on_random_operations) {
  for (uint64_t seed = 1; seed <= 8; ++seed)
    run_random(seed, 6 * 1024, 5000, true);
}

TEST(lru_table, matches_the_reference_model_when_nearly_everything_fits) {
  run_random(99, 64 * 1024, 5000, false);
}

TEST(lru_table, an_entry_is_served_until_the_millisecond_it_expires) {
  lru_table t{1 << 20};
  ASSERT_TRUE(t.set("k", "v", t0 + 5000, t0));
  EXPECT_EQ(t.get("k", t0 + 4999), "v");
  EXPECT_FALSE(t.get("k", t0 + 5000));
  EXPECT_EQ(t.stats().expired, 1u);
  EXPECT_EQ(t.stats().entries, 0u);
  EXPECT_EQ(t.stats().bytes, 0u);
}

TEST(lru_table, an_expired_entry_cannot_be_deleted_but_is_reclaimed) {
  lru_table t{1 << 20};
  ASSERT_TRUE(t.set("k", "v", t0 + 1, t0));
  EXPECT_FALSE(t.erase("k", t0 + 1));
  EXPECT_EQ(t.stats().expired, 1u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(lru_table, the_least_recently_used_entry_goes_first) {
  auto one = lru_table::charge_of(2, 100);
  lru_table t{3 * one};
  std::string v(100, 'x');
  ASSERT_TRUE(t.set("k1", v, 0, t0));
  ASSERT_TRUE(t.set("k2", v, 0, t0));
  ASSERT_TRUE(t.set("k3", v, 0, t0));
  ASSERT_TRUE(t.get("k1", t0)); // k2 is now the oldest
  ASSERT_TRUE(t.set("k4", v, 0, t0));
  EXPECT_FALSE(t.get("k2", t0));
  EXPECT_TRUE(t.get("k1", t0));
  EXPECT_TRUE(t.get("k3", t0));
  EXPECT_TRUE(t.get("k4", t0));
  EXPECT_EQ(t.stats().evictions, 1u);
  EXPECT_EQ(t.stats().bytes, 3 * one);
}

TEST(lru_table, a_large_entry_evicts_as_many_as_it_needs) {
  auto small = lru_table::charge_of(2, 10);
  lru_table t{10 * small + 600};
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(t.set("k" + std::to_string(i), "0123456789", 0, t0));
  ASSERT_TRUE(t.set("big", std::string(1000, 'b'), 0, t0));
  EXPECT_LE(t.stats().bytes, t.stats().capacity_bytes);
  EXPECT_EQ(t.stats().evictions, 10 - t.size() + 1);
  EXPECT_FALSE(t.get("k0", t0));
  EXPECT_TRUE(t.get("k9", t0));
}

TEST(lru_table,
     an_entry_larger_than_the_budget_is_refused_and_changes_nothing) {
  lru_table t{4096};
  ASSERT_TRUE(t.set("keep", "me", 0, t0));
  auto before = t.stats();
  EXPECT_FALSE(t.set("huge", std::string(4096, 'x'), 0, t0));
  EXPECT_FALSE(t.set("keep", std::string(4096, 'x'), 0, t0));
  expect_same_stats(t.stats(), before);
  EXPECT_EQ(t.get("keep", t0), "me");
}

TEST(lru_table, charges_follow_the_allocator_size_classes) {
  // 42 header bytes + key + value, rounded to jemalloc's classes, + 16.
  EXPECT_EQ(lru_table::charge_of(50, 270), 384u + 16u); // 362 -> 384
  EXPECT_EQ(lru_table::charge_of(1, 0), 48u + 16u);     // at least the header
  EXPECT_EQ(lru_table::charge_of(16, 1024), 1280u + 16u);
  EXPECT_EQ(lru_table::charge_of(6, 80), 128u + 16u);
}

TEST(lru_table, overwriting_keeps_one_entry_and_updates_ttl) {
  lru_table t{1 << 20};
  ASSERT_TRUE(t.set("k", "short", t0 + 10, t0));
  ASSERT_TRUE(t.set("k", "longer value than before", 0, t0));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.get("k", t0 + 1'000'000), "longer value than before");
  ASSERT_TRUE(t.set("k", "same size class!!!!!!!!!", t0 + 10, t0));
  EXPECT_EQ(t.stats().bytes, lru_table::charge_of(1, 24));
  EXPECT_FALSE(t.get("k", t0 + 10));
}

TEST(lru_table,
     the_sweep_does_bounded_work_and_eventually_reclaims_everything) {
  lru_table t{64 << 20};
  for (int i = 0; i < 4000; ++i)
    ASSERT_TRUE(t.set("k" + std::to_string(i), "v", i % 2 ? t0 + 100 : 0, t0));
  auto step = t.sweep(t0 + 100, 8);
  EXPECT_LE(step.examined, 8u * 8); // 8 buckets, short chains
  EXPECT_LT(step.removed, 2000u);
  size_t removed = step.removed;
  for (int i = 0; i < 1000 && removed < 2000; ++i)
    removed += t.sweep(t0 + 100, 8).removed;
  EXPECT_EQ(removed, 2000u);
  EXPECT_EQ(t.size(), 2000u);
  EXPECT_EQ(t.stats().expired, 2000u);
  EXPECT_EQ(t.sweep(t0 + 100, size_t(-1)).removed, 0u);
}

TEST(lru_table, binary_keys_and_values_and_many_entries) {
  lru_table t{256 << 20};
  std::string key{"\0\xff k", 4};
  std::string value{"\0\x01\x02\xfe", 4};
  ASSERT_TRUE(t.set(key, value, 0, t0));
  EXPECT_EQ(t.get(key, t0), value);
  for (int i = 0; i < 100'000; ++i)
    ASSERT_TRUE(t.set("key:" + std::to_string(i), std::to_string(i), 0, t0));
  for (int i = 0; i < 100'000; i += 997)
    ASSERT_EQ(t.get("key:" + std::to_string(i), t0), std::to_string(i));
  EXPECT_EQ(t.size(), 100'001u);
}
