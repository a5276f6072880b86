#pragma once

// Internal to troupe_net (not installed): the state behind `http_client`,
// shared by http_client.cpp (the pool, the threads, stop) and http_call.cpp
// (one request's way through resolve, connect, TLS, write, read and
// redirects). Includes Asio and Beast; the public header does not.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "troupe/net/http_client.hpp"
#include "troupe/net/url.hpp"

namespace troupe::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using strand_type = asio::strand<asio::io_context::executor_type>;

/// One TCP connection, with TLS on top for https, to one scheme+host+port.
/// Used by one call at a time; idle in the pool in between.
struct connection {
  /// A plain connection when `tls_ctx` is null, a TLS one otherwise.
  connection(asio::io_context& ioc, ssl::context* tls_ctx);

  /// Closes the socket; pending operations complete with an error.
  void close();

  /// Calls `f` with the stream to read and write: the TLS stream or the
  /// socket.
  template <class F>
  void visit(F&& f) {
    if (tls)
      f(*tls);
    else
      f(socket);
  }

  tcp::socket socket;
  std::optional<ssl::stream<tcp::socket&>> tls;
  /// Bytes read past the end of a response (normally none).
  beast::flat_buffer buffer;
  /// `scheme://authority`: the pool key.
  std::string key;
  /// The address connected to (checked by `allow_address` on reuse).
  tcp::endpoint peer;
  clock_type::time_point idle_since;
};

class call;

} // namespace troupe::net::detail

namespace troupe::net {

/// The client's state: options, TLS context, I/O threads, the keep-alive
/// pool and the calls in flight.
struct http_client::impl {
  explicit impl(options o);

  /// Removes and returns the newest idle connection for `key` that has not
  /// been idle for `idle_timeout`, or null.
  std::shared_ptr<detail::connection> checkout(const std::string& key);

  /// Puts an idle, reusable connection into the pool (closes it instead
  /// once stopped or when the pool for its key is full).
  void checkin(std::shared_ptr<detail::connection> conn);

  /// Forgets a finished call (before its callback runs).
  void forget(detail::call* c);

  /// Closes idle connections past `idle_timeout`; re-arms itself.
  void sweep();

  /// Configures `tls_ctx` on the first call (thread-safe); returns an
  /// error text if that failed (a bad `ca_file`), for every https request.
  const std::string& setup_tls();

  options opts;
  /// Set up by `setup_tls` before the first TLS connection uses it.
  detail::ssl::context tls_ctx;
  std::once_flag tls_once;
  std::string tls_error;
  detail::asio::io_context ioc;
  detail::asio::executor_work_guard<detail::asio::io_context::executor_type>
      work;
  detail::strand_type sweep_strand;
  detail::asio::steady_timer sweeper;

  mutable std::mutex mtx;
  /// Guarded by `mtx`.
  bool stopped = false;
  /// Guarded by `mtx`: idle connections per key, oldest first.
  std::unordered_map<std::string,
                     std::vector<std::shared_ptr<detail::connection>>>
      idle;
  /// Guarded by `mtx`.
  size_t idle_count = 0;
  /// Guarded by `mtx`: every call whose callback has not run yet.
  std::unordered_map<detail::call*, std::shared_ptr<detail::call>> active;

  /// Serializes `stop()`.
  std::mutex stop_mtx;
  std::vector<std::thread> threads;
};

} // namespace troupe::net

namespace troupe::net::detail {

/// One request, from `send` to its callback, across redirect hops and the
/// one retry. Every handler runs on the call's own strand, so its members
/// need no lock.
class call : public std::enable_shared_from_this<call> {
public:
  call(http_client::impl& core, http_request req,
       std::function<void(http_response)> done);

  /// Begins with the first hop. Runs on `strand()`.
  void start();

  /// Fails the call with `stopped` unless it finished. Runs on `strand()`.
  void abort();

  /// The strand every handler of this call runs on.
  strand_type& strand() { return strand_; }

private:
  template <class F>
  auto on_strand(F f) {
    return asio::bind_executor(strand_, std::move(f));
  }
  void start_hop();
  bool build_request(std::string& why);
  void connect_fresh();
  void on_resolve(const beast::error_code& ec,
                  const tcp::resolver::results_type& results);
  void connect(std::vector<tcp::endpoint> endpoints);
  void on_connect(const beast::error_code& ec, const tcp::endpoint& ep);
  void on_handshake(const beast::error_code& ec);
  void send_request();
  void read_response();
  void on_header(const beast::error_code& ec);
  void on_read_error(const beast::error_code& ec);
  void on_io_error(const beast::error_code& ec, const char* what);
  void on_response();
  void follow(const url& next, unsigned status);
  void release_connection(bool reusable);
  void arm_timer(std::chrono::milliseconds limit, bool connecting);
  void fail(http_errc code, std::string text);
  void finish(http_response res);
  std::string where() const;

  http_client::impl& core_;
  strand_type strand_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  /// Bumped whenever the timer is re-armed or cancelled: an expiry of an
  /// older generation is stale.
  uint64_t timer_gen_ = 0;
  http_request req_;
  std::function<void(http_response)> done_;
  /// The URL of the first hop (credentials go to its origin only).
  std::optional<url> origin_;
  /// The URL of the current hop.
  std::optional<url> url_;
  int redirects_ = 0;
  /// The current hop uses a connection from the pool.
  bool reused_ = false;
  /// The current hop already retried on a fresh connection.
  bool retried_ = false;
  bool finished_ = false;
  std::shared_ptr<connection> conn_;
  std::optional<bhttp::request<bhttp::string_body>> out_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
};

} // namespace troupe::net::detail
