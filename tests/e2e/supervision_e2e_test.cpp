// Supervision: crashed shards restart from durable state; too many crashes
// escalate and stop only that shard. Driven by the fault-injection route.
#include "harness.hpp"
#include "shared_node.hpp"

#include <thread>

#include <sys/wait.h>

#include <gtest/gtest.h>

using namespace troupe_e2e;
using namespace std::chrono_literals;

namespace {

const std::string paste_path = "/pastebin/api/v1/paste";
const std::string token = "s3cret-token";

std::string fault_config(const std::string& runtime_extra = "") {
  return R"(
[[nodes]]
name = "n1"
actor = "127.0.0.1:{ACTOR_PORT}"
http = "127.0.0.1:{PORT}"
data_dir = "{DATA_DIR}"

[runtime]
fault_injection = true
admin_token = ")" +
         token + "\"\n" + runtime_extra;
}

struct paste {
  std::string shortlink;
  std::string contents;
};

std::vector<paste> create_pastes(connection& c, int n, const std::string& tag) {
  std::vector<paste> out;
  for (int i = 0; i < n; ++i) {
    std::string contents = tag + " paste " + std::to_string(i) +
                           " \xF0\x9F\x94\xA5 " + std::string(i * 11, 'q');
    auto r =
        post_json(c, paste_path, json{{"paste_contents", contents}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status == 201)
      out.push_back({r.body_json()["shortlink"].get<std::string>(), contents});
  }
  return out;
}

http_response get_paste(connection& c, const std::string& link) {
  return c.request("GET", paste_path + "?shortlink=" + link);
}

http_response crash(connection& c, const std::string& query,
                    const std::string& tok = token) {
  return c.request("POST", "/admin/v1/fault/crash?" + query, "",
                   {{"X-Admin-Token", tok}});
}

/// Polls GET of `p` until it answers 200 with its contents.
bool wait_readable(connection& c, const paste& p,
                   std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto g = get_paste(c, p.shortlink);
    if (g.status == 200 && g.body_json()["paste_contents"] == p.contents)
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

/// Reads every paste but the first (the victim) and returns how many were
/// served intact; the others must answer 503 unavailable (a key shares the
/// victim's shard about 1 in 64).
int served_besides_victim(connection& c, const std::vector<paste>& pastes) {
  int served = 0;
  for (size_t i = 1; i < pastes.size(); ++i) {
    auto g = get_paste(c, pastes[i].shortlink);
    if (g.status == 200) {
      EXPECT_EQ(g.body_json()["paste_contents"], pastes[i].contents);
      ++served;
    } else {
      EXPECT_EQ(g.status, 503) << g.body;
      EXPECT_EQ(g.error_code(), "unavailable") << g.body;
    }
  }
  return served;
}

double pastebin_metric(uint16_t port, const std::string& name) {
  auto m = request(port, "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  return metric_value(m.body, name + "{service=\"pastebin\"}");
}

} // namespace

TEST(e2eSupervision, AdminRouteAbsentWhenDisabled) {
  node_process node; // default config: fault_injection = false
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  auto r = crash(c, "service=pastebin&shard=0", "");
  EXPECT_EQ(r.status, 404) << r.body;
  r = crash(c, "service=pastebin&shard=0", "anything");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
}

TEST(e2eSupervision, WrongOrMissingTokenIs401) {
  node_process node{fault_config()};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  auto pastes = create_pastes(c, 1, "token");
  ASSERT_EQ(pastes.size(), 1u);
  for (const std::string& tok :
       std::vector<std::string>{"wrong", "", token + "x"}) {
    auto r = crash(c, "service=pastebin&key=" + pastes[0].shortlink, tok);
    EXPECT_EQ(r.status, 401) << "token '" << tok << "': " << r.body;
    EXPECT_EQ(r.error_code(), "unauthenticated") << r.body;
  }
  auto no_header =
      c.request("POST", "/admin/v1/fault/crash?service=pastebin&shard=0");
  EXPECT_EQ(no_header.status, 401) << no_header.body;
  // Nothing crashed.
  EXPECT_EQ(pastebin_metric(node.port(), "troupe_shard_restarts"), 0);
  // A wrong method on the admin route is 405.
  EXPECT_EQ(c.request("GET", "/admin/v1/fault/crash?service=pastebin&shard=0",
                      "", {{"X-Admin-Token", token}})
                .status,
            405);
}

TEST(e2eSupervision, CrashedShardRestartsFromDurableState) {
  node_process node{fault_config()};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  auto pastes = create_pastes(c, 24, "restart");
  ASSERT_EQ(pastes.size(), 24u);
  const auto& victim = pastes[0];

  auto r = crash(c, "service=pastebin&key=" + victim.shortlink);
  ASSERT_EQ(r.status, 202) << r.body;
  auto j = r.body_json();
  EXPECT_EQ(j["crashed"]["service"], "pastebin") << r.body;
  EXPECT_TRUE(j["crashed"]["shard"].is_number_integer()) << r.body;

  // Right away, the other pastes are served (keys that share the victim's
  // shard may briefly wait for its restart, but must not fail otherwise).
  int served = served_besides_victim(c, pastes);
  EXPECT_GE(served, 20) << "other shards did not keep serving";
  // New writes are accepted too.
  EXPECT_EQ(create_pastes(c, 3, "after-crash").size(), 3u);

  // After the restart the crashed shard's data is back, intact.
  ASSERT_TRUE(wait_readable(c, victim)) << node.log();
  for (const auto& p : pastes)
    EXPECT_TRUE(wait_readable(c, p, 5s)) << p.shortlink;

  EXPECT_GE(pastebin_metric(node.port(), "troupe_shard_restarts"), 1);
  EXPECT_EQ(pastebin_metric(node.port(), "troupe_shard_escalations"), 0);

  // Crash by shard index as well.
  auto by_index = crash(c, "service=pastebin&shard=5");
  EXPECT_EQ(by_index.status, 202) << by_index.body;
  EXPECT_EQ(by_index.body_json()["crashed"]["shard"], 5);
  // Bad parameters are 400 / 404.
  EXPECT_EQ(crash(c, "service=pastebin&shard=64").status, 400);
  EXPECT_EQ(crash(c, "service=pastebin").status, 400);
  EXPECT_EQ(crash(c, "service=nosuch&shard=1").status, 404);
  for (const auto& p : pastes)
    EXPECT_TRUE(wait_readable(c, p, 5s)) << p.shortlink;

  stop_cleanly(node);
}

TEST(e2eSupervision, RepeatedCrashesEscalateOnlyThatShard) {
  node_process node{
      fault_config("max_restarts = 2\nrestart_period_ms = 60000\n")};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  auto pastes = create_pastes(c, 24, "escalate");
  ASSERT_EQ(pastes.size(), 24u);
  const auto& victim = pastes[0];

  // Two crashes are within max_restarts: the shard comes back each time.
  for (int i = 0; i < 2; ++i) {
    auto r = crash(c, "service=pastebin&key=" + victim.shortlink);
    ASSERT_EQ(r.status, 202) << r.body;
    ASSERT_TRUE(wait_readable(c, victim))
        << "shard not back after crash " << i + 1 << "\n"
        << node.log();
  }
  EXPECT_GE(pastebin_metric(node.port(), "troupe_shard_restarts"), 2);
  EXPECT_EQ(pastebin_metric(node.port(), "troupe_shard_escalations"), 0);

  // The third crash within the period escalates.
  auto r = crash(c, "service=pastebin&key=" + victim.shortlink);
  ASSERT_EQ(r.status, 202) << r.body;
  http_response g;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    g = get_paste(c, victim.shortlink);
    if (g.status == 503)
      break;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(g.status, 503) << g.body;
  EXPECT_EQ(g.error_code(), "unavailable") << g.body;
  // It stays down.
  std::this_thread::sleep_for(500ms);
  g = get_paste(c, victim.shortlink);
  EXPECT_EQ(g.status, 503) << g.body;

  // Other shards keep serving. Keys that happen to share the victim's shard
  // (about 1 in 64 each) answer 503 unavailable as well.
  int served = served_besides_victim(c, pastes);

  EXPECT_GE(served, 19) << "other shards stopped serving";
  EXPECT_GE(pastebin_metric(node.port(), "troupe_shard_escalations"), 1);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);

  stop_cleanly(node);
}
