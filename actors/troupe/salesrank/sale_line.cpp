#include "troupe/salesrank/sale_line.hpp"

#include "troupe/salesrank/sale_batch.hpp"

namespace troupe::salesrank {

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

/// Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
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

/// An integer from 1 to 1,000,000,000; 0 if invalid.
uint32_t parse_quantity(std::string_view s) {
  if (s.empty() || s.size() > 10)
    return 0;
  uint64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return 0;
    x = x * 10 + static_cast<uint64_t>(c - '0');
  }
  return x <= 1000000000 ? static_cast<uint32_t>(x) : 0;
}

bool valid_price(std::string_view s) {
  auto dot = s.find('.');
  auto whole = s.substr(0, dot);
  if (whole.empty() || whole.size() > 15)
    return false;
  for (char c : whole)
    if (c < '0' || c > '9')
      return false;
  if (dot == std::string_view::npos)
    return true;
  auto cents = s.substr(dot + 1);
  if (cents.empty() || cents.size() > 2)
    return false;
  for (char c : cents)
    if (c < '0' || c > '9')
      return false;
  return true;
}

bool valid_party(std::string_view s) {
  if (s.empty() || s.size() > 64)
    return false;
  for (char c : s)
    if (c < ' ' || c > '~')
      return false;
  return true;
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

const char* to_string(sale_error x) {
  switch (x) {
  case sale_error::none:
    return "none";
  case sale_error::field_count:
    return "field_count";
  case sale_error::bad_timestamp:
    return "bad_timestamp";
  case sale_error::bad_product_id:
    return "bad_product_id";
  case sale_error::bad_category_id:
    return "bad_category_id";
  case sale_error::bad_quantity:
    return "bad_quantity";
  case sale_error::bad_total_price:
    return "bad_total_price";
  case sale_error::bad_seller_id:
    return "bad_seller_id";
  case sale_error::bad_buyer_id:
    return "bad_buyer_id";
  case sale_error::too_old:
    return "too_old";
  case sale_error::in_the_future:
    return "in_the_future";
  case sale_error::line_too_long:
    return "line_too_long";
  }
  return "unknown";
}

sale_error parse_sale_line(std::string_view line, int64_t now,
                           sale_fields& out) {
  std::string_view f[7];
  size_t n = 0;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] != '\t')
      continue;
    if (n == 7)
      return sale_error::field_count;
    f[n++] = line.substr(start, i - start);
    start = i + 1;
  }
  if (n != 7)
    return sale_error::field_count;
  auto t = parse_timestamp(f[0]);
  if (!t)
    return sale_error::bad_timestamp;
  if (!valid_id(f[1]))
    return sale_error::bad_product_id;
  if (!valid_id(f[2]))
    return sale_error::bad_category_id;
  auto qty = parse_quantity(f[3]);
  if (qty == 0)
    return sale_error::bad_quantity;
  if (!valid_price(f[4]))
    return sale_error::bad_total_price;
  if (!valid_party(f[5]))
    return sale_error::bad_seller_id;
  if (!valid_party(f[6]))
    return sale_error::bad_buyer_id;
  auto now_hour = now / 3600;
  if (*t / 3600 < now_hour - (window_hours - 1) || *t < 0)
    return sale_error::too_old;
  if (*t > now + max_future_seconds)
    return sale_error::in_the_future;
  out.time = *t;
  out.quantity = qty;
  out.product = f[1];
  out.category = f[2];
  return sale_error::none;
}

} // namespace troupe::salesrank
