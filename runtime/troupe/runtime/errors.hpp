#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace troupe::runtime {

/// Error codes that services return and the HTTP edge maps to statuses
/// (see `http/troupe/http/error_mapping.hpp`). Values are stable: they cross
/// the network inside `caf::error`.
enum class errc : uint8_t {
  invalid_argument = 1, ///< 400
  unauthenticated,      ///< 401
  not_found,            ///< 404
  conflict,             ///< 409
  payload_too_large,    ///< 413
  overloaded,           ///< 429
  unavailable,          ///< 503
  timeout,              ///< 504
  internal,             ///< 500
};

/// The CAF error category of `errc`.
constexpr caf::atom_value error_category = caf::atom("troupe");

/// Returns the snake_case name of `x`, as used in HTTP error bodies.
const char* to_string(errc x);

/// Makes a `caf::error` of category `troupe` with a human-readable message.
caf::error make_error(errc code, std::string message);

/// Returns the human-readable message stored in `err`, or an empty string.
std::string error_message(const caf::error& err);

} // namespace troupe::runtime
