// The memory-only side of a Twitter shard: building a home timeline,
// deliveries during a build, the read-time merge of highly followed
// authors, unfollow, notifications and the tweet cache's collection.
#include "troupe/twitter/home_state.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace troupe::twitter;

namespace {

tweet_ptr tw(uint64_t id, std::string user) {
  return std::make_shared<const tweet>(tweet{id, std::move(user), "s", {}});
}

std::vector<uint64_t> ids(const std::vector<tweet_ptr>& xs) {
  std::vector<uint64_t> out;
  for (const auto& x : xs)
    out.push_back(x->id);
  return out;
}

home_state::follows_fn following(std::set<std::string> who) {
  return [who](const std::string& a) { return who.count(a) != 0; };
}

/// A built, empty home timeline for "u".
home_state::home& built(home_state& hs) {
  hs.begin_build("u");
  hs.finish_build("u", {});
  return *hs.find("u");
}

} // namespace

TEST(twitterHome, DeliveriesGoOnlyToHomeTimelinesInMemory) {
  home_state hs{800, 10};
  EXPECT_FALSE(hs.deliver("u", tw(1, "a")));
  EXPECT_EQ(hs.find("u"), nullptr);
  auto& h = built(hs);
  EXPECT_TRUE(hs.deliver("u", tw(2, "a")));
  EXPECT_EQ(ids(hs.read(h, 20, 0, following({"a"}))),
            (std::vector<uint64_t>{2}));
  EXPECT_EQ(hs.entries(), 1u);
}

TEST(twitterHome, ABuildKeepsWhatArrivedMeanwhile) {
  home_state hs{800, 10};
  hs.begin_build("u");
  EXPECT_FALSE(hs.deliver("u", tw(30, "a")));
  tweet_list fetched{*tw(10, "a"), *tw(20, "b")};
  hs.finish_build("u", fetched);
  auto h = hs.find("u");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(ids(hs.read(*h, 20, 0, following({"a", "b"}))),
            (std::vector<uint64_t>{30, 20, 10}));
  EXPECT_EQ(hs.entries(), 3u);
}

TEST(twitterHome, TrimsToItsSizeAndPagesWithAnInclusiveMaxId) {
  home_state hs{3, 10};
  auto& h = built(hs);
  for (uint64_t id = 1; id <= 5; ++id)
    hs.deliver("u", tw(id, "a"));
  auto f = following({"a"});
  EXPECT_EQ(ids(hs.read(h, 20, 0, f)), (std::vector<uint64_t>{5, 4, 3}));
  EXPECT_EQ(ids(hs.read(h, 2, 4, f)), (std::vector<uint64_t>{4, 3}));
  EXPECT_EQ(hs.entries(), 3u);
}

TEST(twitterHome, CelebrityTweetsAreMergedAtReadTimeForTheirFollowersOnly) {
  home_state hs{800, 10};
  auto& h = built(hs);
  hs.deliver("u", tw(10, "a"));
  hs.deliver("u", tw(30, "a"));
  hs.add_celebrity_tweet(tw(20, "star"));
  hs.add_celebrity_tweet(tw(40, "star"));
  hs.add_celebrity_tweet(tw(35, "other_star"));
  EXPECT_EQ(ids(hs.read(h, 20, 0, following({"a", "star"}))),
            (std::vector<uint64_t>{40, 30, 20, 10}));
  EXPECT_EQ(ids(hs.read(h, 2, 0, following({"a", "star"}))),
            (std::vector<uint64_t>{40, 30}));
  EXPECT_EQ(ids(hs.read(h, 20, 30, following({"a", "star"}))),
            (std::vector<uint64_t>{30, 20, 10}));
  // Unfollowing the celebrity takes their tweets out on the next read.
  EXPECT_EQ(ids(hs.read(h, 20, 0, following({"a"}))),
            (std::vector<uint64_t>{30, 10}));
}

TEST(twitterHome, ACelebrityTweetAlsoInTheRingAppearsOnce) {
  home_state hs{800, 10};
  hs.begin_build("u");
  tweet_list fetched{*tw(20, "star")}; // a rebuild fetched it
  hs.finish_build("u", fetched);
  hs.add_celebrity_tweet(tw(20, "star"));
  EXPECT_EQ(ids(hs.read(*hs.find("u"), 20, 0, following({"star"}))),
            (std::vector<uint64_t>{20}));
}

TEST(twitterHome, RemoveAuthorDropsTheirEntries) {
  home_state hs{800, 10};
  auto& h = built(hs);
  hs.deliver("u", tw(1, "a"));
  hs.deliver("u", tw(2, "b"));
  hs.deliver("u", tw(3, "a"));
  hs.remove_author("u", "a");
  EXPECT_EQ(ids(hs.read(h, 20, 0, following({"a", "b"}))),
            (std::vector<uint64_t>{2}));
  EXPECT_EQ(hs.entries(), 1u);
  hs.drop("u");
  EXPECT_EQ(hs.entries(), 0u);
}

TEST(twitterHome, NotificationsAreBoundedNewestFirst) {
  home_state hs{800, 3};
  for (uint64_t id = 1; id <= 5; ++id)
    hs.notify("u", notification{id, "a", 0});
  auto notes = hs.notifications("u", 10);
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0].tweet_id, 5u);
  EXPECT_EQ(notes[2].tweet_id, 3u);
  EXPECT_EQ(hs.notifications("u", 1).size(), 1u);
  EXPECT_TRUE(hs.notifications("v", 10).empty());
}

TEST(twitterHome, CollectionKeepsExactlyTheTweetsTimelinesPointAt) {
  home_state hs{2, 10};
  auto& h = built(hs);
  for (uint64_t id = 1; id <= 100; ++id)
    hs.deliver("u", tw(id, "a"));
  hs.collect_garbage(true);
  EXPECT_EQ(hs.cached_tweets(), 2u);
  EXPECT_EQ(ids(hs.read(h, 20, 0, following({"a"}))),
            (std::vector<uint64_t>{100, 99}));
}
