// HTTP to the lab's nodes from the test (its threads live in the hub
// namespace): one address:port per node and a request that never throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "harness.hpp"

namespace troupe_fault {

using troupe_e2e::http_response;
using troupe_e2e::json;

/// Where a node's HTTP edge (or etcd's client port) listens.
struct endpoint {
  std::string host;
  uint16_t port = 0;
};

/// One request on connection `c`, JSON content type for bodies. A socket
/// error or timeout yields status 0 with the error in the body (and leaves
/// `c` closed).
http_response send(troupe_e2e::connection& c, const std::string& method,
                   const std::string& target, const std::string& body = "");

/// The same on a fresh connection whose connect, send and receive each wait
/// at most `timeout`.
http_response send(const endpoint& to, const std::string& method,
                   const std::string& target, const std::string& body = "",
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// GETs every target through every node, one thread and keep-alive
/// connection per node (reconnecting once per failed request), each
/// request waiting at most `timeout` and the whole read ending at
/// `deadline`. Returns answers[node][target]; status 0 for a socket error,
/// a timeout, or a target not read before the deadline.
std::vector<std::vector<http_response>>
read_everywhere(const std::vector<endpoint>& nodes,
                const std::vector<std::string>& targets,
                std::chrono::milliseconds timeout,
                std::chrono::steady_clock::time_point deadline);

/// Whether `r` is a 2xx answer.
inline bool is_success(const http_response& r) {
  return r.status >= 200 && r.status < 300;
}

} // namespace troupe_fault
