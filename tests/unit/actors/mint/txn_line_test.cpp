// Mint's import lines: `user_id<TAB>timestamp<TAB>seller<TAB>amount`, one
// reason per bad field (checked left to right), user id and seller rules,
// timestamps from 1970 to 9999 in Unix or ISO 8601 form, amounts as
// parse_cents.
#include "troupe/mint/txn_line.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace troupe::mint;

namespace {

/// 2024-03-05T06:07:08Z.
constexpr int64_t t0 = 1709618828;

/// A well-formed line with field `i` (0 to 3) replaced by `f`.
std::string line_with(size_t i, const std::string& f) {
  std::vector<std::string> fields{"alice", std::to_string(t0), "Exxon",
                                  "12.34"};
  fields[i] = f;
  return fields[0] + "\t" + fields[1] + "\t" + fields[2] + "\t" + fields[3];
}

std::string reason(const std::string& line) {
  txn_fields f;
  return to_string(parse_txn_line(line, f));
}

} // namespace

TEST(MintTxnLine, ParsesAValidLine) {
  txn_fields f;
  std::string line = "alice\t" + std::to_string(t0) + "\tExxon\t-12.34";
  ASSERT_EQ(parse_txn_line(line, f), line_error::none);
  EXPECT_EQ(f.user, "alice");
  EXPECT_EQ(f.created_at, t0);
  EXPECT_EQ(f.seller, "Exxon");
  EXPECT_EQ(f.cents, -1234);
}

TEST(MintTxnLine, ParsesIsoTimestamps) {
  txn_fields f;
  ASSERT_EQ(parse_txn_line("u\t2024-03-05T06:07:08Z\tShop\t1", f),
            line_error::none);
  EXPECT_EQ(f.created_at, t0);
  ASSERT_EQ(parse_txn_line("u\t2024-03-05 07:07:08+01:00\tShop\t1", f),
            line_error::none);
  EXPECT_EQ(f.created_at, t0);
  ASSERT_EQ(parse_txn_line("u\t2024-03-05T06:07:08.999Z\tShop\t1", f),
            line_error::none);
  EXPECT_EQ(f.created_at, t0);
}

TEST(MintTxnLine, TimestampRangeEdges) {
  txn_fields f;
  ASSERT_EQ(parse_txn_line(line_with(1, "0"), f), line_error::none);
  EXPECT_EQ(f.created_at, 0);
  ASSERT_EQ(parse_txn_line(line_with(1, "1970-01-01T00:00:00Z"), f),
            line_error::none);
  EXPECT_EQ(f.created_at, 0);
  // The last second of 9999, in both forms.
  ASSERT_EQ(parse_txn_line(line_with(1, "253402300799"), f), line_error::none);
  EXPECT_EQ(f.created_at, 253402300799);
  ASSERT_EQ(parse_txn_line(line_with(1, "9999-12-31T23:59:59Z"), f),
            line_error::none);
  EXPECT_EQ(f.created_at, 253402300799);
}

TEST(MintTxnLine, FieldCount) {
  EXPECT_EQ(reason(""), "field_count");
  EXPECT_EQ(reason("alice"), "field_count");
  EXPECT_EQ(reason("alice\t1\tExxon"), "field_count");              // 3
  EXPECT_EQ(reason("alice\t1\tExxon\t1.00\textra"), "field_count"); // 5
  EXPECT_EQ(reason("alice\t1\tExxon\t1.00\t"), "field_count"); // trailing tab
  EXPECT_EQ(reason("alice\t1\tExxon\t1.00\t\t"), "field_count");
  EXPECT_EQ(reason("\t\t"), "field_count");
  // Four empty fields are four fields: the first bad one is reported.
  EXPECT_EQ(reason("\t\t\t"), "bad_user_id");
}

TEST(MintTxnLine, BadUserId) {
  EXPECT_EQ(reason(line_with(0, "")), "bad_user_id");
  EXPECT_EQ(reason(line_with(0, "al ice")), "bad_user_id");
  EXPECT_EQ(reason(line_with(0, "alice/bob")), "bad_user_id");
  EXPECT_EQ(reason(line_with(0, "älice")), "bad_user_id");
  EXPECT_EQ(reason(line_with(0, std::string(65, 'a'))), "bad_user_id");
  EXPECT_EQ(reason(line_with(0, std::string(64, 'a'))), "none");
}

TEST(MintTxnLine, BadTimestamp) {
  const char* cases[] = {
      "",
      "-1",
      "abc",
      "12x",
      "1.5",
      "1e9",
      " 1",
      "2024-02-30T00:00:00Z", // no such day
      "2023-02-29T00:00:00Z", // not a leap year
      "2024-13-01T00:00:00Z",
      "2024-03-05T24:00:00Z",
      "2024-03-05",
      "2024-03-05T06:07",
      "2024-03-05T06:07:08Q",
      "2024-03-05T06:07:08+25:00",
      "1969-12-31T23:59:59Z",      // before 1970
      "1970-01-01T00:30:00+01:00", // before 1970 once in UTC
      "253402300800",              // the first second of year 10000
      "999999999999",              // year > 9999, Unix form
      "10000-01-01T00:00:00Z",     // year > 9999, ISO form
      "9999-12-31T23:59:59-00:01", // year 10000 once in UTC
      "1234567890123",             // too many digits
  };
  for (const char* ts : cases)
    EXPECT_EQ(reason(line_with(1, ts)), "bad_timestamp") << '"' << ts << '"';
}

TEST(MintTxnLine, BadSeller) {
  const std::string cases[] = {
      "",
      "Ex\x01xon",
      "Exxon\x7f",
      std::string("Ex\0on", 5),
      "Ex\rxon",
      "Ex\nxon",
      "Caf\xc3",          // truncated 2-byte sequence
      "Caf\xe9",          // Latin-1, not UTF-8
      "\xff\xfe",         // never valid
      "\x80x",            // lone continuation byte
      "\xc0\xaf",         // overlong 2-byte
      "\xf8\x88\x80\x80", // 5-byte lead
      std::string(65, 's'),
      std::string(63, 's') + "\xc3\xa9", // 65 bytes, valid UTF-8
  };
  for (const auto& s : cases)
    EXPECT_EQ(reason(line_with(2, s)), "bad_seller") << '"' << s << '"';
}

TEST(MintTxnLine, RejectsOverlongSurrogateAndOutOfRangeUtf8) {
  // Valid UTF-8 (RFC 3629) forbids overlong 3- and 4-byte forms, UTF-16
  // surrogates and code points above U+10FFFF; the API promises "valid
  // UTF-8" sellers, and append_json_string relies on it.
  const std::string cases[] = {
      "a\xe0\x80\xaf",     // overlong '/' (3 bytes)
      "a\xed\xa0\x80",     // U+D800, a surrogate
      "a\xed\xbf\xbf",     // U+DFFF, a surrogate
      "a\xf0\x80\x80\xaf", // overlong '/' (4 bytes)
      "a\xf4\x90\x80\x80", // U+110000, above U+10FFFF
  };
  for (const auto& s : cases) {
    EXPECT_FALSE(valid_seller(s)) << "seller with bytes of " << s.size();
    EXPECT_EQ(reason(line_with(2, s)), "bad_seller");
  }
}

TEST(MintTxnLine, ValidUtf8SellersAreAccepted) {
  const std::string cases[] = {
      "Café Nero",
      "Joe's Diner",
      "  spaced  out  ",
      "\xe2\x82\xac-Shop",    // U+20AC euro sign
      "\xf0\x9f\x8d\x95 Pie", // U+1F355 pizza
      "\xef\xbf\xbf",         // U+FFFF
      "\xf4\x8f\xbf\xbf",     // U+10FFFF, the last code point
      "\xc2\xa0",             // U+00A0
      std::string(64, 's'),
      std::string(62, 's') + "\xc3\xa9", // 64 bytes
  };
  for (const auto& s : cases) {
    txn_fields f;
    auto line = line_with(2, s); // `f` points into it
    ASSERT_EQ(parse_txn_line(line, f), line_error::none) << '"' << s << '"';
    EXPECT_EQ(f.seller, s);
  }
}

TEST(MintTxnLine, BadAmount) {
  const char* cases[] = {"",   "1.234", "1e3", "abc", "1,00",           " 1",
                         "1 ", "--1",   ".5",  "1.",  "100000000000.01"};
  for (const char* a : cases)
    EXPECT_EQ(reason(line_with(3, a)), "bad_amount") << '"' << a << '"';
  txn_fields f;
  ASSERT_EQ(parse_txn_line(line_with(3, "-3.07"), f), line_error::none);
  EXPECT_EQ(f.cents, -307);
}

TEST(MintTxnLine, FirstBadFieldWins) {
  EXPECT_EQ(reason("bad user\tnope\t\x01\tx"), "bad_user_id");
  EXPECT_EQ(reason("u\tnope\t\x01\tx"), "bad_timestamp");
  EXPECT_EQ(reason("u\t1\t\x01\tx"), "bad_seller");
  EXPECT_EQ(reason("u\t1\tS\tx"), "bad_amount");
}

TEST(MintTxnLine, OutputUntouchedOnError) {
  txn_fields f;
  f.user = "keep";
  f.created_at = 7;
  f.cents = 9;
  EXPECT_EQ(parse_txn_line(line_with(3, "x"), f), line_error::bad_amount);
  EXPECT_EQ(f.user, "keep");
  EXPECT_EQ(f.created_at, 7);
  EXPECT_EQ(f.cents, 9);
}

TEST(MintTxnLine, ReasonNames) {
  EXPECT_STREQ(to_string(line_error::none), "none");
  EXPECT_STREQ(to_string(line_error::field_count), "field_count");
  EXPECT_STREQ(to_string(line_error::bad_user_id), "bad_user_id");
  EXPECT_STREQ(to_string(line_error::bad_timestamp), "bad_timestamp");
  EXPECT_STREQ(to_string(line_error::bad_seller), "bad_seller");
  EXPECT_STREQ(to_string(line_error::bad_amount), "bad_amount");
  EXPECT_STREQ(to_string(line_error::line_too_long), "line_too_long");
}

TEST(MintTxnLine, ValidUserIdRules) {
  EXPECT_TRUE(valid_user_id("a"));
  EXPECT_TRUE(valid_user_id("Alice_01"));
  EXPECT_TRUE(valid_user_id("a.b:c@d-e_f"));
  EXPECT_TRUE(valid_user_id("user@example.com"));
  EXPECT_TRUE(valid_user_id("0123456789"));
  EXPECT_TRUE(valid_user_id(std::string(64, 'z')));
  EXPECT_FALSE(valid_user_id(""));
  EXPECT_FALSE(valid_user_id(std::string(65, 'z')));
  const char* bad[] = {"a b",  "a\tb", "a/b",  "a+b", "a,b", "a#b",  "a%b",
                       "a\"b", "a'b",  "a\\b", "a?b", "é",   "a\x7f"};
  for (const char* id : bad)
    EXPECT_FALSE(valid_user_id(id)) << '"' << id << '"';
  EXPECT_FALSE(valid_user_id(std::string("a\0b", 3)));
}

TEST(MintTxnLine, ValidSellerLengthIsBytes) {
  EXPECT_FALSE(valid_seller(""));
  EXPECT_TRUE(valid_seller("x"));
  EXPECT_TRUE(valid_seller(std::string(max_seller_bytes, 'x')));
  EXPECT_FALSE(valid_seller(std::string(max_seller_bytes + 1, 'x')));
  // 33 two-byte characters: 33 characters but 66 bytes.
  std::string e;
  for (int i = 0; i < 33; ++i)
    e += "\xc3\xa9";
  EXPECT_FALSE(valid_seller(e));
}
