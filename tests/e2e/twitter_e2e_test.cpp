// End-to-end tests of the Twitter-style service (/twitter/api/v1/*) against a
// real `troupe run` process: users and tokens, follows, tweets and their
// validation, user and home timelines with paging, search, notifications,
// and timelines that come back after kill -9.
//
// Home timelines, the search index and notifications are filled
// asynchronously: the tests poll them with a deadline. Where a test expects
// something NOT to arrive, it first waits for a later event (a barrier) to
// arrive and then checks.
#include "harness.hpp"
#include "shared_node.hpp"
#include "twitter_json.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

using namespace troupe_e2e;
using namespace troupe_e2e::twitter;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

const std::string api = "/twitter/api/v1/";

/// How long an asynchronous effect (fan-out, indexing, notification) may
/// take to show.
constexpr std::chrono::milliseconds async_wait = 5s;

/// Polls `done` every 20 ms until it holds or `timeout` passes.
template <class Predicate>
bool eventually(Predicate done,
                std::chrono::milliseconds timeout = async_wait) {
  auto deadline = steady::now() + timeout;
  while (!done()) {
    if (steady::now() > deadline)
      return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

/// `base` plus a counter: unique within the test process (and so on its
/// node). Only letters and digits, so that it is one search term.
std::string unique(const std::string& base) {
  static int n = 0;
  return base + std::to_string(++n);
}

struct user {
  std::string id;
  std::string token;
};

void expect_error(const http_response& r, int status, const std::string& code,
                  const std::string& what) {
  EXPECT_EQ(r.status, status) << what << ": " << r.body;
  EXPECT_EQ(r.error_code(), code) << what << ": " << r.body;
}

bool is_hex32(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

/// Whether `s` is a well-formed `created_at` ("Wed Sep 05 00:37:15 +0000
/// 2012", weekday matching the date) within ten minutes of now (UTC).
bool is_recent_created_at(const std::string& s) {
  static const std::regex shape{"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
                                "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|"
                                "Dec) [0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5]"
                                "[0-9] \\+0000 [0-9]{4}"};
  std::tm tm{};
  if (!std::regex_match(s, shape) ||
      ::strptime(s.c_str(), "%a %b %d %H:%M:%S +0000 %Y", &tm) == nullptr)
    return false;
  auto t = ::timegm(&tm);
  std::tm back{};
  ::gmtime_r(&t, &back);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S +0000 %Y", &back);
  return buf == s && std::abs(std::difftime(t, std::time(nullptr))) < 600;
}

/// The first `n` of `ids`.
std::vector<std::string> first(const std::vector<std::string>& ids, size_t n) {
  return {ids.begin(),
          ids.begin() + static_cast<long>(std::min(n, ids.size()))};
}

// -- requests -----------------------------------------------------------------

http_response create_user(connection& c, const std::string& id,
                          const std::string& name) {
  return post_json(c, api + "user",
                   json{{"user_id", id}, {"name", name}}.dump());
}

/// Creates a user with a unique id made from `base`.
user make_user(connection& c, const std::string& base) {
  auto id = unique(base);
  auto r = create_user(c, id, "Name of " + id);
  EXPECT_EQ(r.status, 201) << id << ": " << r.body;
  return {id, str(r.body_json(), "auth_token")};
}

json follow_body(const user& u, const std::string& followee,
                 std::optional<bool> notify = {}) {
  json b{{"user_id", u.id}, {"followee_id", followee}, {"auth_token", u.token}};
  if (notify)
    b["notify"] = *notify;
  return b;
}

http_response follow(connection& c, const user& u, const std::string& followee,
                     std::optional<bool> notify = {}) {
  return post_json(c, api + "follow", follow_body(u, followee, notify).dump());
}

http_response unfollow(connection& c, const user& u,
                       const std::string& followee) {
  return c.request("DELETE", api + "follow", follow_body(u, followee).dump(),
                   {{"Content-Type", "application/json; charset=utf-8"}});
}

/// Follows and expects 204.
void make_follow(connection& c, const user& u, const user& followee,
                 std::optional<bool> notify = {}) {
  auto r = follow(c, u, followee.id, notify);
  EXPECT_EQ(r.status, 204) << u.id << " follows " << followee.id << ": "
                           << r.body;
}

http_response post_tweet(connection& c, const user& u,
                         const std::string& status) {
  return post_json(
      c, api + "tweet",
      json{{"user_id", u.id}, {"auth_token", u.token}, {"status", status}}
          .dump());
}

/// Posts a tweet, expects 201 and returns the response body.
json tweet(connection& c, const user& u, const std::string& status) {
  auto r = post_tweet(c, u, status);
  EXPECT_EQ(r.status, 201) << u.id << " tweets '" << status << "': " << r.body;
  return r.body_json();
}

/// A tweet body whose status is spliced in raw (for invalid UTF-8).
std::string raw_tweet_body(const user& u, const std::string& raw_status) {
  return R"({"user_id":")" + u.id + R"(","auth_token":")" + u.token +
         R"(","status":")" + raw_status + R"("})";
}

/// GET `route`?`query` (route: "user_timeline", "search", ...).
http_response get(connection& c, const std::string& route,
                  const std::string& query) {
  return c.request("GET", api + route + "?" + query);
}

/// The same, expecting 200 with a JSON array (a discarded value otherwise).
json list(connection& c, const std::string& route, const std::string& query) {
  auto r = get(c, route, query);
  EXPECT_EQ(r.status, 200) << route << "?" << query << ": " << r.body;
  auto j = r.body_json();
  EXPECT_TRUE(j.is_array()) << route << "?" << query << ": " << r.body;
  return j;
}

/// Polls GET `route`?`query` until its tweet ids are `expected` and returns
/// the last list read (the caller compares it, for a readable failure).
json await_ids(connection& c, const std::string& route,
               const std::string& query,
               const std::vector<std::string>& expected) {
  json last;
  eventually([&] {
    last = get(c, route, query).body_json();
    return ids_of(last) == expected;
  });
  return last;
}

std::string of(const user& u, const std::string& extra = "") {
  return "user_id=" + u.id + extra;
}

std::string search_query(const std::string& q, const std::string& extra = "") {
  return "query=" + url_encode(q) + extra;
}

/// Reads `route` of `u` page by page (count 7, max_id one below the last
/// id seen) and expects the pages to add up to `all`.
void expect_pages(connection& c, const std::string& route, const user& u,
                  const std::vector<std::string>& all) {
  std::vector<std::string> seen;
  std::string max_id;
  for (int page = 0; page < 100; ++page) {
    auto q = of(u, "&count=7" + (max_id.empty() ? "" : "&max_id=" + max_id));
    auto ids = ids_of(list(c, route, q));
    EXPECT_LE(ids.size(), 7u) << q;
    if (ids.empty())
      break;
    seen.insert(seen.end(), ids.begin(), ids.end());
    max_id = std::to_string(id_value(ids.back()) - 1);
  }
  EXPECT_EQ(seen, all) << route;
}

/// Expects 400 invalid_argument for each of `queries` on `route`.
void expect_bad_queries(connection& c, const std::string& route,
                        const std::vector<std::string>& queries) {
  for (const auto& q : queries)
    expect_error(get(c, route, q), 400, "invalid_argument", route + "?" + q);
}

/// A notification as the tests compare it (created_at checked apart).
json note(const std::string& kind, const user& from, const json& tweet) {
  return {
      {"kind", kind}, {"from_user_id", from.id}, {"tweet_id", id_of(tweet)}};
}

/// The notifications of `u` without their created_at (checked here).
json notes_of(connection& c, const user& u, const std::string& extra = "") {
  json out = json::array();
  auto r = get(c, "notifications", of(u, extra));
  auto j = r.body_json();
  if (r.status != 200 || !j.is_array())
    return r.body;
  for (auto n : j) {
    EXPECT_TRUE(is_recent_created_at(str(n, "created_at"))) << n;
    if (n.is_object())
      n.erase("created_at");
    out.push_back(n);
  }
  return out;
}

/// Polls the notifications of `u` until they are `expected`; returns the
/// last read.
json await_notes(connection& c, const user& u, const json& expected) {
  json last;
  eventually([&] { return (last = notes_of(c, u)) == expected; });
  return last;
}

/// One node on the default config shared by the suite's tests; each test
/// makes users and search terms of its own.
class e2eTwitter : public shared_node_test<e2eTwitter> {};

} // namespace

// -- users --------------------------------------------------------------------

TEST_F(e2eTwitter, CreatedUserGetsA32HexToken) {
  connection c{port()};
  auto id = unique("ann");
  auto a = create_user(c, id, "Ann \xC3\xA9");
  auto b = create_user(c, unique("ben"), "Ben");
  ASSERT_EQ(a.status, 201) << a.body;
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_NE(a.header("content-type").find("application/json"),
            std::string::npos);
  auto ja = a.body_json();
  ASSERT_TRUE(ja.is_object()) << a.body;
  EXPECT_EQ(ja.size(), 2u) << a.body;
  EXPECT_EQ(str(ja, "user_id"), id) << a.body;
  auto token = str(ja, "auth_token");
  EXPECT_TRUE(is_hex32(token)) << a.body;
  EXPECT_NE(token, str(b.body_json(), "auth_token")) << b.body;
  // The token works.
  user u{id, token};
  EXPECT_EQ(post_tweet(c, u, "first").status, 201);
}

TEST_F(e2eTwitter, DuplicateUserIdIs409AndKeepsTheFirstToken) {
  connection c{port()};
  auto u = make_user(c, "dup");
  expect_error(create_user(c, u.id, "Someone else"), 409, "conflict",
               "second create");
  EXPECT_EQ(post_tweet(c, u, "still mine").status, 201);
}

TEST_F(e2eTwitter, BadUserIdOrNameIs400AndCreatesNothing) {
  connection c{port()};
  for (const std::string& id :
       std::vector<std::string>{"", std::string(33, 'a'), "a-b", "a b", "a.b",
                                "caf\xC3\xA9", "a@b", "a/b"})
    expect_error(create_user(c, id, "Name"), 400, "invalid_argument",
                 "user_id '" + id + "'");
  std::string fifty_one;
  std::string fifty;
  for (int i = 0; i < 50; ++i)
    fifty += "\xC3\xA9";
  fifty_one = fifty + "x";
  auto id = unique("named");
  for (const std::string& name : {std::string{}, fifty_one})
    expect_error(create_user(c, id, name), 400, "invalid_argument",
                 "name of " + std::to_string(name.size()) + " bytes");
  expect_error(post_json(c, api + "user",
                         R"({"user_id":")" + id + "\",\"name\":\"a\xC3\x28\"}"),
               400, "invalid_argument", "invalid UTF-8 name");
  // None of these created the user; the limits themselves are accepted.
  EXPECT_EQ(create_user(c, id, fifty).status, 201);
  auto suffix = unique("z");
  auto longest = std::string(32 - suffix.size(), 'L') + suffix;
  EXPECT_EQ(create_user(c, longest, "Longest").status, 201) << longest;
  EXPECT_EQ(create_user(c, unique("U_9_"), "x").status, 201);
}

TEST_F(e2eTwitter, MalformedOrIllTypedUserBodyIs400) {
  connection c{port()};
  auto id = unique("typed");
  for (const std::string& body : std::vector<std::string>{
           "", "{", "not json", "[]", "{}", "null",
           R"({"user_id":")" + id + "\"}", R"({"name":"N"})",
           R"({"user_id":true,"name":"N"})", R"({"user_id":null,"name":"N"})",
           R"({"user_id":["a"],"name":"N"})",
           R"({"user_id":{"a":1},"name":"N"})",
           R"({"user_id":")" + id + R"(","name":5})",
           R"({"user_id":")" + id + R"(","name":null})",
           R"({"user_id":")" + id + R"(","name":["N"]})"})
    expect_error(post_json(c, api + "user", body), 400, "invalid_argument",
                 body);
  EXPECT_EQ(create_user(c, id, "N").status, 201);
}

// -- follows ------------------------------------------------------------------

TEST_F(e2eTwitter, FollowAndUnfollowAre204AndIdempotent) {
  connection c{port()};
  auto a = make_user(c, "fa");
  auto b = make_user(c, "fb");
  for (int round = 0; round < 2; ++round) {
    auto r = follow(c, a, b.id);
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.body, "");
  }
  EXPECT_EQ(follow(c, a, b.id, true).status, 204);
  for (int round = 0; round < 2; ++round) {
    auto r = unfollow(c, a, b.id);
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.body, "");
  }
}

TEST_F(e2eTwitter, FollowErrors) {
  connection c{port()};
  auto a = make_user(c, "ea");
  auto b = make_user(c, "eb");
  auto ghost = user{unique("ghost"), a.token};
  for (const char* method : {"POST", "DELETE"}) {
    auto send = [&](const json& body) {
      return c.request(method, api + "follow", body.dump(),
                       {{"Content-Type", "application/json"}});
    };
    std::string m = method;
    for (const std::string& token :
         {std::string(32, '0'), b.token, std::string{}, a.token + "0"})
      expect_error(send(follow_body({a.id, token}, b.id)), 401,
                   "unauthenticated", m + " token '" + token + "'");
    expect_error(send(follow_body(ghost, b.id)), 404, "not_found",
                 m + " unknown user_id");
    expect_error(send(follow_body(a, unique("ghost"))), 404, "not_found",
                 m + " unknown followee_id");
    expect_error(send(follow_body(a, a.id)), 400, "invalid_argument",
                 m + " self");
    for (const char* field : {"user_id", "followee_id", "auth_token"}) {
      auto body = follow_body(a, b.id);
      body.erase(field);
      expect_error(send(body), 400, "invalid_argument",
                   m + " without " + field);
      body[field] = 7;
      expect_error(send(body), 400, "invalid_argument",
                   m + " numeric " + field);
    }
    for (const char* body : {"", "{", "[]", "not json"})
      expect_error(c.request(method, api + "follow", body), 400,
                   "invalid_argument", m + " body '" + body + "'");
  }
  auto bad_notify = follow_body(a, b.id);
  bad_notify["notify"] = "yes";
  expect_error(post_json(c, api + "follow", bad_notify.dump()), 400,
               "invalid_argument", "notify as a string");
}

TEST_F(e2eTwitter, RejectedFollowsChangeNothing) {
  connection c{port()};
  auto author = make_user(c, "ra");
  auto rejected = make_user(c, "rr");
  auto barrier = make_user(c, "rb");
  EXPECT_EQ(follow(c, {rejected.id, barrier.token}, author.id).status, 401);
  auto bad = follow_body(rejected, author.id);
  bad["notify"] = "yes";
  EXPECT_EQ(post_json(c, api + "follow", bad.dump()).status, 400);
  make_follow(c, barrier, author);
  auto t = tweet(c, author, "only for real followers");
  auto home = await_ids(c, "home_timeline", of(barrier), {id_of(t)});
  EXPECT_EQ(ids_of(home), ids_of(json::array({t})));
  EXPECT_EQ(list(c, "home_timeline", of(rejected)), json::array());
}

// -- tweets -------------------------------------------------------------------

TEST_F(e2eTwitter, TweetIs201WithItsFields) {
  connection c{port()};
  auto u = make_user(c, "tw");
  const std::string status =
      "Hello, \xE4\xB8\x96\xE7\x95\x8C! \xF0\x9F\x98\x80";
  auto r = post_tweet(c, u, status);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.header("content-type").find("application/json"),
            std::string::npos);
  auto t = r.body_json();
  ASSERT_TRUE(t.is_object()) << r.body;
  EXPECT_EQ(t.size(), 4u) << r.body;
  EXPECT_EQ(t["user_id"], u.id);
  EXPECT_EQ(t["status"], status);
  EXPECT_GT(id_value(id_of(t)), 0u) << r.body;
  EXPECT_TRUE(is_recent_created_at(str(t, "created_at"))) << r.body;
  // The user timeline serves the same object at once.
  EXPECT_EQ(list(c, "user_timeline", of(u)), json::array({t}));
}

TEST_F(e2eTwitter, TweetIdsIncrease) {
  connection c{port()};
  auto a = make_user(c, "ia");
  auto b = make_user(c, "ib");
  uint64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    auto t = tweet(c, i % 2 ? a : b, "tweet " + std::to_string(i));
    auto id = id_value(id_of(t));
    EXPECT_GT(id, last) << "tweet " << i << ": " << t;
    last = id;
  }
}

TEST_F(e2eTwitter, StatusLengthCountsCodePoints) {
  connection c{port()};
  auto u = make_user(c, "len");
  auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
      out += s;
    return out;
  };
  for (const std::string ch :
       {"a", "\xC3\xA9", "\xE4\xB8\x96", "\xF0\x9F\x98\x80"}) {
    auto longest = repeat(ch, 280);
    auto t = tweet(c, u, longest);
    EXPECT_EQ(str(t, "status"), longest);
    expect_error(post_tweet(c, u, repeat(ch, 281)), 400, "invalid_argument",
                 "281 code points of " + std::to_string(ch.size()) + " bytes");
  }
  expect_error(post_tweet(c, u, ""), 400, "invalid_argument", "empty status");
  EXPECT_EQ(list(c, "user_timeline", of(u)).size(), 4u);
}

TEST_F(e2eTwitter, InvalidUtf8StatusIs400) {
  connection c{port()};
  auto u = make_user(c, "utf");
  for (const std::string bad : {"a\xC3\x28", "\xFF", "\xC0\xAF", "\xED\xA0\x80",
                                "x\xE2\x82", "\xF4\x90\x80\x80", "\\ud800"})
    expect_error(post_json(c, api + "tweet", raw_tweet_body(u, bad)), 400,
                 "invalid_argument", "status bytes '" + bad + "'");
  EXPECT_EQ(list(c, "user_timeline", of(u)), json::array());
}

TEST_F(e2eTwitter, TweetErrors) {
  connection c{port()};
  auto u = make_user(c, "te");
  auto other = make_user(c, "to");
  for (const std::string& token : {std::string(32, 'f'), other.token})
    expect_error(post_tweet(c, {u.id, token}, "x"), 401, "unauthenticated",
                 "token " + token);
  expect_error(post_tweet(c, {unique("ghost"), u.token}, "x"), 404, "not_found",
               "unknown user");
  json good{{"user_id", u.id}, {"auth_token", u.token}, {"status", "x"}};
  for (const char* field : {"user_id", "auth_token", "status"}) {
    auto body = good;
    body.erase(field);
    expect_error(post_json(c, api + "tweet", body.dump()), 400,
                 "invalid_argument", std::string{"without "} + field);
    body[field] = json::array();
    expect_error(post_json(c, api + "tweet", body.dump()), 400,
                 "invalid_argument", std::string{"array as "} + field);
  }
  auto numeric = good;
  numeric["status"] = 5;
  expect_error(post_json(c, api + "tweet", numeric.dump()), 400,
               "invalid_argument", "numeric status");
  for (const char* body : {"", "{", "[]", "null"})
    expect_error(post_json(c, api + "tweet", body), 400, "invalid_argument",
                 std::string{"body '"} + body + "'");
}

TEST_F(e2eTwitter, MediaIdsAreOptionalAndBounded) {
  connection c{port()};
  auto u = make_user(c, "media");
  json base{{"user_id", u.id}, {"auth_token", u.token}, {"status", "pic"}};
  auto with = [&](const json& media) {
    auto b = base;
    b["media_ids"] = media;
    return post_json(c, api + "tweet", b.dump());
  };
  int accepted = 0;
  for (const json& ok :
       {json::array(), json{"a1", "b2"}, json{1, 2, 3, 4}, json{"1", 2}}) {
    auto r = with(ok);
    EXPECT_EQ(r.status, 201) << ok << ": " << r.body;
    accepted += r.status == 201;
  }
  for (const json& bad :
       {json{1, 2, 3, 4, 5}, json("m1"), json(7), json::array({json::object()}),
        json{true}, json::array({nullptr}), json::object()})
    expect_error(with(bad), 400, "invalid_argument", "media_ids " + bad.dump());
  EXPECT_EQ(list(c, "user_timeline", of(u)).size(),
            static_cast<size_t>(accepted));
}

TEST_F(e2eTwitter, RejectedTweetsChangeNothing) {
  connection c{port()};
  auto u = make_user(c, "rj");
  auto fan = make_user(c, "rf");
  make_follow(c, fan, u);
  auto a = tweet(c, u, "accepted one");
  expect_error(post_tweet(c, u, ""), 400, "invalid_argument", "empty");
  expect_error(post_tweet(c, u, std::string(281, 'x')), 400, "invalid_argument",
               "281");
  expect_error(post_tweet(c, {u.id, fan.token}, "bad token"), 401,
               "unauthenticated", "bad token");
  expect_error(post_json(c, api + "tweet", raw_tweet_body(u, "\xC3\x28")), 400,
               "invalid_argument", "invalid UTF-8");
  auto too_many = json{{"user_id", u.id},
                       {"auth_token", u.token},
                       {"status", "five media"},
                       {"media_ids", {1, 2, 3, 4, 5}}};
  expect_error(post_json(c, api + "tweet", too_many.dump()), 400,
               "invalid_argument", "5 media");
  auto b = tweet(c, u, "accepted two");
  EXPECT_EQ(list(c, "user_timeline", of(u)), json::array({b, a}));
  // The follower gets the accepted ones only (b arriving is the barrier).
  auto home = await_ids(c, "home_timeline", of(fan), {id_of(b), id_of(a)});
  EXPECT_EQ(home, json::array({b, a}));
}

// -- user timeline ------------------------------------------------------------

TEST_F(e2eTwitter, UserTimelineIsNewestFirstAndCounted) {
  connection c{port()};
  auto u = make_user(c, "ut");
  auto other = make_user(c, "uo");
  EXPECT_EQ(list(c, "user_timeline", of(u)), json::array());
  std::vector<json> tweets;
  for (int i = 0; i < 25; ++i) {
    tweets.push_back(tweet(c, u, "numbered " + std::to_string(i)));
    tweet(c, other, "noise " + std::to_string(i));
  }
  auto all = newest_first(tweets);
  EXPECT_EQ(ids_of(list(c, "user_timeline", of(u))), first(all, 20));
  EXPECT_EQ(ids_of(list(c, "user_timeline", of(u, "&count=5"))), first(all, 5));
  EXPECT_EQ(ids_of(list(c, "user_timeline", of(u, "&count=1"))), first(all, 1));
  auto every = list(c, "user_timeline", of(u, "&count=200"));
  EXPECT_EQ(ids_of(every), all);
  // Each entry is the object the POST returned.
  std::reverse(tweets.begin(), tweets.end());
  EXPECT_EQ(every, json(tweets));
}

TEST_F(e2eTwitter, UserTimelineMaxIdIsInclusive) {
  connection c{port()};
  auto u = make_user(c, "mx");
  std::vector<json> tweets;
  for (int i = 0; i < 25; ++i)
    tweets.push_back(tweet(c, u, "paged " + std::to_string(i)));
  auto all = newest_first(tweets);
  auto from = [&](size_t k) {
    return std::vector<std::string>(all.begin() + static_cast<long>(k),
                                    all.end());
  };
  EXPECT_EQ(
      ids_of(list(c, "user_timeline", of(u, "&count=200&max_id=" + all[10]))),
      from(10));
  auto below = std::to_string(id_value(all[10]) - 1);
  EXPECT_EQ(ids_of(list(c, "user_timeline", of(u, "&count=3&max_id=" + below))),
            first(from(11), 3));
  auto oldest_minus_one = std::to_string(id_value(all.back()) - 1);
  EXPECT_EQ(list(c, "user_timeline", of(u, "&max_id=" + oldest_minus_one)),
            json::array());
  EXPECT_EQ(ids_of(list(c, "user_timeline",
                        of(u, "&count=200&max_id=9223372036854775807"))),
            all);
  expect_pages(c, "user_timeline", u, all);
}

TEST_F(e2eTwitter, TimelineParameterErrors) {
  connection c{port()};
  auto u = make_user(c, "pe");
  for (const char* route : {"user_timeline", "home_timeline"}) {
    expect_error(get(c, route, "user_id=" + unique("ghost")), 404, "not_found",
                 std::string{route} + " unknown user");
    expect_bad_queries(
        c, route,
        {"", "count=5", "user_id=", of(u, "&count=0"), of(u, "&count=201"),
         of(u, "&count=-1"), of(u, "&count=x"), of(u, "&count=1.5"),
         of(u, "&count="), of(u, "&max_id=abc"), of(u, "&max_id=-5"),
         of(u, "&max_id="), of(u, "&max_id=1.5"), of(u, "&max_id=0x10"),
         of(u, "&max_id=99999999999999999999999")});
    EXPECT_EQ(list(c, route, of(u, "&count=200")), json::array());
    EXPECT_EQ(list(c, route, of(u, "&count=1&max_id=12345")), json::array());
  }
}

// -- home timeline ------------------------------------------------------------

TEST_F(e2eTwitter, HomeTimelineHoldsFolloweesTweetsNewestFirst) {
  connection c{port()};
  auto reader = make_user(c, "hr");
  auto b = make_user(c, "hb");
  auto d = make_user(c, "hd");
  auto stranger = make_user(c, "hs");
  make_follow(c, reader, b);
  make_follow(c, reader, d);
  std::vector<json> expected;
  for (int i = 0; i < 3; ++i) {
    expected.push_back(tweet(c, b, "from b " + std::to_string(i)));
    tweet(c, reader, "own " + std::to_string(i));
    expected.push_back(tweet(c, d, "from d " + std::to_string(i)));
    tweet(c, stranger, "not followed " + std::to_string(i));
  }
  auto ids = newest_first(expected);
  auto home = await_ids(c, "home_timeline", of(reader), ids);
  EXPECT_EQ(ids_of(home), ids) << home;
  // Each entry is the tweet as posted.
  std::reverse(expected.begin(), expected.end());
  std::map<std::string, json> by_id;
  for (const auto& t : expected)
    by_id[id_of(t)] = t;
  for (const auto& e : home)
    EXPECT_EQ(e, by_id[id_of(e)]);
  // An author who follows nobody has an empty home timeline.
  EXPECT_EQ(list(c, "home_timeline", of(b)), json::array());
}

TEST_F(e2eTwitter, HomeTimelineCountAndMaxId) {
  connection c{port()};
  auto reader = make_user(c, "hc");
  auto author = make_user(c, "ha");
  make_follow(c, reader, author);
  std::vector<json> tweets;
  for (int i = 0; i < 25; ++i)
    tweets.push_back(tweet(c, author, "home paged " + std::to_string(i)));
  auto all = newest_first(tweets);
  auto home = await_ids(c, "home_timeline", of(reader, "&count=200"), all);
  ASSERT_EQ(ids_of(home), all);
  EXPECT_EQ(ids_of(list(c, "home_timeline", of(reader))), first(all, 20));
  EXPECT_EQ(ids_of(list(c, "home_timeline", of(reader, "&count=3"))),
            first(all, 3));
  EXPECT_EQ(
      ids_of(list(c, "home_timeline", of(reader, "&count=2&max_id=" + all[7]))),
      (std::vector<std::string>{all[7], all[8]}));
  expect_pages(c, "home_timeline", reader, all);
}

TEST_F(e2eTwitter, UnfollowRemovesTheFolloweesTweetsOnNextRead) {
  connection c{port()};
  auto reader = make_user(c, "xr");
  auto gone = make_user(c, "xg");
  auto kept = make_user(c, "xk");
  make_follow(c, reader, gone);
  make_follow(c, reader, kept);
  auto g1 = tweet(c, gone, "soon unfollowed");
  auto k1 = tweet(c, kept, "still followed");
  auto both = newest_first({g1, k1});
  ASSERT_EQ(ids_of(await_ids(c, "home_timeline", of(reader), both)), both);

  ASSERT_EQ(unfollow(c, reader, gone.id).status, 204);
  EXPECT_EQ(list(c, "home_timeline", of(reader)), json::array({k1}));
  // New tweets of the unfollowed user do not arrive (k2 is the barrier).
  auto g2 = tweet(c, gone, "after the unfollow");
  auto k2 = tweet(c, kept, "barrier");
  auto home = await_ids(c, "home_timeline", of(reader), {id_of(k2), id_of(k1)});
  EXPECT_EQ(home, json::array({k2, k1}));

  // Following again brings all of them back.
  make_follow(c, reader, gone);
  auto again = newest_first({g1, k1, g2, k2});
  EXPECT_EQ(ids_of(await_ids(c, "home_timeline", of(reader), again)), again);
}

TEST_F(e2eTwitter, FollowingLaterShowsTheFolloweesEarlierTweets) {
  connection c{port()};
  auto reader = make_user(c, "lr");
  auto author = make_user(c, "la");
  std::vector<json> earlier;
  for (int i = 0; i < 3; ++i)
    earlier.push_back(
        tweet(c, author, "before the follow " + std::to_string(i)));
  EXPECT_EQ(list(c, "home_timeline", of(reader)), json::array());
  make_follow(c, reader, author);
  auto ids = newest_first(earlier);
  EXPECT_EQ(ids_of(await_ids(c, "home_timeline", of(reader), ids)), ids);
  earlier.push_back(tweet(c, author, "after the follow"));
  ids = newest_first(earlier);
  EXPECT_EQ(ids_of(await_ids(c, "home_timeline", of(reader), ids)), ids);
}

// -- search -------------------------------------------------------------------

TEST_F(e2eTwitter, SearchFindsTweetsWithEveryTerm) {
  connection c{port()};
  auto u = make_user(c, "se");
  auto w1 = unique("kiwi");
  auto w2 = unique("mango");
  auto upper = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    return s;
  };
  auto t1 = tweet(c, u, upper(w1) + " and " + w2 + " together");
  auto t2 = tweet(c, u, "only " + w1);
  tweet(c, u, "only " + w2);
  auto t4 = tweet(c, u, "<b>" + w1 + "</b>, (" + upper(w2) + ")!");
  auto t5 = tweet(c, u, "#" + w1 + "... \"" + w2 + "\"?");
  auto both = newest_first({t1, t4, t5});
  auto r = await_ids(c, "search", search_query(w1 + " " + w2), both);
  EXPECT_EQ(ids_of(r), both);
  EXPECT_EQ(r[0], t5);
  for (const std::string& q :
       {upper(w2) + " " + w1, w1 + ", " + upper(w2) + "!",
        "  " + w1 + "   " + w2, "#" + w1 + " @" + w2})
    EXPECT_EQ(ids_of(list(c, "search", search_query(q))), both) << q;
  auto with_w1 = newest_first({t1, t2, t4, t5});
  EXPECT_EQ(ids_of(await_ids(c, "search", search_query(w1), with_w1)), with_w1);
  EXPECT_EQ(list(c, "search", search_query(w1 + " " + unique("nothing"))),
            json::array());
}

TEST_F(e2eTwitter, SearchFindsMentionsAndHashtags) {
  connection c{port()};
  auto alice = make_user(c, "alice");
  auto bob = make_user(c, "bob");
  auto tag = unique("cpp");
  auto t = tweet(c, bob, "hey @" + alice.id + ", see #" + tag);
  std::vector<std::string> ids = {id_of(t)};
  EXPECT_EQ(ids_of(await_ids(c, "search", search_query("@" + alice.id), ids)),
            ids);
  for (const std::string& q :
       {alice.id, "#" + tag, tag, "@" + alice.id + " #" + tag})
    EXPECT_EQ(ids_of(list(c, "search", search_query(q))), ids) << q;
}

TEST_F(e2eTwitter, SearchLimitKeepsTheNewest) {
  connection c{port()};
  auto u = make_user(c, "sl");
  auto v = make_user(c, "sv");
  auto w = unique("plum");
  std::vector<json> tweets;
  for (int i = 0; i < 25; ++i)
    tweets.push_back(
        tweet(c, i % 2 ? u : v, w + " number " + std::to_string(i)));
  auto all = newest_first(tweets);
  auto every = await_ids(c, "search", search_query(w, "&limit=1000"), all);
  EXPECT_EQ(ids_of(every), all);
  EXPECT_EQ(ids_of(list(c, "search", search_query(w))), first(all, 20));
  EXPECT_EQ(ids_of(list(c, "search", search_query(w, "&limit=3"))),
            first(all, 3));
  auto r = get(c, "search", search_query(w, "&limit=1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-partial"), "") << "a single node answered in full";
  EXPECT_EQ(ids_of(r.body_json()), first(all, 1));
}

TEST_F(e2eTwitter, SearchParameterErrors) {
  connection c{port()};
  expect_bad_queries(
      c, "search",
      {"", "limit=5", "query=", "query=%20%20", search_query("!!! ... @# ?"),
       search_query("plum", "&limit=0"), search_query("plum", "&limit=1001"),
       search_query("plum", "&limit=x"), search_query("plum", "&limit=-1"),
       search_query("plum", "&limit=")});
  EXPECT_EQ(list(c, "search", search_query(unique("absent"))), json::array());
}

// -- notifications ------------------------------------------------------------

TEST_F(e2eTwitter, MentionsNotifyTheMentionedUsers) {
  connection c{port()};
  auto alice = make_user(c, "na");
  auto bob = make_user(c, "nb");
  auto carol = make_user(c, "nc");
  EXPECT_EQ(list(c, "notifications", of(alice)), json::array());
  auto t1 = tweet(c, bob, "hello @" + alice.id + "!");
  auto self = tweet(c, carol, "talking to myself, @" + carol.id);
  tweet(c, bob, "hi @" + unique("nobody") + " and @" + alice.id + "x");
  auto t2 = tweet(c, carol, "@" + alice.id + " @" + bob.id + " meet");
  json expected = {note("mention", carol, t2), note("mention", bob, t1)};
  EXPECT_EQ(await_notes(c, alice, expected), expected);
  // Bob is mentioned once; carol's self-mention arrived no sooner than bob's
  // mention (the barrier) and was dropped.
  json bobs = {note("mention", carol, t2)};
  EXPECT_EQ(await_notes(c, bob, bobs), bobs);
  EXPECT_EQ(notes_of(c, carol), json::array()) << self;
  // limit keeps the newest.
  EXPECT_EQ(notes_of(c, alice, "&limit=1"), json::array({expected[0]}));
}

TEST_F(e2eTwitter, NotifyFollowNotifiesOfEachTweet) {
  connection c{port()};
  auto author = make_user(c, "fw");
  auto notified = make_user(c, "fn");
  auto plain = make_user(c, "fp");
  auto off = make_user(c, "fo");
  make_follow(c, notified, author, true);
  make_follow(c, plain, author);
  make_follow(c, off, author, false);
  auto t1 = tweet(c, author, "first news");
  auto t2 = tweet(c, author, "second news");
  // The author's mention of the plain followers is their barrier.
  auto t3 = tweet(c, author, "@" + plain.id + " @" + off.id + " ping");
  json expected = {note("tweet", author, t3), note("tweet", author, t2),
                   note("tweet", author, t1)};
  EXPECT_EQ(await_notes(c, notified, expected), expected);
  json mention = {note("mention", author, t3)};
  EXPECT_EQ(await_notes(c, plain, mention), mention);
  EXPECT_EQ(await_notes(c, off, mention), mention);
  // The plain followers still get the tweets in their home timelines.
  auto ids = newest_first({t1, t2, t3});
  EXPECT_EQ(ids_of(await_ids(c, "home_timeline", of(plain), ids)), ids);

  // Following again with notify false turns the notifications off: t5's
  // mention arrives, t4 and t5 notify of nothing else.
  make_follow(c, notified, author, false);
  auto t4 = tweet(c, author, "fourth news, unnotified");
  auto t5 = tweet(c, author, "@" + notified.id + " ping");
  expected.insert(expected.begin(), note("mention", author, t5));
  EXPECT_EQ(await_notes(c, notified, expected), expected) << t4;
  // Following twice did not deliver anything twice.
  ids = newest_first({t1, t2, t3, t4, t5});
  EXPECT_EQ(ids_of(await_ids(c, "home_timeline", of(notified), ids)), ids);
}

TEST_F(e2eTwitter, NotificationsKeepTheNewestHundred) {
  connection c{port()};
  auto fan = make_user(c, "nh");
  auto author = make_user(c, "nm");
  std::vector<json> tweets;
  for (int i = 0; i < 105; ++i)
    tweets.push_back(tweet(c, author, "@" + fan.id + " #" + std::to_string(i)));
  json expected = json::array();
  for (size_t i = tweets.size(); i-- > 5;)
    expected.push_back(note("mention", author, tweets[i]));
  json last;
  eventually([&] {
    last = notes_of(c, fan, "&limit=100");
    return last == expected;
  });
  EXPECT_EQ(last, expected);
  EXPECT_EQ(notes_of(c, fan),
            json(std::vector<json>(expected.begin(), expected.begin() + 20)));
}

TEST_F(e2eTwitter, NotificationParameterErrors) {
  connection c{port()};
  auto u = make_user(c, "np");
  expect_error(get(c, "notifications", "user_id=" + unique("ghost")), 404,
               "not_found", "unknown user");
  expect_bad_queries(c, "notifications",
                     {"", "user_id=", of(u, "&limit=0"), of(u, "&limit=101"),
                      of(u, "&limit=x"), of(u, "&limit=-1")});
  EXPECT_EQ(list(c, "notifications", of(u, "&limit=100")), json::array());
}

// -- restart ------------------------------------------------------------------

namespace {

/// Reads `route` (count 200) of every user, keyed by user id.
std::map<std::string, json> read_all(connection& c, const std::string& route,
                                     const std::vector<user>& users) {
  std::map<std::string, json> out;
  for (const auto& u : users)
    out[u.id] = list(c, route, of(u, "&count=200"));
  return out;
}

} // namespace

TEST(e2eTwitterRestart, TimelinesAndFollowsSurviveKill9) {
  node_process node;
  ASSERT_TRUE(node.restart()); // start + wait until ready
  std::vector<user> users;
  // follows[i]: whom users[i] follows.
  const std::vector<std::vector<size_t>> follows = {
      {1, 2}, {0, 2, 3}, {3}, {}, {0, 1, 2, 3}};
  std::map<std::string, json> user_timelines;
  std::map<std::string, json> homes;
  {
    connection c{node.port()};
    for (int i = 0; i < 5; ++i)
      users.push_back(make_user(c, "rs"));
    for (size_t i = 0; i < users.size(); ++i)
      for (auto f : follows[i])
        make_follow(c, users[i], users[f]);
    std::vector<std::vector<json>> posted(users.size());
    for (int round = 0; round < 4; ++round)
      for (size_t i = 0; i < users.size(); ++i)
        posted[i].push_back(tweet(c, users[i],
                                  "round " + std::to_string(round) + " by " +
                                      users[i].id + " \xC3\xA9"));
    // Wait until every home timeline holds what the follow graph says.
    for (size_t i = 0; i < users.size(); ++i) {
      std::vector<json> theirs;
      for (auto f : follows[i])
        theirs.insert(theirs.end(), posted[f].begin(), posted[f].end());
      auto expected = newest_first(theirs);
      auto home =
          await_ids(c, "home_timeline", of(users[i], "&count=200"), expected);
      ASSERT_EQ(ids_of(home), expected) << users[i].id;
    }
    user_timelines = read_all(c, "user_timeline", users);
    homes = read_all(c, "home_timeline", users);
  }

  node.kill9();
  ASSERT_TRUE(node.restart());
  connection c{node.port()};
  EXPECT_EQ(read_all(c, "user_timeline", users), user_timelines);
  for (const auto& u : users) {
    json home;
    eventually([&] {
      home = get(c, "home_timeline", of(u, "&count=200")).body_json();
      return home == homes[u.id];
    });
    EXPECT_EQ(home, homes[u.id]) << u.id;
  }
  // Users, tokens and follows are still there: users[3]'s new tweet fans
  // out to its three followers.
  expect_error(create_user(c, users[0].id, "again"), 409, "conflict",
               "create after restart");
  auto t = tweet(c, users[3], "after the restart");
  for (size_t i : {1, 2, 4}) {
    auto head =
        await_ids(c, "home_timeline", of(users[i], "&count=1"), {id_of(t)});
    EXPECT_EQ(head, json::array({t})) << users[i].id;
  }
  EXPECT_EQ(list(c, "home_timeline", of(users[3])), json::array());
  stop_cleanly(node);
}
