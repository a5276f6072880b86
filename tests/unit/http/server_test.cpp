// Starts a real server on 127.0.0.1 (free port) inside a test actor system
// and drives it with a blocking socket client.

#include "troupe/http/server.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "troupe/config/config.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/router.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/metrics.hpp"

#include "http/test_client.hpp"

using namespace troupe;
using namespace troupe::http;
using troupe::test::http_client;

namespace {

using hang_atom = caf::atom_constant<caf::atom("hang")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;

struct backend_state {
  std::vector<caf::response_promise> held;
};

// Echoes strings, never answers `hang`, fails `fail` with not_found.
// (`tag` is unused: CAF 0.17.6 binds a reference to a null tuple when an
// actor function takes no arguments, which UBSan reports.)
caf::behavior backend(caf::stateful_actor<backend_state>* self,
                      const std::string& /* tag */) {
  return {
      [](const std::string& x) { return x; },
      [self](hang_atom) {
        auto rp = self->make_response_promise();
        self->state.held.push_back(rp);
        return rp;
      },
      [](fail_atom) -> caf::result<std::string> {
        return runtime::make_error(runtime::errc::not_found, "x");
      },
  };
}

struct server_test : ::testing::Test {
  caf::actor_system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  caf::actor actor = sys.spawn(backend, std::string{"backend"});
  router r;
  runtime::metrics_registry metrics;
  config::http_settings cfg;
  std::unique_ptr<server> srv;
  std::mutex threads_mtx;
  std::vector<std::thread> threads;

  server_test() {
    cfg.io_threads = 2;
    cfg.max_header_bytes = 1024;
    cfg.max_body_bytes = 1024;
    cfg.request_timeout = std::chrono::milliseconds{200};
    r.add(method::get, "/echo", [this](request_context& ctx) {
      ctx.request_then<std::string>(
          actor, caf::make_message(ctx.query("msg").value_or("")),
          [&ctx](std::string& s) { ctx.respond(200, s, "text/plain"); });
    });
    r.add(method::post, "/echo", [this](request_context& ctx) {
      ctx.request(actor, caf::make_message(ctx.body()),
                  [&ctx](caf::expected<caf::message> res) {
                    if (!res)
                      return ctx.respond_error(res.error());
                    ctx.respond(200, res->get_as<std::string>(0), "text/plain");
                  });
    });
    r.add(method::get, "/hang", [this](request_context& ctx) {
      ctx.request_then<std::string>(
          actor, caf::make_message(hang_atom::value),
          [&ctx](std::string&) { ctx.respond(200, "unexpected"); });
    });
    r.add(method::get, "/fail", [this](request_context& ctx) {
      ctx.request_then<std::string>(
          actor, caf::make_message(fail_atom::value),
          [&ctx](std::string&) { ctx.respond(200, "unexpected"); });
    });
    // Answers from a foreign thread after `delay_ms`.
    r.add(method::get, "/foreign", [this](request_context& ctx) {
      auto delay = std::stoi(ctx.query("delay_ms").value_or("10"));
      auto self = ctx.shared();
      std::lock_guard<std::mutex> guard{threads_mtx};
      threads.emplace_back([self, delay] {
        std::this_thread::sleep_for(std::chrono::milliseconds{delay});
        self->respond_json(200, {{"thread", "foreign"}});
      });
    });
  }

  void start() {
    srv = std::make_unique<server>(sys, cfg, r, metrics);
    ASSERT_EQ(srv->start("127.0.0.1", 0), "");
    ASSERT_NE(srv->port(), 0);
  }

  ~server_test() override {
    if (srv)
      srv->stop();
    for (auto& t : threads)
      t.join();
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  }
};

} // namespace

TEST_F(server_test, keep_alive_serves_several_requests_on_one_connection) {
  cfg.request_timeout = std::chrono::seconds{5}; // slow first spawn (TSan)
  start();
  http_client c{srv->port()};
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 5; ++i) {
    auto msg = "hi" + std::to_string(i);
    auto res = c.request("GET", "/echo?msg=" + msg);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, msg);
    EXPECT_EQ(res->header("Server"), "troupe");
    EXPECT_EQ(res->header("Content-Type"), "text/plain");
  }
  auto res = c.request("POST", "/echo", "posted body");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "posted body");
  res = c.request("GET", "/echo?msg=a%20b+c");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "a b c");
  res = c.request("GET", "/echo?msg=%zz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  // Metrics are recorded once a write completes, which may be just after
  // the client has read the response.
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = metrics.render_prometheus();
    if (text.find("_count{route=\"/echo\"} 8") != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  EXPECT_NE(text.find("troupe_http_requests_total{route=\"/echo\",method="
                      "\"GET\",status=\"200\"} 6"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("troupe_http_request_duration_seconds_count{route=\"/"
                      "echo\"} 8"),
            std::string::npos)
      << text;
}

TEST_F(server_test, pipelined_requests_are_answered_in_order) {
  start();
  http_client c{srv->port()};
  ASSERT_TRUE(c.send_raw("GET /echo?msg=one HTTP/1.1\r\nHost: x\r\n\r\n"
                         "GET /echo?msg=two HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto a = c.read_reply();
  auto b = c.read_reply();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body, "one");
  EXPECT_EQ(b->body, "two");
}

TEST_F(server_test, not_found_and_method_not_allowed) {
  start();
  http_client c{srv->port()};
  auto res = c.request("GET", "/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["code"], "not_found");
  res = c.request("DELETE", "/echo");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->header("Allow"), "GET, POST");
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["code"],
            "method_not_allowed");
}

TEST_F(server_test, a_reply_to_head_has_a_length_but_no_body) {
  start();
  http_client c{srv->port()};
  ASSERT_TRUE(c.send_raw("HEAD /echo HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = c.read_reply(false);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 405);
  EXPECT_NE(head->header("Content-Length"), "0");
  // The next reply on the connection starts right after the head.
  auto next = c.request("GET", "/nope");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 404);
}

TEST_F(server_test, limits_and_malformed_requests) {
  start();
  {
    http_client c{srv->port()};
    auto res = c.request("POST", "/echo", std::string(2000, 'x'));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["code"],
              "payload_too_large");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    http_client c{srv->port()};
    auto res = c.request("GET", "/echo", {},
                         "X-Big: " + std::string(2000, 'y') + "\r\n");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 431);
    EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["code"],
              "payload_too_large");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    http_client c{srv->port()};
    ASSERT_TRUE(c.send_raw("THIS IS NOT HTTP\r\n\r\n"));
    auto res = c.read_reply();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["code"],
              "invalid_argument");
    EXPECT_TRUE(c.closed_by_peer());
  }
}

TEST_F(server_test, actor_that_never_replies_times_out_with_504) {
  start();
  http_client c{srv->port()};
  auto t0 = std::chrono::steady_clock::now();
  auto res = c.request("GET", "/hang");
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 504);
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["code"], "timeout");
  EXPECT_GE(elapsed, std::chrono::milliseconds{190});
  EXPECT_LT(elapsed, std::chrono::milliseconds{1500});
  // The connection stays usable.
  res = c.request("GET", "/echo?msg=after");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "after");
}

TEST_F(server_test, actor_error_maps_to_json_error) {
  start();
  http_client c{srv->port()};
  auto res = c.request("GET", "/fail");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body, R"({"error":{"code":"not_found","message":"x"}})");
}

TEST_F(server_test, concurrent_clients) {
  start();
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 50; ++t)
    clients.emplace_back([this, t, &good] {
      http_client c{srv->port()};
      if (!c.ok())
        return;
      for (int i = 0; i < 20; ++i) {
        auto msg = std::to_string(t) + "-" + std::to_string(i);
        auto res = c.request("GET", "/echo?msg=" + msg);
        if (res && res->status == 200 && res->body == msg)
          ++good;
      }
    });
  for (auto& c : clients)
    c.join();
  EXPECT_EQ(good.load(), 1000);
}

TEST_F(server_test, connection_cap_rejects_with_503) {
  cfg.max_connections = 2;
  start();
  http_client a{srv->port()};
  http_client b{srv->port()};
  ASSERT_TRUE(a.request("GET", "/echo?msg=a"));
  ASSERT_TRUE(b.request("GET", "/echo?msg=b"));
  http_client c{srv->port()};
  ASSERT_TRUE(c.ok());
  auto res = c.read_reply();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["code"], "unavailable");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(a.request("GET", "/echo?msg=still")->body, "still");
}

TEST_F(server_test, respond_from_a_foreign_thread) {
  start();
  http_client c{srv->port()};
  for (int i = 0; i < 3; ++i) {
    auto res = c.request("GET", "/foreign?delay_ms=" + std::to_string(i * 10));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, R"({"thread":"foreign"})");
  }
}

TEST_F(server_test, stop_accepting_then_wait_idle_finishes_in_flight) {
  start();
  auto port = srv->port();
  http_client c{port};
  ASSERT_TRUE(
      c.send_raw("GET /foreign?delay_ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 200 && srv->in_flight() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  ASSERT_EQ(srv->in_flight(), 1u);
  srv->stop_accepting();
  http_client late{port};
  EXPECT_FALSE(late.ok());
  srv->wait_idle(std::chrono::seconds{3});
  EXPECT_EQ(srv->in_flight(), 0u);
  auto res = c.read_reply();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  srv->stop();
}

TEST_F(server_test, port_in_use_is_a_clear_error) {
  start();
  server other{sys, cfg, r, metrics};
  auto err = other.start("127.0.0.1", srv->port());
  EXPECT_NE(err.find("cannot bind"), std::string::npos) << err;
  EXPECT_NE(err.find("in use"), std::string::npos) << err;
}

TEST_F(server_test, stop_with_pending_requests_is_clean) {
  start();
  http_client c{srv->port()};
  ASSERT_TRUE(c.send_raw("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 200 && srv->in_flight() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  srv->stop();
  EXPECT_EQ(srv->in_flight(), 0u);
}

TEST_F(server_test,
       idle_and_slow_connections_are_closed_after_the_idle_timeout) {
  cfg.idle_timeout = std::chrono::milliseconds{300};
  start();
  // An idle keep-alive connection, after one answered request.
  http_client idle{srv->port()};
  ASSERT_TRUE(idle.send_raw("GET /echo?msg=x HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto reply = idle.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.closed_by_peer());
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds{250});
  // A client that never finishes its request head.
  http_client slow{srv->port()};
  ASSERT_TRUE(slow.send_raw("GET /echo HTTP/1.1\r\nHost:"));
  EXPECT_TRUE(slow.closed_by_peer());
  // A fresh connection is still served.
  http_client fresh{srv->port()};
  ASSERT_TRUE(fresh.send_raw("GET /echo?msg=y HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(fresh.read_reply());
}
