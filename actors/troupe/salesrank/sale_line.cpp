#include "troupe/salesrank/sale_line.hpp"

#include "troupe/salesrank/sale_batch.hpp"
#include "troupe/timestamp.hpp"

namespace troupe::salesrank {

namespace {

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
