#pragma once

#include <sys/wait.h>

#include <cstdint>

#include <gtest/gtest.h>

#include <string>

#include "harness.hpp"

namespace troupe_e2e {

/// Sends SIGTERM and expects a clean exit (status 0); shows the node's log
/// otherwise.
inline void stop_cleanly(node_process& node) {
  int status = node.terminate();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status << "\n"
      << node.log();
}

/// A suite whose tests share one node, started once for the suite and
/// stopped cleanly after it. `Suite` (the deriving class) gives each suite a
/// node of its own, on the default config unless it declares
/// `static std::string config_text()` (see `node_process`). Tests that
/// change the node's config or state for good start their own
/// `node_process` instead.
template <class Suite>
class shared_node_test : public ::testing::Test {
protected:
  /// The node's config; the default config when empty.
  static std::string config_text() { return {}; }

  static void SetUpTestSuite() {
    node_ = new node_process(Suite::config_text());
    node_->start();
    if (!node_->wait_ready())
      FAIL() << "node did not start";
  }

  static void TearDownTestSuite() {
    if (node_ && node_->running())
      stop_cleanly(*node_);
    delete node_;
    node_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(node_ && node_->running()) << "shared node is not running";
  }

  static uint16_t port() { return node_->port(); }

  static inline node_process* node_ = nullptr;
};

} // namespace troupe_e2e
