// Redirects, basic auth and allow_address of the HTTP client.

#include "troupe/net/http_client.hpp"

#include <atomic>

#include <gtest/gtest.h>

#include "net/test_server.hpp"

using namespace troupe::net;
using namespace troupe::test;

namespace {

reply redirect(unsigned status, std::string location) {
  reply r;
  r.status = status;
  r.headers.emplace_back("Location", std::move(location));
  r.body = "moved";
  return r;
}

reply text(std::string body) {
  reply r;
  r.body = std::move(body);
  return r;
}

} // namespace

TEST(http_redirect, relative_and_absolute_locations_are_followed) {
  uint16_t port = 0;
  test_server server{[&](const seen_request& req) {
    if (req.target == "/a/start")
      return redirect(302, "next?x=1"); // relative to /a/
    if (req.target == "/a/next?x=1")
      return redirect(301,
                      "http://127.0.0.1:" + std::to_string(port) + "/final");
    return text("at " + req.target);
  }};
  port = server.port();
  http_client client;
  auto req = get(server.url("/a/start"));
  req.max_redirects = 5;
  auto res = fetch(client, req);
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, "at /final");
  EXPECT_EQ(res.final_url, server.url("/final"));
  EXPECT_EQ(server.seen().size(), 3u);
  EXPECT_EQ(server.connections(), 1u); // same host: one pooled connection
}

TEST(http_redirect, see_other_turns_post_into_get) {
  test_server server{[](const seen_request& req) {
    if (req.target == "/form")
      return redirect(303, "/result");
    if (req.target == "/keep")
      return redirect(307, "/result");
    return text(req.method + " " + req.body);
  }};
  http_client client;
  http_request req;
  req.method = "POST";
  req.url = server.url("/form");
  req.body = "a=1";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.max_redirects = 1;
  auto res = fetch(client, req);
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.body, "GET ");
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].method, "GET");
  EXPECT_FALSE(seen[1].has("Content-Type"));
  EXPECT_FALSE(seen[1].has("Content-Length"));

  req.url = server.url("/keep"); // 307 keeps method and body
  res = fetch(client, req);
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.body, "POST a=1");
}

TEST(http_redirect, a_loop_is_too_many_redirects) {
  test_server server{
      [](const seen_request&) { return redirect(302, "/loop"); }};
  http_client client;
  auto req = get(server.url("/loop"));
  req.max_redirects = 5;
  auto res = fetch(client, req);
  EXPECT_EQ(res.error, http_errc::too_many_redirects) << res.error_text;
  EXPECT_FALSE(res.ok());
  EXPECT_EQ(res.status, 302u);
  EXPECT_EQ(server.seen().size(), 6u); // the request and 5 redirects
}

TEST(http_redirect, zero_max_redirects_returns_the_redirect) {
  test_server server{[](const seen_request&) { return redirect(302, "/x"); }};
  http_client client;
  auto res = fetch(client, get(server.url("/")));
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.status, 302u);
  EXPECT_EQ(res.header("location"), "/x");
  EXPECT_EQ(res.body, "moved");
  EXPECT_EQ(server.seen().size(), 1u);
}

TEST(http_redirect, an_unusable_location_is_bad_url) {
  test_server server{
      [](const seen_request&) { return redirect(302, "ftp://x/"); }};
  http_client client;
  auto req = get(server.url("/"));
  req.max_redirects = 3;
  EXPECT_EQ(fetch(client, req).error, http_errc::bad_url);
}

TEST(http_redirect, another_host_gets_its_own_connection_and_no_credentials) {
  test_server other{[](const seen_request& req) { return text(req.target); }};
  // "localhost" is another origin than "127.0.0.1", though the same server.
  test_server first{[&](const seen_request& req) {
    if (req.target == "/here")
      return redirect(302, "/again");
    if (req.target == "/again")
      return redirect(302, other.url("/there", "localhost"));
    return text("unexpected");
  }};
  http_client client;
  auto req = get(first.url("/here"));
  req.max_redirects = 2;
  req.basic_auth = {{"user", "secret"}};
  req.headers = {{"Cookie", "session=1"}, {"X-Trace", "t"}};
  auto res = fetch(client, req);
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.body, "/there");
  EXPECT_EQ(res.final_url, other.url("/there", "localhost"));
  EXPECT_EQ(first.connections(), 1u);
  EXPECT_EQ(other.connections(), 1u);
  auto at_first = first.seen();
  ASSERT_EQ(at_first.size(), 2u);
  EXPECT_TRUE(at_first[1].has("Authorization")); // same origin
  EXPECT_TRUE(at_first[1].has("Cookie"));
  auto at_other = other.seen();
  ASSERT_EQ(at_other.size(), 1u);
  EXPECT_FALSE(at_other[0].has("Authorization"));
  EXPECT_FALSE(at_other[0].has("Cookie"));
  EXPECT_EQ(at_other[0].header("X-Trace"), "t");
  EXPECT_EQ(at_other[0].header("Host"),
            "localhost:" + std::to_string(other.port()));
}

TEST(http_redirect, basic_auth_sends_base64_of_user_colon_password) {
  test_server server{[](const seen_request& req) {
    return text(req.header("Authorization"));
  }};
  http_client client;
  auto auth = [&](std::string user, std::string password) {
    auto req = get(server.url());
    req.basic_auth = {{std::move(user), std::move(password)}};
    return fetch(client, req).body;
  };
  EXPECT_EQ(auth("Aladdin", "open sesame"), // RFC 7617's example
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(auth("user", "password"), "Basic dXNlcjpwYXNzd29yZA==");
  EXPECT_EQ(auth("u", "p"), "Basic dTpw");
  EXPECT_EQ(auth("us", "p"), "Basic dXM6cA==");
  EXPECT_EQ(auth("", ""), "Basic Og==");
}

TEST(http_redirect, allow_address_refuses_before_connecting) {
  test_server server{[](const seen_request&) { return text("x"); }};
  http_client client;
  auto req = get(server.url());
  std::string asked_ip;
  uint16_t asked_port = 0;
  req.allow_address = [&](const std::string& ip, uint16_t port) {
    asked_ip = ip;
    asked_port = port;
    return false;
  };
  auto res = fetch(client, req);
  EXPECT_EQ(res.error, http_errc::address_refused) << res.error_text;
  EXPECT_EQ(asked_ip, "127.0.0.1");
  EXPECT_EQ(asked_port, server.port());
  EXPECT_EQ(server.connections(), 0u);

  req.url = server.url("/", "localhost"); // resolved names too
  EXPECT_EQ(fetch(client, req).error, http_errc::address_refused);
  EXPECT_EQ(server.connections(), 0u);
}

TEST(http_redirect, allow_address_is_checked_on_every_hop) {
  test_server target{[](const seen_request&) { return text("secret"); }};
  test_server first{
      [&](const seen_request&) { return redirect(302, target.url("/")); }};
  http_client client;
  auto req = get(first.url());
  req.max_redirects = 3;
  req.allow_address = [&](const std::string&, uint16_t port) {
    return port == first.port();
  };
  auto res = fetch(client, req);
  EXPECT_EQ(res.error, http_errc::address_refused) << res.error_text;
  EXPECT_EQ(first.connections(), 1u);
  EXPECT_EQ(target.connections(), 0u);
}

TEST(http_redirect, allow_address_is_checked_for_a_pooled_connection) {
  test_server server{[](const seen_request&) { return text("x"); }};
  http_client client;
  ASSERT_TRUE(fetch(client, get(server.url())).ok());
  ASSERT_EQ(client.idle_connections(), 1u);
  auto req = get(server.url());
  req.allow_address = [](const std::string&, uint16_t) { return false; };
  EXPECT_EQ(fetch(client, req).error, http_errc::address_refused);
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(client.idle_connections(), 1u); // still there for others
  EXPECT_TRUE(fetch(client, get(server.url())).ok());
  EXPECT_EQ(server.connections(), 1u);
}

TEST(http_redirect, a_stale_pooled_connection_on_a_later_hop_is_retried) {
  std::atomic<int> n{0};
  test_server target{[&](const seen_request& req) {
    auto r = text("at " + req.target);
    r.close_silently = n++ == 0; // leaves a stale connection in the pool
    return r;
  }};
  test_server first{
      [&](const seen_request&) { return redirect(302, target.url("/b")); }};
  http_client client;
  ASSERT_TRUE(fetch(client, get(target.url("/warm"))).ok());
  auto req = get(first.url("/a"));
  req.max_redirects = 1;
  auto res = fetch(client, req);
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.body, "at /b");
  EXPECT_EQ(target.connections(), 2u);
}
