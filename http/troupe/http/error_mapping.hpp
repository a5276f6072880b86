#pragma once

// The one place where errors become HTTP statuses. Routes never pick a
// status for a `caf::error` themselves; they call `ctx.respond_error(err)`,
// which uses `map_error`.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>

namespace troupe::http {

/// Header name/value pairs.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// What a `caf::error` turns into on the wire.
struct http_error {
  /// HTTP status code, e.g. 404.
  unsigned status = 500;
  /// snake_case error code, e.g. `not_found`.
  std::string code;
  /// Human-readable message.
  std::string message;
  /// Extra response headers, e.g. `Retry-After` for 429.
  header_list headers;
};

/// Maps `err` to status, code and message. Category `troupe` uses
/// `runtime::errc`; CAF's `request_timeout` becomes 504, receiver-down and
/// remote link failures 503, anything else 500.
http_error map_error(const caf::error& err);

/// Renders `{"error":{"code":"...","message":"..."}}`.
std::string error_body(std::string_view code, std::string_view message);

} // namespace troupe::http
