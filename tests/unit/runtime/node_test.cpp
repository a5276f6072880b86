#include "troupe/runtime/node.hpp"

#include <gtest/gtest.h>

#include "test_node.hpp"

using namespace troupe;

TEST(node, a_data_dir_belongs_to_one_node_at_a_time) {
  char tmpl[] = "/tmp/troupe-unit-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  auto cfg = test::test_node::small_config();
  cfg.nodes.front().data_dir = dir;
  {
    runtime::node first{cfg};
    ASSERT_EQ(first.start(), "");
    runtime::node second{cfg};
    EXPECT_EQ(second.start(),
              "data dir '" + dir + "' is in use by another troupe process");
    first.stop();
    // Once the first node stopped, the dir is free again.
    runtime::node third{cfg};
    EXPECT_EQ(third.start(), "");
  }
  std::filesystem::remove_all(dir);
}

TEST(node, an_unusable_data_dir_is_a_clear_error) {
  auto cfg = test::test_node::small_config();
  cfg.nodes.front().data_dir = "/proc/troupe-cannot-exist";
  runtime::node n{cfg};
  EXPECT_EQ(
      n.start().rfind("cannot create data dir '/proc/troupe-cannot-exist'", 0),
      0u);
}
