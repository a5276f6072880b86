// Durability: every paste acknowledged with 201 survives kill -9 of the node.
#include "harness.hpp"

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

using namespace troupe_e2e;
using namespace std::chrono_literals;

namespace {

const std::string paste_path = "/pastebin/api/v1/paste";

struct acked {
  std::string shortlink;
  std::string contents;
};

/// Runs `writers` keep-alive writers against the node, kills it with SIGKILL
/// after `kill_after` while they are still writing, restarts it on the same
/// data dir and checks every acknowledged paste. Returns the ack count.
size_t kill9_during_writes(node_process& node, int writers,
                           std::chrono::milliseconds kill_after) {
  std::mutex mtx;
  std::vector<acked> acks;
  std::atomic<size_t> attempts{0};
  std::atomic<size_t> failures{0};
  std::atomic<size_t> unexpected{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      std::vector<acked> mine;
      std::unique_ptr<connection> c;
      for (size_t i = 0; !stop.load(); ++i) {
        // Unique, slightly varied contents (some multi-byte, some longer).
        std::string contents =
            "w" + std::to_string(w) + "-" + std::to_string(i) +
            " \xC3\xA9\xE4\xB8\xAD " +
            std::string((i * 37 + static_cast<size_t>(w)) % 512, 'd');
        try {
          if (!c)
            c = std::make_unique<connection>(node.port(), 10s);
          ++attempts;
          auto r = post_json(*c, paste_path,
                             json{{"paste_contents", contents}}.dump());
          if (r.status == 201) {
            mine.push_back(
                {r.body_json()["shortlink"].get<std::string>(), contents});
          } else {
            ++unexpected;
          }
          if (!c->is_open())
            c.reset();
        } catch (const io_error&) {
          // Unacknowledged: the node died (or is dying) under us.
          ++failures;
          c.reset();
          if (stop.load() || failures.load() > 1000)
            break;
          std::this_thread::sleep_for(5ms);
        }
      }
      std::lock_guard<std::mutex> guard{mtx};
      acks.insert(acks.end(), mine.begin(), mine.end());
    });

  std::this_thread::sleep_for(kill_after);
  size_t acked_before_kill;
  {
    std::lock_guard<std::mutex> guard{mtx};
    acked_before_kill = acks.size(); // only finished writers; informative
  }
  (void)acked_before_kill;
  auto attempts_at_kill = attempts.load();
  node.kill9(); // writers are mid-stream here
  stop = true;
  for (auto& t : threads)
    t.join();
  EXPECT_GT(attempts_at_kill, 0u);
  EXPECT_EQ(unexpected.load(), 0u) << "non-201 answers while writing";
  EXPECT_GT(failures.load(), 0u)
      << "no writer saw the kill: the test did not kill mid-stream";

  EXPECT_TRUE(node.restart());
  if (::testing::Test::HasFailure())
    return acks.size();

  // Verify every acknowledged paste, in parallel on keep-alive connections.
  std::atomic<size_t> next{0};
  std::atomic<size_t> missing{0};
  std::atomic<size_t> wrong{0};
  std::mutex report_mtx;
  std::vector<std::string> reports;
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r)
    readers.emplace_back([&] {
      connection c{node.port(), 15s};
      for (size_t i; (i = next++) < acks.size();) {
        const auto& a = acks[i];
        auto g = c.request("GET", paste_path + "?shortlink=" + a.shortlink);
        if (g.status != 200) {
          ++missing;
          std::lock_guard<std::mutex> guard{report_mtx};
          if (reports.size() < 10)
            reports.push_back(a.shortlink + " -> " + std::to_string(g.status) +
                              " " + g.body);
        } else if (g.body_json()["paste_contents"] != a.contents) {
          ++wrong;
          std::lock_guard<std::mutex> guard{report_mtx};
          if (reports.size() < 10)
            reports.push_back(a.shortlink + " contents differ");
        }
      }
    });
  for (auto& t : readers)
    t.join();
  std::string detail;
  for (const auto& r : reports)
    detail += "  " + r + "\n";
  EXPECT_EQ(missing.load(), 0u) << "acknowledged pastes lost after kill -9 ("
                                << acks.size() << " acknowledged):\n"
                                << detail;
  EXPECT_EQ(wrong.load(), 0u) << detail;
  return acks.size();
}

const char* group_config = R"(
[[nodes]]
name = "n1"
actor = "127.0.0.1:{ACTOR_PORT}"
http = "127.0.0.1:{PORT}"
data_dir = "{DATA_DIR}"

[persistence]
durability = "group"
)";

} // namespace

namespace {

/// Runs the kill -9 scenario on a node with `config` (empty: defaults).
void acknowledged_pastes_survive_kill9(const char* label,
                                       const std::string& config) {
  node_process node{config};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  auto n = kill9_during_writes(node, 16, 2000ms);
  std::printf("[ durability ] %s: %zu acknowledged pastes, all verified "
              "after kill -9\n",
              label, n);
  ::testing::Test::RecordProperty("acknowledged", static_cast<int>(n));
  EXPECT_GT(n, 0u);
  node.terminate();
}

} // namespace

TEST(e2eDurability, SyncAcknowledgedPastesSurviveKill9) {
  acknowledged_pastes_survive_kill9("sync", ""); // default: durability sync
}

TEST(e2eDurability, GroupAcknowledgedPastesSurviveKill9) {
  acknowledged_pastes_survive_kill9("group", group_config);
}

TEST(e2eDurability, FlushedVisitCountsSurviveKill9) {
  node_process node{std::string{group_config} +
                    "\n[pastebin]\nstats_flush_interval_ms = 200\n"};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  std::string link;
  {
    connection c{node.port()};
    auto r =
        post_json(c, paste_path, json{{"paste_contents", "counted"}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    link = r.body_json()["shortlink"].get<std::string>();
    for (int i = 0; i < 6; ++i)
      ASSERT_EQ(c.request("GET", paste_path + "?shortlink=" + link).status,
                200);
  }
  // Several flush intervals pass: the counts are on disk before the kill.
  std::this_thread::sleep_for(1500ms);
  node.kill9();
  ASSERT_TRUE(node.restart());
  auto r = request(node.port(), "GET",
                   "/pastebin/api/v1/stats?month=" + utc_month());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body_json(),
            (json{{{"shortlink", link}, {"month", utc_month()}, {"hits", 6}}}))
      << r.body;
  node.terminate();
}
