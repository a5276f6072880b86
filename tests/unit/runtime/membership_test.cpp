// The membership's pure parts: the first view of a node, quorum, and the
// config hash that decides which nodes may form a cluster.

#include "troupe/runtime/membership.hpp"

#include <gtest/gtest.h>

using namespace troupe;

namespace {

config::node_config three_nodes(const std::string& self) {
  auto cfg = config::default_config();
  cfg.nodes.clear();
  for (int i = 1; i <= 3; ++i) {
    auto n = std::to_string(i);
    cfg.nodes.push_back(
        config::node_entry{"n" + n,
                           {"127.0.0.1", static_cast<uint16_t>(4300 + i)},
                           {"127.0.0.1", static_cast<uint16_t>(8080 + i)},
                           "/tmp/n" + n,
                           {}});
  }
  cfg.self = self;
  cfg.replication_factor = 2;
  return cfg;
}

} // namespace

TEST(membership, a_fresh_node_sees_only_itself_and_has_no_quorum) {
  auto v = runtime::initial_view(three_nodes("n2"));
  ASSERT_EQ(v.members.size(), 3u);
  EXPECT_EQ(v.up_count(), 1u);
  EXPECT_TRUE(v.find("n2")->up);
  EXPECT_FALSE(v.find("n1")->up);
  EXPECT_EQ(v.find("n4"), nullptr);
  EXPECT_FALSE(v.quorum);
}

TEST(membership, a_single_node_is_its_own_majority) {
  auto v = runtime::initial_view(config::default_config());
  EXPECT_TRUE(v.quorum);
}

TEST(membership, the_status_publishes_whole_views) {
  runtime::membership_status status{runtime::initial_view(three_nodes("n1"))};
  auto before = status.view();
  auto next = *before;
  next.members[1].up = true;
  next.quorum = true;
  status.publish(next);
  EXPECT_TRUE(status.quorum());
  EXPECT_FALSE(before->quorum); // readers keep the snapshot they took
  EXPECT_EQ(status.view()->up_count(), 2u);
}

TEST(membership, the_config_hash_covers_what_all_nodes_must_share) {
  auto base = runtime::cluster_config_hash(three_nodes("n1"));
  // Which node a process is, and node-local settings, do not matter ...
  EXPECT_EQ(runtime::cluster_config_hash(three_nodes("n3")), base);
  auto local = three_nodes("n1");
  local.nodes[0].data_dir = "/elsewhere";
  local.nodes[0].http.port = 9999;
  local.http.io_threads = 8;
  EXPECT_EQ(runtime::cluster_config_hash(local), base);
  // ... the members, their actor and link endpoints, RF and shard counts do.
  auto changed = [&](auto edit) {
    auto cfg = three_nodes("n1");
    edit(cfg);
    return runtime::cluster_config_hash(cfg) != base;
  };
  EXPECT_TRUE(changed([](auto& c) { c.nodes[2].actor.port = 4999; }));
  EXPECT_TRUE(changed([](auto& c) {
    c.nodes[1].link = config::endpoint{"127.0.0.1", 4400};
  }));
  EXPECT_TRUE(changed([](auto& c) { c.nodes[2].name = "n9"; }));
  EXPECT_TRUE(changed([](auto& c) { c.nodes.pop_back(); }));
  EXPECT_TRUE(changed([](auto& c) { c.replication_factor = 3; }));
  EXPECT_TRUE(changed([](auto& c) { c.pastebin.shards = 32; }));
  EXPECT_TRUE(changed([](auto& c) { c.cache.shards = 16; }));
  EXPECT_TRUE(changed([](auto& c) { c.cluster = "other"; }));
}
