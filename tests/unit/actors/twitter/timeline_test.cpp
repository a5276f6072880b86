// Home timelines: trimming to capacity, order, paging, unfollow, and the
// newest-first merge used for highly followed users.
#include "troupe/twitter/timeline.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

using namespace troupe::twitter;

namespace {

timeline_entry e(uint64_t id, uint32_t author = 1) {
  return timeline_entry{id, author, 0};
}

std::vector<uint64_t> ids(const std::vector<timeline_entry>& xs) {
  std::vector<uint64_t> out;
  for (const auto& x : xs)
    out.push_back(x.tweet_id);
  return out;
}

} // namespace

TEST(twitterTimeline, KeepsTheNewestCapacityEntriesNewestFirst) {
  home_timeline t{5};
  for (uint64_t id = 1; id <= 12; ++id)
    EXPECT_TRUE(t.add(e(id)));
  EXPECT_EQ(t.size(), 5u);
  EXPECT_EQ(ids(t.page(10)), (std::vector<uint64_t>{12, 11, 10, 9, 8}));
}

TEST(twitterTimeline, OutOfOrderDeliveriesLandInOrderAndDuplicatesAreIgnored) {
  home_timeline t{4};
  t.add(e(10));
  t.add(e(30));
  EXPECT_TRUE(t.add(e(20)));
  EXPECT_FALSE(t.add(e(20)));
  t.add(e(40));
  EXPECT_TRUE(t.add(e(25))); // full: drops 10
  EXPECT_FALSE(t.add(e(5))); // older than everything a full timeline keeps
  EXPECT_EQ(ids(t.page(10)), (std::vector<uint64_t>{40, 30, 25, 20}));
}

TEST(twitterTimeline, PagesByCountAndMaxId) {
  home_timeline t{800};
  for (uint64_t id = 1; id <= 100; ++id)
    t.add(e(id));
  EXPECT_EQ(ids(t.page(3)), (std::vector<uint64_t>{100, 99, 98}));
  EXPECT_EQ(ids(t.page(3, 98)), (std::vector<uint64_t>{97, 96, 95}));
  EXPECT_EQ(ids(t.page(3, 2)), (std::vector<uint64_t>{1}));
  EXPECT_TRUE(t.page(0).empty());
}

TEST(twitterTimeline, UnfollowRemovesEveryEntryOfTheAuthor) {
  home_timeline t{6};
  for (uint64_t id = 1; id <= 9; ++id) // wraps the ring
    t.add(e(id, id % 2 == 0 ? 7 : 8));
  EXPECT_EQ(t.remove_author(7), 3u); // 4, 6, 8 were held
  EXPECT_EQ(ids(t.page(10)), (std::vector<uint64_t>{9, 7, 5}));
  t.add(e(10, 7));
  EXPECT_EQ(ids(t.page(10)), (std::vector<uint64_t>{10, 9, 7, 5}));
}

TEST(twitterTimeline, MatchesAReferenceModelUnderRandomDeliveries) {
  std::mt19937_64 rng{42};
  home_timeline t{50};
  std::set<uint64_t> model;
  for (int step = 0; step < 20000; ++step) {
    uint64_t id = step + (rng() % 64); // mostly increasing, sometimes late
    if (rng() % 100 == 0) {
      t.remove_author(static_cast<uint32_t>(id % 3));
      for (auto i = model.begin(); i != model.end();)
        i = (*i % 3 == id % 3) ? model.erase(i) : std::next(i);
      continue;
    }
    bool added = t.add(e(id, static_cast<uint32_t>(id % 3)));
    bool expected =
        !model.count(id) && (model.size() < 50 || id > *model.begin());
    ASSERT_EQ(added, expected) << "step " << step;
    if (expected) {
      model.insert(id);
      if (model.size() > 50)
        model.erase(model.begin());
    }
    std::vector<uint64_t> want(model.rbegin(), model.rend());
    ASSERT_EQ(ids(t.page(100)), want) << "step " << step;
  }
}

TEST(twitterTimeline, AFullTimelineCostsSixteenBytesPerEntry) {
  home_timeline t{800};
  for (uint64_t id = 1; id <= 2000; ++id)
    t.add(e(id));
  EXPECT_EQ(t.memory_bytes(), 800u * 16u);
}

TEST(twitterTimeline, MergeIsNewestFirstWithoutDuplicatesAndBounded) {
  std::vector<std::vector<timeline_entry>> sources{
      {e(90), e(50), e(10)}, {e(80), e(50), e(40)}, {}, {e(95)}};
  EXPECT_EQ(ids(merge_newest_first(sources, 10)),
            (std::vector<uint64_t>{95, 90, 80, 50, 40, 10}));
  EXPECT_EQ(ids(merge_newest_first(sources, 3)),
            (std::vector<uint64_t>{95, 90, 80}));
  EXPECT_EQ(ids(merge_newest_first(sources, 10, 80)),
            (std::vector<uint64_t>{50, 40, 10}));
  EXPECT_TRUE(merge_newest_first({}, 10).empty());
}

TEST(twitterTimeline, AuthorKeysDifferForDifferentUsers) {
  EXPECT_NE(author_key("alice", 5), author_key("bob", 3));
  EXPECT_EQ(author_key("alice", 5), author_key("alice", 5));
}
