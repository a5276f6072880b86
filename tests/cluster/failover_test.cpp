// Failover under load, catch-up and rejoin: clients keep creating pastes
// through every node while one node is killed (SIGKILL) or frozen
// (SIGSTOP); afterwards every acknowledged paste reads back unchanged. A
// node that returns catches up before it serves its shards again.
#include "cluster.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

using namespace troupe_cluster;
using namespace std::chrono_literals;

namespace {

constexpr size_t victim = 2; // n3
const std::vector<size_t> survivors{0, 1};
constexpr size_t writers = 6;

/// Clients that create pastes through every node in turn until stopped,
/// keeping what was acknowledged (201) and when.
class paste_writers {
public:
  explicit paste_writers(cluster& c) : c_(c) {
    for (size_t w = 0; w < writers; ++w)
      threads_.emplace_back([this, w] { run(w); });
  }

  ~paste_writers() { stop(); }

  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
  }

  /// Acknowledged pastes, and how many of them were acknowledged after
  /// `since`.
  std::vector<paste> acked() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return acked_;
  }
  size_t acked_since(std::chrono::steady_clock::time_point since) const {
    std::lock_guard<std::mutex> guard{mtx_};
    size_t n = 0;
    for (auto at : acked_at_)
      n += at >= since ? 1 : 0;
    return n;
  }
  size_t failed() const { return failed_; }

private:
  void run(size_t w) {
    for (size_t k = 0; !stop_; ++k) {
      auto via = (w + k) % c_.size();
      auto contents = "writer " + std::to_string(w) + " paste " +
                      std::to_string(k) + " via " + c_.name(via);
      auto r = send(c_.port(via), "POST", "/pastebin/api/v1/paste",
                    json{{"paste_contents", contents}}.dump(), 5s);
      if (r.status != 201) {
        ++failed_; // refused or cut off: not acknowledged, so not checked
        std::this_thread::sleep_for(10ms);
        continue;
      }
      std::lock_guard<std::mutex> guard{mtx_};
      acked_.push_back({r.body_json()["shortlink"], contents});
      acked_at_.push_back(std::chrono::steady_clock::now());
    }
  }

  cluster& c_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> failed_{0};
  mutable std::mutex mtx_;
  std::vector<paste> acked_;
  std::vector<std::chrono::steady_clock::time_point> acked_at_;
  std::vector<std::thread> threads_;
};

/// Expects every paste to read back unchanged through each node of `via`;
/// reports the first few misses only.
void expect_all_served(cluster& c, const std::vector<paste>& pastes,
                       const std::vector<size_t>& via) {
  for (size_t v : via) {
    size_t missed = 0;
    for (const auto& p : pastes) {
      auto r = get_paste(c.port(v), p.shortlink);
      bool ok = r.status == 200 &&
                r.body_json().value("paste_contents", "") == p.contents;
      if (!ok && ++missed <= 5)
        ADD_FAILURE() << "via " << c.name(v) << ": " << p.shortlink << " ("
                      << p.contents << "): " << r.status << " " << r.body;
    }
    EXPECT_EQ(missed, 0u) << "of " << pastes.size() << " acknowledged pastes, "
                          << missed << " not served via " << c.name(v);
  }
}

class clusterFailover : public fresh_cluster_test {};

} // namespace

TEST_F(clusterFailover, NoAcknowledgedPasteIsLostWhenANodeIsKilledUnderLoad) {
  paste_writers load{c()};
  std::this_thread::sleep_for(1s);
  auto killed_at = std::chrono::steady_clock::now();
  c().node(victim).kill9();
  auto allowance = c().settings().failover_allowance();
  std::this_thread::sleep_for(allowance + 1s);
  load.stop();
  auto pastes = load.acked();
  RecordProperty("acknowledged", std::to_string(pastes.size()));
  RecordProperty("failed", std::to_string(load.failed()));
  ASSERT_GT(pastes.size(), 50u);
  EXPECT_GT(load.acked_since(killed_at + allowance), 0u)
      << "no create succeeded after the take-over";
  EXPECT_FALSE(owned_by(c(), pastes, victim).empty());
  expect_all_served(c(), pastes, survivors);
}

TEST_F(clusterFailover, NoAcknowledgedPasteIsLostWhenANodeIsFrozenUnderLoad) {
  paste_writers load{c()};
  std::this_thread::sleep_for(1s);
  auto frozen_at = std::chrono::steady_clock::now();
  c().freeze(victim);
  auto allowance = c().settings().failover_allowance();
  std::this_thread::sleep_for(allowance + 1s);
  c().thaw(victim);
  std::this_thread::sleep_for(1s);
  load.stop();
  auto pastes = load.acked();
  RecordProperty("acknowledged", std::to_string(pastes.size()));
  ASSERT_GT(pastes.size(), 50u);
  EXPECT_GT(load.acked_since(frozen_at + allowance), 0u)
      << "no create succeeded after the take-over";
  ASSERT_TRUE(c().wait_formed({0, 1, 2}, 20s));
  // The thawed node caught up: every node, itself included, serves all.
  expect_all_served(c(), pastes, {0, 1, 2});
}

// The hand-over back to a returning node happens while clients write:
// writes that reach the shard while it moves are stashed and served by
// the new primary, or refused (never acknowledged and then lost).
TEST_F(clusterFailover,
       NoAcknowledgedPasteIsLostWhileAKilledNodeRejoinsUnderLoad) {
  paste_writers load{c()};
  std::this_thread::sleep_for(1s);
  c().node(victim).kill9();
  // The survivors take its shards over once its lease expired.
  std::this_thread::sleep_for(c().settings().failover_allowance());
  auto restarted_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(c().node(victim).restart());
  ASSERT_TRUE(c().wait_formed({0, 1, 2}, 20s));
  std::this_thread::sleep_for(1s);
  load.stop();
  auto pastes = load.acked();
  RecordProperty("acknowledged", std::to_string(pastes.size()));
  EXPECT_GT(load.acked_since(restarted_at), 0u);
  double moves = troupe_e2e::metric_value(
      send(c().port(victim), "GET", "/metrics").body,
      "troupe_shard_moves_total{service=\"pastebin\"}");
  double handed = 0;
  for (size_t i : survivors)
    handed += troupe_e2e::metric_value(
        send(c().port(i), "GET", "/metrics").body,
        "troupe_shard_moves_total{service=\"pastebin\"}");
  EXPECT_EQ(moves, 0) << "the returning node took its shards back by "
                         "hand-over, not by take-over";
  EXPECT_GT(handed, 0) << "the survivors counted no move";
  expect_all_served(c(), pastes, {0, 1, 2});
}

// The killed node restarts on its data dir, catches up with what was
// written while it was down, and takes its shards back. Proof that the
// data came over: with both other nodes killed, it still serves the pastes
// of its own shards written while it was down (a lone node serves reads of
// the shards it is the preferred primary of).
TEST_F(clusterFailover, ReturningNodeCatchesUpBeforeServingItsShards) {
  c().node(victim).kill9();
  ASSERT_TRUE(c().wait_seen(survivors, victim, "down",
                            std::chrono::steady_clock::now() + 10s));
  std::vector<paste> written;
  ASSERT_TRUE(eventually(
      [&] {
        auto more = create_pastes_via(c(), survivors, 2,
                                      "while n3 is down " +
                                          std::to_string(written.size()));
        written.insert(written.end(), more.begin(), more.end());
        return owned_by(c(), written, victim).size() >= 10;
      },
      20s));
  ASSERT_TRUE(c().node(victim).restart());
  ASSERT_TRUE(c().wait_formed({0, 1, 2}, 20s));
  expect_all_served(c(), written, {victim});
  c().node(0).kill9();
  c().node(1).kill9();
  auto own = owned_by(c(), written, victim);
  EXPECT_TRUE(eventually(
      [&] {
        for (const auto& p : own)
          if (get_paste(c().port(victim), p.shortlink).status != 200)
            return false;
        return true;
      },
      10s))
      << "n3 alone does not serve the pastes of its shards written while "
         "it was down";
  expect_all_served(c(), own, {victim});
}

TEST_F(clusterFailover,
       NothingIsLostWhenTheWholeClusterRestartsAfterAFailover) {
  c().node(victim).kill9();
  ASSERT_TRUE(c().wait_seen(survivors, victim, "down",
                            std::chrono::steady_clock::now() + 10s));
  auto written = create_pastes_via(c(), survivors, 40, "while n3 is down");
  ASSERT_EQ(written.size(), 40u);
  ASSERT_TRUE(c().node(victim).restart());
  ASSERT_TRUE(c().wait_formed({0, 1, 2}, 20s));
  auto more = create_pastes(c(), 20, "after n3 returned");
  written.insert(written.end(), more.begin(), more.end());
  for (size_t i = 0; i < c().size(); ++i)
    c().node(i).kill9();
  for (size_t i = 0; i < c().size(); ++i)
    c().start_node(i);
  ASSERT_TRUE(c().wait_formed({0, 1, 2}, 30s));
  expect_all_served(c(), written, {0, 1, 2});
}

// The backup that took over wrote nothing under its new epoch: the
// returning node must still learn that epoch and take a newer one, or the
// backup would refuse its entries and the first writes would fail. n1 is
// the one to kill: its epochs carry the lowest node index, so it would
// not out-number its backups' epochs by chance.
TEST_F(clusterFailover,
       WritesSucceedAtOnceAfterTheKilledNodeTakesItsShardsBack) {
  constexpr size_t first = 0;
  c().node(first).kill9();
  ASSERT_TRUE(c().wait_seen({1, 2}, first, "down",
                            std::chrono::steady_clock::now() + 10s));
  ASSERT_TRUE(c().node(first).restart());
  ASSERT_TRUE(c().wait_formed({0, 1, 2}, 20s));
  auto written = create_pastes_via(c(), {0, 1, 2}, 60, "after n1 returned");
  ASSERT_EQ(written.size(), 60u);
  EXPECT_FALSE(owned_by(c(), written, first).empty());
  expect_all_served(c(), written, {0, 1, 2});
}
