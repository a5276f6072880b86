// Membership: what every node of a three-node cluster reports about the
// cluster (GET /api/v1/cluster), and the refusal of a node whose config
// differs in a part all nodes must share.
#include "cluster.hpp"

#include <set>

#include <gtest/gtest.h>

using namespace troupe_cluster;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> services{"pastebin",     "cache",     "twitter",
                                        "social",       "salesrank", "mint",
                                        "mint_sellers", "crawler",   "search"};

/// Shards per service by default: 64, but 16 for the crowd's seller votes,
/// the crawler's frontier and the search index.
size_t default_shards(const std::string& service) {
  if (service == "mint_sellers" || service == "crawler" || service == "search")
    return 16;
  return 64;
}

/// The placement part of a view's shard map (without the per-node "state").
json placement_of(json view) {
  for (const auto& service : services)
    for (auto& row : view["shards"][service])
      row.erase("state");
  return view["shards"];
}

class clusterMembership : public shared_cluster_test<clusterMembership> {};

} // namespace

TEST_F(clusterMembership, EveryNodeSeesAllThreeNodesUpAndHasAQuorum) {
  for (size_t i = 0; i < c().size(); ++i) {
    SCOPED_TRACE("view of " + c().name(i));
    auto v = c().view(i);
    ASSERT_FALSE(v.empty()) << "no answer";
    EXPECT_EQ(v["cluster"], "cluster-test");
    EXPECT_EQ(v["self"], c().name(i));
    EXPECT_EQ(v["quorum"], true);
    ASSERT_EQ(v["nodes"].size(), c().size()) << v.dump();
    for (size_t m = 0; m < c().size(); ++m) {
      const auto& node = v["nodes"][m];
      EXPECT_EQ(node["name"], c().name(m));
      EXPECT_EQ(node["state"], "up");
      EXPECT_EQ(node["http"], c().http_endpoint(m));
      EXPECT_EQ(node["actor"], c().actor_endpoint(m));
    }
  }
}

TEST_F(clusterMembership, EveryNodeReportsTheSameShardMap) {
  auto expected = placement_of(c().view(0));
  for (const auto& service : services)
    EXPECT_EQ(expected[service].size(), default_shards(service)) << service;
  for (size_t i = 1; i < c().size(); ++i)
    EXPECT_EQ(placement_of(c().view(i)), expected)
        << c().name(i) << " differs from " << c().name(0);
}

TEST_F(clusterMembership, EveryShardHasAPrimaryAndOneOtherReplica) {
  std::set<std::string> names;
  for (size_t i = 0; i < c().size(); ++i)
    names.insert(c().name(i));
  auto v = c().view(0);
  for (const auto& service : services) {
    std::set<std::string> primaries;
    for (const auto& row : v["shards"][service]) {
      auto primary = row["primary"].get<std::string>();
      primaries.insert(primary);
      EXPECT_EQ(names.count(primary), 1u) << row.dump();
      ASSERT_EQ(row["replicas"].size(), 1u) << row.dump(); // RF 2
      EXPECT_EQ(names.count(row["replicas"][0].get<std::string>()), 1u)
          << row.dump();
      EXPECT_NE(row["replicas"][0], primary) << row.dump();
    }
    EXPECT_EQ(primaries, names) << service << ": not every node is a primary";
  }
}

TEST_F(clusterMembership, EachNodeReportsTheStateOfTheShardsItIsPrimaryOf) {
  for (size_t i = 0; i < c().size(); ++i) {
    auto v = c().view(i);
    for (const auto& service : services)
      for (const auto& row : v["shards"][service]) {
        bool own = row["primary"] == c().name(i);
        EXPECT_EQ(row.value("state", "(none)"), own ? "up" : "(none)")
            << c().name(i) << " " << service << ": " << row.dump();
        EXPECT_EQ(row["serving"], row["primary"]) << row.dump();
      }
  }
}

// -- config mismatch ----------------------------------------------------------

namespace {

/// n3 runs `[pastebin] shards = 32`, the others the default 64: a part of
/// the config every node must share. n1 and n2 form a majority without it.
class clusterConfigMismatch : public ::testing::Test {
protected:
  static node_settings fewer_shards() {
    node_settings s;
    s.pastebin_shards = 32;
    return s;
  }

  void SetUp() override {
    // n1 and n2 form first: a node with another config cannot join a
    // running cluster (with etcd, the first nodes' config is the cluster's).
    c_.start_node(0);
    c_.start_node(1);
    ASSERT_TRUE(c_.wait_formed({0, 1})) << "n1 and n2 did not form";
    c_.start_node(odd_one);
  }

  void TearDown() override {
    if (HasFailure())
      std::cerr << c_.logs();
  }

  /// Waits until node i has logged that it refuses n3.
  bool logged_refusal(size_t i) {
    return eventually(
        [&] {
          return c_.node(i).log().find("refusing node n3") != std::string::npos;
        },
        10s);
  }

  cluster c_{{}, {{"n3", fewer_shards()}}};
  const size_t odd_one = 2;
};

} // namespace

TEST_F(clusterConfigMismatch, OtherNodesLogThatTheyRefuseTheNode) {
  for (size_t i : {0, 1})
    EXPECT_TRUE(logged_refusal(i)) << c_.name(i) << " logged no refusal of n3";
}

TEST_F(clusterConfigMismatch, RefusedNodeNeverComesUp) {
  ASSERT_TRUE(logged_refusal(0)); // n3 is running and sending heartbeats
  // Watch for several failure timeouts: n3 heartbeats all along.
  auto watch = 3 * c_.settings().failure_timeout;
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < watch) {
    for (size_t i : {0, 1})
      ASSERT_EQ(c_.state_seen(i, odd_one), "down")
          << c_.name(i) << " sees n3 up after " << elapsed_ms(start) << " ms";
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(c_.view(0)["quorum"], true);
  // etcd holds the config the running nodes share: n3 stays out of it.
  EXPECT_NE(c_.node(odd_one).log().find("refusing to join cluster"),
            std::string::npos);
  EXPECT_EQ(send(c_.port(odd_one), "GET", "/readyz").status, 503);
}

TEST_F(clusterConfigMismatch,
       RefusedNodeJoinsOnceRestartedWithTheSharedConfig) {
  ASSERT_TRUE(logged_refusal(0));
  c_.node(odd_one).terminate();
  c_.configure(odd_one, c_.settings());
  c_.start_node(odd_one);
  EXPECT_TRUE(c_.wait_formed({0, 1, 2}));
}
