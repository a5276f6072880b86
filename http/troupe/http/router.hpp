#pragma once

// The route table: every endpoint of a node is registered here, in one
// visible place, e.g.
//
//   r.add(method::get, "/healthz", healthz);
//   r.add(method::post, "/pastebin/api/v1/paste", create_paste);
//   r.add_prefix(method::get, "/s/", follow_short_link); // remainder = link
//
// Lookup: exact paths first, then the longest matching prefix. A known path
// with another method answers 405 (with `Allow`), an unknown path 404, a
// malformed percent escape in path or query 400, all before any handler runs.
// This header includes neither Beast nor CAF.

#include <chrono>
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
  };

  /// Registers `fn` for `verb` on exactly `path`.
  void add(method verb, std::string path, handler fn, std::string name = {});

  /// Registers `fn` for `verb` on every path starting with `prefix`; the
  /// rest of the path is the context's `remainder()`.
  void add_prefix(method verb, std::string prefix, handler fn,
                  std::string name = {});

  /// Returns all routes in registration order.
  const std::vector<route>& routes() const noexcept { return routes_; }

  /// Runs `req` through the table (on an I/O thread) and returns the metrics
  /// label of the route that took it, or `unmatched`. `sink` receives the
  /// response; `br` carries actor requests.
  std::string_view dispatch(http_request req,
                            std::shared_ptr<response_sink> sink, bridge* br,
                            std::chrono::milliseconds request_timeout) const;

private:
  std::vector<route> routes_;
  std::unordered_map<std::string, std::vector<size_t>> exact_;
  std::vector<size_t> prefixes_; // longest first
};

} // namespace troupe::http
