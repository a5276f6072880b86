#pragma once

// Internal to the server (Beast side): one I/O thread's state and one
// connection. Not for use outside troupe_http.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "troupe/config/config.hpp"
#include "troupe/http/bridge.hpp"
#include "troupe/http/link_client.hpp"
#include "troupe/http/piece_body.hpp"
#include "troupe/http/request.hpp"
#include "troupe/http/router.hpp"
#include "troupe/runtime/metrics.hpp"

namespace troupe::http {

class session;

/// Copies method, target and header fields of `req` (no body, no client).
http_request to_request(const boost::beast::http::request_header<>& req);

/// Returns whether `req` carries `Expect: 100-continue`.
bool expects_continue(const boost::beast::http::request_header<>& req);

/// Returns whether `ec` says a request is not valid HTTP (answered 400).
bool is_malformed(const boost::beast::error_code& ec);

/// Socket of one connection, bound to its I/O thread's io_context (no
/// type-erased executor).
using socket_type =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                     boost::asio::io_context::executor_type>;

/// The address `host` names ("localhost" is 127.0.0.1); `ec` on error.
boost::asio::ip::address ip_address(const std::string& host,
                                    boost::system::error_code& ec);

/// Timer bound to one I/O thread's io_context.
using timer_type = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock,
    boost::asio::wait_traits<std::chrono::steady_clock>,
    boost::asio::io_context::executor_type>;

/// Posts work onto one io_context until closed; thread-safe. Lets foreign
/// threads answer requests without touching a destroyed io_context.
class io_gate {
public:
  explicit io_gate(boost::asio::io_context& ioc) : ioc_(ioc) {}

  /// Runs `f` on the I/O thread, or drops it once closed.
  void post(std::function<void()> f);

  /// Drops all further posts.
  void close();

private:
  std::mutex mtx_;
  bool open_ = true;
  boost::asio::io_context& ioc_;
};

/// State shared by all I/O threads of one server.
struct server_shared {
  config::http_settings cfg;
  router& routes;
  runtime::metrics_registry& metrics;
  std::atomic<size_t> open_connections{0};
  std::atomic<size_t> in_flight{0};
};

/// One I/O thread: io_context, bridge, timeout ticker and caches.
struct io_worker {
  io_worker(server_shared& sh, caf::actor_system& sys);

  server_shared& shared;
  boost::asio::io_context ioc{1};
  std::shared_ptr<io_gate> gate;
  std::optional<
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      work;
  bridge br;
  /// This thread's side of the node link (null without one).
  std::unique_ptr<link_client> link;
  /// Whether a node is up (node link; empty without one).
  std::function<bool(const std::string&)> node_up;
  boost::asio::steady_timer ticker;
  std::thread thread;
  /// Sessions waiting for a handler's response (owned here meanwhile);
  /// unordered, each session knows its index.
  std::vector<std::shared_ptr<session>> dispatched;

  /// Records one answered request in the metrics (cached per thread).
  void record(std::string_view route, std::string_view method, unsigned status,
              double seconds);

  /// Starts the thread.
  void run();

private:
  void schedule_tick();

  /// One recently used (route, method, status) with its metrics.
  struct metric_slot {
    std::string route;
    std::string method;
    unsigned status;
    runtime::metric_counter* counter;
    runtime::metric_histogram* histogram;
  };

  /// Small flat cache in front of the maps; checked linearly.
  std::vector<metric_slot> slots_;
  std::unordered_map<std::string, runtime::metric_counter*> counters_;
  std::unordered_map<std::string, runtime::metric_histogram*> histograms_;
};

/// One HTTP/1.1 connection: reads a request, dispatches it, writes the
/// response, repeats (keep-alive; pipelined requests one at a time). On a
/// streaming route it dispatches after the header and reads the body only
/// when the handler asks (session_stream.cpp).
class session : public std::enable_shared_from_this<session> {
public:
  /// Takes the socket; `reject` answers 503 (connection cap) and closes.
  session(io_worker& w, socket_type socket, bool reject);

  ~session();

  /// Starts reading; runs on the worker's thread.
  void start();

  /// Writes the response of request `seq`; runs on the worker's thread.
  void on_response(uint64_t seq, http_response res);

  /// Reads the next piece of the streamed body of request `seq` for its
  /// handler (see `request_context::read_body`); runs on the worker's
  /// thread.
  void read_stream(uint64_t seq, size_t max_bytes, chunk_fn f);

private:
  /// Where the body of a streaming route stands.
  enum class stream_state : uint8_t {
    /// Not a streaming request.
    none,
    /// The handler may ask for the next piece.
    open,
    /// A piece is being read (`stream_fn_` waits for it).
    reading,
    /// `last`, `too_large` or `failed` was delivered.
    ended,
  };

  void do_read();
  void on_header(boost::beast::error_code ec);
  void read_body();
  void on_body(boost::beast::error_code ec);
  void dispatch();
  void dispatch_request(http_request out, bool streaming);
  std::shared_ptr<body_source> make_body_source();
  // Streaming routes (session_stream.cpp).
  void start_stream(const router::route& rt);
  void write_continue();
  void on_continue(boost::beast::error_code ec);
  void stream_read_some();
  void on_stream_read(boost::beast::error_code ec);
  void finish_read(std::string data, body_chunk state);
  void fail_request(unsigned status, std::string_view code,
                    std::string_view message);
  void write(http_response res, bool dispatched);
  void on_write(boost::beast::error_code ec, bool close, bool dispatched);
  void close_gracefully();
  void drain();
  void hold();
  void release_hold();
  void set_deadline(std::chrono::steady_clock::time_point at);
  void arm_timer(std::chrono::steady_clock::time_point at);
  void on_timer();

  io_worker& worker_;
  socket_type socket_;
  /// Fires lazily: moving `deadline_` later costs no timer operation; the
  /// timer re-arms itself for the current deadline when it fires early.
  timer_type timer_;
  /// The connection is closed once this passes (max: no limit).
  std::chrono::steady_clock::time_point deadline_ =
      std::chrono::steady_clock::time_point::max();
  /// When the pending timer wait, if any, expires.
  std::chrono::steady_clock::time_point timer_at_;
  bool timer_armed_ = false;
  boost::beast::flat_buffer buffer_;
  std::optional<
      boost::beast::http::request_parser<boost::beast::http::string_body>>
      parser_;
  /// The parser of a streaming route, converted from `parser_` after the
  /// header (before the body reader started, so nothing was reserved).
  std::optional<boost::beast::http::request_parser<piece_body>> stream_;
  stream_state stream_state_ = stream_state::none;
  /// Receives the piece being read.
  chunk_fn stream_fn_;
  /// The piece being read.
  std::string piece_;
  /// The largest piece the handler asked for.
  size_t piece_max_ = 0;
  /// Whether a read of the streamed body is pending on the socket.
  bool socket_reading_ = false;
  /// `Expect: 100-continue` is still to be answered (at the first read).
  bool continue_due_ = false;
  /// The `100 Continue` is being written.
  bool continue_writing_ = false;
  /// A response waiting for the `100 Continue` write to finish.
  std::optional<http_response> stashed_;
  /// A response to the current request is being (or was) written.
  bool response_started_ = false;
  /// The connection is half-closed and being drained.
  bool closing_ = false;
  /// Status line and header fields of the response being written.
  std::string head_;
  /// Body of the response being written.
  std::string body_;
  /// Status of the response being written.
  unsigned status_ = 0;
  boost::beast::http::response<boost::beast::http::empty_body> continue_;
  std::string client_address_;
  std::string drain_buf_;
  bool reject_;
  bool counted_;
  bool keep_alive_ = true;
  bool in_flight_ = false;
  uint64_t seq_ = 0;
  /// Position in `worker_.dispatched` while held there.
  size_t held_at_ = 0;
  /// Metrics label of the current request (a router name or a literal).
  std::string_view route_;
  std::string method_;
  std::chrono::steady_clock::time_point started_;
};

} // namespace troupe::http
