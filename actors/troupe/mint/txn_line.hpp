#pragma once

#include <cstdint>
#include <string_view>

namespace troupe::mint {

/// Longest user id, seller name and import line, in bytes.
constexpr size_t max_user_id_bytes = 64;
constexpr size_t max_seller_bytes = 64;
constexpr size_t max_line_bytes = 512;

/// Returns whether `text` is a user id: 1 to 64 bytes of [A-Za-z0-9_.:@-].
bool valid_user_id(std::string_view text);

/// Returns whether `text` is a seller name: 1 to 64 bytes of valid UTF-8
/// without control characters.
bool valid_seller(std::string_view text);

/// A transaction as it arrives (import line or institution), validated.
struct txn_fields {
  std::string_view user;
  int64_t created_at = 0;
  std::string_view seller;
  int64_t cents = 0;
};

/// Why an import line was rejected: the `reason` codes of the API.
enum class line_error : uint8_t {
  none,
  field_count,
  bad_user_id,
  bad_timestamp,
  bad_seller,
  bad_amount,
  line_too_long,
};

/// Returns the API's reason code of `x`, e.g. "bad_amount".
const char* to_string(line_error x);

/// Parses one tab-separated import line `user_id timestamp seller amount`:
/// a timestamp as `troupe::parse_timestamp` (ISO 8601 or Unix seconds)
/// from 1970 to 9999, an amount as `parse_cents` (negative: a refund).
line_error parse_txn_line(std::string_view line, txn_fields& out);

} // namespace troupe::mint
