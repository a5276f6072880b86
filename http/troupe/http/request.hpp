#pragma once

// Plain request/response data shared by the Beast side (session) and the
// CAF side (router, request_context). Neither Beast nor CAF is included here,
// so both kinds of translation unit can use it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "troupe/http/error_mapping.hpp"

namespace troupe::http {

/// HTTP methods the router dispatches on.
enum class method : uint8_t {
  get,
  head,
  post,
  put,
  del,
  patch,
  options,
  other
};

/// Returns the method token, e.g. "GET".
const char* to_string(method x);

/// Parses a method token; unknown tokens yield `method::other`.
method parse_method(std::string_view x);

/// A request as read off the wire.
struct http_request {
  /// Parsed method.
  method verb = method::other;
  /// Method token as sent.
  std::string method_name;
  /// Request target as sent, e.g. `/a/b?x=1`.
  std::string target;
  /// Header fields in arrival order.
  header_list headers;
  /// Request body.
  std::string body;
  /// Peer IP address (no port).
  std::string client_address;
};

/// A response to be written by the session.
struct http_response {
  /// Status code.
  unsigned status = 200;
  /// Value of `Content-Type`.
  std::string content_type;
  /// Body bytes.
  std::string body;
  /// Extra header fields.
  header_list headers;
  /// Forces `Connection: close` after this response.
  bool close = false;
};

/// Receives the one response to a request; `deliver` may be called from any
/// thread and must be thread-safe.
class response_sink {
public:
  virtual ~response_sink();

  /// Hands `res` to the connection (or drops it if the connection is gone).
  virtual void deliver(http_response res) = 0;
};

/// How a piece of a streamed request body ends.
enum class body_chunk : uint8_t {
  /// More follows.
  more,
  /// The body ended with this piece (data may be empty).
  last,
  /// The body exceeded the route's limit (data empty); the handler should
  /// respond (e.g. 413); the connection closes after the response.
  too_large,
  /// The connection failed or timed out (data empty); any response is
  /// dropped.
  failed,
};

/// Returns the state's name, e.g. "more".
const char* to_string(body_chunk x);

/// Receives a piece of a streamed body, on the connection's I/O thread.
using chunk_fn = std::function<void(std::string data, body_chunk state)>;

/// The body of a request on a streaming route, pulled piece by piece by
/// `request_context::read_body`; the session implements it.
class body_source {
public:
  virtual ~body_source();

  /// Reads the next piece (at most about `max_bytes`) and calls `f` once on
  /// the I/O thread; see `request_context::read_body`.
  virtual void read(size_t max_bytes, chunk_fn f) = 0;
};

/// Percent-decodes `x` (`+` as space when `plus_is_space`); `std::nullopt`
/// on a malformed escape.
std::optional<std::string> percent_decode(std::string_view x,
                                          bool plus_is_space);

/// Splits a query string into decoded key/value pairs; `std::nullopt` on a
/// malformed escape.
std::optional<std::vector<std::pair<std::string, std::string>>>
parse_query(std::string_view query);

} // namespace troupe::http
