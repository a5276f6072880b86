// End-to-end tests of `troupe status` against a real node.
#include "harness.hpp"
#include "shared_node.hpp"

#include <sys/wait.h>

#include <thread>

#include <gtest/gtest.h>

using namespace troupe_e2e;
using namespace std::chrono_literals;

namespace {

class status_e2e : public shared_node_test<status_e2e> {};

int exit_code(const run_result& r) {
  return WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
}

std::string endpoint(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

} // namespace

TEST_F(status_e2e, summarizes_the_running_node) {
  connection c{port()};
  for (int i = 0; i < 20; ++i) {
    auto r = post_json(
        c, "/pastebin/api/v1/paste",
        json{{"paste_contents", "status " + std::to_string(i)}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  // The sampler takes a reading every second: the route shows up in the
  // next one or two.
  run_result r;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    r = run_binary({"status", "--http", endpoint(port())});
    ASSERT_EQ(exit_code(r), 0) << r.err << r.out;
    if (r.out.find("/pastebin/api/v1/paste ") != std::string::npos)
      break;
    std::this_thread::sleep_for(500ms);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_EQ(r.out.rfind("cluster troupe  via n1  ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\nn1  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/pastebin/api/v1/paste "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\npastebin "), std::string::npos) << r.out;
  // Not a terminal: no colors.
  EXPECT_EQ(r.out.find('\033'), std::string::npos);

  auto raw = run_binary({"status", "--json", "--http", endpoint(port())});
  ASSERT_EQ(exit_code(raw), 0) << raw.err;
  auto j = json::parse(raw.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << raw.out.substr(0, 500);
  EXPECT_EQ(j.value("self", ""), "n1");
}

TEST(status_cli, unreachable_node_is_exit_1) {
  auto r = run_binary({"status", "--http", endpoint(free_port())});
  EXPECT_EQ(exit_code(r), 1) << r.out << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err.rfind("troupe: cannot reach http://127.0.0.1:", 0), 0u)
      << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
}

TEST(status_cli, bad_options_are_exit_2) {
  EXPECT_EQ(exit_code(run_binary({"status", "--no-such-flag"})), 2);
  EXPECT_EQ(exit_code(run_binary({"status", "--http", "nope"})), 2);
}
