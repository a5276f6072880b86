#pragma once

// The HTTP/1.1 edge of a node: a Boost.Beast server on `io_threads` I/O
// threads, each with its own `io_context` and its own actor bridge. One
// acceptor hands accepted sockets to the threads round-robin. This header
// includes neither Beast nor CAF.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "troupe/http/link.hpp"

namespace caf {
class actor_system;
} // namespace caf

namespace troupe::config {
struct http_settings;
} // namespace troupe::config

namespace troupe::runtime {
class metrics_registry;
} // namespace troupe::runtime

namespace troupe::http {

class router;

/// Serves `router` over HTTP/1.1 with keep-alive, limits and metrics.
class server {
public:
  /// Prepares a server; nothing runs before `start`. `sys`, `r` and
  /// `metrics` must outlive the server.
  server(caf::actor_system& sys, const config::http_settings& cfg, router& r,
         runtime::metrics_registry& metrics);

  /// Calls `stop()`.
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Takes part in the node link (link.hpp) once started; call before
  /// `start`.
  void enable_link(link_options opts);

  /// Binds `host:port` (port 0 picks a free port) and starts the I/O
  /// threads; with the node link also listens on its endpoint. Returns an
  /// error message, or an empty string on success.
  std::string start(const std::string& host, uint16_t port);

  /// Returns the bound port after a successful `start`.
  uint16_t port() const;

  /// Returns the node link's bound port (0: not listening).
  uint16_t link_port() const;

  /// Closes the listening socket; open connections keep being served.
  void stop_accepting();

  /// Returns the number of requests dispatched but not yet answered.
  size_t in_flight() const;

  /// Returns the number of open connections.
  size_t open_connections() const;

  /// Blocks until no request is in flight or `max` has passed. Only for the
  /// shutdown path of `main`, never on an I/O thread.
  void wait_idle(std::chrono::milliseconds max);

  /// Stops the I/O threads, joins them and tears down the bridges; pending
  /// actor requests fail with `unavailable`. Idempotent.
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace troupe::http
