// The node link: its frames (pure), and a link_client against a real
// server's link port on 127.0.0.1 inside a test actor system.

#include "troupe/http/link_client.hpp"
#include "troupe/http/link_wire.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/make_message.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <gtest/gtest.h>

#include "troupe/http/router.hpp"
#include "troupe/http/server.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/metrics.hpp"

using namespace troupe;
using namespace troupe::http;
using namespace std::chrono_literals;

namespace {

using hang_atom = caf::atom_constant<caf::atom("hang")>;

struct link_test : ::testing::Test {
  caf::actor_system_config sys_cfg;
  caf::actor_system sys{sys_cfg};

  /// Feeds `bytes` to a reader in pieces of `step` and collects the frames
  /// (their payloads copied); stops at an error.
  std::vector<std::pair<link::frame, std::string>>
  parse(const std::vector<char>& bytes, size_t step, std::string* why) {
    link::frame_reader reader;
    std::vector<std::pair<link::frame, std::string>> out;
    for (size_t at = 0; at < bytes.size(); at += step) {
      auto n = std::min(step, bytes.size() - at);
      std::copy_n(bytes.data() + at, n, reader.prepare(n));
      reader.commit(n);
      link::frame f;
      for (;;) {
        auto r = reader.next(f, *why);
        if (r == link::frame_reader::result::error)
          return out;
        if (r == link::frame_reader::result::need_more)
          break;
        out.emplace_back(f, std::string{f.payload == nullptr ? "" : f.payload,
                                        f.payload_size});
      }
    }
    return out;
  }
};

TEST_F(link_test, FramesSurviveAnySplitOfTheStream) {
  std::vector<char> bytes;
  link::append_hello(bytes, 42, "n1");
  ASSERT_TRUE(link::append_request(sys, bytes, 7, "pastebin", 63,
                                   caf::make_message(std::string{"abc"}, 5)));
  link::append_reply(sys, bytes, 7, caf::make_message(std::string{"ok"}));
  for (size_t step : {size_t{1}, size_t{3}, size_t{4096}}) {
    std::string why;
    auto frames = parse(bytes, step, &why);
    ASSERT_EQ(frames.size(), 3u) << why;
    EXPECT_EQ(frames[0].first.type, link::frame_type::hello);
    EXPECT_EQ(frames[0].first.id, 42u);
    EXPECT_EQ(frames[1].first.type, link::frame_type::request);
    EXPECT_EQ(frames[1].first.id, 7u);
    EXPECT_EQ(frames[1].first.shard, 63u);
    auto msg = link::decode_message(sys, frames[1].second.data(),
                                    frames[1].second.size());
    ASSERT_TRUE(msg);
    ASSERT_TRUE((msg->match_elements<std::string, int>()));
    EXPECT_EQ(msg->get_as<std::string>(0), "abc");
    EXPECT_EQ(frames[2].first.type, link::frame_type::reply);
  }
}

TEST_F(link_test, MalformedFramesAreErrorsNotCrashes) {
  auto expect_error = [&](std::vector<char> bytes, const char* what) {
    std::string why;
    auto frames = parse(bytes, bytes.size(), &why);
    EXPECT_TRUE(frames.empty()) << what;
    EXPECT_FALSE(why.empty()) << what;
  };
  expect_error({0, 0, 0, 0}, "empty frame");
  expect_error({char(0xff), char(0xff), char(0xff), char(0x7f), 2}, "huge");
  expect_error({1, 0, 0, 0, 9}, "unknown type");
  expect_error({3, 0, 0, 0, 2, 1, 2}, "short request");
  expect_error({4, 0, 0, 0, 3, 1, 2, 3}, "short reply");
}

TEST_F(link_test, TruncatedOrPaddedMessagesDoNotDecode) {
  std::vector<char> bytes;
  ASSERT_TRUE(link::append_request(sys, bytes, 1, "cache", 0,
                                   caf::make_message(std::string(100, 'x'))));
  std::string why;
  auto frames = parse(bytes, bytes.size(), &why);
  ASSERT_EQ(frames.size(), 1u);
  const auto& payload = frames[0].second;
  for (size_t cut :
       {size_t{0}, size_t{1}, payload.size() / 2, payload.size() - 1})
    EXPECT_FALSE(link::decode_message(sys, payload.data(), cut))
        << cut << " of " << payload.size();
  auto padded = payload + "zz";
  EXPECT_FALSE(link::decode_message(sys, padded.data(), padded.size()));
  std::string garbage(64, '\xee');
  EXPECT_FALSE(link::decode_message(sys, garbage.data(), garbage.size()));
}

// -- a client against a server's link port ----------------------------------

/// `hang` requests the backend received.
std::atomic<int> hangs{0};

caf::behavior backend(caf::event_based_actor* self) {
  return {
      [](const std::string& x) { return x + "!"; },
      [self](hang_atom) {
        ++hangs;
        auto rp = self->make_response_promise();
        // Never answered: keeps the promise alive in the behavior.
        self->attach_functor([rp] {});
        return rp;
      },
  };
}

struct link_client_test : link_test {
  caf::actor actor = sys.spawn(backend);
  router routes;
  runtime::metrics_registry metrics;
  std::unique_ptr<server> srv;
  boost::asio::io_context ioc;
  std::optional<
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      work;
  std::thread io;
  std::unique_ptr<link_client> client;

  void start_server(uint64_t hash, size_t max_in_flight = 4096,
                    std::chrono::milliseconds timeout = 5s) {
    config::http_settings cfg;
    cfg.io_threads = 1;
    cfg.request_timeout = timeout;
    srv = std::make_unique<server>(sys, cfg, routes, metrics);
    link_options opts;
    opts.listen = config::endpoint{"127.0.0.1", 0};
    opts.self = "owner";
    opts.cluster_hash = hash;
    opts.max_in_flight = max_in_flight;
    opts.dispatch = [this](std::string_view service, uint16_t,
                           caf::message&) -> caf::strong_actor_ptr {
      if (service != "echo")
        return nullptr;
      return caf::actor_cast<caf::strong_actor_ptr>(actor);
    };
    srv->enable_link(opts);
    ASSERT_EQ(srv->start("127.0.0.1", 0), "");
    ASSERT_NE(srv->link_port(), 0);
  }

  void SetUp() override {
    hangs = 0;
    work.emplace(boost::asio::make_work_guard(ioc));
    io = std::thread{[this] { ioc.run(); }};
    link_client::settings ls;
    ls.self = "edge";
    ls.cluster_hash = 1;
    client = std::make_unique<link_client>(ioc, sys, ls);
  }

  void TearDown() override {
    on_io([this] { client->shutdown(); });
    work.reset();
    ioc.stop();
    io.join();
    if (srv)
      srv->stop();
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  }

  template <class F>
  void on_io(F f) {
    std::promise<void> done;
    boost::asio::post(ioc, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  /// Sends `msg` to `service` over the link; the future has the answer.
  std::future<caf::expected<caf::message>>
  ask(const std::string& service, caf::message msg,
      std::chrono::milliseconds timeout = 5s) {
    auto answer = std::make_shared<std::promise<caf::expected<caf::message>>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    auto fut = answer->get_future();
    config::endpoint at{"127.0.0.1", srv->link_port()};
    on_io([&, answer, calls] {
      client->request(
          "owner", at, service, 0, msg, timeout,
          [answer, calls](caf::expected<caf::message> r) {
            // A second call would throw: answered once.
            if (calls->fetch_add(1) == 0)
              answer->set_value(std::move(r));
            else
              ADD_FAILURE() << "answered twice";
          },
          nullptr);
    });
    return fut;
  }
};

TEST_F(link_client_test, RepliesComeBackInAnyNumber) {
  start_server(1);
  std::vector<std::future<caf::expected<caf::message>>> answers;
  for (int i = 0; i < 500; ++i)
    answers.push_back(ask("echo", caf::make_message(std::to_string(i))));
  for (int i = 0; i < 500; ++i) {
    auto r = answers[i].get();
    ASSERT_TRUE(r) << caf::to_string(r.error());
    ASSERT_TRUE(r->match_elements<std::string>());
    EXPECT_EQ(r->get_as<std::string>(0), std::to_string(i) + "!");
  }
}

TEST_F(link_client_test, UnknownServiceIsUnavailable) {
  start_server(1);
  auto r = ask("nope", caf::make_message(std::string{"x"})).get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), static_cast<uint8_t>(runtime::errc::unavailable));
}

TEST_F(link_client_test, AnotherClusterIsRefusedAndItsRequestsFail) {
  start_server(2); // the client says 1
  auto r = ask("echo", caf::make_message(std::string{"x"})).get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), static_cast<uint8_t>(runtime::errc::unavailable));
}

TEST_F(link_client_test, InFlightRequestsFailAtOnceWhenTheNodeGoesDown) {
  start_server(1);
  std::vector<std::future<caf::expected<caf::message>>> held;
  for (int i = 0; i < 50; ++i)
    held.push_back(ask("echo", caf::make_message(hang_atom::value), 60s));
  // The requests are with the actor; the node is then seen down.
  ASSERT_TRUE(ask("echo", caf::make_message(std::string{"x"})).get());
  on_io([this] { client->fail_node("owner", "is down"); });
  for (auto& f : held) {
    ASSERT_EQ(f.wait_for(1s), std::future_status::ready);
    auto r = f.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(),
              static_cast<uint8_t>(runtime::errc::unavailable));
  }
  // The next request connects again.
  auto again = ask("echo", caf::make_message(std::string{"y"})).get();
  ASSERT_TRUE(again);
}

TEST_F(link_client_test, ARefusedConnectionFailsItsRequests) {
  start_server(1);
  auto port = srv->link_port();
  srv->stop();
  srv.reset();
  auto answer = std::make_shared<std::promise<caf::expected<caf::message>>>();
  auto fut = answer->get_future();
  on_io([&] {
    client->request(
        "owner", config::endpoint{"127.0.0.1", port}, "echo", 0,
        caf::make_message(std::string{"x"}), 5s,
        [answer](caf::expected<caf::message> r) {
          answer->set_value(std::move(r));
        },
        nullptr);
  });
  ASSERT_EQ(fut.wait_for(3s), std::future_status::ready);
  EXPECT_FALSE(fut.get());
}

TEST_F(link_client_test, ExpiredRequestsTimeOutOnTick) {
  start_server(1);
  auto fut = ask("echo", caf::make_message(hang_atom::value), 50ms);
  for (int i = 0; i < 200 && fut.wait_for(10ms) != std::future_status::ready;
       ++i)
    on_io([this] { client->tick(); });
  ASSERT_EQ(fut.wait_for(0s), std::future_status::ready);
  auto r = fut.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), caf::sec::request_timeout);
}

TEST_F(link_client_test, BeyondItsLimitTheOwnerLeavesRequestsUnread) {
  // At most 4 with the actors; each times out there after 300 ms, and the
  // next ones are read then.
  start_server(1, 4, 300ms);
  std::vector<std::future<caf::expected<caf::message>>> held;
  for (int i = 0; i < 10; ++i)
    held.push_back(ask("echo", caf::make_message(hang_atom::value), 30s));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(hangs.load(), 4);
  for (auto& f : held) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    auto r = f.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), caf::sec::request_timeout);
  }
  EXPECT_EQ(hangs.load(), 10);
}

TEST_F(link_client_test, BeyondItsLimitTheSenderRefusesWith429) {
  start_server(1);
  on_io([this] {
    client->shutdown();
    link_client::settings ls;
    ls.self = "edge";
    ls.cluster_hash = 1;
    ls.max_pending = 20;
    client = std::make_unique<link_client>(ioc, sys, ls);
  });
  std::vector<std::future<caf::expected<caf::message>>> held;
  for (int i = 0; i < 20; ++i)
    held.push_back(ask("echo", caf::make_message(hang_atom::value), 30s));
  auto refused = ask("echo", caf::make_message(std::string{"x"})).get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(),
            static_cast<uint8_t>(runtime::errc::overloaded));
  for (auto& f : held)
    EXPECT_NE(f.wait_for(0s), std::future_status::ready);
}

} // namespace
