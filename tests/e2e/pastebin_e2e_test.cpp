// End-to-end tests of the pastebin / short-link service and the operations
// routes against a real `troupe run` process.
#include "harness.hpp"
#include "shared_node.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>
#include <regex>
#include <thread>

#include <sys/wait.h>

#include <gtest/gtest.h>

using namespace troupe_e2e;
using namespace std::chrono_literals;

namespace {

const std::string paste_path = "/pastebin/api/v1/paste";
const std::string url_path = "/pastebin/api/v1/url";
const std::string stats_path = "/pastebin/api/v1/stats";

bool is_shortlink(const std::string& s) {
  static const std::regex re{"^[a-zA-Z0-9]{7}$"};
  return std::regex_match(s, re);
}

std::string paste_body(const std::string& contents) {
  return json{{"paste_contents", contents}}.dump();
}

/// Creates a paste and returns its shortlink ("" and a test failure if not).
std::string create_paste(connection& c, const std::string& contents,
                         const json& expiration = nullptr) {
  json body{{"paste_contents", contents}};
  if (!expiration.is_null())
    body["expiration_length_in_minutes"] = expiration;
  auto r = post_json(c, paste_path, body.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  auto j = r.body_json();
  if (r.status != 201 || !j.is_object() || !j.contains("shortlink") ||
      !j["shortlink"].is_string())
    return {};
  return j["shortlink"].get<std::string>();
}

http_response get_paste(connection& c, const std::string& shortlink) {
  return c.request("GET", paste_path + "?shortlink=" + url_encode(shortlink));
}

/// Asserts that `body` is rejected by POST /paste with 400 invalid_argument.
void expect_paste_400(connection& c, const std::string& body) {
  auto r = post_json(c, paste_path, body);
  EXPECT_EQ(r.status, 400) << "body: " << body << "\nresponse: " << r.body;
  EXPECT_EQ(r.error_code(), "invalid_argument")
      << "body: " << body << "\nresponse: " << r.body;
  auto j = r.body_json();
  EXPECT_TRUE(j.is_object() && j["error"].is_object() &&
              j["error"]["message"].is_string())
      << r.body;
}

void expect_url_400(connection& c, const std::string& body) {
  auto r = post_json(c, url_path, body);
  EXPECT_EQ(r.status, 400) << "body: " << body << "\nresponse: " << r.body;
  EXPECT_EQ(r.error_code(), "invalid_argument")
      << "body: " << body << "\nresponse: " << r.body;
}

/// One node shared by the read-mostly tests of this suite.
class e2ePastebin : public shared_node_test<e2ePastebin> {};

} // namespace

// -- operations ---------------------------------------------------------------

TEST_F(e2ePastebin, HealthReadyMetricsCluster) {
  connection c{port()};
  auto h = c.request("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body_json(), (json{{"status", "ok"}, {"node", "n1"}})) << h.body;
  EXPECT_NE(h.header("content-type").find("application/json"),
            std::string::npos);

  EXPECT_EQ(c.request("GET", "/readyz").status, 200);

  auto m = c.request("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("troupe_http_requests_total"), std::string::npos)
      << m.body.substr(0, 2000);

  auto cl = c.request("GET", "/api/v1/cluster");
  ASSERT_EQ(cl.status, 200) << cl.body;
  auto j = cl.body_json();
  ASSERT_TRUE(j.is_object()) << cl.body;
  EXPECT_EQ(j["cluster"], "troupe");
  EXPECT_EQ(j["self"], "n1");
  ASSERT_TRUE(j["nodes"].is_array());
  ASSERT_EQ(j["nodes"].size(), 1u);
  const auto& n = j["nodes"][0];
  EXPECT_EQ(n["name"], "n1");
  EXPECT_EQ(n["state"], "up");
  EXPECT_TRUE(n["http"].is_string());
  EXPECT_TRUE(n["actor"].is_string());
  ASSERT_TRUE(j["shards"].is_object());
  const auto& shards = j["shards"]["pastebin"];
  ASSERT_TRUE(shards.is_array()) << cl.body.substr(0, 500);
  ASSERT_EQ(shards.size(), 64u);
  for (size_t i = 0; i < shards.size(); ++i) {
    EXPECT_EQ(shards[i]["shard"], i);
    EXPECT_EQ(shards[i]["primary"], "n1");
    EXPECT_TRUE(shards[i]["replicas"].is_array());
  }
}

TEST_F(e2ePastebin, DashboardPageAndShardStates) {
  connection c{port()};
  auto page = c.request("GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.header("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("<title>troupe dashboard</title>"),
            std::string::npos);
  // The page is three embedded files; its script reads /api/v1/stats.
  EXPECT_NE(page.body.find("dashboard.js"), std::string::npos);
  auto js = c.request("GET", "/dashboard.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_NE(js.header("content-type").find("javascript"), std::string::npos);
  EXPECT_NE(js.body.find("api/v1/stats"), std::string::npos);
  auto css = c.request("GET", "/dashboard.css");
  ASSERT_EQ(css.status, 200);
  EXPECT_NE(css.header("content-type").find("text/css"), std::string::npos);
  auto cl = c.request("GET", "/api/v1/cluster").body_json();
  for (const auto& shard : cl["shards"]["pastebin"])
    EXPECT_EQ(shard["state"], "up");
}

TEST_F(e2ePastebin, StockCurlClientWorks) {
  std::string cmd = "curl -s -o /dev/null -w '%{http_code}' "
                    "http://127.0.0.1:" +
                    std::to_string(port()) + "/healthz 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[64] = {};
  size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  int rc = ::pclose(p);
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 127)
    GTEST_SKIP() << "curl not installed";
  EXPECT_EQ(std::string(buf, n), "200");
}

TEST_F(e2ePastebin, UnknownPathAndWrongMethod) {
  connection c{port()};
  auto r = c.request("GET", "/no/such/route");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_code(), "not_found") << r.body;

  struct probe {
    const char* method;
    std::string target;
  };
  for (const auto& p : std::vector<probe>{{"DELETE", paste_path},
                                          {"PUT", paste_path},
                                          {"GET", url_path},
                                          {"POST", stats_path},
                                          {"POST", "/healthz"},
                                          {"DELETE", "/api/v1/cluster"},
                                          {"POST", "/s/AAAAAAA"}}) {
    auto res = c.request(p.method, p.target,
                         p.method == std::string{"GET"} ? "" : "{}");
    EXPECT_EQ(res.status, 405)
        << p.method << " " << p.target << ": " << res.body;
    EXPECT_EQ(res.error_code(), "method_not_allowed")
        << p.method << " " << p.target << ": " << res.body;
  }
}

// -- create and read
// -----------------------------------------------------------

TEST_F(e2ePastebin, CreateAndReadBack) {
  connection c{port()};
  auto r = post_json(
      c, paste_path,
      R"({"paste_contents":"hello world","expiration_length_in_minutes":60})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto link = r.body_json()["shortlink"].get<std::string>();
  EXPECT_TRUE(is_shortlink(link)) << link;
  EXPECT_NE(r.header("location").find(link), std::string::npos)
      << "Location: " << r.header("location");

  auto g = get_paste(c, link);
  ASSERT_EQ(g.status, 200) << g.body;
  auto j = g.body_json();
  EXPECT_EQ(j["shortlink"], link);
  EXPECT_EQ(j["paste_contents"], "hello world");
  EXPECT_EQ(j["expiration_length_in_minutes"], 60);
  ASSERT_TRUE(j["created_at"].is_string());
  auto created = j["created_at"].get<std::string>();
  ASSERT_TRUE(std::regex_match(
      created, std::regex{"^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$"}))
      << created;
  // created_at is UTC and recent.
  std::tm tm{};
  ASSERT_NE(::strptime(created.c_str(), "%Y-%m-%d %H:%M:%S", &tm), nullptr);
  auto created_t = ::timegm(&tm);
  EXPECT_LE(std::llabs(static_cast<long long>(std::time(nullptr) - created_t)),
            300)
      << created;
}

TEST_F(e2ePastebin, ExpirationZeroAbsentAndDecimalString) {
  connection c{port()};
  auto never = create_paste(c, "never", 0);
  auto absent = create_paste(c, "absent");
  auto str = create_paste(c, "string", "90");
  ASSERT_FALSE(never.empty() || absent.empty() || str.empty());
  auto g0 = get_paste(c, never);
  ASSERT_EQ(g0.status, 200);
  EXPECT_EQ(g0.body_json()["expiration_length_in_minutes"], 0) << g0.body;
  auto ga = get_paste(c, absent);
  ASSERT_EQ(ga.status, 200);
  EXPECT_EQ(ga.body_json()["expiration_length_in_minutes"], 0) << ga.body;
  auto gs = get_paste(c, str);
  ASSERT_EQ(gs.status, 200);
  EXPECT_EQ(gs.body_json()["expiration_length_in_minutes"], 90) << gs.body;
}

TEST_F(e2ePastebin, EmptyPasteAllowed) {
  connection c{port()};
  auto link = create_paste(c, "");
  ASSERT_FALSE(link.empty());
  auto g = get_paste(c, link);
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.body_json()["paste_contents"], "");
}

TEST_F(e2ePastebin, Utf8RoundTripsExactly) {
  connection c{port()};
  const std::vector<std::string> samples = {
      "emoji \xF0\x9F\x98\x80\xF0\x9F\x8D\x95 and flags "
      "\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5",
      "CJK \xE4\xB8\xAD\xE6\x96\x87 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E "
      "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",
      "controls\n\ttab \"quotes\" \\backslash\\ \r\n end\x01",
      "combining e\xCC\x81 and zero-width\xE2\x80\x8Bjoiner",
      std::string(1000, 'x') + "\xF0\x9F\x98\x80"};
  for (const auto& s : samples) {
    auto link = create_paste(c, s);
    ASSERT_FALSE(link.empty());
    auto g = get_paste(c, link);
    ASSERT_EQ(g.status, 200) << g.body;
    EXPECT_EQ(g.body_json()["paste_contents"].get<std::string>(), s);
  }
  // \u escapes (including a surrogate pair) decode to the same UTF-8.
  auto r = post_json(c, paste_path,
                     R"({"paste_contents":"\u00e9\u4e2d\ud83d\ude00"})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto g = get_paste(c, r.body_json()["shortlink"].get<std::string>());
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.body_json()["paste_contents"].get<std::string>(),
            "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80");
}

TEST_F(e2ePastebin, InvalidUtf8Rejected) {
  connection c{port()};
  for (std::string bad :
       {std::string{"\xFF\xFE"}, std::string{"ok \xC0\xAF"},
        std::string{"\xED\xA0\x80"}, std::string{"trunc \xE4\xB8"},
        std::string{"nul\0byte", 8}}) {
    std::string body = "{\"paste_contents\":\"" + bad + "\"}";
    expect_paste_400(c, body);
  }
}

TEST_F(e2ePastebin, MalformedJsonRejected) {
  connection c{port()};
  for (const char* body :
       {"", "{", "}", "not json", "{\"paste_contents\":", "[]",
        "[{\"paste_contents\":\"a\"}]", "\"just a string\"", "42", "null",
        "true", "{\"paste_contents\":\"a\",}", "{'paste_contents':'a'}",
        "{\"paste_contents\":\"a\"} trailing", "{\"paste_contents\" \"a\"}",
        "{\"paste_contents\":\"unterminated}"})
    expect_paste_400(c, body);
  // A bad request never kills the node or the connection.
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
}

TEST_F(e2ePastebin, WrongTypesRejected) {
  connection c{port()};
  for (
      const char* body : {
          "{}",
          R"({"contents":"a"})",
          R"({"paste_contents":42})",
          R"({"paste_contents":null})",
          R"({"paste_contents":true})",
          R"({"paste_contents":["a"]})",
          R"({"paste_contents":{"a":1}})",
          R"({"paste_contents":"a","expiration_length_in_minutes":{"n":1}})",
          R"({"paste_contents":"a","expiration_length_in_minutes":[1]})",
          R"({"paste_contents":"a","expiration_length_in_minutes":true})",
          R"({"paste_contents":"a","expiration_length_in_minutes":1.5})",
          R"({"paste_contents":"a","expiration_length_in_minutes":-1})",
          R"({"paste_contents":"a","expiration_length_in_minutes":"-5"})",
          R"({"paste_contents":"a","expiration_length_in_minutes":"1.5"})",
          R"({"paste_contents":"a","expiration_length_in_minutes":"12abc"})",
          R"({"paste_contents":"a","expiration_length_in_minutes":"abc"})",
          R"({"paste_contents":"a","expiration_length_in_minutes":1000000000})",
          R"({"paste_contents":"a","expiration_length_in_minutes":"99999999999999999999"})",
      })
    expect_paste_400(c, body);
}

TEST_F(e2ePastebin, OversizedContentsIs413) {
  connection c{port()};
  const size_t max = 1048576;
  auto at_limit = post_json(c, paste_path, paste_body(std::string(max, 'a')));
  ASSERT_EQ(at_limit.status, 201) << at_limit.body;
  auto g = get_paste(c, at_limit.body_json()["shortlink"].get<std::string>());
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.body_json()["paste_contents"].get<std::string>().size(), max);

  auto r = post_json(c, paste_path, paste_body(std::string(max + 1, 'b')));
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  EXPECT_EQ(r.error_code(), "payload_too_large") << r.body.substr(0, 300);
}

TEST_F(e2ePastebin, OversizedBodyIs413) {
  connection c{port()};
  // 2 MiB + 100 bytes of body: over http.max_body_bytes.
  auto r =
      post_json(c, paste_path, paste_body(std::string(2 * 1048576 + 100, 'c')));
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  EXPECT_EQ(r.error_code(), "payload_too_large") << r.body.substr(0, 300);
  // The node still serves.
  EXPECT_EQ(request(port(), "GET", "/healthz").status, 200);
}

TEST_F(e2ePastebin, HeaderTooLargeIs431) {
  connection c{port()};
  auto r =
      c.request("GET", "/healthz", "", {{"X-Big", std::string(20000, 'h')}});
  EXPECT_EQ(r.status, 431) << r.body;
  EXPECT_EQ(request(port(), "GET", "/healthz").status, 200);
}

TEST_F(e2ePastebin, ShortlinkLookupErrors) {
  connection c{port()};
  auto missing = c.request("GET", paste_path);
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_EQ(missing.error_code(), "invalid_argument");
  for (const char* bad :
       {"", "abc", "abcdefgh", "abc-def", "abc%20de", "%C3%A9bcdef"}) {
    auto r = c.request("GET", paste_path + "?shortlink=" + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument") << bad << ": " << r.body;
  }
  auto unknown = get_paste(c, "AAAAAAA");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.error_code(), "not_found") << unknown.body;
}

// -- stats
// ---------------------------------------------------------------------

TEST_F(e2ePastebin, StatsOrderingAndLimit) {
  connection c{port()};
  auto a = create_paste(c, "stats a");
  auto b = create_paste(c, "stats b");
  auto d = create_paste(c, "stats d");
  ASSERT_FALSE(a.empty() || b.empty() || d.empty());
  for (int i = 0; i < 9; ++i)
    ASSERT_EQ(get_paste(c, a).status, 200);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(get_paste(c, b).status, 200);
  ASSERT_EQ(get_paste(c, d).status, 200);

  const auto month = utc_month();
  auto hits_of = [&](const json& arr, const std::string& link) -> long {
    for (const auto& e : arr)
      if (e["shortlink"] == link)
        return e["hits"].get<long>();
    return -1;
  };
  // Counts may lag by a flush interval: poll.
  json all;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    auto r = c.request("GET", stats_path + "?month=" + month + "&limit=1000");
    ASSERT_EQ(r.status, 200) << r.body;
    all = r.body_json();
    ASSERT_TRUE(all.is_array()) << r.body;
    if ((hits_of(all, a) == 9 && hits_of(all, b) == 5 &&
         hits_of(all, d) == 1) ||
        std::chrono::steady_clock::now() > deadline)
      break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(hits_of(all, a), 9) << all.dump();
  EXPECT_EQ(hits_of(all, b), 5) << all.dump();
  EXPECT_EQ(hits_of(all, d), 1) << all.dump();
  // Most visited first, every entry well-formed.
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i]["month"], month);
    EXPECT_TRUE(is_shortlink(all[i]["shortlink"].get<std::string>()));
    if (i > 0) {
      EXPECT_GE(all[i - 1]["hits"].get<long>(), all[i]["hits"].get<long>())
          << all.dump();
    }
  }

  // limit bounds the list; default is 10.
  auto two = c.request("GET", stats_path + "?month=" + month + "&limit=2");
  ASSERT_EQ(two.status, 200);
  auto tj = two.body_json();
  ASSERT_TRUE(tj.is_array());
  EXPECT_EQ(tj.size(), std::min<size_t>(2, all.size()));
  if (tj.size() == 2 && all.size() >= 2) {
    EXPECT_EQ(tj[0]["hits"], all[0]["hits"]);
    EXPECT_EQ(tj[1]["hits"], all[1]["hits"]);
  }
  auto def = c.request("GET", stats_path + "?month=" + month);
  ASSERT_EQ(def.status, 200);
  EXPECT_EQ(def.body_json().size(), std::min<size_t>(10, all.size()));

  // A month without visits is an empty list.
  auto empty = c.request("GET", stats_path + "?month=1999-01");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.body_json(), json::array());
}

TEST_F(e2ePastebin, StatsFilterByShortlink) {
  connection c{port()};
  auto a = create_paste(c, "filter a");
  auto b = create_paste(c, "filter b");
  ASSERT_FALSE(a.empty() || b.empty());
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(get_paste(c, b).status, 200);
  ASSERT_EQ(get_paste(c, a).status, 200);
  const auto month = utc_month();
  http_response one;
  json oj;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    one = c.request("GET", stats_path + "?month=" + month + "&shortlink=" + b);
    oj = one.body_json();
    if (one.status != 200 ||
        (oj.is_array() && oj.size() == 1 && oj[0]["hits"] == 4))
      break;
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(one.status, 200) << one.body;
  ASSERT_TRUE(oj.is_array()) << one.body;
  ASSERT_EQ(oj.size(), 1u) << one.body;
  EXPECT_EQ(oj[0], (json{{"shortlink", b}, {"month", month}, {"hits", 4}}));
  // A shortlink without visits in that month: an empty list.
  auto none = c.request("GET", stats_path + "?month=1999-01&shortlink=" + b);
  EXPECT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.body_json(), json::array()) << none.body;
  // An ill-shaped shortlink is a bad parameter.
  auto bad = c.request("GET", stats_path + "?month=" + month + "&shortlink=x");
  EXPECT_EQ(bad.status, 400) << bad.body;
}

TEST_F(e2ePastebin, StatsBadParameters) {
  connection c{port()};
  const auto m = utc_month();
  for (const std::string& q : std::vector<std::string>{
           "", "?month=", "?month=2024-13", "?month=2024-00", "?month=2024-1",
           "?month=24-01", "?month=abcd-ef", "?month=2024/01",
           "?month=2024-01-01", "?month=" + m + "&limit=0",
           "?month=" + m + "&limit=1001", "?month=" + m + "&limit=-1",
           "?month=" + m + "&limit=x", "?month=" + m + "&limit=1.5",
           "?month=" + m + "&limit="}) {
    auto r = c.request("GET", stats_path + q);
    EXPECT_EQ(r.status, 400) << q << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument") << q << ": " << r.body;
  }
  EXPECT_EQ(c.request("GET", stats_path + "?month=" + m + "&limit=1000").status,
            200);
  EXPECT_EQ(c.request("GET", stats_path + "?month=" + m + "&limit=1").status,
            200);
}

// -- short URLs
// ----------------------------------------------------------------

TEST_F(e2ePastebin, ShortUrlRedirects) {
  connection c{port()};
  for (const std::string url :
       {"https://example.com/a/b?x=1&y=%20z#frag", "http://example.org",
        "http://127.0.0.1:8080/path", "HTTPS://Example.COM/Caps"}) {
    auto r = post_json(c, url_path, json{{"url", url}}.dump());
    ASSERT_EQ(r.status, 201) << url << ": " << r.body;
    auto j = r.body_json();
    auto link = j["shortlink"].get<std::string>();
    EXPECT_TRUE(is_shortlink(link)) << link;
    EXPECT_EQ(j["short_url"], "/s/" + link);
    auto g = c.request("GET", "/s/" + link);
    EXPECT_EQ(g.status, 301) << g.body;
    EXPECT_EQ(g.header("location"), url);
    // A URL shortlink is not a paste.
    EXPECT_EQ(get_paste(c, link).status, 404);
  }
  // A paste shortlink is not a URL.
  auto paste = create_paste(c, "not a url");
  ASSERT_FALSE(paste.empty());
  EXPECT_EQ(c.request("GET", "/s/" + paste).status, 404);
  auto unknown = c.request("GET", "/s/AAAAAAA");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.error_code(), "not_found") << unknown.body;
}

TEST_F(e2ePastebin, ShortUrlValidation) {
  connection c{port()};
  for (const std::string& url : std::vector<std::string>{
           "",
           "ftp://example.com/",
           "file:///etc/passwd",
           "javascript:alert(1)",
           "JavaScript:alert(1)",
           "example.com",
           "//example.com/",
           "http://",
           "http:///path",
           "http://user@example.com/",
           "http://user:pw@example.com/",
           "http://exa mple.com/",
           "http://example.com/a b",
           "http://example.com/\r\nSet-Cookie: x=1",
           "http://example.com/\n",
           "http://example.com:99999/",
           "http://example.com:abc/",
           "http://example.com:-1/",
           "https://example.com/" + std::string(2100, 'p'),
       })
    expect_url_400(c, json{{"url", url}}.dump());
  for (const char* body :
       {"{}", R"({"url":42})", R"({"url":null})", R"({"url":["http://a.com"]})",
        "[]", "{", "not json"})
    expect_url_400(c, body);
}

// -- connection handling and concurrency
// ------------------------------------------

TEST_F(e2ePastebin, KeepAliveHundredRequests) {
  connection c{port()};
  std::vector<std::string> links;
  for (int i = 0; i < 100; ++i) {
    if (i % 2 == 0) {
      auto link = create_paste(c, "keep-alive " + std::to_string(i));
      ASSERT_FALSE(link.empty()) << "request " << i;
      links.push_back(link);
    } else {
      auto g = get_paste(c, links.back());
      ASSERT_EQ(g.status, 200) << "request " << i;
      EXPECT_EQ(g.body_json()["paste_contents"],
                "keep-alive " + std::to_string(i - 1));
    }
    ASSERT_TRUE(c.is_open())
        << "server closed the connection after request " << i;
  }
}

TEST_F(e2ePastebin, ChunkedRequestBodyAccepted) {
  connection c{port()};
  std::string body = R"({"paste_contents":"chunked \u00e9 body"})";
  std::string half1 = body.substr(0, 10);
  std::string half2 = body.substr(10);
  auto hex = [](size_t n) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%zx", n);
    return std::string{buf};
  };
  auto r = c.raw("POST " + paste_path +
                 " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Content-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n" +
                 hex(half1.size()) + "\r\n" + half1 + "\r\n" +
                 hex(half2.size()) + "\r\n" + half2 + "\r\n0\r\n\r\n");
  ASSERT_EQ(r.status, 201) << r.body;
  auto g = get_paste(c, r.body_json()["shortlink"].get<std::string>());
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.body_json()["paste_contents"], "chunked \xC3\xA9 body");
}

TEST_F(e2ePastebin, TwoHundredConcurrentClients) {
  constexpr int clients = 200;
  std::vector<int> created(clients, 0);
  std::vector<int> read(clients, 0);
  std::vector<std::string> errors(clients);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&, i] {
      while (!go.load())
        std::this_thread::yield();
      try {
        connection c{port(), 30s};
        std::string contents = "client " + std::to_string(i) +
                               " \xE2\x9C\x93 " +
                               std::string(static_cast<size_t>(i) * 7, 'z');
        auto r = post_json(c, paste_path, paste_body(contents));
        created[i] = r.status;
        if (r.status != 201)
          return;
        auto g = get_paste(c, r.body_json()["shortlink"].get<std::string>());
        read[i] = g.status;
        if (g.status == 200 &&
            g.body_json()["paste_contents"].get<std::string>() != contents)
          errors[i] = "contents differ";
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  go = true;
  for (auto& t : threads)
    t.join();
  for (int i = 0; i < clients; ++i) {
    EXPECT_EQ(created[i], 201) << "client " << i << " " << errors[i];
    EXPECT_EQ(read[i], 200) << "client " << i << " " << errors[i];
    EXPECT_EQ(errors[i], "") << "client " << i;
  }
}

// -- process lifecycle
// ---------------------------------------------------------

TEST(e2ePastebinLifecycle, SigtermExitsZero) {
  node_process node;
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  create_paste(c, "before sigterm");
  stop_cleanly(node);
}

TEST(e2ePastebinLifecycle, StatsAndPastesSurviveGracefulRestart) {
  node_process node;
  node.start();
  ASSERT_TRUE(node.wait_ready());
  std::string a;
  std::string b;
  {
    connection c{node.port()};
    a = create_paste(c, "survivor a \xF0\x9F\x98\x80");
    b = create_paste(c, "survivor b");
    ASSERT_FALSE(a.empty() || b.empty());
    for (int i = 0; i < 7; ++i)
      ASSERT_EQ(get_paste(c, a).status, 200);
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(get_paste(c, b).status, 200);
  }
  // Stop right away: counters not yet flushed must be written on stop.
  stop_cleanly(node);
  ASSERT_TRUE(node.restart());

  connection c{node.port()};
  auto r = c.request("GET", stats_path + "?month=" + utc_month() + "&limit=10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body_json(),
            (json{{{"shortlink", a}, {"month", utc_month()}, {"hits", 7}},
                  {{"shortlink", b}, {"month", utc_month()}, {"hits", 3}}}))
      << r.body;
  auto g = get_paste(c, a);
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.body_json()["paste_contents"], "survivor a \xF0\x9F\x98\x80");
  stop_cleanly(node);
}

namespace {

void expect_one_line_failure(const run_result& r,
                             const std::vector<std::string>& needles) {
  ASSERT_NE(r.status, -1) << "did not exit (still running after the timeout); "
                             "stderr:\n"
                          << r.err;
  EXPECT_TRUE(WIFEXITED(r.status)) << "status " << r.status;
  EXPECT_NE(WEXITSTATUS(r.status), 0) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n') << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1)
      << "stderr is not one line:\n"
      << r.err;
  for (const auto& n : needles)
    EXPECT_NE(r.err.find(n), std::string::npos)
        << "'" << n << "' missing in: " << r.err;
}

} // namespace

TEST(e2ePastebinCli, BadFlagExitsNonZeroWithOneLine) {
  auto dir = make_temp_dir();
  expect_one_line_failure(run_binary({"run", "--no-such-flag"}),
                          {"no-such-flag"});
  expect_one_line_failure(
      run_binary({"run", "--http", "not-an-endpoint", "--data-dir", dir}),
      {"not-an-endpoint"});
  expect_one_line_failure(
      run_binary({"run", "--config", dir + "/missing.toml"}), {"missing.toml"});
  remove_tree(dir);
}

TEST(e2ePastebinCli, BadLogLevelFlagExitsNonZeroWithOneLine) {
  auto dir = make_temp_dir();
  auto http = "127.0.0.1:" + std::to_string(free_port());
  expect_one_line_failure(run_binary({"run", "--log-level", "loud", "--http",
                                      http, "--data-dir", dir},
                                     3s),
                          {"log", "loud"});
  remove_tree(dir);
}

TEST(e2ePastebinCli, BadConfigExitsNonZeroWithOneLine) {
  auto dir = make_temp_dir();
  const std::string nodes = "[[nodes]]\nname = \"n1\"\nactor = "
                            "\"127.0.0.1:4242\"\nhttp = \"127.0.0.1:" +
                            std::to_string(free_port()) + "\"\ndata_dir = \"" +
                            dir + "/data\"\n";
  struct bad_config {
    std::string text;
    std::vector<std::string> needles;
  };
  const std::vector<bad_config> cases = {
      {nodes + "[http]\nio_thread = 2\n", {"http.io_thread", "unknown key"}},
      {nodes + "[http]\nio_threads = \"two\"\n", {"http.io_threads"}},
      {nodes + "[persistence]\ndurability = \"sometimes\"\n",
       {"persistence.durability"}},
      {nodes + "[pastebin]\nshards = 0\n", {"pastebin.shards"}},
      {nodes + "[http\nio_threads = 2\n", {}},
      {"self = \"ghost\"\n" + nodes, {"ghost"}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto path = dir + "/bad" + std::to_string(i) + ".toml";
    write_file(path, cases[i].text);
    auto needles = cases[i].needles;
    needles.push_back("bad" + std::to_string(i) + ".toml");
    SCOPED_TRACE(cases[i].text);
    expect_one_line_failure(run_binary({"run", "--config", path}), needles);
  }
  remove_tree(dir);
}
