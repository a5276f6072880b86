#include "troupe/http/error_mapping.hpp"

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <gtest/gtest.h>

#include "troupe/runtime/errors.hpp"

using namespace troupe::http;
using troupe::runtime::errc;
using troupe::runtime::make_error;

namespace {

void expect_mapping(const caf::error& err, unsigned status,
                    const std::string& code) {
  auto e = map_error(err);
  EXPECT_EQ(e.status, status) << code;
  EXPECT_EQ(e.code, code);
  EXPECT_FALSE(e.message.empty());
}

} // namespace

TEST(error_mapping, troupe_codes) {
  expect_mapping(make_error(errc::invalid_argument, "x"), 400,
                 "invalid_argument");
  expect_mapping(make_error(errc::unauthenticated, "x"), 401,
                 "unauthenticated");
  expect_mapping(make_error(errc::not_found, "x"), 404, "not_found");
  expect_mapping(make_error(errc::conflict, "x"), 409, "conflict");
  expect_mapping(make_error(errc::payload_too_large, "x"), 413,
                 "payload_too_large");
  expect_mapping(make_error(errc::overloaded, "x"), 429, "overloaded");
  expect_mapping(make_error(errc::unavailable, "x"), 503, "unavailable");
  expect_mapping(make_error(errc::timeout, "x"), 504, "timeout");
  expect_mapping(make_error(errc::internal, "x"), 500, "internal");
}

TEST(error_mapping, keeps_message_and_adds_retry_after) {
  auto e = map_error(make_error(errc::not_found, "no paste abc"));
  EXPECT_EQ(e.message, "no paste abc");
  EXPECT_TRUE(e.headers.empty());
  auto o = map_error(make_error(errc::overloaded, "busy"));
  ASSERT_EQ(o.headers.size(), 1u);
  EXPECT_EQ(o.headers[0].first, "Retry-After");
  EXPECT_EQ(o.headers[0].second, "1");
}

TEST(error_mapping, caf_errors) {
  expect_mapping(caf::make_error(caf::sec::request_timeout), 504, "timeout");
  expect_mapping(caf::make_error(caf::sec::request_receiver_down), 503,
                 "unavailable");
  expect_mapping(caf::make_error(caf::sec::remote_linking_failed), 503,
                 "unavailable");
  expect_mapping(caf::make_error(caf::sec::no_route_to_receiving_node), 503,
                 "unavailable");
  expect_mapping(caf::make_error(caf::exit_reason::remote_link_unreachable),
                 503, "unavailable");
  expect_mapping(caf::make_error(caf::sec::unexpected_message), 500,
                 "internal");
  expect_mapping(caf::make_error(caf::sec::runtime_error), 500, "internal");
  expect_mapping(caf::error{}, 500, "internal");
}

TEST(error_mapping, error_body) {
  EXPECT_EQ(error_body("not_found", "no \"x\""),
            R"({"error":{"code":"not_found","message":"no \"x\""}})");
}
