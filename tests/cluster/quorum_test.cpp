// Minority under static membership: two nodes of three are stopped. The
// remaining node refuses writes and reports not ready, but still serves
// reads of its own shards; once the others are back, writes are accepted
// and nothing diverged. (With etcd a node's lease decides instead:
// etcd_outage_test.cpp and the partition lab in tests/fault.)
#include "cluster.hpp"
#include "shared_node.hpp"

#include <gtest/gtest.h>

using namespace troupe_cluster;
using namespace std::chrono_literals;

namespace {

constexpr size_t lone = 0;               // n1
const std::vector<size_t> stopped{1, 2}; // n2, n3

class clusterMinority : public fresh_cluster_test {
protected:
  node_settings settings() const override {
    node_settings s;
    s.membership = "static";
    return s;
  }

  void SetUp() override {
    fresh_cluster_test::SetUp();
    if (HasFatalFailure())
      return;
    pastes_ = create_pastes(c(), 30, "before the minority");
    ASSERT_EQ(pastes_.size(), 30u);
    ASSERT_FALSE(owned_by(c(), pastes_, lone).empty());
    for (size_t i : stopped)
      troupe_e2e::stop_cleanly(c().node(i));
    ASSERT_TRUE(eventually([&] { return c().view(lone)["quorum"] == false; },
                           c().settings().failure_timeout + 5s))
        << c().view(lone).dump();
  }

  /// Expects `r` to be the refusal of a write by a node that sees 1 of 3.
  static void expect_refused_for_minority(const http_response& r) {
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.error_code(), "unavailable") << r.body;
    EXPECT_NE(error_message(r).find("sees 1 of 3 nodes"), std::string::npos)
        << r.body;
  }

  std::vector<paste> pastes_;
};

} // namespace

TEST_F(clusterMinority, LoneNodeRefusesPasteCreatesSayingItSeesOneOfThree) {
  for (int k = 0; k < 10; ++k) // whichever shard the new shortlink lands on
    expect_refused_for_minority(
        send(c().port(lone), "POST", "/pastebin/api/v1/paste",
             json{{"paste_contents", "in the minority"}}.dump()));
}

TEST_F(clusterMinority, LoneNodeRefusesCacheWritesSayingItSeesOneOfThree) {
  std::vector<std::string> keys;
  for (int k = 0; k < 30; ++k)
    keys.push_back("minority key " + std::to_string(k));
  ASSERT_TRUE(every_node_owns_one(c(), "cache", keys));
  for (const auto& key : keys) {
    SCOPED_TRACE(key);
    expect_refused_for_minority(put_entry(c().port(lone), key, "v"));
    expect_refused_for_minority(delete_entry(c().port(lone), key));
  }
}

TEST_F(clusterMinority, LoneNodeIsNotReadyAndReportsNoQuorum) {
  auto ready = send(c().port(lone), "GET", "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  auto v = c().view(lone);
  EXPECT_EQ(v["quorum"], false);
  for (size_t i : stopped)
    EXPECT_EQ(c().state_seen(lone, i), "down") << c().name(i);
}

TEST_F(clusterMinority, LoneNodeStillServesPastesOfItsOwnShards) {
  expect_pastes_served(c().port(lone), owned_by(c(), pastes_, lone));
}

TEST_F(clusterMinority,
       WritesAreAcceptedAgainOnceTheOthersReturnAndNothingDiverged) {
  const std::string refused_key = "written in the minority";
  expect_refused_for_minority(put_entry(c().port(lone), refused_key, "v"));
  for (size_t i : stopped)
    c().start_node(i);
  ASSERT_TRUE(c().wait_formed({0, 1, 2}));
  for (size_t via = 0; via < c().size(); ++via) {
    SCOPED_TRACE("via " + c().name(via));
    expect_pastes_served(c().port(via), pastes_);
    EXPECT_EQ(get_entry(c().port(via), refused_key).status, 404);
  }
  EXPECT_FALSE(create_paste(c().port(lone), "after the minority").empty());
  EXPECT_EQ(put_entry(c().port(lone), refused_key, "v").status, 204);
  EXPECT_EQ(get_entry(c().port(2), refused_key).body, "v");
}

// A multi-node cluster on static membership says at start that it is not
// partition-safe (etcd is the way for every multi-node deployment).
TEST_F(clusterMinority, StaticMembershipWarnsAtStartThatItIsNotPartitionSafe) {
  for (size_t i = 0; i < c().size(); ++i)
    EXPECT_NE(c().node(i).log().find("is not partition-safe"),
              std::string::npos)
        << c().name(i);
}
