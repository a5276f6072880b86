// UTC calendar arithmetic shared by the services: ISO 8601 and date
// formatting at the epoch, on leap days and before 1970, floor division,
// and civil_from_days / days_from_civil as inverses over a wide range.
#include "troupe/timestamp.hpp"

#include <gtest/gtest.h>

#include <cstdint>

using namespace troupe;

TEST(Timestamp, FormatsTheEpoch) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_date(0), "1970-01-01");
  EXPECT_EQ(format_iso8601(86399), "1970-01-01T23:59:59Z");
  EXPECT_EQ(format_iso8601(86400), "1970-01-02T00:00:00Z");
}

TEST(Timestamp, FormatsLeapDays) {
  const int64_t leap = days_from_civil(2024, 2, 29) * 86400;
  EXPECT_EQ(leap, 1709164800);
  EXPECT_EQ(format_iso8601(leap), "2024-02-29T00:00:00Z");
  EXPECT_EQ(format_iso8601(leap + 45296), "2024-02-29T12:34:56Z");
  EXPECT_EQ(format_date(leap + 86399), "2024-02-29");
  EXPECT_EQ(format_date(leap + 86400), "2024-03-01");
  EXPECT_EQ(format_date(leap - 1), "2024-02-28");
  // 2000 is a leap year (divisible by 400), 1900 and 2100 are not.
  EXPECT_EQ(format_date(days_from_civil(2000, 2, 29) * 86400), "2000-02-29");
  EXPECT_EQ(format_date(days_from_civil(2100, 3, 1) * 86400 - 1), "2100-02-28");
  EXPECT_EQ(format_date(days_from_civil(1900, 3, 1) * 86400 - 1), "1900-02-28");
}

TEST(Timestamp, FormatsNegativeTimes) {
  EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_date(-1), "1969-12-31");
  EXPECT_EQ(format_iso8601(-86400), "1969-12-31T00:00:00Z");
  EXPECT_EQ(format_iso8601(-86401), "1969-12-30T23:59:59Z");
  EXPECT_EQ(format_iso8601(-31536000), "1969-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601(-2208988800), "1900-01-01T00:00:00Z");
  EXPECT_EQ(format_date(-2208988801), "1899-12-31");
}

TEST(Timestamp, FormatsKnownInstants) {
  EXPECT_EQ(format_iso8601(1709618828), "2024-03-05T06:07:08Z");
  EXPECT_EQ(format_iso8601(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_iso8601(2147483647), "2038-01-19T03:14:07Z");
  EXPECT_EQ(format_iso8601(253402300799), "9999-12-31T23:59:59Z");
}

TEST(Timestamp, FloorDiv) {
  EXPECT_EQ(floor_div(0, 86400), 0);
  EXPECT_EQ(floor_div(86399, 86400), 0);
  EXPECT_EQ(floor_div(86400, 86400), 1);
  EXPECT_EQ(floor_div(-1, 86400), -1);
  EXPECT_EQ(floor_div(-86400, 86400), -1);
  EXPECT_EQ(floor_div(-86401, 86400), -2);
  EXPECT_EQ(floor_div(-7, 2), -4);
  EXPECT_EQ(floor_div(7, 2), 3);
}

TEST(Timestamp, DaysFromCivilKnownDates) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1970, 1, 2), 1);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 1, 1), 10957);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1600, 1, 1), -135140);
  auto d = civil_from_days(-1);
  EXPECT_EQ(d.year, 1969);
  EXPECT_EQ(d.month, 12);
  EXPECT_EQ(d.day, 31);
  d = civil_from_days(0);
  EXPECT_EQ(d.year, 1970);
  EXPECT_EQ(d.month, 1);
  EXPECT_EQ(d.day, 1);
}

TEST(Timestamp, CivilRoundTripOverARangeOfDays) {
  // From 1600-01-01 to 2400-12-31, day by day: consecutive days are
  // consecutive dates, and both directions agree.
  const int64_t first = days_from_civil(1600, 1, 1);
  const int64_t last = days_from_civil(2400, 12, 31);
  civil_date prev = civil_from_days(first - 1);
  EXPECT_EQ(prev.year, 1599);
  EXPECT_EQ(prev.month, 12);
  EXPECT_EQ(prev.day, 31);
  for (int64_t z = first; z <= last; ++z) {
    auto d = civil_from_days(z);
    ASSERT_EQ(days_from_civil(d.year, static_cast<unsigned>(d.month),
                              static_cast<unsigned>(d.day)),
              z)
        << d.year << "-" << d.month << "-" << d.day;
    bool next_day =
        d.year == prev.year && d.month == prev.month && d.day == prev.day + 1;
    bool next_month =
        d.year == prev.year && d.month == prev.month + 1 && d.day == 1;
    bool next_year = d.year == prev.year + 1 && d.month == 1 && d.day == 1 &&
                     prev.month == 12 && prev.day == 31;
    ASSERT_TRUE(next_day || next_month || next_year)
        << "day " << z << ": " << d.year << "-" << d.month << "-" << d.day
        << " after " << prev.year << "-" << prev.month << "-" << prev.day;
    if (next_month) {
      // The previous month ended on its last day.
      static const int days[] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
      int y = prev.year;
      bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
      int len = prev.month == 2 && leap ? 29 : days[prev.month - 1];
      ASSERT_EQ(prev.day, len) << prev.year << "-" << prev.month;
    }
    prev = d;
  }
  EXPECT_EQ(last - first + 1, 292'560); // 801 years: 365 * 801 + 195 leap days
}

TEST(Timestamp, ParseAndFormatRoundTrip) {
  for (int64_t t : {int64_t{0}, int64_t{1709618828}, int64_t{951782400},
                    int64_t{253402300799}}) {
    auto back = parse_timestamp(format_iso8601(t));
    ASSERT_TRUE(back.has_value()) << t;
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(parse_timestamp("1969-12-31T23:59:59Z"), -1);
}
