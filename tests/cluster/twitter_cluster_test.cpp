// Twitter-style service on a cluster of three: users, follows, tweets and
// reads go through different nodes, whichever node owns each user. Home
// timelines, the search index and notifications are filled asynchronously:
// the tests poll them with a deadline.
#include "cluster.hpp"
#include "twitter_json.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

using namespace troupe_cluster;
using namespace troupe_e2e::twitter;
using namespace std::chrono_literals;

namespace {

const std::string api = "/twitter/api/v1/";

/// How long fan-out, indexing or a notification may take to show.
constexpr millis async_wait = 10s;

/// `base` plus a counter: unique within the test process (and so on its
/// cluster). Only letters and digits, so that it is one search term.
std::string unique(const std::string& base) {
  static int n = 0;
  return base + std::to_string(++n);
}

struct user {
  std::string id;
  std::string token;
};

std::string of(const user& u, const std::string& extra = "") {
  return "user_id=" + u.id + extra;
}

http_response post(uint16_t port, const std::string& route, const json& body) {
  return send(port, "POST", api + route, body.dump());
}

/// Creates a user with a unique id made from `base` through node `via`.
user make_user(cluster& c, size_t via, const std::string& base) {
  auto id = unique(base);
  auto r = post(c.port(via), "user", {{"user_id", id}, {"name", "N " + id}});
  EXPECT_EQ(r.status, 201) << id << " via " << c.name(via) << ": " << r.body;
  return {id, str(r.body_json(), "auth_token")};
}

json follow_body(const user& u, const std::string& followee) {
  return {
      {"user_id", u.id}, {"followee_id", followee}, {"auth_token", u.token}};
}

/// `u` follows `followee` through node `via`; expects 204.
void make_follow(cluster& c, size_t via, const user& u, const user& followee,
                 bool notify = false) {
  auto body = follow_body(u, followee.id);
  body["notify"] = notify;
  auto r = post(c.port(via), "follow", body);
  EXPECT_EQ(r.status, 204) << u.id << " follows " << followee.id << " via "
                           << c.name(via) << ": " << r.body;
}

http_response post_tweet(uint16_t port, const user& u,
                         const std::string& status) {
  return post(port, "tweet",
              {{"user_id", u.id}, {"auth_token", u.token}, {"status", status}});
}

/// Posts a tweet through `port`; expects 201 and returns the body.
json tweet(uint16_t port, const user& u, const std::string& status) {
  auto r = post_tweet(port, u, status);
  EXPECT_EQ(r.status, 201) << u.id << " via port " << port << ": " << r.body;
  return r.body_json();
}

http_response get(uint16_t port, const std::string& route,
                  const std::string& query) {
  return send(port, "GET", api + route + "?" + query);
}

/// GET expecting 200 and a JSON array.
json list(uint16_t port, const std::string& route, const std::string& query) {
  auto r = get(port, route, query);
  EXPECT_EQ(r.status, 200) << route << "?" << query << " via port " << port
                           << ": " << r.body;
  EXPECT_TRUE(r.body_json().is_array()) << r.body;
  return r.body_json();
}

/// Polls GET `route`?`query` through `port` until its ids are `expected`;
/// returns the last list read.
json await_ids(uint16_t port, const std::string& route,
               const std::string& query,
               const std::vector<std::string>& expected) {
  json last;
  eventually(
      [&] {
        last = get(port, route, query).body_json();
        return ids_of(last) == expected;
      },
      async_wait);
  return last;
}

/// Polls the notifications of `u` through `port` until they are `expected`
/// (compared without created_at); returns the last read.
json await_notes(uint16_t port, const user& u, const json& expected) {
  json last;
  eventually(
      [&] {
        last = get(port, "notifications", of(u)).body_json();
        if (last.is_array())
          for (auto& n : last)
            if (n.is_object() && n["created_at"].is_string())
              n.erase("created_at");
        return last == expected;
      },
      async_wait);
  return last;
}

json note(const std::string& kind, const user& from, const json& tweet) {
  return {
      {"kind", kind}, {"from_user_id", from.id}, {"tweet_id", id_of(tweet)}};
}

class clusterTwitter : public shared_cluster_test<clusterTwitter> {};

} // namespace

TEST_F(clusterTwitter, UsersCreatedThroughAnyNodeAreKnownEverywhere) {
  std::vector<user> users;
  for (size_t k = 0; k < 9; ++k)
    users.push_back(make_user(c(), k % 3, "cu"));
  for (size_t k = 0; k < users.size(); ++k) {
    const auto& u = users[k];
    auto again = post(c().port((k + 1) % 3), "user",
                      {{"user_id", u.id}, {"name", "again"}});
    EXPECT_EQ(again.status, 409) << u.id << ": " << again.body;
    for (size_t via = 0; via < c().size(); ++via)
      EXPECT_EQ(list(c().port(via), "user_timeline", of(u)), json::array())
          << u.id << " via " << c().name(via);
    // The token works through every node; every node reads all tweets.
    std::vector<json> posted;
    for (size_t via = 0; via < c().size(); ++via)
      posted.insert(posted.begin(),
                    tweet(c().port(via), u, "via " + c().name(via)));
    for (size_t via = 0; via < c().size(); ++via)
      EXPECT_EQ(list(c().port(via), "user_timeline", of(u)), json(posted))
          << u.id << " via " << c().name(via);
  }
  for (size_t via = 0; via < c().size(); ++via) {
    auto r = get(c().port(via), "user_timeline", "user_id=" + unique("ghost"));
    EXPECT_EQ(r.status, 404) << c().name(via) << ": " << r.body;
  }
}

TEST_F(clusterTwitter, TweetsThroughN1ReachHomeTimelinesReadThroughN2AndN3) {
  auto author = make_user(c(), 0, "ca");
  auto second = make_user(c(), 2, "cs");
  std::vector<user> readers;
  for (size_t k = 0; k < 9; ++k) {
    readers.push_back(make_user(c(), k % 3, "cr"));
    make_follow(c(), (k + 1) % 3, readers.back(), author);
  }
  make_follow(c(), 2, readers[0], second);
  // Read once, so that the tweets below must arrive by fan-out into built
  // home timelines (not only by a rebuild on first read).
  for (const auto& r : readers)
    EXPECT_EQ(list(c().port(2), "home_timeline", of(r)), json::array()) << r.id;
  std::vector<json> by_author;
  for (int i = 0; i < 5; ++i)
    by_author.push_back(
        tweet(c().port(0), author, "news " + std::to_string(i)));
  auto extra = tweet(c().port(0), second, "from the second author");

  auto expected = newest_first(by_author);
  for (size_t k = 0; k < readers.size(); ++k)
    for (size_t via : {1, 2}) {
      auto want = k == 0
                      ? newest_first({by_author[0], by_author[1], by_author[2],
                                      by_author[3], by_author[4], extra})
                      : expected;
      auto home =
          await_ids(c().port(via), "home_timeline", of(readers[k]), want);
      EXPECT_EQ(ids_of(home), want)
          << readers[k].id << " via " << c().name(via);
    }
  // The author's own timeline reads the same through every node.
  std::vector<json> newest(by_author.rbegin(), by_author.rend());
  for (size_t via = 0; via < c().size(); ++via)
    EXPECT_EQ(list(c().port(via), "user_timeline", of(author)), json(newest))
        << c().name(via);
  EXPECT_EQ(list(c().port(1), "home_timeline", of(author)), json::array());
}

TEST_F(clusterTwitter, UnfollowThroughAnotherNodeEmptiesTheHomeTimeline) {
  auto author = make_user(c(), 1, "ua");
  auto reader = make_user(c(), 2, "ur");
  make_follow(c(), 0, reader, author);
  auto t = tweet(c().port(0), author, "seen, then unfollowed");
  ASSERT_EQ(
      ids_of(await_ids(c().port(1), "home_timeline", of(reader), {id_of(t)})),
      std::vector<std::string>{id_of(t)});
  auto r = send(c().port(2), "DELETE", api + "follow",
                follow_body(reader, author.id).dump());
  ASSERT_EQ(r.status, 204) << r.body;
  for (size_t via = 0; via < c().size(); ++via)
    EXPECT_EQ(list(c().port(via), "home_timeline", of(reader)), json::array())
        << c().name(via);
}

TEST_F(clusterTwitter, SearchThroughN3FindsTweetsPostedThroughN1) {
  auto term = unique("quince");
  std::vector<json> tweets;
  for (size_t k = 0; k < 6; ++k) {
    auto u = make_user(c(), k % 3, "sq");
    tweets.push_back(tweet(c().port(0), u,
                           "Fresh " + term + "! number " + std::to_string(k)));
  }
  auto expected = newest_first(tweets);
  auto query = "query=" + troupe_e2e::url_encode(term);
  auto found = await_ids(c().port(2), "search", query, expected);
  EXPECT_EQ(ids_of(found), expected);
  for (size_t via = 0; via < c().size(); ++via) {
    auto r = get(c().port(via), "search",
                 "query=" + troupe_e2e::url_encode("#" + term) + "&limit=2");
    EXPECT_EQ(r.status, 200) << c().name(via) << ": " << r.body;
    EXPECT_EQ(r.header("x-partial"), "") << c().name(via);
    EXPECT_EQ(ids_of(r.body_json()),
              std::vector<std::string>(expected.begin(), expected.begin() + 2))
        << c().name(via);
  }
}

TEST_F(clusterTwitter, NotificationsAreReadableThroughEveryNode) {
  auto alice = make_user(c(), 1, "na");
  auto bob = make_user(c(), 2, "nb");
  auto carol = make_user(c(), 0, "nc");
  auto dave = make_user(c(), 1, "nd");
  make_follow(c(), 1, carol, bob, true);
  make_follow(c(), 2, dave, bob);
  auto t = tweet(c().port(0), bob, "hello @" + alice.id + " and @" + dave.id);
  json mention = {note("mention", bob, t)};
  json notified = {note("tweet", bob, t)};
  for (size_t via = 0; via < c().size(); ++via) {
    EXPECT_EQ(await_notes(c().port(via), alice, mention), mention)
        << c().name(via);
    EXPECT_EQ(await_notes(c().port(via), carol, notified), notified)
        << c().name(via);
    // dave follows without notify: only the mention.
    EXPECT_EQ(await_notes(c().port(via), dave, mention), mention)
        << c().name(via);
    auto r = get(c().port(via), "notifications", "user_id=" + unique("ghost"));
    EXPECT_EQ(r.status, 404) << c().name(via) << ": " << r.body;
  }
}

TEST_F(clusterTwitter, TweetIdsFromDifferentNodesAreUnique) {
  std::vector<user> users;
  for (size_t k = 0; k < 6; ++k)
    users.push_back(make_user(c(), k % 3, "iu"));
  constexpr int per_node = 20;
  // posted[node]: (user index, tweet id) of every 201.
  std::vector<std::vector<std::pair<size_t, std::string>>> posted(c().size());
  std::vector<std::thread> threads;
  for (size_t node = 0; node < c().size(); ++node)
    threads.emplace_back([&, node] {
      for (int i = 0; i < per_node; ++i) {
        size_t k = (node + static_cast<size_t>(i)) % users.size();
        auto r = post_tweet(c().port(node), users[k],
                            "parallel " + std::to_string(i));
        if (r.status == 201)
          posted[node].emplace_back(k, id_of(r.body_json()));
      }
    });
  for (auto& t : threads)
    t.join();
  std::set<std::string> unique_ids;
  std::vector<std::set<std::string>> per_user(users.size());
  for (const auto& node : posted)
    for (const auto& [k, id] : node) {
      EXPECT_GT(id_value(id), 0u) << id;
      unique_ids.insert(id);
      per_user[k].insert(id);
    }
  for (size_t node = 0; node < posted.size(); ++node)
    EXPECT_EQ(posted[node].size(), static_cast<size_t>(per_node))
        << "201s through " << c().name(node);
  EXPECT_EQ(unique_ids.size(), c().size() * per_node);
  // Each user timeline holds exactly that user's tweets, newest first.
  for (size_t k = 0; k < users.size(); ++k) {
    auto ids = ids_of(
        list(c().port(k % 3), "user_timeline", of(users[k], "&count=200")));
    std::vector<std::string> want(per_user[k].begin(), per_user[k].end());
    std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
      return id_value(a) > id_value(b);
    });
    EXPECT_EQ(ids, want) << users[k].id;
  }
}

// Bad tokens, unknown users and empty or over-long statuses are refused
// through every node, whichever node owns the user, and store nothing.
TEST_F(clusterTwitter, BadTokenThroughEveryNodeIs401) {
  std::vector<user> users;
  for (size_t k = 0; k < 3; ++k)
    users.push_back(make_user(c(), k, "bt"));
  for (size_t k = 0; k < users.size(); ++k) {
    const auto& u = users[k];
    const auto& other = users[(k + 1) % users.size()];
    user forged{u.id, other.token};
    for (size_t via = 0; via < c().size(); ++via) {
      auto where = u.id + " via " + c().name(via);
      auto t = post_tweet(c().port(via), forged, "forged");
      EXPECT_EQ(t.status, 401) << where << ": " << t.body;
      EXPECT_EQ(t.error_code(), "unauthenticated") << where;
      auto f = post(c().port(via), "follow", follow_body(forged, other.id));
      EXPECT_EQ(f.status, 401) << where << ": " << f.body;
      auto d = send(c().port(via), "DELETE", api + "follow",
                    follow_body(forged, other.id).dump());
      EXPECT_EQ(d.status, 401) << where << ": " << d.body;
      auto ghost = post_tweet(c().port(via), {unique("ghost"), u.token}, "x");
      EXPECT_EQ(ghost.status, 404) << where << ": " << ghost.body;
      for (const auto& status : {std::string{}, std::string(281, 'x')}) {
        auto bad = post_tweet(c().port(via), u, status);
        EXPECT_EQ(bad.status, 400) << where << ": " << status.size();
      }
    }
    // Nothing was posted or followed.
    EXPECT_EQ(list(c().port(k), "user_timeline", of(u)), json::array());
  }
  // The rejected follows stored nothing: users[2]'s real follow is the
  // barrier.
  make_follow(c(), 1, users[2], users[1]);
  auto t = tweet(c().port(0), users[1], "real");
  std::vector<std::string> want{id_of(t)};
  EXPECT_EQ(ids_of(await_ids(c().port(2), "home_timeline", of(users[2]), want)),
            want);
  EXPECT_EQ(list(c().port(2), "home_timeline", of(users[0])), json::array());
}

namespace {

class clusterTwitterFailover : public fresh_cluster_test {};

} // namespace

// Users, follows and tweets are replicated: when the node serving the
// author's shard is killed, the survivors serve the author's timeline,
// accept the author's token, and rebuild or keep the reader's home
// timeline with the same content.
TEST_F(clusterTwitterFailover, TimelinesSurviveTheAuthorsNodeBeingKilled) {
  auto author = make_user(c(), 0, "author");
  auto reader = make_user(c(), 1, "reader");
  make_follow(c(), 2, reader, author);
  list(c().port(1), "home_timeline", of(reader)); // built: fan-out from now
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.insert(ids.begin(),
               str(tweet(c().port(0), author, "before " + std::to_string(i)),
                   "tweet_id"));
  ASSERT_EQ(ids_of(await_ids(c().port(1), "home_timeline", of(reader), ids)),
            ids);

  auto victim = c().owner_of("twitter", author.id);
  std::vector<size_t> survivors;
  for (size_t i = 0; i < c().size(); ++i)
    if (i != victim)
      survivors.push_back(i);
  c().node(victim).kill9();
  ASSERT_TRUE(c().wait_seen(survivors, victim, "down",
                            std::chrono::steady_clock::now() + 10s));

  for (auto s : survivors) {
    EXPECT_EQ(ids_of(await_ids(c().port(s), "user_timeline", of(author), ids)),
              ids)
        << "through " << c().name(s);
    EXPECT_EQ(ids_of(await_ids(c().port(s), "home_timeline", of(reader), ids)),
              ids)
        << "through " << c().name(s);
  }
  auto after = post_tweet(c().port(survivors[0]), author, "after the kill");
  ASSERT_EQ(after.status, 201) << after.body;
  ids.insert(ids.begin(), str(after.body_json(), "tweet_id"));
  EXPECT_EQ(ids_of(await_ids(c().port(survivors[1]), "home_timeline",
                             of(reader), ids)),
            ids);
}
