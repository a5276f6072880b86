#include "troupe/pastebin/shortlink.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace troupe::pastebin;

namespace {

std::string hex(const std::array<uint8_t, 16>& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : d) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::array<uint8_t, 16> number(uint64_t hi, uint64_t lo) {
  std::array<uint8_t, 16> out{};
  for (int i = 0; i < 8; ++i) {
    out[7 - i] = static_cast<uint8_t>(hi >> (8 * i));
    out[15 - i] = static_cast<uint8_t>(lo >> (8 * i));
  }
  return out;
}

} // namespace

TEST(shortlink, md5_matches_rfc_1321_vectors) {
  EXPECT_EQ(hex(md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(shortlink, base62_digits_follow_the_design_notes) {
  EXPECT_EQ(base62(number(0, 0)), "a");
  EXPECT_EQ(base62(number(0, 61)), "9");
  EXPECT_EQ(base62(number(0, 62)), "ba");
  EXPECT_EQ(base62(number(0, 62 * 62 + 1)), "bab");
  // 2^64, checked against Python big integers.
  EXPECT_EQ(base62(number(1, 0)), "v8QrKbgkrIq");
}

TEST(shortlink, is_seven_base62_chars_and_deterministic) {
  auto a = make_shortlink("127.0.0.1", 1700000000, 1);
  EXPECT_EQ(a.size(), 7u);
  EXPECT_TRUE(is_shortlink(a));
  EXPECT_EQ(a, make_shortlink("127.0.0.1", 1700000000, 1));
  EXPECT_EQ(a, base62(md5("127.0.0.117000000001")).substr(0, 7));
}

TEST(shortlink, nonces_give_distinct_links) {
  std::set<std::string> seen;
  for (uint64_t nonce = 0; nonce < 10000; ++nonce)
    seen.insert(make_shortlink("10.0.0.1", 1700000000, nonce));
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(shortlink, shape_check) {
  EXPECT_TRUE(is_shortlink("aZ09xyz"));
  EXPECT_FALSE(is_shortlink("aZ09xy"));
  EXPECT_FALSE(is_shortlink("aZ09xyz1"));
  EXPECT_FALSE(is_shortlink("aZ0-xyz"));
  EXPECT_FALSE(is_shortlink("aZ0/xyz"));
  EXPECT_FALSE(is_shortlink(""));
}
