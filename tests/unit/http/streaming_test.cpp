// Streaming routes (router::add_streaming) on a real server on 127.0.0.1:
// bodies of several MiB with Content-Length and chunked, limits, early
// answers, keep-alive, backpressure, idle timeout, 100-continue (curl).

#include "troupe/http/server.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

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
#include "troupe/runtime/metrics.hpp"

#include "http/test_client.hpp"

using namespace troupe;
using namespace troupe::http;
using troupe::test::http_client;
using namespace std::chrono_literals;

namespace {

constexpr size_t kib = 1024;
constexpr size_t mib = 1024 * 1024;

using delay_atom = caf::atom_constant<caf::atom("delay")>;
using fire_atom = caf::atom_constant<caf::atom("fire")>;

struct delayer_state {
  uint64_t next = 0;
  std::unordered_map<uint64_t, caf::response_promise> held;
};

// Answers `(delay, ms)` with `true` after `ms`: a handler that waits for an
// actor. (`tag` is unused: see server_test.cpp.)
caf::behavior delayer(caf::stateful_actor<delayer_state>* self,
                      const std::string& /* tag */) {
  return {
      [self](delay_atom, int ms) {
        auto rp = self->make_response_promise();
        auto id = self->state.next++;
        self->state.held.emplace(id, rp);
        self->delayed_send(self, std::chrono::milliseconds{ms},
                           fire_atom::value, id);
        return rp;
      },
      [self](fire_atom, uint64_t id) {
        auto i = self->state.held.find(id);
        if (i == self->state.held.end())
          return;
        i->second.deliver(true);
        self->state.held.erase(i);
      },
  };
}

uint64_t fnv1a(uint64_t h, std::string_view data) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

constexpr uint64_t fnv_basis = 14695981039346656037ull;

/// `n` deterministic bytes.
std::string make_body(size_t n, uint32_t seed = 1) {
  std::string out(n, '\0');
  for (auto& c : out) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  return out;
}

/// `body` in chunked encoding, with chunks of varying size (one with an
/// extension) and the terminating chunk unless `open`.
std::string chunked(const std::string& body, bool open = false) {
  static constexpr size_t sizes[] = {1, 100, 4096, 65539, 300000, 17};
  std::string out;
  size_t i = 0;
  for (size_t off = 0; off < body.size(); ++i) {
    auto n = std::min(sizes[i % std::size(sizes)], body.size() - off);
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%zx", n);
    out += hex;
    if (i == 2)
      out += ";name=value";
    out += "\r\n";
    out.append(body, off, n);
    out += "\r\n";
    off += n;
  }
  if (!open)
    out += "0\r\n\r\n";
  return out;
}

std::string post_head(const std::string& target, const std::string& fields) {
  return "POST " + target + " HTTP/1.1\r\nHost: test\r\n" + fields + "\r\n";
}

std::string length_field(size_t n) {
  return "Content-Length: " + std::to_string(n) + "\r\n";
}

constexpr const char* chunked_field = "Transfer-Encoding: chunked\r\n";

/// What the handlers saw.
struct stats {
  std::atomic<int> calls{0};
  std::atomic<int> too_large{0};
  std::atomic<int> failed{0};
  std::atomic<int> first_pieces{0};
  std::atomic<size_t> max_piece{0};
};

/// Sums a streamed body piece by piece and answers its length, FNV-1a
/// checksum and number of pieces.
struct sum_job : std::enable_shared_from_this<sum_job> {
  sum_job(request_context& c, caf::actor d, stats& s)
      : ctx(c.shared()), delayer(std::move(d)), st(s) {
    auto num = [&c](const char* key, size_t fallback) {
      auto x = c.query(key);
      return x ? static_cast<size_t>(std::stoul(*x)) : fallback;
    };
    piece = num("piece", 64 * kib);
    delay_ms = static_cast<int>(num("delay_ms", 0));
    first_delay_ms = static_cast<int>(num("first_delay_ms", 0));
  }

  void next() {
    ctx->read_body(
        piece, [self = shared_from_this()](std::string data, body_chunk state) {
          self->on_piece(std::move(data), state);
        });
  }

  void on_piece(std::string data, body_chunk state) {
    switch (state) {
    case body_chunk::more:
    case body_chunk::last: {
      EXPECT_TRUE(state == body_chunk::last || !data.empty());
      bytes += data.size();
      hash = fnv1a(hash, data);
      if (!data.empty() && pieces++ == 0)
        ++st.first_pieces;
      auto seen = st.max_piece.load();
      while (data.size() > seen &&
             !st.max_piece.compare_exchange_weak(seen, data.size())) {
      }
      if (state == body_chunk::last)
        return ctx->respond_json(200, {{"bytes", bytes},
                                       {"checksum", hash},
                                       {"pieces", pieces},
                                       {"read", ctx->body_bytes_read()}});
      auto ms = pieces == 1 && first_delay_ms > 0 ? first_delay_ms : delay_ms;
      if (ms == 0)
        return next();
      // Wait for an actor before asking for more (backpressure).
      ctx->request(delayer, caf::make_message(delay_atom::value, ms),
                   [self = shared_from_this()](caf::expected<caf::message>) {
                     self->next();
                   });
      return;
    }
    case body_chunk::too_large:
      ++st.too_large;
      ctx->respond_error(413, "payload_too_large", "too large for a sum");
      return;
    case body_chunk::failed:
      ++st.failed;
      return;
    }
  }

  std::shared_ptr<request_context> ctx;
  caf::actor delayer;
  stats& st;
  size_t piece;
  int delay_ms;
  int first_delay_ms;
  uint64_t bytes = 0;
  uint64_t hash = fnv_basis;
  uint64_t pieces = 0;
};

struct streaming_test : ::testing::Test {
  caf::actor_system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  caf::actor delay_actor = sys.spawn(delayer, std::string{"delayer"});
  router r;
  runtime::metrics_registry metrics;
  config::http_settings cfg;
  std::unique_ptr<server> srv;
  stats st;

  streaming_test() {
    cfg.io_threads = 2;
    cfg.max_header_bytes = 1024;
    cfg.max_body_bytes = 1024;
    cfg.request_timeout = 5s;
    auto sum = [this](request_context& ctx) {
      ++st.calls;
      EXPECT_TRUE(ctx.streaming());
      EXPECT_TRUE(ctx.body().empty());
      std::make_shared<sum_job>(ctx, delay_actor, st)->next();
    };
    r.add_streaming(method::post, "/sum", sum, 128 * mib, "sum");
    r.add_streaming(method::post, "/small", sum, 1 * mib, "small");
    // Answers 422 after `after` pieces, while asking for the next one.
    r.add_streaming(
        method::post, "/early",
        [this](request_context& ctx) {
          ++st.calls;
          auto after = std::stoi(ctx.query("after").value_or("0"));
          if (after == 0)
            return ctx.respond_error(422, "invalid_argument", "refused");
          ctx.read_body(64 * kib, [this, &ctx](std::string, body_chunk state) {
            EXPECT_EQ(state, body_chunk::more);
            ctx.read_body(64 * kib, [this](std::string, body_chunk state) {
              if (state == body_chunk::failed)
                ++st.failed;
            });
            ctx.respond_error(422, "invalid_argument", "refused later");
          });
        },
        128 * mib, "early");
    r.add(method::post, "/echo", [](request_context& ctx) {
      EXPECT_FALSE(ctx.streaming());
      ctx.respond(200, ctx.body(), "text/plain");
    });
    r.add(method::get, "/hello", [](request_context& ctx) {
      ctx.read_body(10, [&ctx](std::string, body_chunk state) {
        ctx.respond(200, to_string(state), "text/plain");
      });
    });
  }

  void start() {
    srv = std::make_unique<server>(sys, cfg, r, metrics);
    ASSERT_EQ(srv->start("127.0.0.1", 0), "");
  }

  /// Waits up to 3 s for `pred`.
  template <class Pred>
  bool eventually(Pred pred) {
    for (int i = 0; i < 600 && !pred(); ++i)
      std::this_thread::sleep_for(5ms);
    return pred();
  }

  ~streaming_test() override {
    if (srv)
      srv->stop();
    caf::anon_send_exit(delay_actor, caf::exit_reason::user_shutdown);
  }
};

/// Checks a sum reply against `body`.
void expect_sum(const std::optional<troupe::test::http_reply>& res,
                const std::string& body) {
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["bytes"].get<uint64_t>(), body.size());
  EXPECT_EQ(j["read"].get<uint64_t>(), body.size());
  EXPECT_EQ(j["checksum"].get<uint64_t>(), fnv1a(fnv_basis, body));
  EXPECT_GE(j["pieces"].get<uint64_t>(), body.size() / (64 * kib));
}

} // namespace

TEST_F(streaming_test, a_content_length_body_of_several_mib_arrives_whole) {
  start();
  auto body = make_body(6 * mib + 123);
  http_client c{srv->port()};
  auto res = c.request("POST", "/sum", body);
  expect_sum(res, body);
  EXPECT_EQ(st.calls.load(), 1);
  EXPECT_LE(st.max_piece.load(), 64 * kib);
  // Socket reads of more than a few hundred bytes.
  EXPECT_LE(nlohmann::json::parse(res->body)["pieces"].get<uint64_t>(),
            body.size() / (4 * kib));
  // Accounted like any request.
  EXPECT_TRUE(eventually([this] { return srv->in_flight() == 0; }));
  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = metrics.render_prometheus();
    return text.find("troupe_http_requests_total{route=\"sum\",method=\"POST\","
                     "status=\"200\"} 1") != std::string::npos;
  })) << text;
}

TEST_F(streaming_test, a_chunked_body_arrives_whole) {
  start();
  auto body = make_body(3 * mib + 7, 2);
  http_client c{srv->port()};
  ASSERT_TRUE(c.send_raw(post_head("/sum?piece=100000", chunked_field) +
                         chunked(body)));
  expect_sum(c.read_reply(), body);
  EXPECT_LE(st.max_piece.load(), 100000u);
}

TEST_F(streaming_test, small_pieces_and_an_empty_body) {
  start();
  auto body = make_body(100 * kib, 3);
  http_client c{srv->port()};
  auto res = c.request("POST", "/sum?piece=1000", body);
  expect_sum(res, body);
  EXPECT_GE(nlohmann::json::parse(res->body)["pieces"].get<uint64_t>(), 100u);
  EXPECT_LE(st.max_piece.load(), 1000u);
  expect_sum(c.request("POST", "/sum", ""), "");
  ASSERT_TRUE(c.send_raw(post_head("/sum", chunked_field) + "0\r\n\r\n"));
  expect_sum(c.read_reply(), "");
}

TEST_F(streaming_test,
       a_content_length_over_the_limit_is_413_before_the_handler) {
  start();
  {
    http_client c{srv->port()};
    ASSERT_TRUE(c.send_raw(post_head("/small", length_field(2 * mib)) +
                           std::string(1000, 'x')));
    auto res = c.read_reply();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["code"],
              "payload_too_large");
    EXPECT_EQ(res->header("Connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    // With `Expect: 100-continue`: 413 instead of 100.
    http_client c{srv->port()};
    ASSERT_TRUE(c.send_raw(post_head(
        "/small", length_field(2 * mib) + "Expect: 100-continue\r\n")));
    auto res = c.read_reply();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_TRUE(c.closed_by_peer());
  }
  EXPECT_EQ(st.calls.load(), 0);
  // At the limit is fine.
  http_client c{srv->port()};
  auto body = make_body(1 * mib);
  expect_sum(c.request("POST", "/small", body), body);
  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = metrics.render_prometheus();
    return text.find("troupe_http_requests_total{route=\"small\",method="
                     "\"POST\",status=\"413\"} 2") != std::string::npos;
  })) << text;
}

TEST_F(streaming_test,
       a_chunked_body_over_the_limit_is_too_large_for_the_handler) {
  start();
  http_client c{srv->port()};
  auto body = make_body(1 * mib + 200 * kib);
  ASSERT_TRUE(
      c.send_raw(post_head("/small", chunked_field) + chunked(body, true)));
  auto res = c.read_reply();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["message"],
            "too large for a sum");
  EXPECT_EQ(res->header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(st.calls.load(), 1);
  EXPECT_EQ(st.too_large.load(), 1);
  EXPECT_TRUE(eventually([this] { return srv->in_flight() == 0; }));
}

TEST_F(streaming_test, an_early_answer_is_sent_and_closes_the_connection) {
  start();
  {
    // Before reading anything; with 100-continue no 100 is sent.
    http_client c{srv->port()};
    ASSERT_TRUE(c.send_raw(post_head(
        "/early", length_field(4 * mib) + "Expect: 100-continue\r\n")));
    auto res = c.read_reply();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 422);
    EXPECT_EQ(res->header("Connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    // With a read pending, part of a large body sent.
    http_client c{srv->port()};
    ASSERT_TRUE(c.send_raw(post_head("/early?after=1", length_field(4 * mib)) +
                           std::string(1000, 'x')));
    auto res = c.read_reply();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 422);
    EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["message"],
              "refused later");
    EXPECT_EQ(res->header("Connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  // The pending read ends with `failed`.
  EXPECT_TRUE(eventually([this] { return st.failed.load() == 1; }));
  EXPECT_TRUE(eventually([this] { return srv->in_flight() == 0; }));
  EXPECT_EQ(st.calls.load(), 2);
}

TEST_F(streaming_test, keep_alive_two_streamed_requests_then_a_normal_one) {
  start();
  http_client c{srv->port()};
  auto a = make_body(1 * mib, 4);
  auto b = make_body(1 * mib + 1, 5);
  auto res = c.request("POST", "/sum", a);
  expect_sum(res, a);
  EXPECT_EQ(res->header("Connection"), "");
  // The next request follows the chunked body in the same send.
  ASSERT_TRUE(c.send_raw(post_head("/sum", chunked_field) + chunked(b) +
                         "POST /echo HTTP/1.1\r\nHost: t\r\n" +
                         length_field(5) + "\r\nhello"));
  expect_sum(c.read_reply(), b);
  res = c.read_reply();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello");
  // A non-streaming route cannot stream.
  res = c.request("GET", "/hello");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "failed");
  EXPECT_EQ(st.calls.load(), 2);
}

TEST_F(streaming_test, a_handler_that_waits_stalls_the_client) {
  start();
  // More than loopback's socket buffers hold (tcp_rmem may reach 32 MiB).
  auto body = make_body(64 * mib, 6);
  http_client c{srv->port()};
  std::atomic<size_t> sent{0};
  std::atomic<bool> send_ok{true};
  std::thread sender{[&] {
    auto req = post_head("/sum?first_delay_ms=1000", length_field(body.size()));
    if (!c.send_raw(req)) {
      send_ok = false;
      return;
    }
    for (size_t off = 0; off < body.size(); off += 64 * kib) {
      if (!c.send_raw(body.substr(off, 64 * kib))) {
        send_ok = false;
        return;
      }
      sent = off + std::min(64 * kib, body.size() - off);
    }
  }};
  ASSERT_TRUE(eventually([this] { return st.first_pieces.load() == 1; }));
  std::this_thread::sleep_for(500ms);
  auto during = sent.load();
  EXPECT_LT(during, body.size()) << "nothing held the client back";
  sender.join();
  EXPECT_TRUE(send_ok.load());
  expect_sum(c.read_reply(), body);
}

TEST_F(streaming_test,
       a_handler_that_waits_between_every_piece_gets_everything) {
  start();
  auto body = make_body(512 * kib, 7);
  http_client c{srv->port()};
  auto res = c.request("POST", "/sum?piece=16384&delay_ms=2", body);
  expect_sum(res, body);
  // Pieces as large as asked for, mostly: the body is all there.
  EXPECT_LE(nlohmann::json::parse(res->body)["pieces"].get<uint64_t>(), 48u);
}

TEST_F(streaming_test,
       the_idle_timeout_applies_only_while_waiting_for_the_client) {
  cfg.idle_timeout = 300ms;
  start();
  {
    // The handler holds the stream longer than the idle timeout.
    auto body = make_body(128 * kib, 8);
    http_client c{srv->port()};
    expect_sum(c.request("POST", "/sum?delay_ms=400", body), body);
  }
  {
    // A client that stops sending.
    http_client c{srv->port()};
    ASSERT_TRUE(c.send_raw(post_head("/sum", length_field(mib)) +
                           std::string(5000, 'x')));
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_by_peer());
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 250ms);
    EXPECT_TRUE(eventually([this] { return st.failed.load() == 1; }));
  }
  {
    // A client that goes away.
    auto c = std::make_unique<http_client>(srv->port());
    ASSERT_TRUE(c->send_raw(post_head("/sum", chunked_field) +
                            chunked(make_body(10 * kib), true)));
    EXPECT_TRUE(eventually([this] { return st.first_pieces.load() == 3; }));
    c.reset();
    EXPECT_TRUE(eventually([this] { return st.failed.load() == 2; }));
  }
  EXPECT_TRUE(eventually([this] { return srv->in_flight() == 0; }));
}

TEST_F(streaming_test, a_context_that_outlives_its_connection_reads_failed) {
  std::mutex mtx;
  std::shared_ptr<request_context> kept;
  r.add_streaming(
      method::post, "/keep",
      [&](request_context& ctx) {
        std::lock_guard<std::mutex> guard{mtx};
        kept = ctx.shared();
        ctx.respond(200, "kept", "text/plain");
      },
      1024);
  start();
  {
    http_client c{srv->port()};
    auto res = c.request("POST", "/keep", "");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->body, "kept");
  }
  ASSERT_TRUE(eventually([this] { return srv->open_connections() == 0; }));
  std::lock_guard<std::mutex> guard{mtx};
  ASSERT_TRUE(kept);
  // From a foreign thread: hops to the I/O thread, finds no session.
  std::atomic<int> state{-1};
  kept->read_body(10, [&state](std::string data, body_chunk st) {
    EXPECT_TRUE(data.empty());
    state = static_cast<int>(st);
  });
  EXPECT_TRUE(eventually([&state] { return state.load() >= 0; }));
  EXPECT_EQ(state.load(), static_cast<int>(body_chunk::failed));
}

TEST_F(streaming_test, malformed_chunked_encoding_is_400) {
  start();
  http_client c{srv->port()};
  ASSERT_TRUE(c.send_raw(post_head("/sum", chunked_field) +
                         "4\r\nabcd\r\nzz\r\nxx\r\n0\r\n\r\n"));
  auto res = c.read_reply();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["error"]["code"], "invalid_argument");
  EXPECT_EQ(j["error"]["message"].get<std::string>().rfind(
                "malformed HTTP request: ", 0),
            0u)
      << res->body;
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_TRUE(eventually([this] { return st.failed.load() == 1; }));
}

TEST_F(streaming_test, a_normal_route_still_enforces_max_body_bytes) {
  start();
  {
    http_client c{srv->port()};
    auto res = c.request("POST", "/echo", std::string(2000, 'x'));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    http_client c{srv->port()};
    ASSERT_TRUE(c.send_raw(post_head("/echo", chunked_field) +
                           chunked(std::string(2000, 'y'))));
    auto res = c.read_reply();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_TRUE(c.closed_by_peer());
  }
  http_client c{srv->port()};
  auto res = c.request("POST", "/echo", std::string(1024, 'z'));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, std::string(1024, 'z'));
  ASSERT_TRUE(c.send_raw(post_head("/echo", chunked_field) +
                         chunked(std::string(1000, 'w'))));
  res = c.read_reply();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, std::string(1000, 'w'));
}

TEST_F(streaming_test, expect_100_continue_with_the_test_client) {
  start();
  auto body = make_body(2 * mib, 9);
  http_client c{srv->port()};
  ASSERT_TRUE(c.send_raw(post_head("/sum", length_field(body.size()) +
                                               "Expect: 100-continue\r\n")));
  auto cont = c.read_reply(false);
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(c.send_raw(body));
  expect_sum(c.read_reply(), body);
}

TEST_F(streaming_test, expect_100_continue_with_curl) {
  if (std::system("command -v curl > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "curl not installed";
  start();
  auto body = make_body(5 * mib, 10);
  auto dir = ::testing::TempDir();
  auto in = dir + "streaming_test_body.bin";
  auto out = dir + "streaming_test_out.json";
  auto err = dir + "streaming_test_err.txt";
  std::ofstream{in, std::ios::binary} << body;
  // Without a 100 curl would wait 20 s before sending the body.
  auto cmd = "curl -sS -v --expect100-timeout 20 -H 'Expect: 100-continue' "
             "--data-binary @" +
             in + " -o " + out +
             " http://127.0.0.1:" + std::to_string(srv->port()) + "/sum 2> " +
             err;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  auto slurp = [](const std::string& path) {
    std::ifstream f{path, std::ios::binary};
    return std::string{std::istreambuf_iterator<char>{f}, {}};
  };
  auto log = slurp(err);
  EXPECT_NE(log.find("HTTP/1.1 100 Continue"), std::string::npos) << log;
  troupe::test::http_reply res;
  res.status = 200;
  res.body = slurp(out);
  expect_sum(res, body);
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove(err.c_str());
}
