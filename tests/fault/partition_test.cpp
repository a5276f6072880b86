// Partition scenarios: writes through every node while the network between
// node processes is cut, then a heal and a read-back of every acknowledged
// write through every node (scenario.hpp). Nodes are n1, n2, n3 (indexes
// 0, 1, 2); with replication factor 2, every pair of nodes is the
// (primary, backup) pair of some shards.
#include "scenario.hpp"

namespace troupe_fault {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class Partition : public lab_test {};

TEST_F(Partition, OneNodeIsolated) {
  ASSERT_TRUE(start_cluster());
  run_paste_scenario([&] {
    l().isolate(0);
    hold(seconds(10));
    l().heal_all();
  });
}

TEST_F(Partition, PrimaryCutFromItsBackupOnly) {
  // n1 and n2 each still see n3 (a majority), but not each other.
  ASSERT_TRUE(start_cluster());
  run_paste_scenario([&] {
    l().cut(0, 1);
    hold(seconds(8));
    l().heal_all();
  });
}

TEST_F(Partition, AsymmetricCut) {
  // n1 and n3 cannot talk; n2 talks to both.
  ASSERT_TRUE(start_cluster());
  run_paste_scenario([&] {
    l().cut(0, 2);
    hold(seconds(8));
    l().heal_all();
  });
}

TEST_F(Partition, NodeCutFromEtcdOnly) {
  if (!etcd_flavour()) {
    GTEST_SKIP() << "a cut from etcd means nothing to static membership "
                    "(TROUPE_LAB_MEMBERSHIP=etcd)";
  }
  ASSERT_TRUE(start_cluster());
  run_paste_scenario([&] {
    l().cut_from_etcd(0);
    hold(seconds(8));
    l().heal_all();
  });
}

TEST_F(Partition, FlappingCut) {
  // n1 isolated 2.5 s, healed 1 s, again and again for 20 s; the scenario's
  // heal is the last one.
  ASSERT_TRUE(start_cluster());
  run_paste_scenario([&] {
    for (int cycle = 0; cycle < 6; ++cycle) {
      if (cycle > 0)
        hold(milliseconds(1000));
      l().isolate(0);
      hold(milliseconds(2500));
      l().heal_all();
    }
  });
}

TEST_F(Partition, EtcdRestartedUnderLoad) {
  if (!etcd_flavour()) {
    GTEST_SKIP() << "static membership runs no etcd "
                    "(TROUPE_LAB_MEMBERSHIP=etcd)";
  }
  ASSERT_TRUE(start_cluster());
  run_paste_scenario([&] {
    etcd().kill9();
    hold(seconds(3));
    EXPECT_GE(etcd().start(), 0) << "etcd not healthy after its restart:\n"
                                 << etcd().log();
  });
}

TEST_F(Partition, FrozenPrimaryRejoinsAsFollower) {
  // Longer than the lease TTL plus the failure timeout: n1's leases expire
  // and its shards move; its writes held in the kernel meanwhile are
  // answered (late) after SIGCONT, and must not be acknowledged unless
  // they are durable on the shard's current configuration.
  ASSERT_TRUE(start_cluster());
  run_paste_scenario([&] {
    c().freeze(0);
    hold(seconds(4));
    c().thaw(0);
  });
}

} // namespace
} // namespace troupe_fault
