// The durable logic of a Twitter shard: ops applied live and replayed from
// a shard image give the same users, follows, tweets and search index.
#include "troupe/twitter/user_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace troupe::twitter;
using troupe::persistence::journal_op;
using troupe::persistence::shard_image;

namespace {

std::vector<uint64_t> ids(const std::vector<tweet_ptr>& xs) {
  std::vector<uint64_t> out;
  for (const auto& x : xs)
    out.push_back(x->id);
  return out;
}

std::vector<uint64_t> ids(const tweet_list& xs) {
  std::vector<uint64_t> out;
  for (const auto& x : xs)
    out.push_back(x.id);
  return out;
}

/// The image a store would hold after `ops`: last write per key, sorted.
shard_image image_of(const std::vector<journal_op>& ops) {
  std::map<std::string, std::string> kv;
  for (const auto& x : ops)
    if (x.kind == journal_op::put)
      kv[x.key] = x.value;
    else
      kv.erase(x.key);
  shard_image img;
  img.records.assign(kv.begin(), kv.end());
  return img;
}

struct fixture {
  std::vector<journal_op> log;
  user_state live;
  void run(journal_op x) {
    live.apply(x);
    log.push_back(std::move(x));
  }
};

} // namespace

TEST(twitterUsers, OpsReplayToTheSameState) {
  fixture f;
  f.run(user_state::put_user("alice", {"Alice", "h1", 5}));
  f.run(user_state::put_user("bob", {"Bob", "h2", 5}));
  f.run(user_state::put_followee("bob", "alice", true));
  f.run(user_state::put_follower("alice", "bob", true));
  f.run(user_state::put_follower("alice", "carol", false));
  f.run(user_state::erase_follower("alice", "carol"));
  f.run(user_state::put_tweet(tweet{7, "alice", "Hello World", {"m1"}}));
  f.run(user_state::put_tweet(tweet{3, "alice", "older hello", {}}));
  user_state replayed;
  replayed.restore(image_of(f.log));
  for (const auto* st : {&f.live, &replayed}) {
    auto a = st->find("alice");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->rec.name, "Alice");
    EXPECT_EQ(a->followers.size(), 1u);
    EXPECT_EQ(a->notify_followers, 1u);
    EXPECT_TRUE(st->find("bob")->followees.at("alice"));
    EXPECT_EQ(ids(st->user_timeline("alice", 10, 0)),
              (std::vector<uint64_t>{7, 3}));
    EXPECT_EQ(st->user_timeline("alice", 10, 0)[0]->media_ids,
              std::vector<std::string>{"m1"});
    EXPECT_EQ(ids(st->search({"hello"}, 10)), (std::vector<uint64_t>{7, 3}));
    EXPECT_EQ(st->find("carol"), nullptr);
  }
}

TEST(twitterUsers, UserTimelinePagesNewestFirstWithAnInclusiveMaxId) {
  user_state st;
  st.apply(user_state::put_user("a", {"A", "h", 0}));
  for (uint64_t id = 1; id <= 10; ++id)
    st.apply(user_state::put_tweet(tweet{id * 10, "a", "x", {}}));
  EXPECT_EQ(ids(st.user_timeline("a", 3, 0)),
            (std::vector<uint64_t>{100, 90, 80}));
  EXPECT_EQ(ids(st.user_timeline("a", 3, 80)),
            (std::vector<uint64_t>{80, 70, 60}));
  EXPECT_EQ(ids(st.user_timeline("a", 3, 79)),
            (std::vector<uint64_t>{70, 60, 50}));
  EXPECT_TRUE(st.user_timeline("a", 3, 5).empty());
}

TEST(twitterUsers, RecentMergesAuthorsNewestFirst) {
  user_state st;
  for (uint64_t id = 1; id <= 6; ++id)
    st.apply(
        user_state::put_tweet(tweet{id, id % 2 ? "odd" : "even", "x", {}}));
  EXPECT_EQ(ids(st.recent({"odd", "even"}, 4)),
            (std::vector<uint64_t>{6, 5, 4, 3}));
  EXPECT_EQ(ids(st.recent({"odd"}, 10)), (std::vector<uint64_t>{5, 3, 1}));
  EXPECT_TRUE(st.recent({"nobody"}, 10).empty());
}

TEST(twitterUsers, TouchPersistsActivityAtMostHourly) {
  user_state st;
  st.apply(user_state::put_user("a", {"A", "h", 1000}));
  EXPECT_FALSE(st.touch("a", 2000));
  auto later = 1000 + user_state::active_persist_ms;
  auto x = st.touch("a", later);
  ASSERT_TRUE(x);
  st.apply(*x);
  EXPECT_EQ(st.find("a")->rec.last_active_ms, later);
  EXPECT_FALSE(st.touch("nobody", later));
}

TEST(twitterUsers, UndecodableRecordsAreSkipped) {
  user_state st;
  st.apply(journal_op{journal_op::put, "u:a", "\xc1"});
  st.apply(journal_op{journal_op::put, "t:a:zz", "\x92"});
  st.apply(journal_op{journal_op::put, "g:broken", ""});
  EXPECT_EQ(st.find("a"), nullptr);
  EXPECT_EQ(st.tweet_count(), 0u);
}
