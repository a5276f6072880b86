// End-to-end tests of the social graph service (/social/api/v1/*) against a
// real `troupe run` process, as a new user would try it: people, their
// validation, friendships (undirected, idempotent, nothing changed on a
// 404), imports with Content-Length and chunked bodies (rejected lines with
// their numbers, CRLF, comments), friend_search on a small hand-made graph
// (shortest paths, unreachable people, max_hops, links that resolve), the
// import size limit, and what survives kill -9 in the middle of a long
// import.
//
// Most tests share one node and use person ids of their own (see
// `ids_for`), so they do not depend on each other's data.
#include "harness.hpp"
#include "shared_node.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

using namespace troupe_e2e;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

const std::string api = "/social/api/v1/";

/// The first of `n` person ids no other test of this process uses.
uint32_t ids_for(uint32_t n) {
  static uint32_t next = 1000000;
  auto first = next;
  next += n + 1000;
  return first;
}

std::string link_of(uint32_t id) {
  return api + "person?person_id=" + std::to_string(id);
}

/// Expects an error answer `{"error":{"code","message"}}`.
void expect_error(const http_response& r, int status, const std::string& code,
                  const std::string& what) {
  EXPECT_EQ(r.status, status) << what << ": " << r.body;
  EXPECT_EQ(r.error_code(), code) << what << ": " << r.body;
  auto j = r.body_json();
  bool has_message = j.is_object() && j["error"].is_object() &&
                     j["error"]["message"].is_string() &&
                     !j["error"]["message"].get<std::string>().empty();
  EXPECT_TRUE(has_message) << what << ": " << r.body;
}

// -- requests -----------------------------------------------------------------

http_response post_person(connection& c, const std::string& raw_body) {
  return post_json(c, api + "person", raw_body);
}

http_response create_person(connection& c, uint32_t id,
                            const std::string& name) {
  return post_person(c, json{{"person_id", id}, {"name", name}}.dump());
}

/// Creates a person and expects 201.
void make_person(connection& c, uint32_t id, const std::string& name) {
  auto r = create_person(c, id, name);
  EXPECT_EQ(r.status, 201) << id << ": " << r.body;
}

http_response get_person(connection& c, const std::string& query_value) {
  return c.request("GET", api + "person?person_id=" + query_value);
}

http_response get_person(connection& c, uint32_t id) {
  return get_person(c, std::to_string(id));
}

/// The friend count of `id`, or -1 when GET does not answer 200.
long friends_of(connection& c, uint32_t id) {
  auto r = get_person(c, id);
  auto j = r.body_json();
  if (r.status != 200 || !j.is_object() || !j["friends"].is_number_integer())
    return -1;
  return j["friends"].get<long>();
}

http_response friendship(connection& c, const std::string& method,
                         const std::string& raw_body) {
  return c.request(method, api + "friendship", raw_body,
                   {{"Content-Type", "application/json; charset=utf-8"}});
}

http_response friendship(connection& c, const std::string& method, uint32_t a,
                         uint32_t b) {
  return friendship(c, method, json{{"person_id", a}, {"friend_id", b}}.dump());
}

/// Befriends a and b and expects 204.
void befriend(connection& c, uint32_t a, uint32_t b) {
  auto r = friendship(c, "POST", a, b);
  EXPECT_EQ(r.status, 204) << a << " - " << b << ": " << r.body;
}

http_response search(connection& c, const std::string& query) {
  return c.request("GET", api + "friend_search?" + query);
}

http_response search(connection& c, uint32_t source, uint32_t target,
                     int max_hops = 0) {
  auto q = "source_id=" + std::to_string(source) +
           "&person_id=" + std::to_string(target);
  if (max_hops > 0)
    q += "&max_hops=" + std::to_string(max_hops);
  return search(c, q);
}

http_response import(connection& c, const std::string& body) {
  return c.request("POST", api + "import", body,
                   {{"Content-Type", "text/plain"}});
}

/// The import as a chunked body, one HTTP chunk per element of `chunks`.
http_response import_chunked(connection& c,
                             const std::vector<std::string>& chunks) {
  return c.raw(chunked_post(api + "import", "text/plain", chunks));
}

/// The ids of a friend_search answer, in order (empty when not an array).
std::vector<uint32_t> ids_of(const json& path) {
  std::vector<uint32_t> out;
  if (path.is_array())
    for (const auto& p : path)
      out.push_back(p.is_object() && p["person_id"].is_number_unsigned()
                        ? p["person_id"].get<uint32_t>()
                        : 0);
  return out;
}

double metric(uint16_t port, const std::string& series) {
  return metric_value(request(port, "GET", "/metrics").body, series);
}

// -- a small graph ------------------------------------------------------------

/// An undirected graph the test built, to check answered paths against.
struct graph {
  std::set<std::pair<uint32_t, uint32_t>> edges;
  std::map<uint32_t, std::string> names;

  void add(uint32_t a, uint32_t b) {
    edges.insert({a, b});
    edges.insert({b, a});
  }
  void remove(uint32_t a, uint32_t b) {
    edges.erase({a, b});
    edges.erase({b, a});
  }
  bool linked(uint32_t a, uint32_t b) const { return edges.count({a, b}) > 0; }
  /// The import body of every edge (each once).
  std::string edge_list() const {
    std::string out;
    for (const auto& [a, b] : edges)
      if (a < b)
        out += std::to_string(a) + " " + std::to_string(b) + "\n";
    return out;
  }
};

/// Expects `r` to be a path of `hops` hops from `source` to `target` in
/// `g`, each person with their name and a link that resolves to them.
void expect_path(connection& c, const http_response& r, const graph& g,
                 uint32_t source, uint32_t target, size_t hops,
                 const std::string& what) {
  ASSERT_EQ(r.status, 200) << what << ": " << r.body;
  auto path = r.body_json();
  ASSERT_TRUE(path.is_array()) << what << ": " << r.body;
  auto ids = ids_of(path);
  ASSERT_EQ(ids.size(), hops + 1) << what << ": " << r.body;
  EXPECT_EQ(ids.front(), source) << what << ": " << r.body;
  EXPECT_EQ(ids.back(), target) << what << ": " << r.body;
  for (size_t i = 0; i + 1 < ids.size(); ++i)
    EXPECT_TRUE(g.linked(ids[i], ids[i + 1]))
        << what << ": " << ids[i] << " and " << ids[i + 1]
        << " are not friends: " << r.body;
  for (const auto& p : path) {
    ASSERT_TRUE(p.is_object() && p["person_id"].is_number_unsigned() &&
                p["name"].is_string() && p["link"].is_string())
        << what << ": " << p.dump();
    auto id = p["person_id"].get<uint32_t>();
    auto name = g.names.count(id) ? g.names.at(id) : std::string{};
    EXPECT_EQ(p["name"], name) << what << ": " << p.dump();
    EXPECT_EQ(p["link"], link_of(id)) << what << ": " << p.dump();
    auto linked = c.request("GET", p["link"].get<std::string>());
    ASSERT_EQ(linked.status, 200)
        << what << ": GET " << p["link"] << ": " << linked.body;
    EXPECT_EQ(linked.body_json()["person_id"], id) << linked.body;
    EXPECT_EQ(linked.body_json()["name"], name) << linked.body;
  }
}

class e2eSocial : public shared_node_test<e2eSocial> {};

} // namespace

// -- people -------------------------------------------------------------------

TEST_F(e2eSocial, CreatedPersonIs201AndReadsBack) {
  connection c{port()};
  auto id = ids_for(3);
  auto r = create_person(c, id, "Ann");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.body_json(),
            (json{{"person_id", id}, {"name", "Ann"}, {"friends", 0}}));
  auto g = get_person(c, id);
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.body_json(),
            (json{{"person_id", id}, {"name", "Ann"}, {"friends", 0}}));
  // The id may be a decimal string; the answer has it as a number.
  auto s = post_person(c, R"({"person_id":")" + std::to_string(id + 1) +
                              R"(","name":"Bo"})");
  ASSERT_EQ(s.status, 201) << s.body;
  EXPECT_EQ(s.body_json()["person_id"], id + 1) << s.body;
  EXPECT_EQ(get_person(c, id + 1).body_json()["name"], "Bo");
  // Names of exactly 1 and 100 characters (code points, not bytes).
  make_person(c, id + 2, "x");
  std::string hundred;
  for (int i = 0; i < 100; ++i)
    hundred += (i % 2) ? "\xC3\xA9" : "\xF0\x9F\x98\x80"; // é, 😀
  auto h = create_person(c, id + 3, hundred);
  ASSERT_EQ(h.status, 201) << h.body;
  EXPECT_EQ(get_person(c, id + 3).body_json()["name"], hundred);
}

TEST_F(e2eSocial, LargestAndSmallestIdsAreAccepted) {
  connection c{port()};
  for (uint32_t id : {1u, 4294967295u}) {
    auto r = create_person(c, id, "edge " + std::to_string(id));
    ASSERT_EQ(r.status, 201) << id << ": " << r.body;
    EXPECT_EQ(get_person(c, id).body_json()["person_id"], id);
  }
}

TEST_F(e2eSocial, DuplicatePersonIs409AndKeepsTheFirstName) {
  connection c{port()};
  auto id = ids_for(1);
  make_person(c, id, "First");
  expect_error(create_person(c, id, "Second"), 409, "conflict", "again");
  expect_error(create_person(c, id, "First"), 409, "conflict", "same name");
  expect_error(post_person(c, R"({"person_id":")" + std::to_string(id) +
                                  R"(","name":"As string"})"),
               409, "conflict", "as a string");
  EXPECT_EQ(get_person(c, id).body_json()["name"], "First");
}

TEST_F(e2eSocial, PersonCreatedByAnImportMayBeNamedOnce) {
  connection c{port()};
  auto a = ids_for(2);
  auto b = a + 1;
  auto imp = import(c, std::to_string(a) + " " + std::to_string(b) + "\n");
  ASSERT_EQ(imp.status, 200) << imp.body;
  EXPECT_EQ(get_person(c, a).body_json(),
            (json{{"person_id", a}, {"name", ""}, {"friends", 1}}));
  auto named = create_person(c, a, "Named later");
  ASSERT_EQ(named.status, 201) << named.body;
  EXPECT_EQ(named.body_json(),
            (json{{"person_id", a}, {"name", "Named later"}, {"friends", 1}}));
  expect_error(create_person(c, a, "Renamed"), 409, "conflict", "renamed");
  EXPECT_EQ(get_person(c, a).body_json(),
            (json{{"person_id", a}, {"name", "Named later"}, {"friends", 1}}));
  // A later import keeps the name.
  ASSERT_EQ(import(c, std::to_string(b) + " " + std::to_string(a)).status, 200);
  EXPECT_EQ(get_person(c, a).body_json()["name"], "Named later");
  EXPECT_EQ(friends_of(c, a), 1);
}

TEST_F(e2eSocial, BadPersonIdsAre400AndCreateNothing) {
  connection c{port()};
  auto id = ids_for(2);
  auto n = std::to_string(id);
  for (const std::string& bad : std::vector<std::string>{
           "0", "-1", "4294967296", "18446744073709551616", "\"abc\"", "1.5",
           n + ".5", n + ".0", "1e3", "\"" + n + ".5\"", "\"-" + n + "\"",
           "\"\"", "null", "true", "[" + n + "]", "{}"}) {
    auto r = post_person(c, R"({"person_id":)" + bad + R"(,"name":"X"})");
    expect_error(r, 400, "invalid_argument", "person_id " + bad);
  }
  expect_error(post_person(c, R"({"name":"X"})"), 400, "invalid_argument",
               "missing person_id");
  EXPECT_EQ(get_person(c, id).status, 404);
  // The same ids in the query of GET.
  for (const std::string& bad :
       std::vector<std::string>{"0", "-1", "4294967296", "abc", "1.5", n + ".0",
                                "", "%20" + n, n + "x"})
    expect_error(get_person(c, bad), 400, "invalid_argument", "GET " + bad);
  expect_error(c.request("GET", api + "person"), 400, "invalid_argument",
               "GET without person_id");
  expect_error(get_person(c, id), 404, "not_found", "GET unknown");
}

TEST_F(e2eSocial, BadNamesAre400AndCreateNothing) {
  connection c{port()};
  auto id = ids_for(1);
  auto n = std::to_string(id);
  auto body = [&](const std::string& raw_name) {
    return R"({"person_id":)" + n + R"(,"name":)" + raw_name + "}";
  };
  std::string ascii101(101, 'a');
  std::string multi101;
  for (int i = 0; i < 101; ++i)
    multi101 += "\xC3\xA9";
  for (const auto& [raw, what] :
       std::vector<std::pair<std::string, std::string>>{
           {"\"\"", "empty"},
           {"\"" + ascii101 + "\"", "101 ASCII characters"},
           {"\"" + multi101 + "\"", "101 two-byte characters"},
           {"\"a\xFF\"", "invalid UTF-8 byte"},
           {"\"\xC0\xAF\"", "overlong encoding"},
           {"\"\xE4\xB8\"", "truncated sequence"},
           {"\"\\ud800\"", "lone surrogate escape"},
           {"3", "a number"},
           {"null", "null"},
           {"[\"a\"]", "an array"}}) {
    auto r = post_person(c, body(raw));
    expect_error(r, 400, "invalid_argument", what);
  }
  expect_error(post_person(c, R"({"person_id":)" + n + "}"), 400,
               "invalid_argument", "missing name");
  EXPECT_EQ(get_person(c, id).status, 404);
}

TEST_F(e2eSocial, MalformedJsonIs400) {
  connection c{port()};
  auto id = ids_for(2);
  auto n = std::to_string(id);
  make_person(c, id, "A");
  make_person(c, id + 1, "B");
  for (const std::string& bad : std::vector<std::string>{
           "", "{", "[1]", "null", "\"text\"", "42",
           R"({"person_id":)" + n + ",}",
           R"({"person_id":)" + n + R"(,"name":"X")", "not json at all"}) {
    expect_error(post_person(c, bad), 400, "invalid_argument",
                 "person body '" + bad + "'");
    expect_error(friendship(c, "POST", bad), 400, "invalid_argument",
                 "POST friendship body '" + bad + "'");
    expect_error(friendship(c, "DELETE", bad), 400, "invalid_argument",
                 "DELETE friendship body '" + bad + "'");
  }
  EXPECT_EQ(friends_of(c, id), 0);
  EXPECT_EQ(friends_of(c, id + 1), 0);
}

// -- friendships --------------------------------------------------------------

TEST_F(e2eSocial, FriendshipIsUndirectedAndIdempotent) {
  connection c{port()};
  auto a = ids_for(3);
  auto b = a + 1;
  auto d = a + 2;
  make_person(c, a, "A");
  make_person(c, b, "B");
  make_person(c, d, "D");
  befriend(c, a, b);
  EXPECT_EQ(friends_of(c, a), 1);
  EXPECT_EQ(friends_of(c, b), 1);
  befriend(c, a, b); // again
  befriend(c, b, a); // the other way round: the same friendship
  EXPECT_EQ(friends_of(c, a), 1);
  EXPECT_EQ(friends_of(c, b), 1);
  befriend(c, d, a);
  EXPECT_EQ(friends_of(c, a), 2);
  EXPECT_EQ(friends_of(c, d), 1);
  // Each end sees the other one hop away.
  graph g;
  g.names = {{a, "A"}, {b, "B"}, {d, "D"}};
  g.add(a, b);
  g.add(a, d);
  expect_path(c, search(c, b, a, 1), g, b, a, 1, "b to a");
  expect_path(c, search(c, a, b, 1), g, a, b, 1, "a to b");
  expect_path(c, search(c, b, d), g, b, d, 2, "b to d");

  // Removing, from either end, and again: 204 each time.
  auto r = friendship(c, "DELETE", b, a);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(friends_of(c, a), 1);
  EXPECT_EQ(friends_of(c, b), 0);
  EXPECT_EQ(friendship(c, "DELETE", a, b).status, 204);
  EXPECT_EQ(friendship(c, "DELETE", b, a).status, 204);
  EXPECT_EQ(friendship(c, "DELETE", b, d).status, 204); // never friends
  EXPECT_EQ(friends_of(c, a), 1);
  EXPECT_EQ(friends_of(c, b), 0);
  EXPECT_EQ(friends_of(c, d), 1);
  expect_error(search(c, a, b), 404, "not_found", "after the removal");
  // Friends again after the removal.
  befriend(c, b, a);
  EXPECT_EQ(friends_of(c, a), 2);
  EXPECT_EQ(friends_of(c, b), 1);
}

TEST_F(e2eSocial, FriendshipWithAnUnknownPersonIs404AndChangesNothing) {
  connection c{port()};
  auto a = ids_for(3);
  auto b = a + 1;
  auto ghost = a + 2;
  make_person(c, a, "A");
  make_person(c, b, "B");
  befriend(c, a, b);
  for (const char* method : {"POST", "DELETE"}) {
    expect_error(friendship(c, method, a, ghost), 404, "not_found",
                 std::string{method} + " a-ghost");
    expect_error(friendship(c, method, ghost, a), 404, "not_found",
                 std::string{method} + " ghost-a");
    expect_error(friendship(c, method, ghost, ghost + 1000), 404, "not_found",
                 std::string{method} + " ghost-ghost");
    EXPECT_EQ(friends_of(c, a), 1) << method;
    EXPECT_EQ(friends_of(c, b), 1) << method;
    EXPECT_EQ(get_person(c, ghost).status, 404) << method;
  }
  // No half of the refused friendship was left behind: once the ghost
  // exists, neither end lists the other.
  make_person(c, ghost, "Late");
  EXPECT_EQ(friends_of(c, ghost), 0);
  EXPECT_EQ(friends_of(c, a), 1);
  expect_error(search(c, a, ghost), 404, "not_found", "a to the late ghost");
  expect_error(search(c, ghost, a), 404, "not_found", "the late ghost to a");
  // The friendship that was there is intact on both ends.
  graph g;
  g.names = {{a, "A"}, {b, "B"}};
  g.add(a, b);
  expect_path(c, search(c, a, b, 1), g, a, b, 1, "a to b");
  expect_path(c, search(c, b, a, 1), g, b, a, 1, "b to a");
}

TEST_F(e2eSocial, BadFriendshipsAre400AndChangeNothing) {
  connection c{port()};
  auto a = ids_for(2);
  auto b = a + 1;
  make_person(c, a, "A");
  make_person(c, b, "B");
  auto n = std::to_string(a);
  for (const char* method : {"POST", "DELETE"}) {
    expect_error(friendship(c, method, a, a), 400, "invalid_argument",
                 std::string{method} + " self friendship");
    expect_error(
        friendship(c, method,
                   R"({"person_id":")" + n + R"(","friend_id":)" + n + "}"),
        400, "invalid_argument", std::string{method} + " self, as a string");
    for (const std::string& bad : std::vector<std::string>{
             "0", "-1", "4294967296", "\"abc\"", "1.5", "null", "\"\""}) {
      expect_error(
          friendship(c, method,
                     R"({"person_id":)" + n + R"(,"friend_id":)" + bad + "}"),
          400, "invalid_argument", std::string{method} + " friend_id " + bad);
      expect_error(
          friendship(c, method,
                     R"({"person_id":)" + bad + R"(,"friend_id":)" + n + "}"),
          400, "invalid_argument", std::string{method} + " person_id " + bad);
    }
    expect_error(friendship(c, method, R"({"person_id":)" + n + "}"), 400,
                 "invalid_argument", std::string{method} + " no friend_id");
    expect_error(friendship(c, method, R"({"friend_id":)" + n + "}"), 400,
                 "invalid_argument", std::string{method} + " no person_id");
  }
  EXPECT_EQ(friends_of(c, a), 0);
  EXPECT_EQ(friends_of(c, b), 0);
}

// -- import -------------------------------------------------------------------

namespace {

/// An import body with every kind of line, and what it should give.
struct sample_import {
  uint32_t base = ids_for(8);
  std::string id(uint32_t k) const { return std::to_string(base + k); }

  /// The lines, each with its line break.
  std::vector<std::string> lines() const {
    return {
        "# people of the import test\n",            // 1 comment
        id(1) + " " + id(2) + "\r\n",               // 2 ok (CRLF)
        "\n",                                       // 3 blank
        id(2) + "\t" + id(3) + "\n",                // 4 ok (tab)
        "   " + id(3) + "    " + id(4) + "   \r\n", // 5 ok (spaces)
        id(4) + " " + id(4) + "\n",                 // 6 self-loop
        id(5) + "\n",                               // 7 one field
        id(5) + " " + id(6) + " " + id(7) + "\n",   // 8 three fields
        "0 " + id(5) + "\n",                        // 9 id 0
        id(5) + " 4294967296\n",                    // 10 id too large
        "x1 " + id(5) + "\n",                       // 11 not a number
        "-3 " + id(5) + "\n",                       // 12 negative
        "  # indented comment " + id(7) + "\n",     // 13 comment
        "\r\n",                                     // 14 blank (CRLF)
        id(2) + " " + id(1) + "\n",                 // 15 ok (again)
        id(5) + ".0 " + id(6) + "\n",               // 16 not an integer
        id(5) + " " + id(6),                        // 17 ok, no line break
    };
  }
  std::string body() const {
    std::string out;
    for (const auto& l : lines())
      out += l;
    return out;
  }

  /// Checks the answer and the stored graph.
  void check(connection& c, const http_response& r, bool first_time) const {
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.body_json();
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["edges"], 5) << r.body;
    EXPECT_EQ(j["people_created"], first_time ? 6 : 0) << r.body;
    EXPECT_EQ(j["rejected_count"], 8) << r.body;
    std::vector<std::pair<uint64_t, std::string>> want{
        {6, "self"},           {7, "2 fields"},       {8, "2 fields"},
        {9, "bad person id"},  {10, "bad person id"}, {11, "bad person id"},
        {12, "bad person id"}, {16, "bad person id"}};
    ASSERT_TRUE(j["rejected"].is_array()) << r.body;
    ASSERT_EQ(j["rejected"].size(), want.size()) << r.body;
    for (size_t i = 0; i < want.size(); ++i) {
      const auto& x = j["rejected"][i];
      EXPECT_EQ(x["line"], want[i].first) << x.dump();
      ASSERT_TRUE(x["reason"].is_string()) << x.dump();
      EXPECT_NE(x["reason"].get<std::string>().find(want[i].second),
                std::string::npos)
          << "line " << want[i].first << ": " << x.dump();
    }
    // 1-2-3-4 and 5-6; 7 appears only in rejected lines and a comment.
    std::vector<long> friends{1, 2, 2, 1, 1, 1};
    for (uint32_t k = 1; k <= 6; ++k) {
      auto p = get_person(c, base + k);
      ASSERT_EQ(p.status, 200) << k << ": " << p.body;
      EXPECT_EQ(p.body_json(), (json{{"person_id", base + k},
                                     {"name", ""},
                                     {"friends", friends[k - 1]}}));
    }
    EXPECT_EQ(get_person(c, base + 7).status, 404);
    graph g;
    g.add(base + 1, base + 2);
    g.add(base + 2, base + 3);
    g.add(base + 3, base + 4);
    g.add(base + 5, base + 6);
    expect_path(c, search(c, base + 1, base + 4), g, base + 1, base + 4, 3,
                "through the imported chain");
    expect_path(c, search(c, base + 6, base + 5), g, base + 6, base + 5, 1,
                "the last line");
    expect_error(search(c, base + 1, base + 5), 404, "not_found",
                 "two components");
  }
};

} // namespace

TEST_F(e2eSocial, ImportWithContentLengthReportsRejectedLinesByNumber) {
  connection c{port()};
  sample_import s;
  s.check(c, import(c, s.body()), true);
  // Importing again is harmless: nothing new.
  s.check(c, import(c, s.body()), false);
}

TEST_F(e2eSocial, ChunkedImportGivesTheSameResult) {
  connection c{port()};
  sample_import s;
  // Chunks split lines anywhere: inside numbers, between \r and \n, one
  // byte at a time for a while.
  auto body = s.body();
  std::vector<std::string> chunks;
  size_t at = 0;
  for (size_t len : {3, 1, 1, 1, 7, 2, 30, 1}) {
    chunks.push_back(body.substr(at, len));
    at += len;
  }
  while (at < body.size()) {
    auto cr = body.find('\r', at);
    auto end = cr == std::string::npos ? body.size() : cr + 1;
    chunks.push_back(body.substr(at, end - at));
    at = end;
  }
  s.check(c, import_chunked(c, chunks), true);
  s.check(c, import_chunked(c, {body}), false);
}

TEST_F(e2eSocial, ImportOfAnEmptyBodyOrOnlyCommentsStoresNothing) {
  connection c{port()};
  auto people = metric(port(), "troupe_social_people");
  auto halves = metric(port(), "troupe_social_friendship_halves");
  for (const std::string& body : {std::string{}, std::string{"\n\n"},
                                  std::string{"# only\r\n#x 1 2\n"}}) {
    auto r = import(c, body);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body_json(), (json{{"edges", 0},
                                   {"people_created", 0},
                                   {"rejected", json::array()},
                                   {"rejected_count", 0}}))
        << r.body;
  }
  auto chunked = import_chunked(c, {});
  ASSERT_EQ(chunked.status, 200) << chunked.body;
  EXPECT_EQ(chunked.body_json()["edges"], 0) << chunked.body;
  EXPECT_EQ(metric(port(), "troupe_social_people"), people);
  EXPECT_EQ(metric(port(), "troupe_social_friendship_halves"), halves);
}

TEST_F(e2eSocial, ImportRejectsOverlongLinesAndGoesOn) {
  connection c{port()};
  auto a = ids_for(4);
  std::string body = std::to_string(a) + " " + std::to_string(a + 1) + "\n" +
                     std::to_string(a + 2) + std::string(300, ' ') +
                     std::to_string(a + 3) + "\n" + std::to_string(a + 1) +
                     " " + std::to_string(a + 2) + "\n";
  auto r = import(c, body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.body_json();
  EXPECT_EQ(j["edges"], 2) << r.body;
  EXPECT_EQ(j["rejected_count"], 1) << r.body;
  ASSERT_EQ(j["rejected"].size(), 1u) << r.body;
  EXPECT_EQ(j["rejected"][0]["line"], 2) << r.body;
  EXPECT_EQ(friends_of(c, a + 2), 1);
  EXPECT_EQ(get_person(c, a + 3).status, 404);
}

TEST_F(e2eSocial, ImportCountsPeopleAndHalvesInTheMetrics) {
  connection c{port()};
  auto a = ids_for(5);
  auto people = metric(port(), "troupe_social_people");
  auto halves = metric(port(), "troupe_social_friendship_halves");
  ASSERT_GE(people, 0);
  ASSERT_GE(halves, 0);
  make_person(c, a, "Named first");
  std::string body;
  for (uint32_t k = 1; k <= 4; ++k) // a star around a
    body += std::to_string(a) + " " + std::to_string(a + k) + "\n";
  auto r = import(c, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body_json()["people_created"], 4) << r.body;
  EXPECT_EQ(metric(port(), "troupe_social_people"), people + 5);
  EXPECT_EQ(metric(port(), "troupe_social_friendship_halves"), halves + 8);
  EXPECT_EQ(get_person(c, a).body_json(),
            (json{{"person_id", a}, {"name", "Named first"}, {"friends", 4}}));
  EXPECT_EQ(friendship(c, "DELETE", a + 1, a).status, 204);
  EXPECT_EQ(metric(port(), "troupe_social_friendship_halves"), halves + 6);
}

// -- friend_search ------------------------------------------------------------

namespace {

/// A hand-made graph, imported and partly named:
///
///   s - a - t        chain c0 - c1 - ... - c10 (10 hops)
///   s - b - t
///   s - d - e - f - t     x0 - x1 - x2 - x3, x0 - y - x3
///   u1 - u2 (alone)       z (no friends)
class e2eSocialSearch : public e2eSocial {
protected:
  void SetUp() override {
    e2eSocial::SetUp();
    if (HasFatalFailure())
      return;
    c_ = std::make_unique<connection>(port());
    auto base = ids_for(40);
    auto next = base;
    for (auto* id :
         {&s, &a, &b, &t, &d, &e, &f, &x0, &x1, &x2, &x3, &y, &u1, &u2, &z})
      *id = next++;
    for (auto& ci : chain)
      ci = next++;
    for (auto [p, q] : std::vector<std::pair<uint32_t, uint32_t>>{{s, a},
                                                                  {a, t},
                                                                  {s, b},
                                                                  {b, t},
                                                                  {s, d},
                                                                  {d, e},
                                                                  {e, f},
                                                                  {f, t},
                                                                  {x0, x1},
                                                                  {x1, x2},
                                                                  {x2, x3},
                                                                  {x0, y},
                                                                  {y, x3},
                                                                  {u1, u2}})
      g.add(p, q);
    for (size_t i = 0; i + 1 < chain.size(); ++i)
      g.add(chain[i], chain[i + 1]);
    auto r = import(*c_, g.edge_list());
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.body_json()["rejected_count"], 0) << r.body;
    // Some people have names (one created before, by POST: z).
    g.names = {{s, "Sam"},
               {t, "T\xC3\xAD"
                   "a"},
               {a, "Ann"},
               {chain[0], "Start"},
               {chain[10], "End"},
               {z, "Zoe"},
               {x3, "\xE4\xB8\xAD"}};
    for (const auto& [id, name] : g.names) {
      auto p = create_person(*c_, id, name);
      ASSERT_EQ(p.status, 201) << id << ": " << p.body;
    }
  }

  connection& c() { return *c_; }

  std::unique_ptr<connection> c_;
  graph g;
  uint32_t s, a, b, t, d, e, f, x0, x1, x2, x3, y, u1, u2, z;
  std::array<uint32_t, 11> chain{};
};

} // namespace

TEST_F(e2eSocialSearch, FindsAShortestPathWithNamesAndLinks) {
  expect_path(c(), search(c(), s, t), g, s, t, 2, "s to t");
  expect_path(c(), search(c(), t, s), g, t, s, 2, "t to s");
  expect_path(c(), search(c(), d, t), g, d, t, 3, "d to t"); // via s or f
  expect_path(c(), search(c(), e, a), g, e, a, 3, "e to a");
  auto r = search(c(), x0, x3);
  expect_path(c(), r, g, x0, x3, 2, "x0 to x3");
  EXPECT_EQ(ids_of(r.body_json()), (std::vector<uint32_t>{x0, y, x3}));
  expect_path(c(), search(c(), x1, y), g, x1, y, 2, "x1 to y");
  expect_path(c(), search(c(), u2, u1), g, u2, u1, 1, "u2 to u1");
  // The answer of a search with everything on it, exactly.
  auto exact = search(c(), chain[0], chain[3]);
  ASSERT_EQ(exact.status, 200) << exact.body;
  EXPECT_EQ(
      exact.body_json(),
      (json{
          {{"person_id", chain[0]},
           {"name", "Start"},
           {"link", link_of(chain[0])}},
          {{"person_id", chain[1]}, {"name", ""}, {"link", link_of(chain[1])}},
          {{"person_id", chain[2]}, {"name", ""}, {"link", link_of(chain[2])}},
          {{"person_id", chain[3]},
           {"name", ""},
           {"link", link_of(chain[3])}}}));
}

TEST_F(e2eSocialSearch, SourceEqualToTargetIsAPathOfOne) {
  for (auto id : {s, z, chain[5]}) {
    auto r = search(c(), id, id);
    expect_path(c(), r, g, id, id, 0, "to oneself");
  }
  expect_path(c(), search(c(), z, z, 1), g, z, z, 0, "max_hops=1");
}

TEST_F(e2eSocialSearch, UnreachableOrUnknownPeopleAre404) {
  expect_error(search(c(), s, u1), 404, "not_found", "other component");
  expect_error(search(c(), u1, chain[0]), 404, "not_found", "chain");
  expect_error(search(c(), z, s), 404, "not_found", "from a loner");
  expect_error(search(c(), s, z), 404, "not_found", "to a loner");
  expect_error(search(c(), s, x0, 10), 404, "not_found", "max_hops=10");
  auto ghost = ids_for(1);
  expect_error(search(c(), s, ghost), 404, "not_found", "unknown target");
  expect_error(search(c(), ghost, s), 404, "not_found", "unknown source");
  expect_error(search(c(), ghost, ghost), 404, "not_found", "unknown both");
}

TEST_F(e2eSocialSearch, MaxHopsIsHonoured) {
  // c0 - c1 - c2 - c3: three hops.
  expect_error(search(c(), chain[0], chain[3], 2), 404, "not_found",
               "3 hops, max_hops=2");
  expect_error(search(c(), chain[0], chain[3], 1), 404, "not_found",
               "3 hops, max_hops=1");
  expect_path(c(), search(c(), chain[0], chain[3], 3), g, chain[0], chain[3], 3,
              "3 hops, max_hops=3");
  expect_path(c(), search(c(), chain[3], chain[0], 4), g, chain[3], chain[0], 3,
              "3 hops, max_hops=4");
  // The default is 6 hops.
  expect_path(c(), search(c(), chain[0], chain[6]), g, chain[0], chain[6], 6,
              "6 hops, default");
  expect_error(search(c(), chain[0], chain[7]), 404, "not_found",
               "7 hops, default");
  expect_path(c(), search(c(), chain[7], chain[0], 7), g, chain[7], chain[0], 7,
              "7 hops, max_hops=7");
  // Ten hops at most.
  expect_path(c(), search(c(), chain[0], chain[10], 10), g, chain[0], chain[10],
              10, "10 hops, max_hops=10");
  expect_error(search(c(), chain[0], chain[10], 9), 404, "not_found",
               "10 hops, max_hops=9");
  // A longer path exists but a shorter one is found; one hop: friends only.
  expect_path(c(), search(c(), s, a, 1), g, s, a, 1, "friends, max_hops=1");
  expect_error(search(c(), s, t, 1), 404, "not_found", "2 hops, max_hops=1");
}

TEST_F(e2eSocialSearch, RemovedFriendshipsChangeTheAnswer) {
  ASSERT_EQ(friendship(c(), "DELETE", s, a).status, 204);
  g.remove(s, a);
  expect_path(c(), search(c(), s, t), g, s, t, 2, "only via b");
  EXPECT_EQ(ids_of(search(c(), s, t).body_json()),
            (std::vector<uint32_t>{s, b, t}));
  ASSERT_EQ(friendship(c(), "DELETE", t, b).status, 204);
  g.remove(t, b);
  expect_path(c(), search(c(), s, t), g, s, t, 4, "via d, e, f");
  expect_error(search(c(), s, t, 3), 404, "not_found", "4 hops, max_hops=3");
  // A new friendship makes a shortcut.
  befriend(c(), d, t);
  g.add(d, t);
  expect_path(c(), search(c(), s, t), g, s, t, 2, "via d");
  expect_path(c(), search(c(), a, d), g, a, d, 2, "a, t, d");
}

TEST_F(e2eSocialSearch, BadParametersAre400) {
  auto n = std::to_string(s);
  auto m = std::to_string(t);
  for (const std::string& hops : std::vector<std::string>{
           "0", "11", "x", "-1", "1.5", "", "100000000000000000000", "%206"})
    expect_error(
        search(c(), "source_id=" + n + "&person_id=" + m + "&max_hops=" + hops),
        400, "invalid_argument", "max_hops=" + hops);
  for (const std::string& bad :
       std::vector<std::string>{"0", "abc", "-1", "4294967296", "1.5", ""}) {
    expect_error(search(c(), "source_id=" + bad + "&person_id=" + m), 400,
                 "invalid_argument", "source_id=" + bad);
    expect_error(search(c(), "source_id=" + n + "&person_id=" + bad), 400,
                 "invalid_argument", "person_id=" + bad);
  }
  expect_error(search(c(), "person_id=" + m), 400, "invalid_argument",
               "no source_id");
  expect_error(search(c(), "source_id=" + n), 400, "invalid_argument",
               "no person_id");
  expect_error(search(c(), ""), 400, "invalid_argument", "no parameters");
}

TEST_F(e2eSocialSearch, SearchesAreCountedInTheMetrics) {
  auto searches = metric(port(), "troupe_social_searches_total");
  auto messages = metric(port(), "troupe_social_search_messages_total");
  ASSERT_GE(searches, 0);
  ASSERT_GE(messages, 0);
  expect_path(c(), search(c(), s, t), g, s, t, 2, "s to t");
  expect_path(c(), search(c(), chain[0], chain[10], 10), g, chain[0], chain[10],
              10, "the chain");
  expect_error(search(c(), s, u1), 404, "not_found", "other component");
  EXPECT_EQ(metric(port(), "troupe_social_searches_total"), searches + 3);
  // At least one message per level, at most one per person server and
  // level (64 servers, fewer than 20 levels) plus the names.
  auto sent = metric(port(), "troupe_social_search_messages_total") - messages;
  EXPECT_GE(sent, 3 + 10);
  EXPECT_LE(sent, 3 * 64 * 20);
}

// -- the import size limit ----------------------------------------------------

namespace {

const char* small_import_config = R"(
[[nodes]]
name = "n1"
actor = "127.0.0.1:{ACTOR_PORT}"
http = "127.0.0.1:{PORT}"
data_dir = "{DATA_DIR}"

[social]
max_import_bytes = 1000
import_batch_edges = 10
)";

/// An edge list of exactly `bytes` bytes (lines `a b`, a comment to pad)
/// over people from `base` on; `edges` is set to the number of its lines.
std::string edge_list_of_size(uint32_t base, size_t bytes, size_t& edges) {
  std::string out;
  edges = 0;
  for (uint32_t k = 0;; k += 2) {
    auto line =
        std::to_string(base + k) + " " + std::to_string(base + k + 1) + "\n";
    if (out.size() + line.size() + 2 > bytes)
      break;
    out += line;
    ++edges;
  }
  out += "#" + std::string(bytes - out.size() - 2, 'x') + "\n";
  return out;
}

} // namespace

TEST(e2eSocialLimits, ImportLargerThanMaxImportBytesIs413) {
  node_process node{small_import_config};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  auto halves = [&] {
    return metric(node.port(), "troupe_social_friendship_halves");
  };
  size_t edges = 0;
  // Content-Length over the limit: refused before anything is stored.
  auto over = edge_list_of_size(10000, 1001, edges);
  ASSERT_EQ(over.size(), 1001u);
  {
    connection c{node.port()};
    expect_error(import(c, over), 413, "payload_too_large", "Content-Length");
  }
  EXPECT_EQ(halves(), 0);
  EXPECT_EQ(request(node.port(), "GET", api + "person?person_id=10000").status,
            404);
  // Exactly at the limit: accepted, both ways.
  auto exact = edge_list_of_size(20000, 1000, edges);
  ASSERT_EQ(exact.size(), 1000u);
  {
    connection c{node.port()};
    auto r = import(c, exact);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body_json()["edges"], edges) << r.body;
    EXPECT_EQ(r.body_json()["people_created"], 2 * edges) << r.body;
    auto again = import_chunked(c, {exact.substr(0, 500), exact.substr(500)});
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.body_json()["edges"], edges) << again.body;
    EXPECT_EQ(again.body_json()["people_created"], 0) << again.body;
  }
  ASSERT_EQ(halves(), 2.0 * edges);
  // Chunked over the limit: cut off there. The error names how many
  // friendships were stored before (batches of 10), and that is so.
  auto before = halves();
  auto chunked = edge_list_of_size(30000, 3000, edges);
  {
    connection c{node.port()};
    std::vector<std::string> chunks;
    for (size_t at = 0; at < chunked.size(); at += 100)
      chunks.push_back(chunked.substr(at, 100));
    auto r = import_chunked(c, chunks);
    expect_error(r, 413, "payload_too_large", "chunked");
    auto message = r.body_json()["error"].value("message", std::string{});
    EXPECT_NE(message.find("max_import_bytes"), std::string::npos) << message;
    auto at = message.find("; ");
    ASSERT_NE(at, std::string::npos) << message;
    auto stored = std::strtoul(message.c_str() + at + 2, nullptr, 10);
    EXPECT_NE(message.find("; " + std::to_string(stored) + " friendships"),
              std::string::npos)
        << message;
    // Lines are 12 bytes: at most the first 1000 bytes' worth.
    EXPECT_LE(stored, 1000u / 12) << message;
    EXPECT_EQ(halves(), before + 2.0 * static_cast<double>(stored)) << message;
  }
  // The node goes on serving.
  connection c{node.port()};
  EXPECT_EQ(c.request("GET", "/readyz").status, 200);
  node.terminate();
}

// -- kill -9 during a long import ---------------------------------------------

namespace {

/// A TCP connection to the node that a test writes a request into piece by
/// piece (the harness's connection sends a request at once).
class slow_socket {
public:
  explicit slow_socket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      throw io_error("socket");
    timeval tv{};
    tv.tv_sec = 10;
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw io_error(std::string{"connect: "} + std::strerror(errno));
    }
  }
  ~slow_socket() { ::close(fd_); }
  slow_socket(const slow_socket&) = delete;
  slow_socket& operator=(const slow_socket&) = delete;

  /// Sends all of `bytes`; false when the peer is gone.
  bool send(const char* bytes, size_t n) {
    while (n > 0) {
      auto k = ::send(fd_, bytes, n, MSG_NOSIGNAL);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0)
        return false;
      bytes += k;
      n -= static_cast<size_t>(k);
    }
    return true;
  }

private:
  int fd_ = -1;
};

using friend_pair = std::pair<uint32_t, uint32_t>;

} // namespace

// What the node acknowledged before kill -9 is there after the restart:
// an import that answered 200, and every friendship whose POST answered
// 204 while a long import was streaming in.
//
// The long import itself answers only at its end, so none of it was
// acknowledged: any prefix of its friendships may be kept. But it is not
// atomic per friendship either: each batch goes to every person server,
// and the servers make their parts durable independently, so a kill while
// a batch is being stored can keep one half of a friendship without the
// other. What the importer's two rounds guarantee is that a half never
// names a person who does not exist: every person of a batch is durable
// before any half of it is stored. A POST /friendship cut by the kill may
// leave one half too, but it was not acknowledged. The test measures and
// prints how many one-sided friendships the kill left (it does not fail on
// them), checks that no half names a missing person and that what is there
// is otherwise sound, and that running the same import again repairs the
// graph completely.
TEST(e2eSocialDurability, AcknowledgedFriendshipsSurviveKill9DuringAnImport) {
  node_process node;
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port(), 30s};

  // An import answered before the kill: a ring of 2000 people.
  constexpr uint32_t ring = 10000001;
  constexpr uint32_t ring_size = 2000;
  {
    std::string body;
    for (uint32_t i = 0; i < ring_size; ++i)
      body += std::to_string(ring + i) + " " +
              std::to_string(ring + (i + 1) % ring_size) + "\n";
    auto r = import(c, body);
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.body_json()["people_created"], ring_size) << r.body;
  }
  // People for the single friendships, befriended while the import runs.
  constexpr uint32_t single = 20000001;
  constexpr uint32_t singles = 150;
  for (uint32_t i = 0; i < singles; ++i)
    make_person(c, single + i, "single " + std::to_string(i));
  ASSERT_FALSE(::testing::Test::HasFailure());
  // Every pair of them once, in either direction.
  std::vector<friend_pair> pairs;
  for (uint32_t i = 0; i < singles; ++i)
    for (uint32_t j = i + 1; j < singles; ++j)
      pairs.push_back((i + j) % 2 ? friend_pair{single + i, single + j}
                                  : friend_pair{single + j, single + i});

  // The long import: leaf i is a friend of hub i % 16.
  constexpr uint32_t hub = 30000001;
  constexpr uint32_t hubs = 16;
  constexpr uint32_t leaf = 40000000;
  constexpr uint32_t leaves = 400000;
  std::string body;
  body.reserve(size_t{leaves} * 18);
  for (uint32_t i = 0; i < leaves; ++i)
    body +=
        std::to_string(hub + i % hubs) + " " + std::to_string(leaf + i) + "\n";
  const auto halves_of = [&] {
    return metric(node.port(), "troupe_social_friendship_halves");
  };
  auto halves_before = halves_of();

  std::atomic<bool> stop{false};
  std::atomic<size_t> sent{0};
  std::thread sender([&] {
    // Never the last bytes: the import cannot finish before the kill.
    const size_t keep = 64;
    try {
      slow_socket s{node.port()};
      auto head = "POST " + api +
                  "import HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: text/plain\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n";
      if (!s.send(head.data(), head.size()))
        return;
      while (!stop.load() && sent.load() + keep < body.size()) {
        auto n = std::min<size_t>(64 << 10, body.size() - keep - sent.load());
        if (!s.send(body.data() + sent.load(), n))
          break;
        sent += n;
        std::this_thread::sleep_for(5ms);
      }
      while (!stop.load())
        std::this_thread::sleep_for(5ms);
    } catch (const io_error&) {
      // the node is gone
    }
  });

  std::mutex mtx;
  std::vector<friend_pair> acked;
  std::vector<friend_pair> unacked; // tried, no 204 (the kill)
  std::atomic<size_t> acked_count{0};
  std::atomic<size_t> failures{0};
  std::atomic<size_t> unexpected{0};
  std::atomic<size_t> next{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w)
    writers.emplace_back([&] {
      std::unique_ptr<connection> wc;
      for (size_t k; !stop.load() && (k = next++) < pairs.size();) {
        auto [a, b] = pairs[k];
        try {
          if (!wc)
            wc = std::make_unique<connection>(node.port(), 10s);
          auto r = friendship(*wc, "POST", a, b);
          std::lock_guard<std::mutex> guard{mtx};
          if (r.status == 204) {
            acked.push_back(pairs[k]);
            ++acked_count;
          } else {
            unacked.push_back(pairs[k]);
            ++unexpected;
          }
        } catch (const io_error&) {
          ++failures;
          wc.reset();
          std::lock_guard<std::mutex> guard{mtx};
          unacked.push_back(pairs[k]);
          if (stop.load())
            break;
          std::this_thread::sleep_for(5ms);
        }
      }
    });

  // Kill once at least two import batches (65536 friendships each) are in
  // the person servers and some friendships were acknowledged.
  auto deadline = steady::now() + 15s;
  bool mid_import = false;
  while (steady::now() < deadline) {
    if (halves_of() >= halves_before + 4.0 * 65536 &&
        acked_count.load() >= 20) {
      mid_import = true;
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  auto sent_at_kill = sent.load();
  node.kill9();
  stop = true;
  sender.join();
  for (auto& t : writers)
    t.join();
  ASSERT_TRUE(mid_import) << "the import did not get far enough in 15 s ("
                          << sent_at_kill << " bytes sent, "
                          << acked_count.load() << " friendships acknowledged)";
  EXPECT_LT(sent_at_kill, body.size());
  EXPECT_EQ(unexpected.load(), 0u) << "non-204 answers while writing";
  EXPECT_LT(next.load(), pairs.size())
      << "the writers ran out of friendships before the kill";

  ASSERT_TRUE(node.restart());
  connection v{node.port(), 30s};

  // The import answered before the kill is all there.
  for (uint32_t i = 0; i < ring_size; ++i)
    ASSERT_EQ(friends_of(v, ring + i), 2) << "ring person " << i;
  {
    graph g;
    for (uint32_t i = 0; i < ring_size; ++i)
      g.add(ring + i, ring + (i + 1) % ring_size);
    expect_path(v, search(v, ring, ring + 10, 10), g, ring, ring + 10, 10,
                "along the ring");
    expect_path(v, search(v, ring + 3, ring + ring_size - 4, 7), g, ring + 3,
                ring + ring_size - 4, 7, "across the ring's end");
  }

  // (a) Every acknowledged friendship, on both ends.
  std::map<uint32_t, long> acked_degree;
  std::map<uint32_t, long> unacked_degree;
  for (auto [a, b] : acked) {
    ++acked_degree[a];
    ++acked_degree[b];
    for (auto [p, q] : {friend_pair{a, b}, friend_pair{b, a}}) {
      auto r = search(v, p, q, 1);
      EXPECT_EQ(r.status, 200) << "acknowledged friendship " << a << " - " << b
                               << ", searched from " << p << ": " << r.body;
      if (r.status == 200) {
        EXPECT_EQ(ids_of(r.body_json()), (std::vector<uint32_t>{p, q}));
      }
    }
  }
  for (auto [a, b] : unacked) {
    ++unacked_degree[a];
    ++unacked_degree[b];
  }
  double single_halves = 0;
  for (uint32_t i = 0; i < singles; ++i) {
    auto id = single + i;
    auto n = friends_of(v, id);
    EXPECT_GE(n, acked_degree[id]) << "single " << id;
    EXPECT_LE(n, acked_degree[id] + unacked_degree[id]) << "single " << id;
    single_halves += static_cast<double>(std::max(n, 0L));
  }

  // (b) The interrupted import: a prefix of it, possibly with one-sided
  // friendships (see above).
  double hub_halves = 0;
  double hubs_known = 0;
  for (uint32_t h = 0; h < hubs; ++h) {
    auto n = friends_of(v, hub + h);
    if (n >= 0) {
      ++hubs_known;
      hub_halves += static_cast<double>(n);
      EXPECT_LE(n, leaves / hubs) << "hub " << h;
    }
  }
  auto halves = halves_of();
  auto people = metric(node.port(), "troupe_social_people");
  auto leaf_halves = halves - 2.0 * ring_size - single_halves - hub_halves;
  auto leaves_known = people - ring_size - singles - hubs_known;
  // Every person of a batch is stored before its halves: a leaf may exist
  // without its half, but no hub lists a leaf that does not exist.
  EXPECT_LE(leaf_halves, leaves_known)
      << halves << " halves, " << people << " people, " << hub_halves
      << " on hubs, " << single_halves << " of single friendships";
  EXPECT_LE(hub_halves, leaves_known)
      << halves << " halves, " << people << " people, " << hub_halves
      << " on hubs, " << single_halves << " of single friendships";
  EXPECT_LE(leaves_known, leaves);
  EXPECT_LT(hub_halves + leaf_halves, 2.0 * leaves) << "the import finished?";
  size_t sampled = 0;
  for (uint32_t i = 0; i < leaves; i += 1009) {
    auto r = get_person(v, leaf + i);
    if (r.status == 404)
      continue;
    ASSERT_EQ(r.status, 200) << r.body;
    auto n = r.body_json()["friends"].get<int>();
    EXPECT_LE(n, 1) << r.body;
    if (n == 0)
      continue; // created by its batch's first round only
    ++sampled;
    EXPECT_EQ(r.body_json(),
              (json{{"person_id", leaf + i}, {"name", ""}, {"friends", 1}}));
    auto s = search(v, leaf + i, hub + i % hubs, 1);
    EXPECT_EQ(ids_of(s.body_json()),
              (std::vector<uint32_t>{leaf + i, hub + i % hubs}))
        << s.body;
  }
  auto one_sided = std::abs(hub_halves - leaf_halves);
  std::printf("[ social ] kill -9 after %zu of %zu import bytes: %zu "
              "acknowledged single friendships all kept; import kept %.0f hub "
              "halves and %.0f leaf halves (%.0f one-sided friendships)\n",
              sent_at_kill, body.size(), acked.size(), hub_halves, leaf_halves,
              one_sided);
  ::testing::Test::RecordProperty("one_sided_friendships",
                                  static_cast<int>(one_sided));
  ::testing::Test::RecordProperty("acknowledged_friendships",
                                  static_cast<int>(acked.size()));
  EXPECT_GT(sampled, 0u) << "no leaf of the import was kept";

  // Running the import again repairs the graph.
  auto again = import(v, body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.body_json()["edges"], leaves) << again.body;
  EXPECT_EQ(again.body_json()["people_created"],
            leaves + hubs - leaves_known - hubs_known)
      << again.body;
  for (uint32_t h = 0; h < hubs; ++h)
    EXPECT_EQ(friends_of(v, hub + h), leaves / hubs) << "hub " << h;
  EXPECT_EQ(halves_of(), 2.0 * ring_size + single_halves + 2.0 * leaves);
  EXPECT_EQ(metric(node.port(), "troupe_social_people"),
            ring_size + singles + hubs + leaves);
  for (uint32_t i = 0; i < leaves; i += 4999) {
    auto a = search(v, leaf + i, hub + i % hubs, 1);
    auto b = search(v, hub + i % hubs, leaf + i, 1);
    EXPECT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(b.status, 200) << b.body;
  }
  stop_cleanly(node);
}

// -- a race between a refused and an accepted friendship ----------------------

// POST /friendship once stored a's half, then b's, and took a's half back
// when b was unknown. If b was created in between and a second POST of the
// same friendship succeeded (its a-half a no-op: the first request's half
// was there), the first request's rollback removed the half the second one
// was acknowledged with (about 1 in 250 rounds). It now checks b first and
// never takes anything back.
TEST(e2eSocialRace,
     AcknowledgedFriendshipIsNotUndoneByARefusedOneAtTheSameTime) {
  node_process node;
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection setup{node.port()};
  connection first{node.port()};
  connection creator{node.port()};
  connection second{node.port()};
  std::vector<std::string> broken;
  auto deadline = steady::now() + 30s;
  int rounds = 0;
  for (; rounds < 3000 && broken.size() < 3 && steady::now() < deadline;
       ++rounds) {
    auto a = ids_for(2);
    auto b = a + 1;
    make_person(setup, a, "A");
    int refused = 0;
    int accepted = 0;
    std::thread t1{[&] { refused = friendship(first, "POST", a, b).status; }};
    std::thread t2{[&] { create_person(creator, b, "B"); }};
    std::thread t3{[&] {
      for (int k = 0; k < 200 && accepted != 204; ++k)
        accepted = friendship(second, "POST", a, b).status;
    }};
    t1.join();
    t2.join();
    t3.join();
    auto fa = friends_of(setup, a);
    auto fb = friends_of(setup, b);
    if (accepted == 204 && (fa != 1 || fb != 1))
      broken.push_back(
          "POST " + std::to_string(a) + " - " + std::to_string(b) +
          " answered 204 (a concurrent one " + std::to_string(refused) +
          "), then " + std::to_string(a) + " has " + std::to_string(fa) +
          " friends and " + std::to_string(b) + " has " + std::to_string(fb));
  }
  std::string detail;
  for (const auto& x : broken)
    detail += "  " + x + "\n";
  EXPECT_TRUE(broken.empty()) << broken.size() << " one-sided acknowledged "
                              << "friendships in " << rounds << " rounds:\n"
                              << detail;
}
