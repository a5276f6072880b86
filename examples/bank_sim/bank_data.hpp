// Deterministic data and small text helpers of bank_sim (no HTTP here).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bank_sim {

// A calendar day as the number of days since 1970-01-01 (proleptic
// Gregorian calendar).
using Day = std::int64_t;

// Parses exactly "YYYY-MM-DD" (a valid calendar date), else nullopt.
std::optional<Day> parse_date(std::string_view text);
std::string format_date(Day day);

// 64-bit FNV-1a of the bytes of `text`.
std::uint64_t fnv1a64(std::string_view text);

// MurmurHash3's fmix64 finalizer: spreads FNV-1a's poorly mixed high bits
// (ids differing only in their last character would otherwise share their
// time of day).
std::uint64_t fmix64(std::uint64_t h);

// Standard base64 (padding optional); nullopt on any invalid character.
std::optional<std::string> decode_base64(std::string_view in);

// Decodes %XX escapes and '+' (as a space); nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view in);

// Appends `text` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text);
void append_uint(std::string& out, std::uint64_t value);

// The transactions every login has: per_day of them on each day of
// [start, end].
struct Calendar {
  Day start = 0;
  Day end = 0;
  int per_day = 3;
};

// The JSON array of `login`'s transactions dated on or after `since`,
// ascending by created_at.
std::string transactions_json(std::string_view login, Day since,
                              const Calendar& calendar);

} // namespace bank_sim
