// Near-duplicate block entries of one shard: distance, replacement,
// removal and the journal encoding.

#include "troupe/crawler/dup_blocks.hpp"

#include <gtest/gtest.h>

using namespace troupe::crawler;

namespace {

/// Checks-and-inserts `hash` for `url` under every block of `hash`, as the
/// four shards would: the first duplicate found, or "".
std::string check_all(dup_blocks& d, uint64_t hash, const std::string& url) {
  std::string found;
  for (int i = 0; i < 4; ++i) {
    auto dup = d.check_insert(i, dup_blocks::block_of(hash, i), hash, url);
    if (found.empty())
      found = dup;
  }
  return found;
}

constexpr uint64_t base = 0x0123456789ABCDEFull;

} // namespace

TEST(CrawlerDupBlocks, BlocksAndRouteKeys) {
  EXPECT_EQ(dup_blocks::block_of(base, 0), 0xCDEF);
  EXPECT_EQ(dup_blocks::block_of(base, 1), 0x89AB);
  EXPECT_EQ(dup_blocks::block_of(base, 2), 0x4567);
  EXPECT_EQ(dup_blocks::block_of(base, 3), 0x0123);
  EXPECT_EQ(dup_blocks::block_of(base, 4), 0);
  EXPECT_EQ(dup_blocks::route_key(2, 0x4567), "dup/2/17767");
  EXPECT_EQ(dup_blocks::route_key(0, 0), "dup/0/0");
}

TEST(CrawlerDupBlocks, NearFoundFarNot) {
  dup_blocks d;
  EXPECT_EQ(check_all(d, base, "http://a/"), "");
  EXPECT_EQ(d.size(), 4u);
  // Up to 3 bits, spread over blocks or in one: always found.
  EXPECT_EQ(check_all(d, base ^ 0x1ull, "http://b/"), "http://a/");
  EXPECT_EQ(check_all(d, base ^ 0x0001000100010000ull, "http://c/"),
            "http://a/");
  EXPECT_EQ(check_all(d, base ^ 0x7ull, "http://e/"), "http://a/");
  // 4 bits: not a duplicate (even where one block matches exactly).
  EXPECT_EQ(check_all(d, base ^ 0xFull, "http://f/"), "");
  // Far away: stored.
  EXPECT_EQ(check_all(d, ~base, "http://g/"), "");
}

TEST(CrawlerDupBlocks, NearestThenEarliestWins) {
  dup_blocks d;
  uint16_t blk = dup_blocks::block_of(base, 0);
  EXPECT_EQ(d.check_insert(0, blk, base ^ (3ull << 40), "http://far/"), "");
  EXPECT_EQ(d.check_insert(0, blk, base ^ (7ull << 50), "http://x/"), "");
  EXPECT_EQ(d.check_insert(0, blk, base ^ (1ull << 40), "http://near1/"),
            "http://far/");
  // Equal distances: the earliest stored.
  dup_blocks e;
  EXPECT_EQ(e.check_insert(0, blk, base ^ (1ull << 40), "http://first/"), "");
  EXPECT_EQ(e.check_insert(0, blk,
                           base ^ (1ull << 41) ^ (1ull << 42) ^ (1ull << 43) ^
                               (1ull << 44),
                           "http://second/"),
            "");
  EXPECT_EQ(e.check_insert(0, blk, base ^ (1ull << 41), "http://q/"),
            "http://first/");
  EXPECT_EQ(e.check_insert(0, blk, base, "http://r/"), "http://first/");
}

TEST(CrawlerDupBlocks, SameUrlIsIgnoredAndReplaced) {
  dup_blocks d;
  uint16_t blk = dup_blocks::block_of(base, 1);
  EXPECT_EQ(d.check_insert(1, blk, base, "http://a/"), "");
  // Re-crawled page, slightly changed: not a duplicate of itself.
  EXPECT_EQ(d.check_insert(1, blk, base ^ (1ull << 60), "http://a/"), "");
  EXPECT_EQ(d.size(), 1u);
  // The entry now holds the new hash: 3 bits from it, 4 from the old one.
  EXPECT_EQ(d.check_insert(1, blk, base ^ (1ull << 60) ^ 0x3ull, "http://b/"),
            "http://a/");
  EXPECT_EQ(d.check_insert(1, blk, base ^ 0xFull, "http://c/"), "");
  EXPECT_EQ(d.size(), 2u);
}

TEST(CrawlerDupBlocks, RemoveAndRestore) {
  dup_blocks d;
  uint16_t blk = dup_blocks::block_of(base, 2);
  d.check_insert(2, blk, base, "http://a/");
  EXPECT_FALSE(d.remove(2, blk, "http://b/"));
  EXPECT_FALSE(d.remove(1, blk, "http://a/"));
  EXPECT_TRUE(d.remove(2, blk, "http://a/"));
  EXPECT_FALSE(d.remove(2, blk, "http://a/"));
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.check_insert(2, blk, base, "http://b/"), "");
  d.restore(2, blk, base, "http://a/");
  d.restore(2, blk, base, "http://a/");
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.check_insert(2, blk, base, "http://c/"), "http://b/");
}

TEST(CrawlerDupBlocks, JournalRoundTrip) {
  auto key = dup_blocks::key(3, 0x0123, "http://a/x");
  EXPECT_EQ(key, std::string("b\x03\x01\x23http://a/x", 14));
  auto value = dup_blocks::value(base);
  EXPECT_EQ(value, std::string("\x01\x23\x45\x67\x89\xAB\xCD\xEF", 8));
  auto e = dup_blocks::decode(key, value);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->idx, 3);
  EXPECT_EQ(e->block, 0x0123);
  EXPECT_EQ(e->hash, base);
  EXPECT_EQ(e->url, "http://a/x");
}

TEST(CrawlerDupBlocks, GarbageDoesNotDecode) {
  auto key = dup_blocks::key(0, 0xCDEF, "http://a/");
  auto value = dup_blocks::value(base);
  ASSERT_TRUE(dup_blocks::decode(key, value).has_value());
  EXPECT_FALSE(dup_blocks::decode(key, value.substr(1)).has_value());
  EXPECT_FALSE(dup_blocks::decode(key, value + "x").has_value());
  EXPECT_FALSE(dup_blocks::decode("", value).has_value());
  EXPECT_FALSE(dup_blocks::decode(key.substr(0, 4), value).has_value());
  EXPECT_FALSE(dup_blocks::decode("d" + key.substr(1), value).has_value());
  auto bad_idx = key;
  bad_idx[1] = 4;
  EXPECT_FALSE(dup_blocks::decode(bad_idx, value).has_value());
  // A block that is not block idx of the hash.
  EXPECT_FALSE(
      dup_blocks::decode(dup_blocks::key(1, 0xCDEF, "http://a/"), value)
          .has_value());
  for (int len = 0; len < 12; ++len)
    EXPECT_FALSE(
        dup_blocks::decode(std::string(len, '\xFF'), std::string(8, '\xFF'))
            .has_value());
}
