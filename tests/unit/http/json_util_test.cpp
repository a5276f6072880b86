#include "troupe/http/json_util.hpp"

#include <gtest/gtest.h>

#include "troupe/http/error_mapping.hpp"
#include "troupe/runtime/errors.hpp"

using namespace troupe::http;
using nlohmann::json;

namespace {

std::string message_of(const caf::error& err) {
  auto e = map_error(err);
  EXPECT_EQ(e.status, 400u);
  return e.message;
}

} // namespace

TEST(json_util, parse_json_object) {
  auto ok = parse_json_object(R"({"a":1})");
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["a"], 1);
  for (auto bad : {"", "{", "[1,2]", "42", "\"s\"", "{\"a\":}"}) {
    auto r = parse_json_object(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(message_of(r.error()).rfind("malformed JSON: ", 0), 0u) << bad;
  }
}

TEST(json_util, strings) {
  auto obj = json::parse(R"({"s":"x","n":1,"z":null})");
  EXPECT_EQ(*required_string(obj, "s"), "x");
  EXPECT_EQ(message_of(required_string(obj, "missing").error()),
            "missing is required");
  EXPECT_EQ(message_of(required_string(obj, "n").error()),
            "n must be a string");
  EXPECT_FALSE(required_string(obj, "z"));
  EXPECT_EQ(**optional_string(obj, "s"), "x");
  EXPECT_FALSE(optional_string(obj, "missing")->has_value());
  EXPECT_FALSE(optional_string(obj, "z")->has_value());
  EXPECT_FALSE(optional_string(obj, "n"));
}

TEST(json_util, non_negative_integers) {
  auto obj = json::parse(R"({"a":60,"b":"60","c":0,
    "big":18446744073709551615,"bigs":"18446744073709551615"})");
  EXPECT_EQ(*required_uint(obj, "a"), 60u);
  EXPECT_EQ(*required_uint(obj, "b"), 60u);
  EXPECT_EQ(*required_uint(obj, "c"), 0u);
  EXPECT_EQ(*required_uint(obj, "big"), 18446744073709551615u);
  EXPECT_EQ(*required_uint(obj, "bigs"), 18446744073709551615u);
  EXPECT_FALSE(optional_uint(obj, "missing")->has_value());
  EXPECT_EQ(**optional_uint(obj, "a"), 60u);
}

TEST(json_util, rejects_bad_integers) {
  auto obj = json::parse(R"({"f":1.5,"f0":60.0,"neg":-1,"negs":"-1",
    "over":"18446744073709551616","sp":" 60","hex":"0x10","e":"",
    "b":true,"arr":[1],"obj":{},"dec":"1.0"})");
  for (auto name : {"f", "f0", "neg", "negs", "over", "sp", "hex", "e", "b",
                    "arr", "obj", "dec"}) {
    auto r = required_uint(obj, name);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(message_of(r.error()),
              std::string{name} + " must be a non-negative integer");
    EXPECT_FALSE(optional_uint(obj, name)) << name;
  }
  auto big = json::parse(R"({"x":184467440737095516160})");
  EXPECT_FALSE(required_uint(big, "x")); // parsed as float by nlohmann
  EXPECT_EQ(message_of(required_uint(obj, "missing").error()),
            "missing is required");
}

TEST(json_util, parse_uint) {
  EXPECT_EQ(parse_uint("0"), 0u);
  EXPECT_EQ(parse_uint("007"), 7u);
  EXPECT_FALSE(parse_uint(""));
  EXPECT_FALSE(parse_uint("+1"));
  EXPECT_FALSE(parse_uint("99999999999999999999"));
}

TEST(append_json_string, escapes_exactly_what_json_requires) {
  std::string out;
  troupe::http::append_json_string(out,
                                   "a\"b\\c\nd\x01\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\xf0\x9f\x98\x80\"");
  // Round trip through a real JSON parser, byte for byte.
  std::string text;
  for (int c = 1; c < 128; ++c)
    text += static_cast<char>(c);
  text += "h\xc3\xa9llo";
  out.clear();
  troupe::http::append_json_string(out, text);
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), text);
}
