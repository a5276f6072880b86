// Twitter search is a scatter-gather with a deadline: a node that stops
// answering (SIGSTOP, not yet marked down) makes the reply partial, marked
// with `X-Partial: true`, instead of hanging until the request timeout.
#include "cluster.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace troupe_cluster;

namespace {

class twitterPartialSearch : public fresh_cluster_test {
protected:
  node_settings settings() const override {
    node_settings s;
    // Long enough that the frozen node stays "up" during the test: its
    // shards time out rather than fail fast.
    s.failure_timeout = millis{15000};
    s.search_timeout = millis{300};
    return s;
  }
};

std::string create_user(uint16_t port, const std::string& user) {
  auto body = json{{"user_id", user}, {"name", user}}.dump();
  auto r = send(port, "POST", "/twitter/api/v1/user", body);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.body_json().value("auth_token", "");
}

void tweet(uint16_t port, const std::string& user, const std::string& token,
           const std::string& status) {
  auto body =
      json{{"user_id", user}, {"auth_token", token}, {"status", status}};
  auto r = send(port, "POST", "/twitter/api/v1/tweet", body.dump());
  EXPECT_EQ(r.status, 201) << r.body;
}

http_response search(uint16_t port, const std::string& query) {
  return send(port, "GET",
              "/twitter/api/v1/search?query=" + query + "&limit=100");
}

} // namespace

TEST_F(twitterPartialSearch, AFrozenNodeMakesSearchPartialNotAHang) {
  // Twenty authors spread their tweets over the shards of all three nodes.
  for (int i = 0; i < 20; ++i) {
    auto user = "author" + std::to_string(i);
    tweet(c().port(i % 3), user, create_user(c().port(0), user),
          "partial probe " + std::to_string(i));
  }
  http_response whole;
  for (int i = 0; i < 100; ++i) {
    whole = search(c().port(1), "probe");
    if (whole.body_json().size() == 20)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.body_json().size(), 20u);
  EXPECT_EQ(whole.header("X-Partial"), "");

  c().freeze(2);
  auto partial = search(c().port(0), "probe");
  c().thaw(2);
  // Had the search waited for the frozen shards, the edge would have
  // answered 504 after the request timeout (20 s) instead.
  ASSERT_EQ(partial.status, 200) << partial.body;
  EXPECT_EQ(partial.header("X-Partial"), "true");
  EXPECT_LT(partial.body_json().size(), 20u)
      << "n3's shards hold some of the authors";
  EXPECT_GT(partial.body_json().size(), 0u)
      << "n1's and n2's shards still answer";

  http_response again;
  for (int i = 0; i < 100; ++i) {
    again = search(c().port(0), "probe");
    if (again.header("X-Partial").empty())
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(again.header("X-Partial"), "");
  EXPECT_EQ(again.body_json().size(), 20u);
}
