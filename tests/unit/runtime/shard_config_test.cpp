#include "troupe/runtime/shard_config.hpp"

#include <gtest/gtest.h>

using troupe::runtime::etcd_keys;
using troupe::runtime::shard_config;

namespace {

shard_config two_replicas() {
  auto c = shard_config::initial("n1", 11, 5).with_replica("n2");
  c.revision = 40;
  return c;
}

} // namespace

TEST(runtimeShardConfig, RoundTripsThroughItsStoredJson) {
  auto c = two_replicas();
  auto back = shard_config::decode(c.encode(), 41);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->epoch, 6u);
  EXPECT_EQ(back->primary, "n1");
  EXPECT_EQ(back->lease, 11);
  EXPECT_EQ(back->replicas, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(back->revision, 41);
  EXPECT_EQ(back->backups(), (std::vector<std::string>{"n2"}));
}

TEST(runtimeShardConfig, RefusesStoredValuesThatAreNotAConfiguration) {
  std::string why;
  EXPECT_FALSE(shard_config::decode("{", 1, &why));
  EXPECT_FALSE(shard_config::decode(R"({"epoch":-1,"primary":"a","lease":1,
    "replicas":["a"]})",
                                    1, &why));
  EXPECT_FALSE(shard_config::decode(
      R"({"epoch":1,"primary":"","lease":1,"replicas":[]})", 1, &why));
  EXPECT_FALSE(shard_config::decode(
      R"({"epoch":1,"primary":"a","lease":1,"replicas":["b"]})", 1, &why));
  EXPECT_EQ(why, "the primary must be one of the replicas");
  EXPECT_FALSE(shard_config::decode(
      R"({"epoch":1,"primary":"a","lease":"1","replicas":["a"]})", 1, &why));
}

TEST(runtimeShardConfig, EveryChangeRaisesTheEpochAndClearsTheRevision) {
  auto c = two_replicas();
  for (auto next :
       {c.with_replica("n3"), c.without_replica("n2"), c.handed_to("n2", 22),
        c.elected("n2", 22), c.renewed(12)}) {
    EXPECT_EQ(next.epoch, c.epoch + 1);
    EXPECT_EQ(next.revision, 0);
    EXPECT_FALSE(next.exists());
    EXPECT_TRUE(next.has_replica(next.primary));
  }
}

TEST(runtimeShardConfig, TransitionsKeepWhatTheyShould) {
  auto c = two_replicas();
  EXPECT_EQ(c.with_replica("n2").replicas, c.replicas); // no duplicate
  EXPECT_EQ(c.without_replica("n2").replicas, (std::vector<std::string>{"n1"}));
  auto handed = c.handed_to("n2", 22);
  EXPECT_EQ(handed.primary, "n2");
  EXPECT_EQ(handed.lease, 22);
  EXPECT_EQ(handed.replicas, (std::vector<std::string>{"n2", "n1"}));
  auto elected = c.elected("n2", 22);
  EXPECT_EQ(elected.replicas, (std::vector<std::string>{"n2"}));
  auto renewed = c.renewed(12);
  EXPECT_EQ(renewed.primary, "n1");
  EXPECT_EQ(renewed.lease, 12);
  EXPECT_EQ(renewed.replicas, c.replicas);
}

TEST(runtimeShardConfig, KeysLiveUnderThePrefixAndTheClusterName) {
  etcd_keys keys{"/troupe", "local-3"};
  EXPECT_EQ(keys.member("n1", 77), "/troupe/local-3/members/n1/77");
  EXPECT_EQ(keys.shard("pastebin", 12), "/troupe/local-3/shards/pastebin/12");
  std::string name;
  int64_t lease = 0;
  ASSERT_TRUE(keys.parse_member("/troupe/local-3/members/n1/77", name, lease));
  EXPECT_EQ(name, "n1");
  EXPECT_EQ(lease, 77);
  EXPECT_FALSE(keys.parse_member("/troupe/other/members/n1/77", name, lease));
  EXPECT_FALSE(keys.parse_member("/troupe/local-3/members/n1/x", name, lease));
  std::string service;
  uint16_t idx = 0;
  ASSERT_TRUE(
      keys.parse_shard("/troupe/local-3/shards/pastebin/12", service, idx));
  EXPECT_EQ(service, "pastebin");
  EXPECT_EQ(idx, 12);
  EXPECT_FALSE(
      keys.parse_shard("/troupe/local-3/shards/pastebin/70000", service, idx));
  EXPECT_FALSE(keys.parse_shard("/troupe/local-3/shards/12", service, idx));
}
