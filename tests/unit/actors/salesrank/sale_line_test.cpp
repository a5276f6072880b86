// The ingest's line checks: timestamps (Unix seconds, ISO 8601 with zones
// and fractions, impossible dates, bad formats), every rejection reason and
// which field wins when several are bad, and the window's edges: the first
// second of the oldest hour counts, the hour before is too old; now + 300 s
// counts, now + 301 s is in the future, a sale early for the next hour is
// accepted.

#include "troupe/salesrank/sale_line.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "troupe/salesrank/sale_batch.hpp"

using namespace troupe::salesrank;

namespace {

/// 2026-12-06T09:30:00Z.
constexpr int64_t now = 1796549400;
constexpr int64_t now_hour = now / 3600;
/// The first second of the oldest hour of the window at `now`.
constexpr int64_t oldest = (now_hour - (window_hours - 1)) * 3600;

std::optional<int64_t> ts(const std::string& text) {
  return parse_timestamp(text);
}

/// A well-formed line with `f` replacing field `i` (0 to 6).
std::string line_with(size_t i, const std::string& f) {
  std::vector<std::string> fields{std::to_string(now - 60),
                                  "P-1",
                                  "C.1",
                                  "3",
                                  "19.99",
                                  "seller:7",
                                  "buyer_9"};
  fields[i] = f;
  std::string out;
  for (size_t k = 0; k < fields.size(); ++k)
    out += (k > 0 ? "\t" : "") + fields[k];
  return out;
}

sale_error check(const std::string& line, int64_t at = now) {
  sale_fields f;
  return parse_sale_line(line, at, f);
}

std::string reason(const std::string& line, int64_t at = now) {
  return to_string(check(line, at));
}

/// The reason for a line whose timestamp is `t` (Unix seconds).
std::string at_time(int64_t t) {
  return reason(line_with(0, std::to_string(t)));
}

} // namespace

// -- timestamps ---------------------------------------------------------------

TEST(sale_timestamp, unix_seconds) {
  EXPECT_EQ(ts("0"), 0);
  EXPECT_EQ(ts("1796549400"), now);
  EXPECT_EQ(ts("000000000012"), 12); // twelve digits at most
  EXPECT_EQ(ts("999999999999"), 999999999999);
  for (const char* bad : {"", "-1", "+5", "12a", "1796549400.5", " 1", "1 ",
                          "0x10", "1e9", "1000000000000"})
    EXPECT_FALSE(ts(bad)) << bad;
}

TEST(sale_timestamp, iso_8601_in_utc) {
  EXPECT_EQ(ts("2026-12-06T09:30:00Z"), now);
  EXPECT_EQ(ts("2026-12-06T09:30:00"), now); // no zone: UTC
  EXPECT_EQ(ts("2026-12-06 09:30:00Z"), now);
  EXPECT_EQ(ts("2026-12-06 09:30:00"), now);
  EXPECT_EQ(ts("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ts("2026-02-28T23:59:59Z"), 1772323199);
  EXPECT_EQ(ts("2026-03-01T00:00:00Z"), 1772323200);
  EXPECT_EQ(ts("2024-02-29T00:00:00Z"), 1709164800); // leap year
  EXPECT_EQ(ts("2000-02-29T12:00:00Z"), 951825600);  // leap (400)
  EXPECT_EQ(ts("2026-12-31T23:59:59Z"), 1798761599);
  EXPECT_EQ(ts("2027-01-01T00:00:00Z"), 1798761600);
}

TEST(sale_timestamp, zone_offsets) {
  EXPECT_EQ(ts("2026-12-06T10:30:00+01:00"), now);
  EXPECT_EQ(ts("2026-12-06T10:30:00+0100"), now);
  EXPECT_EQ(ts("2026-12-06T04:00:00-05:30"), now);
  EXPECT_EQ(ts("2026-12-06T04:00:00-0530"), now);
  EXPECT_EQ(ts("2026-12-06T09:30:00+00:00"), now);
  EXPECT_EQ(ts("2026-12-06T09:30:00-00:00"), now);
  EXPECT_EQ(ts("2026-12-07T09:29:00+23:59"), now);
  // Across a day and a year.
  EXPECT_EQ(ts("2026-12-05T23:30:00-10:00"), now);
  EXPECT_EQ(ts("2027-01-01T01:00:00+01:00"), 1798761600);
  for (const char* bad :
       {"2026-12-06T09:30:00+24:00", "2026-12-06T09:30:00+01:60",
        "2026-12-06T09:30:00+01", "2026-12-06T09:30:00+1:00",
        "2026-12-06T09:30:00+01:0", "2026-12-06T09:30:00+01:000",
        "2026-12-06T09:30:00+01-00", "2026-12-06T09:30:00z",
        "2026-12-06T09:30:00ZZ", "2026-12-06T09:30:00Z+01:00",
        "2026-12-06T09:30:00 Z", "2026-12-06T09:30:00UTC",
        "2026-12-06T09:30:00*01:00", "2026-12-06T09:30:00+"})
    EXPECT_FALSE(ts(bad)) << bad;
}

TEST(sale_timestamp, fractions_are_dropped) {
  EXPECT_EQ(ts("2026-12-06T09:30:00.5Z"), now);
  EXPECT_EQ(ts("2026-12-06T09:30:00.999999999Z"), now);
  EXPECT_EQ(ts("2026-12-06T09:30:00.000"), now);
  EXPECT_EQ(ts("2026-12-06T10:30:00.25+01:00"), now);
  // The fraction never rounds up into the next second or hour.
  EXPECT_EQ(ts("2026-12-06T09:59:59.999Z"), now + 1799);
  for (const char* bad :
       {"2026-12-06T09:30:00.Z", "2026-12-06T09:30:00.",
        "2026-12-06T09:30:00.1234567890Z", "2026-12-06T09:30:00,5Z",
        "2026-12-06T09:30:00.5.5Z", "2026-12-06T09:30:00.x"})
    EXPECT_FALSE(ts(bad)) << bad;
}

TEST(sale_timestamp, impossible_dates_and_times_are_invalid) {
  for (const char* bad :
       {"2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-06-31T00:00:00Z", "2026-09-31T00:00:00Z",
        "2026-11-31T00:00:00Z", "2026-01-32T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z", "2026-12-00T00:00:00Z", "2026-12-06T24:00:00Z",
        "2026-12-06T09:60:00Z", "2026-12-06T09:30:61Z"})
    EXPECT_FALSE(ts(bad)) << bad;
  // The last day of each month is fine.
  for (const char* good : {"2026-01-31T00:00:00Z", "2026-04-30T00:00:00Z",
                           "2026-12-31T23:59:59Z", "2028-02-29T00:00:00Z"})
    EXPECT_TRUE(ts(good)) << good;
}

TEST(sale_timestamp, malformed_iso_is_invalid) {
  for (const char* bad :
       {"2026-12-06", "2026-12-06T09:30", "2026-12-06T09:30Z",
        "2026/12/06T09:30:00Z", "2026-12-06X09:30:00Z", "2026-12-06T09-30-00Z",
        "2026-12-6T09:30:00Z", "26-12-06T09:30:00Z", "2026-12-06T9:30:00Z",
        "2026-1a-06T09:30:00Z", "２026-12-06T09:30:00Z", "2026-12-06t09:30:00Z",
        " 2026-12-06T09:30:00Z", "2026-12-06T09:30:00Z "})
    EXPECT_FALSE(ts(bad)) << bad;
}

// -- lines --------------------------------------------------------------------

TEST(sale_line, a_good_line_gives_its_fields) {
  sale_fields f;
  auto line = line_with(0, "2026-12-06T10:15:42.7+01:00");
  ASSERT_EQ(parse_sale_line(line, now, f), sale_error::none);
  EXPECT_EQ(f.time, now - 60 * 14 - 18);
  EXPECT_EQ(f.quantity, 3u);
  EXPECT_EQ(f.product, "P-1");
  EXPECT_EQ(f.category, "C.1");
  // The views point into the line.
  EXPECT_GE(f.product.data(), line.data());
  EXPECT_LT(f.product.data(), line.data() + line.size());
}

TEST(sale_line, field_count) {
  auto good = line_with(6, "b");
  EXPECT_EQ(reason(good), "none");
  EXPECT_EQ(reason(""), "field_count");
  EXPECT_EQ(reason("1796549400"), "field_count");
  EXPECT_EQ(reason(good + "\t"), "field_count");      // 8 fields, one empty
  EXPECT_EQ(reason(good + "\textra"), "field_count"); // 8 fields
  EXPECT_EQ(reason(good.substr(0, good.rfind('\t'))), "field_count"); // 6
  EXPECT_EQ(reason("\t\t\t\t\t\t\t\t\t"), "field_count");
  // Spaces do not separate fields.
  EXPECT_EQ(reason("1796549400 P 1 C 1 3 19.99 s b"), "field_count");
  // Seven empty fields: the count is right, the timestamp is not.
  EXPECT_EQ(reason("\t\t\t\t\t\t"), "bad_timestamp");
}

TEST(sale_line, every_field_has_its_reason) {
  EXPECT_EQ(reason(line_with(0, "yesterday")), "bad_timestamp");
  EXPECT_EQ(reason(line_with(0, "2026-02-30T00:00:00Z")), "bad_timestamp");
  EXPECT_EQ(reason(line_with(0, "")), "bad_timestamp");
  EXPECT_EQ(reason(line_with(1, "")), "bad_product_id");
  EXPECT_EQ(reason(line_with(1, "a b")), "bad_product_id");
  EXPECT_EQ(reason(line_with(2, "")), "bad_category_id");
  EXPECT_EQ(reason(line_with(2, "c/1")), "bad_category_id");
  EXPECT_EQ(reason(line_with(3, "0")), "bad_quantity");
  EXPECT_EQ(reason(line_with(4, "-1")), "bad_total_price");
  EXPECT_EQ(reason(line_with(5, "")), "bad_seller_id");
  EXPECT_EQ(reason(line_with(6, "")), "bad_buyer_id");
  EXPECT_EQ(at_time(oldest - 1), "too_old");
  EXPECT_EQ(at_time(now + 301), "in_the_future");
  // The splitter's reason (lines over 512 bytes never reach the parser).
  EXPECT_STREQ(to_string(sale_error::line_too_long), "line_too_long");
  EXPECT_STREQ(to_string(sale_error::none), "none");
}

TEST(sale_line, the_first_bad_field_wins_and_time_is_checked_last) {
  // Fields are checked left to right.
  auto l = line_with(1, "a b");
  l.replace(0, l.find('\t'), "x");
  EXPECT_EQ(reason(l), "bad_timestamp");
  auto two = line_with(2, "");
  two.replace(two.find("P-1"), 3, "P 1");
  EXPECT_EQ(reason(two), "bad_product_id");
  // An old sale with a bad buyer is a bad buyer: the window comes last.
  auto old = line_with(6, "");
  old.replace(0, old.find('\t'), std::to_string(oldest - 1));
  EXPECT_EQ(reason(old), "bad_buyer_id");
  auto future = line_with(3, "0");
  future.replace(0, future.find('\t'), std::to_string(now + 3600));
  EXPECT_EQ(reason(future), "bad_quantity");
}

TEST(sale_line, ids) {
  std::string longest(max_id_bytes, 'x');
  for (const std::string& good :
       {std::string{"a"}, std::string{"Z"}, std::string{"0"},
        std::string{"A-z_0.9:x"}, std::string{"-"}, std::string{"..."},
        longest})
    for (size_t field : {1u, 2u})
      EXPECT_EQ(reason(line_with(field, good)), "none") << good;
  for (const std::string& bad :
       {std::string{""}, longest + "x", std::string{"a b"}, std::string{"a/b"},
        std::string{"a,b"}, std::string{"\xC3\xA9"}, std::string{"a\rb"},
        std::string{"\"a\""}, std::string{"a\\b"}, std::string{"a+b"},
        std::string{"a#b"}, std::string{"a\x7f"}}) {
    EXPECT_EQ(reason(line_with(1, bad)), "bad_product_id") << bad;
    EXPECT_EQ(reason(line_with(2, bad)), "bad_category_id") << bad;
    EXPECT_FALSE(valid_id(bad)) << bad;
  }
  EXPECT_TRUE(valid_id(longest));
}

TEST(sale_line, quantity) {
  for (const char* good :
       {"1", "2", "999999999", "1000000000", "01", "0000000001"}) {
    sale_fields f;
    ASSERT_EQ(parse_sale_line(line_with(3, good), now, f), sale_error::none)
        << good;
    EXPECT_EQ(f.quantity, std::stoul(good)) << good;
  }
  for (const char* bad :
       {"0", "00", "", "-1", "+1", "1.0", "1.5", "1e3", "1000000001",
        "4294967296", "99999999999", "00000000001", " 1", "1 ", "x", "0x10"})
    EXPECT_EQ(reason(line_with(3, bad)), "bad_quantity") << bad;
}

TEST(sale_line, total_price) {
  for (const char* good : {"0", "20", "20.5", "20.00", "0.01", "0.0", "007.10",
                           "999999999999999", "999999999999999.99"})
    EXPECT_EQ(reason(line_with(4, good)), "none") << good;
  for (const char* bad :
       {"", "-1", "-0.5", "+1", "20.", ".5", "1.234", "1,50", "1e5", "1.2.3",
        "1000000000000000", "abc", " 1", "1 ", "1.-1", "NaN", "inf", "$5"})
    EXPECT_EQ(reason(line_with(4, bad)), "bad_total_price") << bad;
}

TEST(sale_line, seller_and_buyer) {
  std::string longest(64, '~');
  for (const std::string& good :
       {std::string{"s"}, std::string{"ACME-inc.#1"}, std::string{"!\"$%&'()"},
        std::string{"a@b.example"}, std::string{"ACME Corp"}, longest})
    for (size_t field : {5u, 6u})
      EXPECT_EQ(reason(line_with(field, good)), "none") << good;
  for (const std::string& bad :
       {std::string{""}, longest + "~", std::string{"\xC3\xA9"},
        std::string{"a\x7f"}, std::string{"a\x01"}, std::string{"a\rb"}}) {
    EXPECT_EQ(reason(line_with(5, bad)), "bad_seller_id") << bad;
    EXPECT_EQ(reason(line_with(6, bad)), "bad_buyer_id") << bad;
  }
}

// -- the window ---------------------------------------------------------------

TEST(sale_window, the_oldest_hour_counts_and_the_one_before_is_too_old) {
  EXPECT_EQ(at_time(oldest), "none");
  EXPECT_EQ(at_time(oldest + 3599), "none");
  EXPECT_EQ(at_time(oldest - 1), "too_old");
  EXPECT_EQ(at_time(oldest - 3600), "too_old");
  EXPECT_EQ(at_time(0), "too_old");
  // The same at every second of the current hour.
  for (int64_t at :
       {now_hour * 3600, now_hour * 3600 + 1, now, now_hour * 3600 + 3599}) {
    EXPECT_EQ(reason(line_with(0, std::to_string(oldest)), at), "none") << at;
    EXPECT_EQ(reason(line_with(0, std::to_string(oldest - 1)), at), "too_old")
        << at;
  }
  // One second into the next hour, the oldest hour has left.
  auto later = now_hour * 3600 + 3600;
  EXPECT_EQ(reason(line_with(0, std::to_string(oldest)), later), "too_old");
  EXPECT_EQ(reason(line_with(0, std::to_string(oldest + 3600)), later), "none");
  // The oldest hour in ISO form, with an offset too.
  ASSERT_EQ(ts("2026-11-29T10:00:00Z"), oldest);
  EXPECT_EQ(reason(line_with(0, "2026-11-29T10:00:00Z")), "none");
  EXPECT_EQ(reason(line_with(0, "2026-11-29T11:00:00+01:00")), "none");
  EXPECT_EQ(reason(line_with(0, "2026-11-29T09:59:59.999Z")), "too_old");
  EXPECT_EQ(reason(line_with(0, "2026-11-29T04:59:59-05:00")), "too_old");
  EXPECT_EQ(reason(line_with(0, "1970-01-01T00:00:00+01:00")), "too_old");
}

TEST(sale_window, five_minutes_ahead_count_and_one_second_more_does_not) {
  EXPECT_EQ(at_time(now), "none");
  EXPECT_EQ(at_time(now + 300), "none");
  EXPECT_EQ(at_time(now + 301), "in_the_future");
  EXPECT_EQ(at_time(now + 86400), "in_the_future");
  EXPECT_EQ(reason(line_with(0, "2026-12-06T09:35:00.999Z")), "none");
  EXPECT_EQ(reason(line_with(0, "2026-12-06T09:35:01Z")), "in_the_future");
  EXPECT_EQ(reason(line_with(0, "9999-12-31T23:59:59Z")), "in_the_future");
  EXPECT_EQ(at_time(999999999999), "in_the_future");
}

TEST(sale_window, a_sale_early_for_the_next_hour_is_accepted) {
  // 09:57:00: the next hour starts in 3 minutes.
  auto late = now_hour * 3600 + 3420;
  sale_fields f;
  ASSERT_EQ(parse_sale_line(line_with(0, std::to_string(late + 300)), late, f),
            sale_error::none);
  EXPECT_EQ(f.time / 3600, now_hour + 1);
  EXPECT_EQ(reason(line_with(0, "2026-12-06T10:02:00Z"), late), "none");
  EXPECT_EQ(reason(line_with(0, "2026-12-06T10:02:01Z"), late),
            "in_the_future");
}
