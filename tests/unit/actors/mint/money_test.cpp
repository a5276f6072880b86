// Mint's money text: parse_cents accepts decimals with at most two places
// (optional sign) up to max_cents exactly and rejects everything else;
// format_cents always writes two places, with a '-' for refunds; the two
// round-trip.
#include "troupe/mint/money.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

using namespace troupe::mint;

namespace {

struct valid_case {
  const char* text;
  int64_t cents;
};

} // namespace

TEST(MintMoney, ParsesValidAmounts) {
  const valid_case cases[] = {
      {"12", 1200},
      {"12.5", 1250},
      {"12.50", 1250},
      {"12.05", 1205},
      {"-3.07", -307},
      {"+1.00", 100},
      {"0.01", 1},
      {"0", 0},
      {"0.00", 0},
      {"-0", 0},
      {"-0.05", -5},
      {"007.10", 710},
      {"99999999999.99", 9'999'999'999'999},
      {"-99999999999.99", -9'999'999'999'999},
  };
  for (const auto& c : cases) {
    auto got = parse_cents(c.text);
    ASSERT_TRUE(got.has_value()) << '"' << c.text << '"';
    EXPECT_EQ(*got, c.cents) << '"' << c.text << '"';
  }
}

TEST(MintMoney, MaxCentsIsAccepted) {
  // max_cents is the largest amount one value may hold (100 billion), and
  // parse_cents only rejects a magnitude *above* it.
  ASSERT_EQ(max_cents, 10'000'000'000'000);
  EXPECT_EQ(parse_cents("100000000000"), max_cents);
  EXPECT_EQ(parse_cents("100000000000.00"), max_cents);
  EXPECT_EQ(parse_cents("-100000000000.00"), -max_cents);
}

TEST(MintMoney, AboveMaxCentsIsRejected) {
  EXPECT_FALSE(parse_cents("100000000000.01"));
  EXPECT_FALSE(parse_cents("-100000000000.01"));
  EXPECT_FALSE(parse_cents("100000000001"));
  EXPECT_FALSE(parse_cents("999999999999.99"));
  EXPECT_FALSE(parse_cents("1000000000000"));
  // Far too many digits must not overflow into something acceptable.
  EXPECT_FALSE(parse_cents("184467440737095516.16"));
  EXPECT_FALSE(parse_cents("99999999999999999999999999"));
}

TEST(MintMoney, RejectsInvalidText) {
  const char* cases[] = {
      "",      ".5",   "1.",   "1.234", "1e3",   "1E3",   " 1",    "1 ",
      "1,00",  "--1",  "-+1",  "+-1",   "abc",   "-",     "+",     ".",
      "1.2.3", "1.-5", "1.+5", "0x10",  "1.5a",  "a1.5",  "\t1",   "1\n",
      "١",     "inf",  "nan",  "-.5",   "12.0 ", "1 000", "1_000", "1..0",
  };
  for (const char* text : cases)
    EXPECT_FALSE(parse_cents(text).has_value()) << '"' << text << '"';
}

TEST(MintMoney, FormatsTwoPlaces) {
  EXPECT_EQ(format_cents(0), "0.00");
  EXPECT_EQ(format_cents(1), "0.01");
  EXPECT_EQ(format_cents(10), "0.10");
  EXPECT_EQ(format_cents(99), "0.99");
  EXPECT_EQ(format_cents(100), "1.00");
  EXPECT_EQ(format_cents(1205), "12.05");
  EXPECT_EQ(format_cents(2500), "25.00");
  EXPECT_EQ(format_cents(max_cents), "100000000000.00");
}

TEST(MintMoney, FormatsNegatives) {
  EXPECT_EQ(format_cents(-1), "-0.01");
  EXPECT_EQ(format_cents(-5), "-0.05");
  EXPECT_EQ(format_cents(-50), "-0.50");
  EXPECT_EQ(format_cents(-310), "-3.10");
  EXPECT_EQ(format_cents(-307), "-3.07");
  EXPECT_EQ(format_cents(-max_cents), "-100000000000.00");
  // Sums of many transactions can exceed max_cents: no overflow at the
  // extremes of int64.
  EXPECT_EQ(format_cents(std::numeric_limits<int64_t>::min()),
            "-92233720368547758.08");
  EXPECT_EQ(format_cents(std::numeric_limits<int64_t>::max()),
            "92233720368547758.07");
}

TEST(MintMoney, AppendCentsAppends) {
  std::string out = "x=";
  append_cents(out, -5);
  append_cents(out, 7);
  EXPECT_EQ(out, "x=-0.050.07");
}

TEST(MintMoney, RoundTripsFormatThenParse) {
  const int64_t fixed[] = {
      0,   1,    -1,     5,  -5,        99,         -99,
      100, -100, 123456, -7, max_cents, -max_cents, max_cents - 1};
  for (auto c : fixed) {
    auto back = parse_cents(format_cents(c));
    ASSERT_TRUE(back.has_value()) << c << " -> " << format_cents(c);
    EXPECT_EQ(*back, c);
  }
  std::mt19937_64 rng(20240229);
  std::uniform_int_distribution<int64_t> any(-max_cents, max_cents);
  std::uniform_int_distribution<int64_t> small(-100'000, 100'000);
  for (int i = 0; i < 20'000; ++i) {
    auto c = i % 2 == 0 ? any(rng) : small(rng);
    auto text = format_cents(c);
    auto back = parse_cents(text);
    ASSERT_TRUE(back.has_value()) << c << " -> " << text;
    ASSERT_EQ(*back, c) << text;
  }
}

TEST(MintMoney, RoundTripsParseThenFormatCanonical) {
  // Canonical two-place texts come back unchanged.
  const char* texts[] = {"0.00",  "0.01",  "-0.05",
                         "12.50", "-3.07", "100000000000.00"};
  for (const char* text : texts) {
    auto c = parse_cents(text);
    ASSERT_TRUE(c.has_value()) << text;
    EXPECT_EQ(format_cents(*c), text);
  }
  // Others are normalized.
  EXPECT_EQ(format_cents(*parse_cents("+1")), "1.00");
  EXPECT_EQ(format_cents(*parse_cents("12.5")), "12.50");
  EXPECT_EQ(format_cents(*parse_cents("-0.00")), "0.00");
}
