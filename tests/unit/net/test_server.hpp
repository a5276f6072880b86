#pragma once

// A small HTTP/1.1 server on 127.0.0.1 for the client tests: blocking Beast
// I/O, one thread per connection, optional TLS with a certificate made in
// the test (tls_identity.hpp). Each request goes to a handler that says what
// to do: answer, answer and close, send raw bytes, hang, or drop. The
// server counts the connections it accepted and records every request.

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "troupe/net/http_client.hpp"

namespace troupe::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

/// A request as the server received it.
struct seen_request {
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// The TLS server name the client sent (SNI), if any.
  std::string sni;

  /// Returns the first field `name` (case-insensitive), or "".
  std::string header(std::string_view name) const {
    for (auto& [k, v] : headers)
      if (beast::iequals(k, name))
        return v;
    return {};
  }

  /// Returns whether a field `name` was sent.
  bool has(std::string_view name) const {
    for (auto& h : headers)
      if (beast::iequals(h.first, name))
        return true;
    return false;
  }
};

/// What the server does with one request.
struct reply {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// Answers with `Connection: close`, then closes.
  bool close = false;
  /// Answers as if keeping the connection alive, then closes it anyway
  /// (as a server closing an idle keep-alive connection does).
  bool close_silently = false;
  /// Sent verbatim instead of a response (then `close`/`close_silently`).
  std::string raw;
  /// Never answers; waits until the client goes away.
  bool hang = false;
  /// Closes the connection without answering.
  bool drop = false;
};

using handler = std::function<reply(const seen_request&)>;

class test_server {
public:
  /// Listens on 127.0.0.1 (a free port); speaks TLS if `tls` is set.
  explicit test_server(handler h, ssl::context* tls = nullptr)
      : handler_(std::move(h)), tls_(tls), acceptor_(ioc_) {
    tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), 0};
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(512);
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread{[this] { accept_loop(); }};
  }

  ~test_server() {
    // Wake the blocked accept and every blocked read with shutdown(2); the
    // fds stay open until their threads are done with them.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    accept_thread_.join();
    {
      std::lock_guard<std::mutex> guard{mtx_};
      for (auto fd : fds_)
        ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_)
      t.join();
  }

  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  uint16_t port() const { return port_; }

  /// Returns `scheme://host:port` + `target`.
  std::string url(const std::string& target = "/",
                  const std::string& host = "127.0.0.1") const {
    return std::string{tls_ ? "https" : "http"} + "://" + host + ":" +
           std::to_string(port_) + target;
  }

  /// Returns the number of connections accepted so far.
  size_t connections() const { return connections_.load(); }

  /// Returns every request received so far.
  std::vector<seen_request> seen() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return seen_;
  }

private:
  void accept_loop() {
    for (;;) {
      tcp::socket sock{ioc_};
      beast::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec)
        return;
      ++connections_;
      std::lock_guard<std::mutex> guard{mtx_};
      fds_.push_back(sock.native_handle());
      threads_.emplace_back(
          [this, s = std::move(sock)]() mutable { serve(std::move(s)); });
    }
  }

  void serve(tcp::socket sock) {
    beast::error_code ec;
    if (tls_ != nullptr) {
      ssl::stream<tcp::socket&> stream{sock, *tls_};
      stream.handshake(ssl::stream_base::server, ec);
      if (!ec) {
        auto* name = SSL_get_servername(stream.native_handle(),
                                        TLSEXT_NAMETYPE_host_name);
        exchange(stream, name != nullptr ? name : "");
      }
    } else {
      exchange(sock, "");
    }
    std::lock_guard<std::mutex> guard{mtx_};
    fds_.erase(std::find(fds_.begin(), fds_.end(), sock.native_handle()));
    sock.close(ec);
  }

  template <class Stream>
  void exchange(Stream& stream, const std::string& sni) {
    beast::flat_buffer buf;
    beast::error_code ec;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      bhttp::read(stream, buf, req, ec);
      if (ec)
        return;
      seen_request s{std::string{req.method_string()},
                     std::string{req.target()},
                     req.body(),
                     {},
                     sni};
      for (auto& f : req)
        s.headers.emplace_back(f.name_string(), f.value());
      {
        std::lock_guard<std::mutex> guard{mtx_};
        seen_.push_back(s);
      }
      auto r = handler_(s);
      if (r.drop)
        return;
      if (r.hang) {
        char c;
        while (!ec)
          stream.read_some(asio::buffer(&c, 1), ec);
        return;
      }
      if (!r.raw.empty()) {
        asio::write(stream, asio::buffer(r.raw), ec);
      } else {
        bhttp::response<bhttp::string_body> res{
            static_cast<bhttp::status>(r.status), 11};
        for (auto& [k, v] : r.headers)
          res.insert(k, v);
        res.body() = r.body;
        res.keep_alive(!r.close);
        res.prepare_payload();
        bhttp::write(stream, res, ec);
      }
      if (ec || r.close || r.close_silently)
        return;
    }
  }

  handler handler_;
  ssl::context* tls_;
  asio::io_context ioc_; // owns the sockets; never run (blocking I/O)
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<size_t> connections_{0};
  mutable std::mutex mtx_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::vector<seen_request> seen_;
  std::thread accept_thread_;
};

/// Sends `req` and waits for the response (fails the test after 30 s).
inline net::http_response fetch(net::http_client& client,
                                net::http_request req) {
  auto p = std::make_shared<std::promise<net::http_response>>();
  auto f = p->get_future();
  client.send(std::move(req),
              [p](net::http_response res) { p->set_value(std::move(res)); });
  if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    net::http_response res;
    res.error = net::http_errc::stopped;
    res.error_text = "test: no callback within 30 s";
    return res;
  }
  return f.get();
}

/// A GET of `url`.
inline net::http_request get(std::string url) {
  net::http_request req;
  req.url = std::move(url);
  return req;
}

} // namespace troupe::test
