#include "troupe/net/http_client.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "net/test_server.hpp"

using namespace troupe::net;
using namespace troupe::test;
using namespace std::chrono_literals;

namespace {

reply echo(const seen_request& req) {
  reply r;
  r.headers.emplace_back("X-Method", req.method);
  r.body = req.method + " " + req.target + " " + req.body;
  return r;
}

/// Waits up to 10 s for `pred`.
template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

/// Counts callbacks; `wait` blocks until `n` arrived (or 30 s passed).
class collector {
public:
  std::function<void(http_response)> callback() {
    return [this](http_response res) {
      std::lock_guard<std::mutex> guard{mtx_};
      responses_.push_back(std::move(res));
      cv_.notify_all();
    };
  }

  std::vector<http_response> wait(size_t n) {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait_for(guard, 30s, [&] { return responses_.size() >= n; });
    return responses_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<http_response> responses_;
};

} // namespace

TEST(http_client, get_and_post_echo) {
  test_server server{echo};
  http_client client;
  auto res = fetch(client, get(server.url("/hello?x=1")));
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, "GET /hello?x=1 ");
  EXPECT_EQ(res.header("x-method"), "GET");
  EXPECT_EQ(res.header("X-METHOD"), "GET");
  EXPECT_EQ(res.header("absent"), "");
  EXPECT_EQ(res.final_url, server.url("/hello?x=1"));

  http_request post;
  post.method = "POST";
  post.url = server.url("/echo");
  post.body = "payload";
  post.headers = {{"Content-Type", "text/plain"}, {"X-Extra", "1"}};
  res = fetch(client, post);
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.body, "POST /echo payload");

  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].header("Host"),
            "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0].header("User-Agent"), "troupe");
  EXPECT_FALSE(seen[0].has("Content-Length"));
  EXPECT_EQ(seen[1].header("Content-Length"), "7");
  EXPECT_EQ(seen[1].header("Content-Type"), "text/plain");
  EXPECT_EQ(seen[1].header("X-Extra"), "1");
}

TEST(http_client, user_agent_and_host_can_be_replaced) {
  test_server server{echo};
  http_client::options opts;
  opts.user_agent = "crawler/1.0";
  http_client client{opts};
  auto req = get(server.url());
  req.headers = {{"Host", "example.com"}, {"Content-Length", "99"}};
  ASSERT_TRUE(fetch(client, req).ok());
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].header("User-Agent"), "crawler/1.0");
  EXPECT_EQ(seen[0].header("Host"), "example.com");
  EXPECT_FALSE(seen[0].has("Content-Length")); // ignored, no body
}

TEST(http_client, keep_alive_reuses_one_connection) {
  test_server server{echo};
  http_client client;
  for (int i = 0; i < 20; ++i) {
    auto res = fetch(client, get(server.url("/" + std::to_string(i))));
    ASSERT_TRUE(res.ok()) << res.error_text;
    EXPECT_EQ(res.body, "GET /" + std::to_string(i) + " ");
  }
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(server.seen().size(), 20u);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(http_client, head_responses_have_no_body_and_keep_the_connection) {
  test_server server{[](const seen_request&) {
    reply r;
    r.raw = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    return r;
  }};
  http_client client;
  auto req = get(server.url());
  req.method = "HEAD";
  for (int i = 0; i < 3; ++i) {
    auto res = fetch(client, req);
    ASSERT_TRUE(res.ok()) << res.error_text;
    EXPECT_EQ(res.header("Content-Length"), "5");
    EXPECT_EQ(res.body, "");
  }
  EXPECT_EQ(server.connections(), 1u);
}

TEST(http_client, a_pooled_connection_the_server_closed_is_retried) {
  std::atomic<int> n{0};
  test_server server{[&](const seen_request& req) {
    auto r = echo(req);
    r.close_silently = n++ == 0; // closes the first connection when idle
    return r;
  }};
  http_client client;
  ASSERT_TRUE(fetch(client, get(server.url("/1"))).ok());
  ASSERT_TRUE(eventually([&] { return client.idle_connections() == 1; }));
  auto res = fetch(client, get(server.url("/2")));
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.body, "GET /2 ");
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(server.seen().size(), 2u);
}

TEST(http_client, no_retry_once_part_of_the_response_arrived) {
  std::atomic<int> n{0};
  test_server server{[&](const seen_request& req) {
    if (n++ == 0)
      return echo(req);
    reply r;
    r.raw = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    r.close = true;
    return r;
  }};
  http_client client;
  ASSERT_TRUE(fetch(client, get(server.url())).ok());
  auto res = fetch(client, get(server.url()));
  EXPECT_EQ(res.error, http_errc::io_failed) << res.error_text;
  EXPECT_EQ(server.seen().size(), 2u);
  EXPECT_EQ(server.connections(), 1u);
}

TEST(http_client, no_retry_on_a_fresh_connection) {
  test_server server{[](const seen_request&) {
    reply r;
    r.drop = true;
    return r;
  }};
  http_client client;
  auto res = fetch(client, get(server.url()));
  EXPECT_EQ(res.error, http_errc::io_failed) << res.error_text;
  EXPECT_FALSE(res.error_text.empty());
  EXPECT_EQ(server.seen().size(), 1u);
  EXPECT_EQ(server.connections(), 1u);
}

TEST(http_client, connection_close_responses_are_not_pooled) {
  test_server server{[](const seen_request& req) {
    auto r = echo(req);
    r.close = true;
    return r;
  }};
  http_client client;
  for (int i = 0; i < 3; ++i) {
    auto res = fetch(client, get(server.url()));
    ASSERT_TRUE(res.ok()) << res.error_text;
    EXPECT_EQ(res.header("Connection"), "close");
  }
  EXPECT_EQ(server.connections(), 3u);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST(http_client, chunked_responses_are_decoded) {
  test_server server{[](const seen_request&) {
    reply r;
    r.raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    return r;
  }};
  http_client client;
  for (int i = 0; i < 2; ++i) {
    auto res = fetch(client, get(server.url()));
    ASSERT_TRUE(res.ok()) << res.error_text;
    EXPECT_EQ(res.body, "hello world");
  }
  EXPECT_EQ(server.connections(), 1u);
}

TEST(http_client, a_content_length_over_the_limit_is_too_large) {
  test_server server{[](const seen_request& req) {
    reply r;
    r.body = std::string(req.target == "/big" ? 1001 : 1000, 'x');
    return r;
  }};
  http_client client;
  auto req = get(server.url("/big"));
  req.max_response_bytes = 1000;
  auto res = fetch(client, req);
  EXPECT_EQ(res.error, http_errc::too_large) << res.error_text;
  req.url = server.url("/fits");
  res = fetch(client, req);
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.body.size(), 1000u);
}

TEST(http_client, a_chunked_body_growing_past_the_limit_is_too_large) {
  test_server server{[](const seen_request&) {
    reply r;
    r.raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 10; ++i)
      r.raw += "c8\r\n" + std::string(200, 'y') + "\r\n";
    r.raw += "0\r\n\r\n";
    return r;
  }};
  http_client client;
  auto req = get(server.url());
  req.max_response_bytes = 1000;
  auto res = fetch(client, req);
  EXPECT_EQ(res.error, http_errc::too_large) << res.error_text;
  req.max_response_bytes = 2000;
  res = fetch(client, req);
  ASSERT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(res.body.size(), 2000u);
}

TEST(http_client, a_server_that_never_answers_times_out) {
  test_server server{[](const seen_request&) {
    reply r;
    r.hang = true;
    return r;
  }};
  http_client client;
  auto req = get(server.url());
  req.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto res = fetch(client, req);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(res.error, http_errc::timeout) << res.error_text;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST(http_client, a_closed_port_is_connect_failed) {
  uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor a{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
    port = a.local_endpoint().port();
  }
  http_client client;
  auto res =
      fetch(client, get("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(res.error, http_errc::connect_failed) << res.error_text;
  EXPECT_EQ(res.status, 0u);
}

TEST(http_client, bad_urls_fail_on_a_client_thread) {
  http_client client;
  for (auto text : {"example.com/x", "ftp://example.com/", "http:///x",
                    "http://:80/", "http://h:99999/", "http://h:x/", ""}) {
    std::promise<std::pair<http_response, std::thread::id>> p;
    client.send(get(text), [&p](http_response res) {
      p.set_value({std::move(res), std::this_thread::get_id()});
    });
    auto [res, thread] = p.get_future().get();
    EXPECT_EQ(res.error, http_errc::bad_url) << text;
    EXPECT_FALSE(res.error_text.empty()) << text;
    EXPECT_NE(thread, std::this_thread::get_id()) << text;
  }
}

TEST(http_client, invalid_methods_and_fields_are_bad_requests) {
  test_server server{echo};
  http_client client;
  auto req = get(server.url());
  req.headers = {{"X-Evil", "a\r\nInjected: 1"}};
  EXPECT_EQ(fetch(client, req).error, http_errc::bad_request);
  req.headers = {{"Bad Name", "x"}};
  EXPECT_EQ(fetch(client, req).error, http_errc::bad_request);
  req.headers.clear();
  req.method = "GET /x";
  EXPECT_EQ(fetch(client, req).error, http_errc::bad_request);
  EXPECT_EQ(server.connections(), 0u);
}

TEST(http_client, two_hundred_concurrent_requests_all_complete) {
  test_server server{echo};
  http_client::options opts;
  opts.threads = 2;
  http_client client{opts};
  collector c;
  for (int i = 0; i < 200; ++i)
    client.send(get(server.url("/" + std::to_string(i))), c.callback());
  auto all = c.wait(200);
  ASSERT_EQ(all.size(), 200u);
  for (auto& res : all)
    EXPECT_TRUE(res.ok()) << res.error_text;
  EXPECT_EQ(server.seen().size(), 200u);
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_LE(client.idle_connections(), 4u); // max_idle_per_host
}

TEST(http_client, sends_beyond_max_in_flight_are_overloaded) {
  test_server server{[](const seen_request&) {
    reply r;
    r.hang = true;
    return r;
  }};
  http_client::options opts;
  opts.max_in_flight = 2;
  http_client client{opts};
  collector c;
  for (int i = 0; i < 3; ++i)
    client.send(get(server.url()), c.callback());
  auto first = c.wait(1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].error, http_errc::overloaded) << first[0].error_text;
  EXPECT_EQ(client.in_flight(), 2u);
  client.stop();
  auto all = c.wait(3);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].error, http_errc::stopped);
  EXPECT_EQ(all[2].error, http_errc::stopped);
}

TEST(http_client, stop_fails_pending_requests_once_and_returns) {
  test_server server{[](const seen_request&) {
    reply r;
    r.hang = true;
    return r;
  }};
  http_client client;
  std::atomic<int> calls{0};
  std::atomic<int> stopped{0};
  for (int i = 0; i < 10; ++i)
    client.send(get(server.url()), [&](http_response res) {
      ++calls;
      if (res.error == http_errc::stopped)
        ++stopped;
    });
  ASSERT_TRUE(eventually([&] { return server.seen().size() == 10; }));
  auto start = std::chrono::steady_clock::now();
  client.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(calls.load(), 10);
  EXPECT_EQ(stopped.load(), 10);
  EXPECT_EQ(client.in_flight(), 0u);
  client.stop(); // idempotent
  EXPECT_EQ(calls.load(), 10);
}

TEST(http_client, send_after_stop_is_stopped) {
  http_client client;
  client.stop();
  bool called = false;
  client.send(get("http://127.0.0.1:1/"), [&](http_response res) {
    called = true;
    EXPECT_EQ(res.error, http_errc::stopped);
  });
  EXPECT_TRUE(called); // inline: no client thread is left
}

TEST(http_client, idle_connections_are_closed_after_idle_timeout) {
  test_server server{echo};
  http_client::options opts;
  opts.idle_timeout = 100ms;
  http_client client{opts};
  ASSERT_TRUE(fetch(client, get(server.url())).ok());
  ASSERT_TRUE(eventually([&] { return client.idle_connections() == 0; }));
  ASSERT_TRUE(fetch(client, get(server.url())).ok());
  EXPECT_EQ(server.connections(), 2u);
}
