#include "troupe/runtime/shard_map.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace troupe::runtime;

TEST(shard_map, shard_of_is_stable_and_spreads_keys) {
  EXPECT_EQ(shard_of("abc", 64), shard_of("abc", 64));
  std::vector<int> counts(64);
  for (int i = 0; i < 64000; ++i)
    ++counts[shard_of("key" + std::to_string(i), 64)];
  for (auto c : counts) {
    EXPECT_GT(c, 800);
    EXPECT_LT(c, 1200);
  }
}

TEST(shard_map, single_member_owns_everything) {
  shard_map m{{"n1"}, 2};
  EXPECT_EQ(m.replication_factor(), 1u);
  for (uint16_t s = 0; s < 64; ++s)
    EXPECT_EQ(m.owners("pastebin", s), std::vector<std::string>{"n1"});
}

TEST(shard_map, owners_are_distinct_and_primaries_balanced) {
  shard_map m{{"n1", "n2", "n3"}, 2};
  std::map<std::string, int> primaries;
  for (uint16_t s = 0; s < 300; ++s) {
    auto owners = m.owners("pastebin", s);
    ASSERT_EQ(owners.size(), 2u);
    EXPECT_NE(owners[0], owners[1]);
    ++primaries[owners[0]];
  }
  for (auto& [name, n] : primaries)
    EXPECT_GT(n, 60) << name;
}

TEST(shard_map, a_join_moves_only_shards_the_new_member_takes) {
  shard_map before{{"n1", "n2", "n3"}, 1};
  shard_map after{{"n1", "n2", "n3", "n4"}, 1};
  int moved = 0;
  for (uint16_t s = 0; s < 1000; ++s) {
    auto old_primary = before.primary("cache", s);
    auto new_primary = after.primary("cache", s);
    if (old_primary != new_primary) {
      // Rendezvous hashing: a shard only ever moves to the new member.
      EXPECT_EQ(new_primary, "n4");
      ++moved;
    }
  }
  EXPECT_GT(moved, 150);
  EXPECT_LT(moved, 350);
}

TEST(shard_map, member_order_does_not_matter) {
  shard_map a{{"n1", "n2", "n3"}, 2};
  shard_map b{{"n3", "n1", "n2"}, 2};
  for (uint16_t s = 0; s < 64; ++s)
    EXPECT_EQ(a.owners("x", s), b.owners("x", s));
}
