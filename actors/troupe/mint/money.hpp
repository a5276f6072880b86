#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace troupe::mint {

/// Largest amount of money one value may hold: 10^13 cents (100 billion).
constexpr int64_t max_cents = 10'000'000'000'000;

/// Parses a decimal amount with at most two places (`"12"`, `"12.5"`,
/// `"-3.07"`) into cents, exactly (no binary floating point). Returns
/// nullopt for anything else: exponents, more places, no digits, spaces,
/// or a magnitude above `max_cents`.
std::optional<int64_t> parse_cents(std::string_view text);

/// Formats cents as a decimal string with two places (`"-3.07"`).
std::string format_cents(int64_t cents);

/// Appends `format_cents(cents)` to `out`.
void append_cents(std::string& out, int64_t cents);

} // namespace troupe::mint
