// The warm-restart snapshot: a round trip keeps values and LRU order and
// drops what expired meanwhile; damaged input is rejected whole.

#include "troupe/cache/snapshot.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace troupe::cache;

namespace {

constexpr int64_t t0 = 1'767'225'600'000;

std::vector<std::string> keys_of(const lru_table& t) {
  std::vector<std::string> keys;
  t.for_each_oldest_first([&](std::string_view k, std::string_view, int64_t) {
    keys.emplace_back(k);
  });
  return keys;
}

/// Four entries of which one expires after a second; "a" read last.
void fill(lru_table& t) {
  t.set("a", "1", 0, t0);
  t.set(std::string{"b\0b", 3}, std::string{"\0\xff\x80", 3}, 0, t0);
  t.set("ttl", "short", t0 + 1000, t0);
  t.set("c", "3", t0 + 60'000, t0);
  t.get("a", t0); // a becomes the most recent
}

std::string sample_blob() {
  lru_table t{1 << 20};
  fill(t);
  return encode_snapshot(t, t0);
}

} // namespace

TEST(cache_snapshot, a_round_trip_keeps_values_order_and_expiry) {
  lru_table original{1 << 20};
  fill(original);
  auto blob = encode_snapshot(original, t0);
  lru_table restored{1 << 20};
  auto res = restore_snapshot(blob, t0, restored, {});
  ASSERT_TRUE(res.error.empty()) << res.error;
  EXPECT_EQ(res.restored, 4u);
  EXPECT_EQ(keys_of(restored), keys_of(original));
  EXPECT_EQ(restored.get(std::string{"b\0b", 3}, t0),
            std::string_view("\0\xff\x80", 3));
  EXPECT_FALSE(restored.get("c", t0 + 60'000)); // the TTL came along
}

TEST(cache_snapshot, entries_that_expired_while_down_are_skipped) {
  auto blob = sample_blob();
  lru_table restored{1 << 20};
  auto res = restore_snapshot(blob, t0 + 5000, restored, {});
  EXPECT_EQ(res.restored, 3u);
  EXPECT_EQ(res.expired, 1u);
  EXPECT_FALSE(restored.get("ttl", t0 + 5000));
}

TEST(cache_snapshot, the_filter_drops_keys_of_other_shards) {
  auto blob = sample_blob();
  lru_table restored{1 << 20};
  auto res = restore_snapshot(blob, t0, restored,
                              [](std::string_view k) { return k == "a"; });
  EXPECT_EQ(res.restored, 1u);
  EXPECT_EQ(restored.size(), 1u);
}

TEST(cache_snapshot, every_truncation_and_garbage_is_rejected_whole) {
  auto blob = sample_blob();
  for (size_t n = 0; n < blob.size(); ++n) {
    lru_table restored{1 << 20};
    auto res =
        restore_snapshot(std::string_view{blob}.substr(0, n), t0, restored, {});
    ASSERT_FALSE(res.error.empty()) << "prefix " << n;
    ASSERT_EQ(restored.size(), 0u) << "prefix " << n;
  }
  lru_table restored{1 << 20};
  EXPECT_FALSE(
      restore_snapshot("\x93\x01\x02\x03", t0, restored, {}).error.empty());
  EXPECT_FALSE(restore_snapshot(blob + "x", t0, restored, {}).error.empty());
  EXPECT_EQ(restored.size(), 0u);
}
