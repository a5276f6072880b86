#pragma once

// An outbound, asynchronous HTTP/1.1 client (http and https) for troupe's
// calls to other servers: etcd's JSON gateway, institution APIs, crawling.
// It runs its own I/O threads, keeps connections alive per scheme+host+port,
// follows redirects on request, limits response sizes and times out every
// step. This header includes neither Asio/Beast nor CAF, so actors can use
// the client without paying for Beast in their translation unit.
//
//   troupe::net::http_client client;              // one I/O thread
//   troupe::net::http_request req;
//   req.url = "http://10.0.0.5:2379/v3/kv/range";
//   req.method = "POST";
//   req.body = R"({"key":"Zm9v"})";
//   client.send(std::move(req), [](troupe::net::http_response res) {
//     if (!res.ok())
//       log(res.error_text);                      // e.g. "timeout ..."
//     else if (res.status == 200)
//       use(res.body);
//   });
//
// Callbacks run on the client's I/O threads: keep them short, do not block
// in them, do not throw from them, and do not call `stop()` (or destroy the
// client) from inside one. From an actor, answer by sending a message to
// the actor (e.g. `caf::anon_send`) rather than touching its state.
// How the pool, retries, timeouts and threads work: http_client.cpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::net {

/// Why a request failed; `ok` when a response arrived.
enum class http_errc {
  /// A complete response arrived (of any status).
  ok,
  /// The URL (or a redirect's Location) is not an http(s) URL `url::parse`
  /// accepts.
  bad_url,
  /// The request cannot be sent as given: a method that is not an HTTP
  /// token, or a header field name or value with CR, LF or NUL in it.
  bad_request,
  /// The host name did not resolve.
  resolve_failed,
  /// No resolved address accepted a TCP connection.
  connect_failed,
  /// `connect_timeout` or `timeout` passed.
  timeout,
  /// The TLS handshake failed (including certificate verification).
  tls_failed,
  /// Writing the request or reading the response failed (connection reset,
  /// closed mid-response, malformed response).
  io_failed,
  /// The response body exceeded `max_response_bytes` (or its header 64 KiB).
  too_large,
  /// More than `max_redirects` redirects.
  too_many_redirects,
  /// `allow_address` refused every address of the host.
  address_refused,
  /// `max_in_flight` requests were already pending.
  overloaded,
  /// The client was stopped before the response arrived.
  stopped,
};

/// Returns the name of `x` (`"timeout"`, ...).
const char* to_string(http_errc x);

/// One request: what to send, where, and the limits that apply to it.
struct http_request {
  /// The method, sent as given (`GET`, `POST`, `PUT`, `DELETE`, ...).
  std::string method = "GET";

  /// An absolute http or https URL (see url.hpp for what is accepted).
  std::string url;

  /// Extra header fields, sent in this order. A `Host` or `User-Agent`
  /// given here replaces the default one; `Content-Length` and
  /// `Transfer-Encoding` are ignored (the client sets the length of
  /// `body`). `Authorization` and `Cookie` fields are only sent to the
  /// origin of `url`, not to another scheme, host or port a redirect leads
  /// to.
  std::vector<std::pair<std::string, std::string>> headers;

  /// The request body; `Content-Length` is set from its size.
  std::string body;

  /// Limit on resolving the host, connecting and the TLS handshake.
  std::chrono::milliseconds connect_timeout{2000};

  /// Limit on the whole exchange (writing the request, reading the full
  /// response) once connected, per redirect hop.
  std::chrono::milliseconds timeout{10000};

  /// Limit on the response body; a larger one fails with `too_large`.
  size_t max_response_bytes = 8u << 20;

  /// Follows up to this many redirects (301, 302, 303, 307, 308 with a
  /// Location); one more fails with `too_many_redirects`. 0 returns a 3xx
  /// response as it is. A 303 turns the method into GET (HEAD stays HEAD)
  /// and drops the body; the others keep method and body.
  int max_redirects = 0;

  /// User and password for HTTP basic authentication (an `Authorization:
  /// Basic ...` field), sent to the origin of `url` only.
  std::optional<std::pair<std::string, std::string>> basic_auth;

  /// Optional: refuses resolved addresses for which it returns false
  /// (`address_refused` when none is left), checked before connecting, for
  /// every redirect hop too, and for a pooled connection's peer before it
  /// is reused. For SSRF protection. Called on an I/O thread; `ip` is the
  /// textual address (`"127.0.0.1"`, `"::1"`).
  std::function<bool(const std::string& ip, uint16_t port)> allow_address;
};

/// A response, or why there is none.
struct http_response {
  /// `http_errc::ok` when a complete response arrived.
  http_errc error = http_errc::ok;

  /// What went wrong, human readable; empty when ok.
  std::string error_text;

  /// The status code (0 when no response arrived). Also set for
  /// `too_many_redirects` (the last redirect's status).
  unsigned status = 0;

  /// The header fields, names as received, in order.
  std::vector<std::pair<std::string, std::string>> headers;

  /// The body, decoded from chunked transfer encoding when it was chunked
  /// (content codings such as gzip are left alone).
  std::string body;

  /// The URL the response came from, after redirects (empty when the URL
  /// was bad).
  std::string final_url;

  /// Returns true if `error == http_errc::ok` (whatever the status).
  bool ok() const { return error == http_errc::ok; }

  /// Returns the value of the first header field named `name` (compared
  /// case-insensitively), or an empty string.
  std::string header(std::string_view name) const;
};

/// An asynchronous HTTP/1.1 client with its own I/O threads and a
/// keep-alive pool; thread-safe.
class http_client {
public:
  /// How the client runs; fixed at construction.
  struct options {
    /// The number of I/O threads of the client's own `io_context`.
    size_t threads = 1;

    /// Idle keep-alive connections kept per scheme+host+port.
    size_t max_idle_per_host = 4;

    /// Idle pooled connections are closed after this long.
    std::chrono::milliseconds idle_timeout{30000};

    /// Sends beyond this many pending requests fail at once with
    /// `overloaded`.
    size_t max_in_flight = 1024;

    /// Verifies the server's certificate chain and host name. SNI is sent
    /// either way (for host names; never for IP addresses).
    bool verify_tls = true;

    /// An extra CA bundle (PEM) trusted besides the system's default paths.
    /// If it cannot be loaded, https requests fail with `tls_failed`.
    std::string ca_file;

    /// The default `User-Agent` field.
    std::string user_agent = "troupe";
  };

  /// Starts the I/O threads.
  explicit http_client(options opts);

  /// Starts one I/O thread with default options.
  http_client();

  /// Calls `stop()`.
  ~http_client();

  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends `req` asynchronously; `done` is called exactly once, on one of
  /// the client's threads (never inside `send()`), with the response or the
  /// error. Never blocks (the host name is resolved on Asio's resolver
  /// thread). The one exception to "never inside `send()`": after `stop()`
  /// no client thread is left, and `send` calls `done` with `stopped`
  /// before returning, on the caller's thread. An empty `done` sends
  /// without telling anyone.
  void send(http_request req, std::function<void(http_response)> done);

  /// Fails every pending request with `stopped` (each callback is called
  /// once, on a client thread), closes all connections and joins the I/O
  /// threads. Idempotent; blocks until the threads are joined, which waits
  /// for running callbacks and for a host name lookup in progress (the OS
  /// resolver cannot be interrupted). Must not be called from a callback.
  void stop();

  /// Returns the number of requests sent whose callback has not been called
  /// yet.
  size_t in_flight() const;

  /// Returns the number of idle connections in the keep-alive pool.
  size_t idle_connections() const;

  /// The state behind the client (internal: http_client_impl.hpp).
  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace troupe::net
