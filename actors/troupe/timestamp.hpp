#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

/// UTC calendar arithmetic and the timestamp formats of the API.
namespace troupe {

/// Parses a timestamp: Unix seconds (digits) or ISO 8601
/// `YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|+HH:MM|-HH:MM|+HHMM|-HHMM]` (no zone:
/// UTC). Returns Unix seconds (fractions dropped), nullopt if invalid.
std::optional<int64_t> parse_timestamp(std::string_view text);

/// Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

/// A calendar date.
struct civil_date {
  int year = 1970;
  int month = 1;
  int day = 1;
};

/// The date `days` days after 1970-01-01 (negative: before).
civil_date civil_from_days(int64_t days);

/// Returns `a / b` rounded towards negative infinity (`b > 0`).
int64_t floor_div(int64_t a, int64_t b);

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
std::string format_iso8601(int64_t unix_seconds);

/// Formats the UTC date of Unix seconds as `YYYY-MM-DD`.
std::string format_date(int64_t unix_seconds);

} // namespace troupe
