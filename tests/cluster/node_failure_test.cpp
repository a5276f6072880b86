// One node of three fails: killed (SIGKILL: its connections drop) or frozen
// (SIGSTOP: it goes silent). The survivors mark it down, fail requests in
// flight towards it fast with 503, and serve every shard: their own, and
// the failed node's from the backups, which take over. The node serves its
// data again once it is back. (Writes during the failure: failover_test.)
#include "cluster.hpp"

#include <future>

#include <gtest/gtest.h>

using namespace troupe_cluster;
using namespace std::chrono_literals;

namespace {

constexpr size_t paste_count = 30;
constexpr size_t victim = 2;               // n3
const std::vector<size_t> survivors{0, 1}; // n1, n2

/// Slack on top of the failure timeout for the failure detector's tick and
/// a loaded machine.
constexpr auto detection_slack = std::chrono::seconds(3);

/// Returns whether every paste reads back (200, same contents) through
/// node `via` within `timeout`: the backups take over the failed node's
/// shards.
bool served_within(uint16_t via, const std::vector<paste>& pastes,
                   millis timeout) {
  return eventually(
      [&] {
        for (const auto& p : pastes) {
          auto r = get_paste(via, p.shortlink);
          if (r.status != 200 ||
              r.body_json().value("paste_contents", "") != p.contents)
            return false;
        }
        return true;
      },
      timeout);
}

/// Pastes written through every node, then one node fails.
class node_failure_test : public fresh_cluster_test {
protected:
  void SetUp() override {
    fresh_cluster_test::SetUp();
    if (HasFatalFailure())
      return;
    pastes_ = create_pastes(c(), paste_count, "before the failure");
    ASSERT_EQ(pastes_.size(), paste_count);
    victims_pastes_ = owned_by(c(), pastes_, victim);
    others_pastes_ = owned_by(c(), pastes_, victim, false);
    ASSERT_FALSE(victims_pastes_.empty()) << "n3 owns none of the pastes";
    ASSERT_FALSE(others_pastes_.empty());
  }

  /// Deadline for the survivors to notice a failure that happened at `at`.
  std::chrono::steady_clock::time_point
  detection_deadline(std::chrono::steady_clock::time_point at) {
    return at + c().settings().failure_timeout + detection_slack;
  }

  std::vector<paste> pastes_;
  std::vector<paste> victims_pastes_;
  std::vector<paste> others_pastes_;
};

// -- SIGKILL ------------------------------------------------------------------

class clusterKill9 : public node_failure_test {
protected:
  void SetUp() override {
    node_failure_test::SetUp();
    if (HasFatalFailure())
      return;
    killed_at_ = std::chrono::steady_clock::now();
    c().node(victim).kill9();
  }

  /// Waits until both survivors see the victim down.
  bool victim_seen_down() {
    return c().wait_seen(survivors, victim, "down",
                         detection_deadline(killed_at_));
  }

  std::chrono::steady_clock::time_point killed_at_;
};

} // namespace

TEST_F(clusterKill9, SurvivorsSeeTheKilledNodeDownWithinTheFailureTimeout) {
  EXPECT_TRUE(
      c().wait_seen(survivors, victim, "down", detection_deadline(killed_at_)))
      << "after " << elapsed_ms(killed_at_) << " ms: n1 sees n3 "
      << c().state_seen(0, victim) << ", n2 sees n3 "
      << c().state_seen(1, victim);
  for (size_t i : survivors)
    EXPECT_EQ(c().view(i)["quorum"], true) << c().name(i);
}

TEST_F(clusterKill9, BackupsServeTheKilledNodesPastesAfterTakingOver) {
  ASSERT_TRUE(victim_seen_down());
  for (size_t via : survivors)
    EXPECT_TRUE(served_within(c().port(via), victims_pastes_,
                              c().settings().failover_allowance()))
        << "via " << c().name(via);
  expect_pastes_served(c().port(0), victims_pastes_); // with messages
  // Both survivors name the backup as serving the victim's shards, and
  // that backup reports them up. Shards without the pastes above may still
  // be failing over: wait for every view to settle (bounded), then check.
  eventually(
      [&] {
        for (size_t i : survivors)
          for (const auto& row : c().view(i)["shards"]["pastebin"])
            if (row["primary"] == c().name(victim) &&
                (row["serving"] != row["replicas"][0] ||
                 (row["replicas"][0] == c().name(i) &&
                  row.value("state", "") != "up")))
              return false;
        return true;
      },
      c().settings().failover_allowance());
  for (size_t i : survivors) {
    auto view = c().view(i);
    for (const auto& row : view["shards"]["pastebin"]) {
      if (row["primary"] != c().name(victim))
        continue;
      EXPECT_EQ(row["serving"], row["replicas"][0]) << row.dump();
      bool runs_it = row["replicas"][0] == c().name(i);
      EXPECT_EQ(row.value("state", "(none)"), runs_it ? "up" : "(none)")
          << c().name(i) << ": " << row.dump();
    }
  }
  double moves = 0;
  for (size_t i : survivors)
    moves += troupe_e2e::metric_value(
        send(c().port(i), "GET", "/metrics").body,
        "troupe_shard_moves_total{service=\"pastebin\"}");
  EXPECT_GT(moves, 0) << "no shard move counted";
}

TEST_F(clusterKill9, ReadsOfTheOtherShardsStillSucceed) {
  ASSERT_TRUE(victim_seen_down());
  for (size_t via : survivors) {
    SCOPED_TRACE("via " + c().name(via));
    expect_pastes_served(c().port(via), others_pastes_);
  }
}

// The cache is memory-only: the killed node's cache shards start empty on
// their backups, which then take writes like any other shard.
TEST_F(clusterKill9, CacheWritesToEveryShardAreAcceptedAfterTheTakeOver) {
  ASSERT_TRUE(victim_seen_down());
  size_t victims = 0;
  for (size_t k = 0; k < 30; ++k) {
    auto key = "after the kill " + std::to_string(k);
    victims += c().owner_of("cache", key) == victim ? 1 : 0;
    auto via = survivors[k % survivors.size()];
    auto other = survivors[(k + 1) % survivors.size()];
    EXPECT_TRUE(eventually(
        [&] { return put_entry(c().port(via), key, "v").status == 204; },
        c().settings().failover_allowance()))
        << key;
    // The other node may learn of the take-over a moment later (503
    // meanwhile, as docs/api.md says of reads during a failover).
    EXPECT_TRUE(
        eventually([&] { return get_entry(c().port(other), key).body == "v"; },
                   c().settings().failover_allowance()))
        << key << ": " << get_entry(c().port(other), key).body;
  }
  EXPECT_GT(victims, 0u) << "no key of the killed node's shards was tried";
}

// The shortlink of a new paste is the server's choice: it picks one whose
// shard's owner is up, so with one node of three down every create works.
TEST_F(clusterKill9, EveryPasteCreateSucceedsWhileOneNodeIsDown) {
  ASSERT_TRUE(victim_seen_down());
  std::vector<paste> created;
  for (size_t k = 0; k < 30; ++k) {
    auto via = survivors[k % survivors.size()];
    auto contents = "after the kill " + std::to_string(k);
    auto r = send(c().port(via), "POST", "/pastebin/api/v1/paste",
                  json{{"paste_contents", contents}}.dump());
    ASSERT_EQ(r.status, 201)
        << "create " << k << " via " << c().name(via) << ": " << r.body;
    created.push_back({r.body_json()["shortlink"], contents});
  }
  for (size_t via : survivors)
    expect_pastes_served(c().port(via), created);
}

TEST_F(clusterKill9, RestartedNodeComesBackUpAndServesItsOldPastes) {
  ASSERT_TRUE(victim_seen_down());
  ASSERT_TRUE(c().node(victim).restart()); // same ports, same data dir
  auto deadline = std::chrono::steady_clock::now() + 20s;
  EXPECT_TRUE(c().wait_seen({0, 1, 2}, victim, "up", deadline));
  for (size_t i : survivors)
    EXPECT_TRUE(c().wait_seen({victim}, i, "up", deadline)) << c().name(i);
  for (size_t via = 0; via < c().size(); ++via) {
    SCOPED_TRACE("via " + c().name(via));
    expect_pastes_served(c().port(via), victims_pastes_);
  }
}

// -- SIGSTOP ------------------------------------------------------------------

namespace {

class clusterFreeze : public node_failure_test {
protected:
  void TearDown() override {
    c().thaw(victim); // harmless when it is not frozen
    node_failure_test::TearDown();
  }
};

} // namespace

TEST_F(clusterFreeze,
       ReadOfAFrozenNodesShardFailsWith503AfterTheFailureTimeout) {
  const auto& p = victims_pastes_.front();
  c().freeze(victim);
  auto frozen_at = std::chrono::steady_clock::now();
  auto r = get_paste(c().port(0), p.shortlink); // in flight to the frozen n3
  auto took = elapsed_ms(frozen_at);
  RecordProperty("failed_after_ms", std::to_string(took));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.error_code(), "unavailable") << r.body;
  auto failure_timeout = c().settings().failure_timeout;
  EXPECT_LT(took, millis(failure_timeout + detection_slack).count())
      << "failed at " << took << " ms (failure timeout "
      << failure_timeout.count() << " ms, request timeout "
      << c().settings().request_timeout.count() << " ms)";
  // With etcd the read may fail first because n3's lease expired; n1 then
  // also finds n3 silent.
  EXPECT_TRUE(
      c().wait_seen({0}, victim, "down", detection_deadline(frozen_at)));
}

TEST_F(clusterFreeze, FrozenNodeIsSeenDownWhileTheOthersServeEveryShard) {
  c().freeze(victim);
  auto frozen_at = std::chrono::steady_clock::now();
  EXPECT_TRUE(
      c().wait_seen(survivors, victim, "down", detection_deadline(frozen_at)));
  for (size_t via : survivors) {
    SCOPED_TRACE("via " + c().name(via));
    expect_pastes_served(c().port(via), others_pastes_);
    EXPECT_TRUE(served_within(c().port(via), victims_pastes_,
                              c().settings().failover_allowance()));
  }
}

TEST_F(clusterFreeze, ThawedNodeIsUpAgainAndServesItsPastes) {
  c().freeze(victim);
  auto frozen_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      c().wait_seen(survivors, victim, "down", detection_deadline(frozen_at)));
  c().thaw(victim);
  EXPECT_TRUE(c().wait_formed({0, 1, 2}, 20s));
  for (size_t via = 0; via < c().size(); ++via) {
    SCOPED_TRACE("via " + c().name(via));
    expect_pastes_served(c().port(via), victims_pastes_);
  }
}

// -- a node that goes down with requests in flight ----------------------------

namespace {

/// A failure timeout long enough that a request failed at once when its
/// node's connection drops is told apart from one failed by the detector.
class clusterInFlight : public node_failure_test {
protected:
  node_settings settings() const override {
    node_settings s;
    s.failure_timeout = std::chrono::seconds(8);
    return s;
  }
};

} // namespace

TEST_F(clusterInFlight, ReadInFlightFailsAtOnceWhenItsOwnerIsKilled) {
  const auto& p = victims_pastes_.front();
  c().freeze(victim); // holds the read at n3 ...
  auto pending = std::async(
      std::launch::async, [&] { return get_paste(c().port(0), p.shortlink); });
  ASSERT_TRUE(eventually([&] { return in_flight(c().port(0)) >= 2; }, 5s));
  auto killed_at = std::chrono::steady_clock::now();
  c().node(victim).kill9(); // ... until its connection drops
  auto r = pending.get();
  auto took = elapsed_ms(killed_at);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.error_code(), "unavailable") << r.body;
  EXPECT_LT(took, millis(c().settings().failure_timeout / 2).count())
      << "failed " << took << " ms after the kill: " << r.body;
}
