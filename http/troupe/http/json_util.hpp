#pragma once

// Request-body validation helpers. Every failure is a `caf::error` of
// category `troupe` with code `invalid_argument`, so a route can pass it
// straight to `ctx.respond_error(...)` and get a 400 with a message naming
// the field.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "troupe/json_text.hpp"

namespace troupe::http {

/// Parses `body` as a JSON object; fails with "malformed JSON: ..." for
/// invalid JSON or a value that is not an object.
caf::expected<nlohmann::json> parse_json_object(std::string_view body);

/// Returns the string field `name`; fails if absent or not a string.
caf::expected<std::string> required_string(const nlohmann::json& obj,
                                           std::string_view name);

/// Returns the string field `name`, `std::nullopt` if absent or null; fails
/// if present with another type.
caf::expected<std::optional<std::string>>
optional_string(const nlohmann::json& obj, std::string_view name);

/// Returns the non-negative integer field `name`, given as a JSON integer or
/// a decimal string (`60` or `"60"`); fails if absent, negative, fractional,
/// out of range or of another type.
caf::expected<uint64_t> required_uint(const nlohmann::json& obj,
                                      std::string_view name);

/// Like `required_uint`, but an absent or null field yields `std::nullopt`.
caf::expected<std::optional<uint64_t>> optional_uint(const nlohmann::json& obj,
                                                     std::string_view name);

/// Parses a decimal string of digits into a `uint64_t` (no sign, no
/// whitespace, no overflow); for query parameters too.
std::optional<uint64_t> parse_uint(std::string_view text);

/// See troupe/json_text.hpp.
using troupe::append_json_string;

} // namespace troupe::http
