// Replication: with durability "sync" a write is acknowledged only after
// the live backups of its shard persisted it. The check reads the backups'
// LMDB files directly, after every node was killed with SIGKILL right
// after the last acknowledgement.
#include "cluster.hpp"

#include <gtest/gtest.h>
#include <xxhash.h>

#include "troupe/persistence/lmdb_env.hpp"
#include "troupe/persistence/store.hpp"

using namespace troupe_cluster;

namespace {

/// Returns whether the pastebin store in `data_dir` holds paste `link`.
bool paste_on_disk(const std::string& data_dir, uint16_t shard,
                   const std::string& link) {
  troupe::persistence::lmdb_env env{data_dir, 4096,
                                    troupe::config::durability::sync};
  troupe::persistence::store st{env, "pastebin"};
  for (const auto& [key, value] : st.load_shard(shard).records)
    if (key == "p:" + link)
      return true;
  return false;
}

class clusterReplication : public fresh_cluster_test {};

} // namespace

TEST_F(clusterReplication, AcknowledgedPastesAreOnTheirBackupsDisk) {
  auto pastes = create_pastes(c(), 30, "replicated");
  auto rows = c().view(0)["shards"]["pastebin"];
  ASSERT_EQ(rows.size(), 64u);
  for (size_t i = 0; i < c().size(); ++i)
    c().node(i).kill9(); // no clean stop: only what was durable counts
  size_t checked = 0;
  for (const auto& p : pastes) {
    auto shard = static_cast<uint16_t>(
        XXH64(p.shortlink.data(), p.shortlink.size(), 0) % rows.size());
    for (const auto& backup : rows[shard]["replicas"]) {
      size_t i = 0;
      while (i < c().size() && c().name(i) != backup.get<std::string>())
        ++i;
      ASSERT_LT(i, c().size()) << backup;
      EXPECT_TRUE(paste_on_disk(c().node(i).data_dir(), shard, p.shortlink))
          << p.shortlink << " (shard " << shard << ") missing on backup "
          << backup;
      ++checked;
    }
  }
  EXPECT_EQ(checked, pastes.size()); // replication factor 2: one backup each
}

// The replication lag and the backups' work show in /metrics: entries in
// flight to backups drain to 0 once the writes are acknowledged, and every
// backup counts the entries it persisted.
TEST_F(clusterReplication, MetricsShowReplicationLagAndReplicaEntries) {
  auto pastes = create_pastes(c(), 30, "metered");
  ASSERT_EQ(pastes.size(), 30u);
  double replicated = 0;
  for (size_t i = 0; i < c().size(); ++i) {
    auto text = send(c().port(i), "GET", "/metrics").body;
    EXPECT_EQ(troupe_e2e::metric_value(
                  text, "troupe_replication_pending{service=\"pastebin\"}"),
              0)
        << c().name(i) << ": acknowledged sync writes left entries pending";
    replicated += troupe_e2e::metric_value(
        text, "troupe_replica_entries{service=\"pastebin\"}");
  }
  EXPECT_GE(replicated, 30) << "each create reaches one backup (RF 2)";
}
