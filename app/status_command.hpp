#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace troupe::app {

/// Options of `troupe status`.
struct status_options {
  std::string http = "127.0.0.1:8080"; // the node's HTTP edge, HOST:PORT
  bool json = false;                   // print the raw answer instead
  bool color = false;                  // ANSI colors (stdout is a terminal)
  std::chrono::milliseconds timeout{5000};
};

/// The answer of one HTTP GET, or why there is none.
struct http_get_result {
  std::string error; // non-empty: no answer (connect, timeout, bad HTTP)
  unsigned status = 0;
  std::string reason;
  std::string body;
};

/// One blocking HTTP/1.1 GET of `target` from host:port; `timeout` bounds
/// the whole exchange (resolve, connect, write, read).
http_get_result http_get(const std::string& host, uint16_t port,
                         const std::string& target,
                         std::chrono::milliseconds timeout);

/// `troupe status`: fetches GET /api/v1/stats from the node and prints the
/// cluster summary (or the raw JSON) to `out`. Returns 0, 1 with one line on
/// `err` when the node cannot be reached or its answer is not a stats
/// answer, 2 when `--http` is not HOST:PORT.
int run_status(const status_options& opts, std::ostream& out,
               std::ostream& err);

} // namespace troupe::app
