// `troupe status` against a fake node: a loopback server that answers one
// connection with a canned response (or not at all).
#include "status_command.hpp"

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "stats_fixture.hpp"

using namespace troupe::app;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

/// Serves one connection: reads the request head, then writes `response`
/// (or, when `silent`, holds the connection open without answering).
class fake_node {
public:
  explicit fake_node(std::string response, bool silent = false)
      : acceptor_{ioc_, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}},
        response_{std::move(response)}, silent_{silent} {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread{[this] { serve(); }};
  }

  ~fake_node() {
    // A blocked accept() is not woken by close(): connect once to end it
    // (harmless when the client came).
    boost::system::error_code ignored;
    asio::io_context ioc;
    tcp::socket poke{ioc};
    poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ignored);
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  /// The request head the client sent.
  std::string request() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return request_;
  }

private:
  void serve() {
    boost::system::error_code ec;
    tcp::socket s{ioc_};
    acceptor_.accept(s, ec);
    if (ec)
      return;
    asio::streambuf buf;
    auto n = asio::read_until(s, buf, "\r\n\r\n", ec);
    {
      std::lock_guard<std::mutex> guard{mtx_};
      request_.assign(asio::buffers_begin(buf.data()),
                      asio::buffers_begin(buf.data()) +
                          static_cast<std::ptrdiff_t>(n));
    }
    if (silent_) {
      std::this_thread::sleep_for(600ms);
      return;
    }
    asio::write(s, asio::buffer(response_), ec);
    s.shutdown(tcp::socket::shutdown_both, ec);
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::string response_;
  bool silent_;
  uint16_t port_ = 0;
  mutable std::mutex mtx_;
  std::string request_;
  std::thread thread_;
};

std::string response(const std::string& status_line, const std::string& body,
                     const std::string& type = "application/json") {
  return "HTTP/1.1 " + status_line + "\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

/// A loopback port nobody listens on (bound, then closed).
uint16_t closed_port() {
  asio::io_context ioc;
  tcp::acceptor a{ioc, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();
}

struct outcome {
  int code = -1;
  std::string out;
  std::string err;
};

outcome run(const status_options& opts) {
  std::ostringstream out;
  std::ostringstream err;
  outcome o;
  o.code = run_status(opts, out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

status_options options_for(const std::string& endpoint) {
  status_options opts;
  opts.http = endpoint;
  return opts;
}

/// One line on stderr, naming the program.
void expect_one_error_line(const outcome& o) {
  EXPECT_EQ(o.err.rfind("troupe: ", 0), 0u) << o.err;
  ASSERT_FALSE(o.err.empty());
  EXPECT_EQ(o.err.find('\n'), o.err.size() - 1) << o.err;
}

} // namespace

TEST(status_command, prints_the_summary) {
  fake_node node{response("200 OK", fixture_text())};
  auto o = run(options_for(node.endpoint()));
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(o.err.empty()) << o.err;
  EXPECT_EQ(o.out.rfind("cluster troupe-test  via n1", 0), 0u) << o.out;
  EXPECT_NE(o.out.find("/pastebin/api/v1/paste/{id}"), std::string::npos);
  EXPECT_EQ(o.out.find('\033'), std::string::npos);
  auto req = node.request();
  EXPECT_EQ(req.rfind("GET /api/v1/stats HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("Host: " + node.endpoint() + "\r\n"), std::string::npos)
      << req;
}

TEST(status_command, json_prints_the_answer_as_is) {
  auto body = fixture_text();
  fake_node node{response("200 OK", body)};
  auto opts = options_for(node.endpoint());
  opts.json = true;
  auto o = run(opts);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, body);
}

TEST(status_command, unreachable_node) {
  auto o = run(options_for("127.0.0.1:" + std::to_string(closed_port())));
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(o.out.empty());
  expect_one_error_line(o);
  EXPECT_NE(o.err.find("cannot reach http://127.0.0.1:"), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("refused"), std::string::npos) << o.err;
}

TEST(status_command, silent_node_times_out) {
  fake_node node{"", true};
  auto opts = options_for(node.endpoint());
  opts.timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  auto o = run(opts);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
  EXPECT_EQ(o.code, 1);
  expect_one_error_line(o);
  EXPECT_NE(o.err.find("no answer within 0.2 s"), std::string::npos) << o.err;
}

TEST(status_command, non_200_answer) {
  fake_node node{
      response("503 Service Unavailable",
               R"({"error":{"code":"unavailable","message":"no quorum"}})")};
  auto o = run(options_for(node.endpoint()));
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(o.out.empty());
  expect_one_error_line(o);
  EXPECT_NE(o.err.find("answered 503 Service Unavailable: no quorum"),
            std::string::npos)
      << o.err;
}

TEST(status_command, not_found_without_error_body) {
  fake_node node{response("404 Not Found", "<html>nope</html>", "text/html")};
  auto o = run(options_for(node.endpoint()));
  EXPECT_EQ(o.code, 1);
  expect_one_error_line(o);
  EXPECT_NE(o.err.find("answered 404 Not Found\n"), std::string::npos) << o.err;
}

TEST(status_command, malformed_body) {
  for (std::string body :
       {"{\"nodes\": [", "<html></html>", "{\"cluster\": \"c\"}", ""}) {
    fake_node node{response("200 OK", body)};
    auto o = run(options_for(node.endpoint()));
    EXPECT_EQ(o.code, 1) << body;
    EXPECT_TRUE(o.out.empty()) << body;
    expect_one_error_line(o);
    EXPECT_NE(o.err.find("unexpected answer from http://"), std::string::npos)
        << o.err;
  }
  // --json checks the answer too.
  fake_node node{response("200 OK", "nope")};
  auto opts = options_for(node.endpoint());
  opts.json = true;
  auto o = run(opts);
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(o.out.empty());
}

TEST(status_command, garbage_instead_of_http) {
  fake_node node{"SSH-2.0-OpenSSH_9.2\r\n\r\n"};
  auto o = run(options_for(node.endpoint()));
  EXPECT_EQ(o.code, 1);
  expect_one_error_line(o);
  EXPECT_NE(o.err.find("no valid HTTP answer"), std::string::npos) << o.err;
}

TEST(status_command, bad_endpoint_is_a_usage_error) {
  for (const char* http : {"localhost", "127.0.0.1:", ":8080", "h:99999", "h:0",
                           "h:80x", "[]:80"}) {
    auto o = run(options_for(http));
    EXPECT_EQ(o.code, 2) << http;
    expect_one_error_line(o);
    EXPECT_NE(o.err.find("HOST:PORT"), std::string::npos) << o.err;
  }
}
