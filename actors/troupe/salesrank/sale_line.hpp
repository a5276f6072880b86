#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "troupe/timestamp.hpp"

namespace troupe::salesrank {

/// Seconds a sale may lie in the future (clock skew between sellers).
constexpr int64_t max_future_seconds = 300;

/// Hours in the window: the current UTC hour and the 167 before it.
constexpr uint32_t window_hours = 168;

/// See troupe/timestamp.hpp.
using troupe::parse_timestamp;

/// A line of the ingest format, validated.
struct sale_fields {
  int64_t time = 0;
  uint32_t quantity = 0;
  std::string_view product;
  std::string_view category;
};

/// Why a line was rejected: the `reason` codes of the API.
enum class sale_error : uint8_t {
  none,
  field_count,
  bad_timestamp,
  bad_product_id,
  bad_category_id,
  bad_quantity,
  bad_total_price,
  bad_seller_id,
  bad_buyer_id,
  too_old,
  in_the_future,
  line_too_long,
};

/// Returns the API's reason code of `x`, e.g. "too_old".
const char* to_string(sale_error x);

/// Parses one tab-separated line `timestamp product_id category_id qty
/// total_price seller_id buyer_id` at `now` (Unix seconds): a sale older
/// than the window (its hour before `now`'s hour - 167) is `too_old`, one
/// more than 5 minutes after `now` is `in_the_future`. Quantity: an
/// integer from 1 to 1,000,000,000; total_price: a non-negative decimal
/// with at most two places (at most 15 digits before the point); ids as
/// `valid_id`; seller and buyer: 1 to 64 printable ASCII characters (spaces
/// included).
sale_error parse_sale_line(std::string_view line, int64_t now,
                           sale_fields& out);

} // namespace troupe::salesrank
