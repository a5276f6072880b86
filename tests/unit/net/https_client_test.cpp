// https: a TLS server in the test with a certificate made in the test.

#include "troupe/net/http_client.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "net/test_server.hpp"
#include "net/tls_identity.hpp"

using namespace troupe::net;
using namespace troupe::test;
using namespace std::chrono_literals;

namespace {

reply hello(const seen_request& req) {
  reply r;
  r.body = "hello over TLS " + req.target;
  return r;
}

/// One certificate for all tests (key generation is the slow part).
const tls_identity& localhost_identity() {
  static const auto id =
      make_identity("localhost", "DNS:localhost,IP:127.0.0.1");
  return id;
}

http_client::options verifying(const std::string& ca_file) {
  http_client::options opts;
  opts.verify_tls = true;
  opts.ca_file = ca_file;
  return opts;
}

} // namespace

TEST(https_client, without_verification_any_certificate_does) {
  auto ctx = localhost_identity().server_context();
  test_server server{hello, ctx.get()};
  http_client::options opts;
  opts.verify_tls = false;
  http_client client{opts};
  for (int i = 0; i < 3; ++i) {
    auto res = fetch(client, get(server.url("/x")));
    ASSERT_TRUE(res.ok()) << res.error_text;
    EXPECT_EQ(res.body, "hello over TLS /x");
  }
  EXPECT_EQ(server.connections(), 1u); // keep-alive over TLS too
  auto seen = server.seen();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].sni, ""); // never SNI for an IP address
}

TEST(https_client, with_the_certificate_as_ca_file_verification_succeeds) {
  auto& id = localhost_identity();
  auto ctx = id.server_context();
  test_server server{hello, ctx.get()};
  temp_file ca{id.cert_pem};
  http_client client{verifying(ca.path())};
  auto res = fetch(client, get(server.url("/by-name", "localhost")));
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.body, "hello over TLS /by-name");
  res = fetch(client, get(server.url("/by-ip", "127.0.0.1")));
  ASSERT_TRUE(res.ok()) << res.error_text;
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].sni, "localhost");
}

TEST(https_client, an_untrusted_certificate_is_tls_failed) {
  auto ctx = localhost_identity().server_context();
  test_server server{hello, ctx.get()};
  http_client client; // verify_tls by default, system CAs only
  auto res = fetch(client, get(server.url("/", "localhost")));
  EXPECT_EQ(res.error, http_errc::tls_failed) << res.error_text;
  EXPECT_TRUE(server.seen().empty());
}

TEST(https_client, a_certificate_for_another_name_is_tls_failed) {
  auto id = make_identity("other.invalid", "DNS:other.invalid");
  auto ctx = id.server_context();
  test_server server{hello, ctx.get()};
  temp_file ca{id.cert_pem}; // trusted, but not for this name
  http_client client{verifying(ca.path())};
  for (auto host : {"localhost", "127.0.0.1"}) {
    auto res = fetch(client, get(server.url("/", host)));
    EXPECT_EQ(res.error, http_errc::tls_failed) << host;
    EXPECT_NE(res.error_text.find("mismatch"), std::string::npos)
        << res.error_text;
  }
  EXPECT_TRUE(server.seen().empty());
}

TEST(https_client, a_missing_ca_file_fails_https_requests) {
  http_client client{verifying("/nonexistent/ca.pem")};
  auto res = fetch(client, get("https://127.0.0.1:1/"));
  EXPECT_EQ(res.error, http_errc::tls_failed);
  EXPECT_NE(res.error_text.find("ca_file"), std::string::npos)
      << res.error_text;
}

TEST(https_client, a_handshake_that_never_completes_times_out) {
  // A listening socket nobody accepts from: TCP connects (the kernel
  // completes it), the TLS handshake gets no answer.
  asio::io_context ioc;
  tcp::acceptor silent{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
  http_client client;
  auto req = get("https://127.0.0.1:" +
                 std::to_string(silent.local_endpoint().port()) + "/");
  req.connect_timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto res = fetch(client, req);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(res.error, http_errc::timeout) << res.error_text;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 5s);
}
