#include "troupe/net/url.hpp"

#include <gtest/gtest.h>

using troupe::net::url;

namespace {

/// Parses `text` and returns `to_string()`, or "error: why".
std::string normalized(std::string_view text) {
  std::string why;
  auto u = url::parse(text, &why);
  return u ? u->to_string() : "error: " + why;
}

bool rejects(std::string_view text) {
  std::string why;
  auto u = url::parse(text, &why);
  EXPECT_FALSE(u) << text << " parsed as " << u->to_string();
  EXPECT_FALSE(why.empty()) << text;
  return !u;
}

} // namespace

TEST(url, parses_the_parts) {
  auto u = url::parse("http://example.com:8080/a/b?x=1&y=2");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/a/b?x=1&y=2");
  EXPECT_EQ(u->path(), "/a/b");
  EXPECT_EQ(u->authority(), "example.com:8080");
  EXPECT_EQ(u->to_string(), "http://example.com:8080/a/b?x=1&y=2");
}

TEST(url, lower_cases_scheme_and_host_but_not_the_path) {
  auto u = url::parse("HTTPS://WWW.Example.COM/Path/To?Q=A");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "www.example.com");
  EXPECT_EQ(u->target, "/Path/To?Q=A");
}

TEST(url, default_ports) {
  EXPECT_EQ(url::parse("http://h")->port, 80);
  EXPECT_EQ(url::parse("https://h")->port, 443);
  EXPECT_EQ(url::parse("http://h:/x")->port, 80);
  EXPECT_EQ(normalized("http://h:80/"), "http://h/");
  EXPECT_EQ(normalized("https://h:443/"), "https://h/");
  EXPECT_EQ(normalized("https://h:80/"), "https://h:80/");
  EXPECT_EQ(url::parse("http://h:80")->authority(), "h");
}

TEST(url, empty_path_becomes_slash) {
  EXPECT_EQ(url::parse("http://h")->target, "/");
  EXPECT_EQ(url::parse("http://h?q")->target, "/?q");
  EXPECT_EQ(url::parse("http://h#f")->target, "/");
}

TEST(url, ipv6_literals) {
  auto u = url::parse("http://[2001:DB8::1]:8080/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "2001:db8::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->authority(), "[2001:db8::1]:8080");
  EXPECT_EQ(u->to_string(), "http://[2001:db8::1]:8080/x");
  EXPECT_EQ(url::parse("https://[::1]")->authority(), "[::1]");
  rejects("http://[::1/x");
  rejects("http://[not-v6]/");
  rejects("http://[::1]x/");
  rejects("http://::1/");
}

TEST(url, ipv4_hosts) {
  auto u = url::parse("http://127.0.0.1:2379/v3/kv/range");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->authority(), "127.0.0.1:2379");
}

TEST(url, query_is_kept_and_fragment_dropped) {
  auto u = url::parse("http://h/p?a=1&b=%20#frag?x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->target, "/p?a=1&b=%20");
}

TEST(url, dot_segments_are_removed) {
  EXPECT_EQ(normalized("http://h/a/./b/../c"), "http://h/a/c");
  EXPECT_EQ(normalized("http://h/../../x"), "http://h/x");
  EXPECT_EQ(normalized("http://h/a/.."), "http://h/");
}

TEST(url, unsafe_bytes_are_percent_encoded) {
  EXPECT_EQ(url::parse("http://h/a b?c d|e")->target, "/a%20b?c%20d%7Ce");
  EXPECT_EQ(url::parse("http://h/caf\xc3\xa9")->target, "/caf%C3%A9");
  EXPECT_EQ(url::parse("http://h/%41")->target, "/%41"); // kept as is
}

TEST(url, rejects_what_it_cannot_send) {
  rejects("");
  rejects("example.com/path");            // no scheme
  rejects("//example.com/path");          // no scheme
  rejects("ftp://example.com/");          // unsupported scheme
  rejects("mailto:someone@example.com");  // unsupported scheme
  rejects("http:/example.com");           // no authority
  rejects("http://");                     // empty host
  rejects("http:///path");                // empty host
  rejects("http://:8080/");               // empty host
  rejects("http://h:0/");                 // port 0
  rejects("http://h:65536/");             // port too large
  rejects("http://h:99999999999999/");    // port way too large
  rejects("http://h:80x/");               // port not a number
  rejects("http://h:-1/");                // port not a number
  rejects("http://a b/");                 // space in host
  rejects("http://h/a\r\nX-Injected: 1"); // control characters
  rejects("http://h/\x7f");
}

TEST(url, rejects_userinfo) {
  std::string why;
  EXPECT_FALSE(url::parse("http://user:pw@example.com/", &why));
  EXPECT_NE(why.find("userinfo"), std::string::npos) << why;
  rejects("http://user@example.com/");
}

TEST(url, equality) {
  EXPECT_EQ(*url::parse("HTTP://H:80/a"), *url::parse("http://h/a"));
  EXPECT_NE(*url::parse("http://h/a"), *url::parse("https://h/a"));
}

// RFC 3986 section 5.4.1: every normal example. Where the RFC's result has
// no path ("http://g") ours has "/" (`target` is never empty); fragments
// are dropped.
TEST(url, resolves_the_rfc_3986_normal_examples) {
  auto base = url::parse("http://a/b/c/d;p?q");
  ASSERT_TRUE(base);
  auto resolve = [&](std::string_view ref) {
    std::string why;
    auto u = base->resolve(ref, &why);
    return u ? u->to_string() : "error: " + why;
  };
  EXPECT_EQ(resolve("g:h").substr(0, 6), "error:"); // scheme g: not http(s)
  EXPECT_EQ(resolve("g"), "http://a/b/c/g");
  EXPECT_EQ(resolve("./g"), "http://a/b/c/g");
  EXPECT_EQ(resolve("g/"), "http://a/b/c/g/");
  EXPECT_EQ(resolve("/g"), "http://a/g");
  EXPECT_EQ(resolve("//g"), "http://g/");
  EXPECT_EQ(resolve("?y"), "http://a/b/c/d;p?y");
  EXPECT_EQ(resolve("g?y"), "http://a/b/c/g?y");
  EXPECT_EQ(resolve("#s"), "http://a/b/c/d;p?q");
  EXPECT_EQ(resolve("g#s"), "http://a/b/c/g");
  EXPECT_EQ(resolve("g?y#s"), "http://a/b/c/g?y");
  EXPECT_EQ(resolve(";x"), "http://a/b/c/;x");
  EXPECT_EQ(resolve("g;x"), "http://a/b/c/g;x");
  EXPECT_EQ(resolve("g;x?y#s"), "http://a/b/c/g;x?y");
  EXPECT_EQ(resolve(""), "http://a/b/c/d;p?q");
  EXPECT_EQ(resolve("."), "http://a/b/c/");
  EXPECT_EQ(resolve("./"), "http://a/b/c/");
  EXPECT_EQ(resolve(".."), "http://a/b/");
  EXPECT_EQ(resolve("../"), "http://a/b/");
  EXPECT_EQ(resolve("../g"), "http://a/b/g");
  EXPECT_EQ(resolve("../.."), "http://a/");
  EXPECT_EQ(resolve("../../"), "http://a/");
  EXPECT_EQ(resolve("../../g"), "http://a/g");
}

// RFC 3986 section 5.4.2: the abnormal examples this parser can express.
TEST(url, resolves_the_rfc_3986_abnormal_examples) {
  auto base = url::parse("http://a/b/c/d;p?q");
  ASSERT_TRUE(base);
  auto resolve = [&](std::string_view ref) {
    auto u = base->resolve(ref);
    return u ? u->to_string() : std::string{"error"};
  };
  EXPECT_EQ(resolve("../../../g"), "http://a/g");
  EXPECT_EQ(resolve("../../../../g"), "http://a/g");
  EXPECT_EQ(resolve("/./g"), "http://a/g");
  EXPECT_EQ(resolve("/../g"), "http://a/g");
  EXPECT_EQ(resolve("g."), "http://a/b/c/g.");
  EXPECT_EQ(resolve(".g"), "http://a/b/c/.g");
  EXPECT_EQ(resolve("g.."), "http://a/b/c/g..");
  EXPECT_EQ(resolve("..g"), "http://a/b/c/..g");
  EXPECT_EQ(resolve("./../g"), "http://a/b/g");
  EXPECT_EQ(resolve("./g/."), "http://a/b/c/g/");
  EXPECT_EQ(resolve("g/./h"), "http://a/b/c/g/h");
  EXPECT_EQ(resolve("g/../h"), "http://a/b/c/h");
  EXPECT_EQ(resolve("g;x=1/./y"), "http://a/b/c/g;x=1/y");
  EXPECT_EQ(resolve("g;x=1/../y"), "http://a/b/c/y");
  EXPECT_EQ(resolve("g?y/./x"), "http://a/b/c/g?y/./x");
  EXPECT_EQ(resolve("g?y/../x"), "http://a/b/c/g?y/../x");
  EXPECT_EQ(resolve("g#s/./x"), "http://a/b/c/g");
  EXPECT_EQ(resolve("http:g"), "error"); // strict: "http:g" has no host
}

TEST(url, resolves_location_headers) {
  auto base = url::parse("https://api.example.com:8443/v1/pay?id=7");
  ASSERT_TRUE(base);
  EXPECT_EQ(base->resolve("/v2/pay")->to_string(),
            "https://api.example.com:8443/v2/pay");
  EXPECT_EQ(base->resolve("http://other.example/x")->to_string(),
            "http://other.example/x");
  EXPECT_EQ(base->resolve("//cdn.example/x")->to_string(),
            "https://cdn.example/x");
  EXPECT_EQ(base->resolve("done")->to_string(),
            "https://api.example.com:8443/v1/done");
  EXPECT_FALSE(base->resolve("ftp://x/"));
  EXPECT_FALSE(base->resolve("//"));
}
