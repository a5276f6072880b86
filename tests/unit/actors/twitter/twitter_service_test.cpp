// The Twitter service on a real node (real actors, real LMDB) with a clock
// the test moves: inactive followers get no fan-out and are rebuilt on
// their next read, tweet ids are unique and ordered across shards, and
// wrong tokens change nothing.

#include "troupe/twitter/service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <set>
#include <thread>

#include <caf/all.hpp>

#include "../../runtime/test_node.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/services.hpp"
#include "troupe/twitter/auth.hpp"
#include "troupe/twitter/messages.hpp"

using namespace troupe;
using namespace troupe::twitter;
using namespace std::chrono_literals;

using troupe::test::ask;

namespace {

constexpr int64_t t0 = 1767225600000; // 2026-01-01 00:00:00 UTC, in ms
constexpr int64_t day = 86400 * 1000;

std::atomic<int64_t> fake_now{t0};

config::node_config quick_config() {
  auto cfg = test::test_node::small_config();
  cfg.twitter.shards = 4;
  cfg.twitter.active_days = 30;
  cfg.twitter.max_followees = 2;
  cfg.twitter.fanout_queue = 1;
  cfg.twitter.sweep_interval = 20ms;
  return cfg;
}

/// The tweet ids of a rendered timeline, in order.
std::vector<uint64_t> ids_in(const std::string& json) {
  static const std::regex id{"\"tweet_id\":\"([0-9]+)\""};
  std::vector<uint64_t> out;
  for (std::sregex_iterator i{json.begin(), json.end(), id}, end; i != end; ++i)
    out.push_back(std::stoull((*i)[1]));
  return out;
}

struct twitter_service : ::testing::Test {
  twitter_service() : node(quick_config(), services::register_types) {
    fake_now = t0;
    svc = twitter::start(*node, [] { return fake_now.load(); });
  }

  /// Creates `user`; returns the token.
  std::string user(const std::string& id) {
    auto token = new_auth_token();
    auto ok = ask<ok_atom>(*node, svc.region, user_atom::value, id, id,
                           hash_auth_token(token));
    EXPECT_TRUE(ok) << to_string(ok.error());
    return token;
  }

  void follow(const std::string& who, const std::string& token,
              const std::string& whom) {
    auto ok = ask<ok_atom>(*node, svc.region, follow_atom::value, who, token,
                           whom, false);
    EXPECT_TRUE(ok) << to_string(ok.error());
  }

  caf::expected<tweet> post(const std::string& who, const std::string& token,
                            const std::string& status) {
    return ask<tweet>(*node, svc.region, post_atom::value, who, token, status,
                      std::vector<std::string>{});
  }

  std::vector<uint64_t> home(const std::string& who) {
    auto json = ask<std::string>(*node, svc.region, home_timeline_atom::value,
                                 who, uint32_t{20}, uint64_t{0});
    return json ? ids_in(*json) : std::vector<uint64_t>{};
  }

  /// Waits until the fan-out actor is idle.
  void drain() {
    for (int i = 0; i < 500 && svc.board->backlog.load() != 0; ++i)
      std::this_thread::sleep_for(2ms);
    // The last batches may still be in the shards' mailboxes.
    std::this_thread::sleep_for(50ms);
  }

  test::test_node node;
  service svc;
};

} // namespace

TEST_F(twitter_service, inactive_followers_get_no_fan_out_and_rebuild_on_read) {
  auto author = user("author");
  follow("reader", user("reader"), "author");
  EXPECT_TRUE(home("reader").empty()); // built now, and active
  auto first = post("author", author, "one");
  ASSERT_TRUE(first);
  drain();
  EXPECT_EQ(home("reader"), std::vector<uint64_t>{first->id});
  auto delivered = svc.board->deliveries.load();
  EXPECT_EQ(delivered, 1u);
  // 31 days later the reader is inactive: no delivery, timeline dropped.
  fake_now = t0 + 31 * day;
  auto second = post("author", author, "two");
  ASSERT_TRUE(second);
  drain();
  EXPECT_EQ(svc.board->deliveries.load(), delivered);
  EXPECT_EQ(svc.board->home_entries.load(), 0);
  // Reading makes the reader active again and rebuilds the timeline.
  EXPECT_EQ(home("reader"), (std::vector<uint64_t>{second->id, first->id}));
  auto third = post("author", author, "three");
  drain();
  EXPECT_EQ(svc.board->deliveries.load(), delivered + 1);
  EXPECT_EQ(home("reader").front(), third->id);
}

TEST_F(twitter_service, tweet_ids_are_unique_and_ordered_across_shards) {
  std::vector<std::pair<std::string, std::string>> users;
  for (int i = 0; i < 8; ++i) {
    auto id = "u" + std::to_string(i);
    users.emplace_back(id, user(id));
  }
  std::set<uint64_t> ids;
  uint64_t last = 0;
  for (int round = 0; round < 50; ++round)
    for (const auto& [id, token] : users) {
      auto t = post(id, token, "x");
      ASSERT_TRUE(t);
      EXPECT_GT(t->id, last); // each post starts after the previous answered
      last = t->id;
      ids.insert(t->id);
    }
  EXPECT_EQ(ids.size(), 400u);
}

TEST_F(twitter_service, a_wrong_token_changes_nothing) {
  auto token = user("alice");
  auto bad = post("alice", token + "x", "nope");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(),
            static_cast<uint8_t>(runtime::errc::unauthenticated));
  auto follow_bad =
      ask<ok_atom>(*node, svc.region, follow_atom::value, std::string{"alice"},
                   std::string{"wrong"}, std::string{"bob"}, false);
  ASSERT_FALSE(follow_bad);
  auto mine = ask<std::string>(*node, svc.region, user_timeline_atom::value,
                               std::string{"alice"}, uint32_t{20}, uint64_t{0});
  ASSERT_TRUE(mine);
  EXPECT_EQ(*mine, "[]");
  EXPECT_EQ(svc.board->tweets.load(), 0u);
}

TEST_F(twitter_service, a_full_fan_out_queue_refuses_posts_and_stores_nothing) {
  auto token = user("author");
  auto held = std::make_shared<backlog_ticket>(svc.board); // one tweet waits
  auto refused = post("author", token, "too soon");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(),
            static_cast<uint8_t>(runtime::errc::overloaded));
  EXPECT_EQ(svc.board->tweets.load(), 0u);
  held.reset();
  EXPECT_TRUE(post("author", token, "now"));
}

TEST_F(twitter_service, following_is_capped_but_refollowing_is_not) {
  auto token = user("fan");
  for (auto star : {"s1", "s2", "s3"})
    user(star);
  follow("fan", token, "s1");
  follow("fan", token, "s2");
  auto third = ask<ok_atom>(*node, svc.region, follow_atom::value,
                            std::string{"fan"}, token, std::string{"s3"}, true);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code(),
            static_cast<uint8_t>(runtime::errc::invalid_argument));
  follow("fan", token, "s1"); // already followed: allowed
}

TEST_F(twitter_service, idle_home_timelines_are_passivated_by_the_sweep) {
  auto author = user("author");
  follow("reader", user("reader"), "author");
  home("reader");
  auto t = post("author", author, "one");
  ASSERT_TRUE(t);
  drain();
  EXPECT_EQ(svc.board->home_entries.load(), 1);
  fake_now = t0 + 31 * day; // nobody posts: only the sweep notices
  for (int i = 0; i < 250 && svc.board->home_entries.load() != 0; ++i)
    std::this_thread::sleep_for(4ms);
  EXPECT_EQ(svc.board->home_entries.load(), 0);
  EXPECT_EQ(home("reader"), std::vector<uint64_t>{t->id}); // rebuilt
}
