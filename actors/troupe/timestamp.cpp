#include "troupe/timestamp.hpp"

#include <cstdio>

namespace troupe {

namespace {

/// Parses exactly `n` digits at `p`; -1 if any is not a digit.
int digits(std::string_view s, size_t p, size_t n) {
  if (p + n > s.size())
    return -1;
  int x = 0;
  for (size_t i = p; i < p + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    x = x * 10 + (s[i] - '0');
  }
  return x;
}

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

/// Parses the zone suffix at `p`: seconds east of UTC, nullopt if invalid.
std::optional<int64_t> parse_zone(std::string_view s, size_t p) {
  if (p == s.size())
    return 0;
  if (s[p] == 'Z' && p + 1 == s.size())
    return 0;
  if (s[p] != '+' && s[p] != '-')
    return std::nullopt;
  int sign = s[p] == '+' ? 1 : -1;
  auto hh = digits(s, p + 1, 2);
  size_t q = p + 3;
  if (q < s.size() && s[q] == ':')
    ++q;
  auto mm = digits(s, q, 2);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || q + 2 != s.size())
    return std::nullopt;
  return sign * (hh * 3600 + mm * 60);
}

std::optional<int64_t> parse_iso(std::string_view s) {
  auto y = digits(s, 0, 4);
  auto mo = digits(s, 5, 2);
  auto d = digits(s, 8, 2);
  auto h = digits(s, 11, 2);
  auto mi = digits(s, 14, 2);
  auto se = digits(s, 17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || se < 0 || se > 60 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' ||
      d > days_in_month(y, mo))
    return std::nullopt;
  size_t p = 19;
  if (p < s.size() && s[p] == '.') {
    ++p;
    auto start = p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9')
      ++p;
    if (p == start || p - start > 9)
      return std::nullopt;
  }
  auto zone = parse_zone(s, p);
  if (!zone)
    return std::nullopt;
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - *zone;
}

} // namespace

std::optional<int64_t> parse_timestamp(std::string_view text) {
  if (text.empty())
    return std::nullopt;
  if (text.size() >= 19 && text[4] == '-')
    return parse_iso(text);
  if (text.size() > 12)
    return std::nullopt;
  int64_t x = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    x = x * 10 + (c - '0');
  }
  return x;
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

civil_date civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (m <= 2)),
          static_cast<int>(m), static_cast<int>(d)};
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::string format_iso8601(int64_t unix_seconds) {
  auto days = floor_div(unix_seconds, 86400);
  auto secs = unix_seconds - days * 86400;
  auto d = civil_from_days(days);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.year,
                d.month, d.day, static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

std::string format_date(int64_t unix_seconds) {
  auto d = civil_from_days(floor_div(unix_seconds, 86400));
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

} // namespace troupe
