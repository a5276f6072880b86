// Twitter fan-out paths on one node with small limits: a highly followed
// author is merged in at read time instead of fanned out, home timelines
// keep their configured size, and the fan-out counters move as documented.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "harness.hpp"

using namespace troupe_e2e;

namespace {

constexpr const char* base = "/twitter/api/v1/";

/// fanout_limit = 2: an author with 3 followers is a celebrity.
std::string small_limits_config() {
  return R"(
[[nodes]]
name = "n1"
actor = "127.0.0.1:{ACTOR_PORT}"
http = "127.0.0.1:{PORT}"
data_dir = "{DATA_DIR}"

[twitter]
shards = 8
fanout_limit = 2
home_timeline_size = 5
)";
}

struct client {
  uint16_t port;

  std::string create(const std::string& user) {
    auto r = post_json(port, std::string{base} + "user",
                       json{{"user_id", user}, {"name", user}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body_json().value("auth_token", "");
  }

  void follow(const std::string& user, const std::string& token,
              const std::string& followee, bool notify = false,
              const std::string& method = "POST") {
    auto body = json{{"user_id", user},
                     {"auth_token", token},
                     {"followee_id", followee},
                     {"notify", notify}};
    auto r = request(port, method, std::string{base} + "follow", body.dump(),
                     {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 204) << r.body;
  }

  std::string tweet(const std::string& user, const std::string& token,
                    const std::string& status) {
    auto body =
        json{{"user_id", user}, {"auth_token", token}, {"status", status}};
    auto r = post_json(port, std::string{base} + "tweet", body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body_json().value("tweet_id", "");
  }

  std::vector<std::string> home(const std::string& user, int count = 20) {
    auto r = request(port, "GET",
                     std::string{base} + "home_timeline?user_id=" + user +
                         "&count=" + std::to_string(count));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> ids;
    for (const auto& t : r.body_json())
      ids.push_back(t.value("tweet_id", ""));
    return ids;
  }

  double metric(const std::string& series) {
    return metric_value(request(port, "GET", "/metrics").body, series);
  }
};

/// Polls `pred` for up to 5 s.
template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

} // namespace

TEST(twitterFanout, ACelebrityIsMergedAtReadTimeNotFannedOut) {
  node_process node{small_limits_config()};
  ASSERT_TRUE(node.restart());
  client c{node.port()};
  auto star = c.create("star");
  std::vector<std::string> tokens;
  for (auto f : {"f1", "f2", "f3"}) {
    tokens.push_back(c.create(f));
    c.follow(f, tokens.back(), "star", std::string{f} == "f3");
    EXPECT_TRUE(c.home(f).empty()); // built, empty
  }
  auto before = c.metric("troupe_twitter_deliveries_total");
  auto id = c.tweet("star", star, "shining");
  EXPECT_TRUE(eventually([&] {
    return c.home("f1") == std::vector<std::string>{id} &&
           c.home("f2") == std::vector<std::string>{id};
  }));
  // f3 asked to be notified: the celebrity's tweet reaches it anyway.
  EXPECT_TRUE(eventually([&] {
    auto r = request(node.port(), "GET",
                     std::string{base} + "notifications?user_id=f3");
    return r.body_json().size() == 1 &&
           r.body_json()[0].value("tweet_id", "") == id;
  }));
  EXPECT_EQ(c.metric("troupe_twitter_deliveries_total"), before);
  c.follow("f1", tokens[0], "star", false, "DELETE");
  EXPECT_TRUE(c.home("f1").empty());
  EXPECT_EQ(c.home("f2"), std::vector<std::string>{id});
}

TEST(twitterFanout, AnOrdinaryAuthorIsFannedOutToBuiltHomeTimelines) {
  node_process node{small_limits_config()};
  ASSERT_TRUE(node.restart());
  client c{node.port()};
  auto author = c.create("author");
  for (auto f : {"g1", "g2"}) {
    c.follow(f, c.create(f), "author");
    c.home(f);
  }
  auto before = c.metric("troupe_twitter_deliveries_total");
  auto id = c.tweet("author", author, "hello");
  EXPECT_TRUE(eventually([&] {
    return c.metric("troupe_twitter_deliveries_total") == before + 2;
  }));
  EXPECT_EQ(c.home("g1"), std::vector<std::string>{id});
  EXPECT_EQ(c.home("g2"), std::vector<std::string>{id});
  EXPECT_EQ(c.metric("troupe_twitter_fanout_backlog"), 0);
}

TEST(twitterFanout, HomeTimelinesKeepTheirSizeAcrossARebuild) {
  node_process node{small_limits_config()};
  ASSERT_TRUE(node.restart());
  client c{node.port()};
  auto a = c.create("a");
  c.follow("reader", c.create("reader"), "a");
  c.home("reader");
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i)
    ids.push_back(c.tweet("a", a, "tweet " + std::to_string(i)));
  std::vector<std::string> newest(ids.rbegin(), ids.rbegin() + 5);
  EXPECT_TRUE(eventually([&] { return c.home("reader") == newest; }));
  EXPECT_EQ(c.metric("troupe_twitter_home_entries"), 5);
  node.kill9();
  ASSERT_TRUE(node.restart());
  EXPECT_EQ(c.home("reader"), newest);
}
