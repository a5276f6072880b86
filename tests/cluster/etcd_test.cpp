// etcd as the configuration manager, seen from outside: every shard's
// configuration (who serves it, which replicas are in sync) shows in
// /api/v1/cluster; a replica that fails is removed from it before writes go
// on, and added back once it caught up; without etcd no node serves (its
// lease cannot be renewed), and nothing is lost once etcd is back. The
// partition lab (tests/fault) cuts networks; these run on loopback.
#include "cluster.hpp"
#include "shared_node.hpp"

#include <gtest/gtest.h>

using namespace troupe_cluster;
using namespace std::chrono_literals;

namespace {

class clusterEtcd : public fresh_cluster_test {};

/// The pastebin rows of node `observer`'s /api/v1/cluster.
json pastebin_rows(cluster& c, size_t observer) {
  return c.view(observer)["shards"]["pastebin"];
}

/// Whether every pastebin shard of which `node` is an owner lists it in
/// sync (or, with `in = false`, none does).
bool in_sync_everywhere(cluster& c, size_t observer, const std::string& node,
                        bool in) {
  auto rows = pastebin_rows(c, observer);
  if (!rows.is_array() || rows.empty())
    return false;
  for (const auto& row : rows) {
    bool owner = row["primary"] == node;
    for (const auto& r : row["replicas"])
      owner = owner || r == node;
    if (!owner)
      continue;
    bool listed = false;
    for (const auto& r : row["in_sync"])
      listed = listed || r == node;
    if (listed != in)
      return false;
  }
  return true;
}

} // namespace

TEST_F(clusterEtcd, EveryShardShowsItsConfigurationInSync) {
  for (size_t i = 0; i < c().size(); ++i) {
    auto v = c().view(i);
    EXPECT_EQ(v["membership"], "etcd");
    for (const auto& n : v["nodes"])
      EXPECT_EQ(n["lease"], true) << n.dump();
    for (const auto& row : v["shards"]["pastebin"]) {
      EXPECT_GT(row["epoch"].get<uint64_t>(), 0u) << row.dump();
      EXPECT_EQ(row["in_sync"].size(), 2u) << row.dump();
      EXPECT_EQ(row["in_sync"][0], row["serving"]) << row.dump();
    }
  }
}

TEST_F(clusterEtcd, AFailedReplicaLeavesTheConfigurationAndRejoinsOnceBack) {
  const size_t victim = 2;
  c().node(victim).kill9();
  ASSERT_TRUE(c().wait_seen({0, 1}, victim, "down",
                            std::chrono::steady_clock::now() + 10s));
  // Writes through the others go on; those to shards n3 backs up remove it
  // from their configuration first, and the idle ones once its lease
  // expired (the primaries' writes would wait for it otherwise).
  auto pastes = create_pastes_via(c(), {0, 1}, 60, "while n3 is down");
  ASSERT_EQ(pastes.size(), 60u);
  ASSERT_TRUE(eventually(
      [&] { return in_sync_everywhere(c(), 0, c().name(victim), false); }, 10s))
      << pastebin_rows(c(), 0).dump();
  auto metrics = send(c().port(0), "GET", "/metrics").body +
                 send(c().port(1), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("troupe_replicas_removed_total{service=\"pastebin\"}"),
            std::string::npos);
  ASSERT_TRUE(c().node(victim).restart());
  EXPECT_TRUE(c().wait_preferred(0)) << "n3 did not catch up and rejoin";
  for (size_t via = 0; via < c().size(); ++via)
    expect_pastes_served(c().port(via), pastes);
}

TEST_F(clusterEtcd, WithoutEtcdNoNodeServesAndNothingIsLostOnceItIsBack) {
  auto before = create_pastes(c(), 30, "before etcd stops");
  ASSERT_EQ(before.size(), 30u);
  c().etcd().kill9();
  // No node can renew its lease: within the TTL each stops serving reads
  // as well as writes (another node might serve the shard after it).
  ASSERT_TRUE(eventually(
      [&] {
        for (size_t i = 0; i < c().size(); ++i)
          if (send(c().port(i), "GET", "/readyz").status != 503)
            return false;
        return true;
      },
      c().settings().lease_ttl + 3s));
  for (size_t i = 0; i < c().size(); ++i) {
    auto w = send(c().port(i), "POST", "/pastebin/api/v1/paste",
                  R"({"paste_contents":"refused"})");
    EXPECT_EQ(w.status, 503) << w.body;
    auto r = get_paste(c().port(i), before[i].shortlink);
    EXPECT_EQ(r.status, 503) << r.body;
  }
  ASSERT_TRUE(c().etcd().start());
  std::vector<size_t> all{0, 1, 2};
  ASSERT_TRUE(c().wait_formed(all));
  for (size_t via = 0; via < c().size(); ++via)
    expect_pastes_served(c().port(via), before);
  auto after = create_pastes(c(), 9, "after etcd is back");
  EXPECT_EQ(after.size(), 9u);
}

TEST_F(clusterEtcd, ACleanStopHandsTheShardsOverWithoutWaitingForTheLease) {
  auto pastes = create_pastes(c(), 30, "before the stop");
  troupe_e2e::stop_cleanly(c().node(0)); // revokes its lease
  auto stopped = std::chrono::steady_clock::now();
  // A lease revoked is gone at once: the backups take over within about a
  // heartbeat, not after the lease's TTL.
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& p : owned_by(c(), pastes, 0))
          if (get_paste(c().port(1), p.shortlink).status != 200)
            return false;
        return true;
      },
      10s));
  EXPECT_LT(elapsed_ms(stopped), c().settings().lease_ttl.count() + 500);
}
