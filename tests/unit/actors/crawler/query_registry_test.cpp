// The registry of cached search answers by term: take, refresh and the
// capacity bound with its eviction order.

#include "troupe/crawler/query_registry.hpp"

#include <gtest/gtest.h>

using namespace troupe::crawler;

using strings = std::vector<std::string>;

TEST(CrawlerQueryRegistry, TakeReturnsKeysUnderAnyTermOnce) {
  query_registry r;
  EXPECT_TRUE(r.add("q1", {"cat", "dog"}).empty());
  EXPECT_TRUE(r.add("q2", {"dog"}).empty());
  EXPECT_TRUE(r.add("q3", {"fish"}).empty());
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.take({"cat", "dog", "zebra"}), (strings{"q1", "q2"}));
  EXPECT_EQ(r.size(), 1u);
  // Forgotten from all their terms.
  EXPECT_TRUE(r.take({"cat"}).empty());
  EXPECT_TRUE(r.take({"dog"}).empty());
  EXPECT_EQ(r.take({"fish"}), (strings{"q3"}));
  EXPECT_EQ(r.size(), 0u);
  EXPECT_TRUE(r.take({}).empty());
}

TEST(CrawlerQueryRegistry, ReAddingRefreshesTerms) {
  query_registry r;
  r.add("q", {"a", "b"});
  r.add("q", {"b", "c", "c"});
  EXPECT_EQ(r.size(), 1u);
  EXPECT_TRUE(r.take({"a"}).empty());
  EXPECT_EQ(r.take({"c"}), (strings{"q"}));
  EXPECT_TRUE(r.take({"b"}).empty());
}

TEST(CrawlerQueryRegistry, EvictsOldestRegisteredFirst) {
  query_registry r(3);
  EXPECT_TRUE(r.add("q1", {"a"}).empty());
  EXPECT_TRUE(r.add("q2", {"b"}).empty());
  EXPECT_TRUE(r.add("q3", {"c"}).empty());
  // Refreshing q1 makes q2 the oldest.
  EXPECT_TRUE(r.add("q1", {"a"}).empty());
  EXPECT_EQ(r.add("q4", {"d"}), (strings{"q2"}));
  EXPECT_EQ(r.add("q5", {"e"}), (strings{"q3"}));
  EXPECT_EQ(r.size(), 3u);
  EXPECT_TRUE(r.take({"b", "c"}).empty());
  EXPECT_EQ(r.take({"a", "d", "e"}), (strings{"q1", "q4", "q5"}));
}

TEST(CrawlerQueryRegistry, CapacityBoundsTheSize) {
  query_registry r(100);
  size_t evicted = 0;
  for (int i = 0; i < 1000; ++i) {
    auto out = r.add("q" + std::to_string(i), {"t" + std::to_string(i % 7)});
    evicted += out.size();
    ASSERT_LE(r.size(), 100u);
  }
  EXPECT_EQ(evicted, 900u);
  auto all = r.take({"t0", "t1", "t2", "t3", "t4", "t5", "t6"});
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(r.size(), 0u);
  query_registry none(0);
  EXPECT_EQ(none.add("q", {"a"}), (strings{"q"}));
  EXPECT_EQ(none.size(), 0u);
}
