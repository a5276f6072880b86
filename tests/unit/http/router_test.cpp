#include "troupe/http/router.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "troupe/http/request_context.hpp"
#include "troupe/runtime/errors.hpp"

using namespace troupe::http;

namespace {

struct capture_sink : response_sink {
  std::vector<http_response> responses;
  void deliver(http_response res) override {
    responses.push_back(std::move(res));
  }
};

struct router_test : ::testing::Test {
  router r;
  std::shared_ptr<capture_sink> sink = std::make_shared<capture_sink>();

  http_response run(method m, std::string target, std::string body = {}) {
    sink->responses.clear();
    http_request req;
    req.verb = m;
    req.method_name = to_string(m);
    req.target = std::move(target);
    req.body = std::move(body);
    req.client_address = "127.0.0.1";
    last_route = std::string{
        r.dispatch(std::move(req), sink, nullptr, std::chrono::seconds{1})};
    EXPECT_EQ(sink->responses.size(), 1u);
    return sink->responses.empty() ? http_response{} : sink->responses.back();
  }

  std::string last_route;
};

} // namespace

TEST_F(router_test, exact_prefix_404_405) {
  r.add(method::get, "/a", [](request_context& ctx) {
    ctx.respond(200, ctx.path() + "|" + ctx.query("x").value_or("-"));
  });
  r.add(method::put, "/a", [](request_context& ctx) { ctx.respond(204, {}); });
  r.add_prefix(method::get, "/s/", [](request_context& ctx) {
    ctx.redirect(301, "http://x/" + ctx.remainder());
  });
  r.add_prefix(method::get, "/s/long/", [](request_context& ctx) {
    ctx.respond(200, "long:" + ctx.remainder());
  });
  EXPECT_EQ(run(method::get, "/a?x=a%20b+c&y").body, "/a|a b c");
  EXPECT_EQ(last_route, "/a");
  auto res = run(method::get, "/s/abc");
  EXPECT_EQ(res.status, 301u);
  EXPECT_EQ(res.headers.at(0).second, "http://x/abc");
  EXPECT_EQ(last_route, "/s/");
  EXPECT_EQ(run(method::get, "/s/long/q").body, "long:q");
  res = run(method::post, "/a");
  EXPECT_EQ(res.status, 405u);
  EXPECT_EQ(res.headers.at(0).first, "Allow");
  EXPECT_EQ(res.headers.at(0).second, "GET, PUT");
  auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["error"]["code"], "method_not_allowed");
  res = run(method::get, "/nope");
  EXPECT_EQ(res.status, 404u);
  EXPECT_EQ(nlohmann::json::parse(res.body)["error"]["code"], "not_found");
  EXPECT_EQ(last_route, "unmatched");
}

TEST_F(router_test, malformed_escapes_are_400_before_the_handler) {
  bool called = false;
  r.add(method::get, "/a", [&called](request_context& ctx) {
    called = true;
    ctx.respond(200, "x");
  });
  for (auto target : {"/a?x=%zz", "/a?x=%4", "/a?x=%", "/a%2"}) {
    auto res = run(method::get, target);
    EXPECT_EQ(res.status, 400u) << target;
    EXPECT_EQ(nlohmann::json::parse(res.body)["error"]["code"],
              "invalid_argument");
  }
  EXPECT_FALSE(called);
}

TEST_F(router_test, respond_once_and_unanswered_is_500) {
  r.add(method::get, "/twice", [](request_context& ctx) {
    ctx.respond(200, "first");
    ctx.respond(500, "second");
    EXPECT_TRUE(ctx.responded());
  });
  r.add(method::get, "/silent", [](request_context&) {});
  r.add(method::get, "/throws",
        [](request_context&) { throw std::runtime_error("boom"); });
  r.add(method::get, "/error", [](request_context& ctx) {
    ctx.respond_error(
        troupe::runtime::make_error(troupe::runtime::errc::overloaded, "busy"));
  });
  EXPECT_EQ(run(method::get, "/twice").body, "first");
  EXPECT_EQ(run(method::get, "/silent").status, 500u);
  EXPECT_EQ(run(method::get, "/throws").status, 500u);
  auto res = run(method::get, "/error");
  EXPECT_EQ(res.status, 429u);
  EXPECT_EQ(res.body, R"({"error":{"code":"overloaded","message":"busy"}})");
  EXPECT_EQ(res.headers.at(0).first, "Retry-After");
}

TEST_F(router_test, context_exposes_request) {
  r.add(method::post, "/p", [](request_context& ctx) {
    nlohmann::json j;
    j["ct"] = ctx.header("content-type").value_or("");
    j["body"] = ctx.body();
    j["client"] = ctx.client_address();
    j["method"] = ctx.method_name();
    j["target"] = ctx.target();
    ctx.respond_json(201, j);
  });
  sink->responses.clear();
  http_request req;
  req.verb = method::post;
  req.method_name = "POST";
  req.target = "/p?q=1";
  req.headers = {{"Content-Type", "text/plain"}};
  req.body = "hello";
  req.client_address = "10.0.0.1";
  r.dispatch(std::move(req), sink, nullptr, std::chrono::seconds{1});
  ASSERT_EQ(sink->responses.size(), 1u);
  EXPECT_EQ(sink->responses[0].status, 201u);
  EXPECT_EQ(nlohmann::json::parse(sink->responses[0].body),
            nlohmann::json::parse(R"({"ct":"text/plain","body":"hello",
              "client":"10.0.0.1","method":"POST","target":"/p?q=1"})"));
}

TEST_F(router_test, streaming_routes_are_found_and_pull_their_body) {
  EXPECT_FALSE(r.has_streaming());
  r.add(method::get, "/import", [](request_context& ctx) {
    EXPECT_FALSE(ctx.streaming());
    ctx.read_body(10, [&ctx](std::string data, body_chunk state) {
      ctx.respond(200, to_string(state) + std::string{"|"} + data);
    });
  });
  r.add_streaming(
      method::post, "/import",
      [](request_context& ctx) {
        EXPECT_TRUE(ctx.streaming());
        // Without a connection the body is served in pieces.
        auto pieces = std::make_shared<std::string>();
        auto next = std::make_shared<std::function<void()>>();
        *next = [&ctx, pieces, next] {
          ctx.read_body(
              4, [&ctx, pieces, next](std::string data, body_chunk state) {
                *pieces += data + "|";
                if (state == body_chunk::more)
                  return (*next)();
                *pieces += to_string(state);
                *next = nullptr; // breaks the cycle
                ctx.read_body(4, [&ctx, pieces](std::string, body_chunk again) {
                  ctx.respond(200, *pieces + "|" + to_string(again) + "|" +
                                       std::to_string(ctx.body_bytes_read()));
                });
              });
        };
        (*next)();
      },
      100, "import");
  r.add(method::post, "/plain",
        [](request_context& ctx) { ctx.respond(200, ctx.body()); });
  EXPECT_TRUE(r.has_streaming());
  auto rt = r.find_streaming(method::post, "/import?x=1");
  ASSERT_NE(rt, nullptr);
  EXPECT_TRUE(rt->streaming);
  EXPECT_EQ(rt->name, "import");
  EXPECT_EQ(rt->max_body_bytes, 100u);
  EXPECT_EQ(r.find_streaming(method::post, "/%69mport"), rt); // decoded
  EXPECT_EQ(r.find_streaming(method::get, "/import"), nullptr);
  EXPECT_EQ(r.find_streaming(method::put, "/import"), nullptr);
  EXPECT_EQ(r.find_streaming(method::post, "/plain"), nullptr);
  EXPECT_EQ(r.find_streaming(method::post, "/import/x"), nullptr);
  EXPECT_EQ(r.find_streaming(method::post, "/imp%zzort"), nullptr);
  EXPECT_EQ(run(method::post, "/import", "abcdefghij").body,
            "abcd|efgh|ij|last|failed|10");
  EXPECT_EQ(last_route, "import");
  EXPECT_EQ(run(method::post, "/import").body, "|last|failed|0");
  EXPECT_EQ(run(method::get, "/import").body, "failed|");
  EXPECT_EQ(run(method::post, "/plain", "p").body, "p");
}
