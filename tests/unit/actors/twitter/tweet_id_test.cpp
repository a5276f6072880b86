// Snowflake tweet ids: layout, ordering, clock steps, sequence overflow,
// created_at formatting.
#include "troupe/twitter/tweet_id.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace troupe::twitter;

namespace {

constexpr uint64_t t1 = 1764547200123; // 2025-12-01T00:00:00.123Z

} // namespace

TEST(twitterTweetId, FieldsRoundTrip) {
  auto id = tweet_id::make(t1, 17, 4000);
  EXPECT_EQ(tweet_id::unix_ms(id), t1);
  EXPECT_EQ(tweet_id::node(id), 17u);
  EXPECT_EQ(tweet_id::sequence(id), 4000u);
  EXPECT_LT(id, uint64_t{1} << 63) << "ids stay positive as signed 64 bit";
}

TEST(twitterTweetId, IdsOfOneNodeStrictlyIncreaseAndRepeatNothing) {
  uint64_t now = t1;
  tweet_id_generator gen{3, [&] { return now; }};
  std::set<uint64_t> seen;
  uint64_t last = 0;
  for (int i = 0; i < 10000; ++i) {
    if (i % 7 == 0)
      ++now;
    auto id = gen.next();
    EXPECT_GT(id, last);
    EXPECT_TRUE(seen.insert(id).second);
    last = id;
  }
}

TEST(twitterTweetId, ALaterMillisecondSortsAfterAnyNode) {
  auto early = tweet_id::make(t1, 1023, 4095);
  auto late = tweet_id::make(t1 + 1, 0, 0);
  EXPECT_LT(early, late);
  EXPECT_LT(tweet_id::make(t1, 1, 5), tweet_id::make(t1, 2, 0));
}

TEST(twitterTweetId, AClockSteppingBackNeverMakesAnOlderId) {
  uint64_t now = t1;
  tweet_id_generator gen{1, [&] { return now; }};
  auto before = gen.next();
  now = t1 - 5000; // NTP stepped the clock back 5 s
  auto after = gen.next();
  EXPECT_GT(after, before);
  EXPECT_EQ(tweet_id::unix_ms(after), t1);
}

TEST(twitterTweetId, MoreThan4096IdsInOneMillisecondBorrowTheNext) {
  tweet_id_generator gen{2, [] { return t1; }};
  uint64_t last = 0;
  for (int i = 0; i < 5000; ++i) {
    auto id = gen.next();
    ASSERT_GT(id, last);
    last = id;
  }
  EXPECT_EQ(tweet_id::unix_ms(last), t1 + 1);
  EXPECT_EQ(tweet_id::sequence(last), 5000u - 4096u - 1u);
}

TEST(twitterTweetId, NodeIndexAbove1023IsRefused) {
  EXPECT_THROW(tweet_id_generator{1024}, std::invalid_argument);
}

TEST(twitterTweetId, CreatedAtUsesTwittersFormatInUtc) {
  EXPECT_EQ(created_at(tweet_id::make(1764547200123, 0, 0)),
            "Mon Dec 01 00:00:00 +0000 2025");
  EXPECT_EQ(created_at(tweet_id::make(1577836800000 + 1234, 5, 6)),
            "Wed Jan 01 00:00:01 +0000 2020");
}
