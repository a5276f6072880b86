// The whole cluster is stopped (SIGTERM to every node) and started again.
#include "cluster.hpp"
#include "shared_node.hpp"

#include <gtest/gtest.h>

using namespace troupe_cluster;

namespace {

class clusterRestart : public fresh_cluster_test {};

} // namespace

TEST_F(clusterRestart, EveryPasteIsReadBackThroughEveryNodeAfterAFullRestart) {
  auto pastes = create_pastes(c(), 30, "before the restart");
  ASSERT_EQ(pastes.size(), 30u);
  for (size_t i = 0; i < c().size(); ++i)
    troupe_e2e::stop_cleanly(c().node(i));
  ASSERT_TRUE(c().start());
  for (size_t via = 0; via < c().size(); ++via) {
    SCOPED_TRACE("via " + c().name(via));
    expect_pastes_served(c().port(via), pastes);
  }
}
