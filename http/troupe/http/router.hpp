#pragma once

// The route table: every endpoint of a node is registered here, in one
// visible place, e.g.
//
//   r.add(method::get, "/healthz", healthz);
//   r.add(method::post, "/pastebin/api/v1/paste", create_paste);
//   r.add_prefix(method::get, "/s/", follow_short_link); // remainder = link
//   r.add_streaming(method::post, "/graph/import", import_edges,
//                   size_t{1} << 30); // the handler pulls the body in pieces
//
// Lookup: exact paths first, then the longest matching prefix. A known path
// with another method answers 405 (with `Allow`), an unknown path 404, a
// malformed percent escape in path or query 400, all before any handler runs.
// This header includes neither Beast nor CAF.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "troupe/http/request.hpp"

namespace troupe::http {

class bridge;
class request_context;

/// Maps method + path to handlers.
class router {
public:
  /// Handles one request; must answer through `ctx` exactly once.
  using handler = std::function<void(request_context&)>;

  /// One registered route.
  struct route {
    /// Method it answers.
    method verb;
    /// Exact path or prefix.
    std::string path;
    /// Whether `path` is a prefix.
    bool prefix;
    /// Metrics label; defaults to `path`.
    std::string name;
    /// The handler.
    handler fn;
    /// Whether the handler pulls the body with `read_body` (exact paths).
    bool streaming = false;
    /// Streaming routes: the largest body accepted.
    size_t max_body_bytes = 0;
  };

  /// Registers `fn` for `verb` on exactly `path`.
  void add(method verb, std::string path, handler fn, std::string name = {});

  /// Registers `fn` for `verb` on every path starting with `prefix`; the
  /// rest of the path is the context's `remainder()`.
  void add_prefix(method verb, std::string prefix, handler fn,
                  std::string name = {});

  /// Registers `fn` for `verb` on exactly `path` as a streaming route: the
  /// handler runs as soon as the header has arrived (ctx.body() is empty)
  /// and pulls the body with `ctx.read_body`. Bodies larger than
  /// `max_body_bytes` are refused: a Content-Length above it with 413 before
  /// the handler runs, a chunked body when it passes the limit (the handler
  /// sees `too_large`).
  void add_streaming(method verb, std::string path, handler fn,
                     size_t max_body_bytes, std::string name = {});

  /// Returns whether any route streams its body.
  bool has_streaming() const noexcept { return streaming_verbs_ != 0; }

  /// Returns the streaming route that `dispatch` would pick for `verb` and
  /// `target` (the path decoded the same way), or null if that is none.
  const route* find_streaming(method verb, std::string_view target) const;

  /// Returns all routes in registration order.
  const std::vector<route>& routes() const noexcept { return routes_; }

  /// Runs `req` through the table (on an I/O thread) and returns the metrics
  /// label of the route that took it, or `unmatched`. `sink` receives the
  /// response; `br` carries actor requests; `body` delivers the body of a
  /// streaming route (null: `req.body` is served in pieces).
  std::string_view dispatch(http_request req,
                            std::shared_ptr<response_sink> sink, bridge* br,
                            std::chrono::milliseconds request_timeout,
                            std::shared_ptr<body_source> body = nullptr) const;

private:
  /// Returns the route for `verb` among `candidates` (the last registered
  /// wins), or null.
  const route* pick(const std::vector<size_t>& candidates, method verb) const;

  std::vector<route> routes_;
  std::unordered_map<std::string, std::vector<size_t>> exact_;
  std::vector<size_t> prefixes_; // longest first
  /// Bit `1 << verb` for each method with a streaming route: a cheap "no"
  /// for the others (most requests).
  uint32_t streaming_verbs_ = 0;
  /// The streaming routes.
  std::vector<size_t> streaming_;
};

} // namespace troupe::http
