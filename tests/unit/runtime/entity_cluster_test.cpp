// Entities on a cluster of three nodes in one process (three actor systems
// talking over loopback through CAF's middleman): a request through any
// node reaches the entity wherever its shard runs, and when a node stops,
// the backups take its entities over with their state.

#include "troupe/runtime/entity.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "test_node.hpp"
#include "troupe/runtime/membership.hpp"
#include "troupe/runtime/shard_map.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

using add_atom = caf::atom_constant<caf::atom("add")>;
using get_atom = caf::atom_constant<caf::atom("get")>;

struct tally {
  int64_t value = 0;
  MSGPACK_DEFINE_MAP(value)
};

constexpr size_t shards = 8;

class runtimeEntityCluster : public ::testing::Test {
protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      char tmpl[] = "/tmp/troupe-unit-XXXXXX";
      dirs_.emplace_back(::mkdtemp(tmpl));
    }
    auto cfg = test::three_node_config(dirs_);
    for (const auto& entry : cfg.nodes) {
      auto own = cfg;
      own.self = entry.name;
      nodes_.push_back(std::make_unique<runtime::node>(own));
      ASSERT_EQ(nodes_.back()->start(), "");
      refs_.push_back(runtime::declare(
          *nodes_.back(),
          runtime::entity_type<tally>{"tally"}
              .on([](tally& t, add_atom, int64_t by) { return t.value += by; })
              .on([](const tally& t, get_atom) { return t.value; })
              .shards(shards)));
    }
    ASSERT_TRUE(all_ready()) << "the three nodes did not form";
  }

  void TearDown() override {
    nodes_.clear();
    for (const auto& dir : dirs_)
      std::filesystem::remove_all(dir);
  }

  bool all_ready() {
    auto deadline = std::chrono::steady_clock::now() + 15s;
    for (;;) {
      bool ready = true;
      for (auto& n : nodes_)
        ready =
            ready && (!n || (n->ready() &&
                             n->members()->view()->up_count() == live_nodes()));
      if (ready)
        return true;
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      std::this_thread::sleep_for(20ms);
    }
  }

  size_t live_nodes() const {
    size_t n = 0;
    for (auto& node : nodes_)
      n += node ? 1 : 0;
    return n;
  }

  caf::expected<int64_t> add(size_t via, const std::string& key, int64_t by) {
    return runtime::ask<int64_t>(*nodes_[via], refs_[via], key, add_atom::value,
                                 by);
  }

  caf::expected<int64_t> get(size_t via, const std::string& key) {
    return runtime::ask<int64_t>(*nodes_[via], refs_[via], key,
                                 get_atom::value);
  }

  /// The index of the preferred primary of `key`'s shard.
  size_t primary_of(const std::string& key) {
    auto name =
        nodes_[0]->placement().primary("tally", runtime::shard_of(key, shards));
    return static_cast<size_t>(name[1] - '1');
  }

  std::vector<std::string> dirs_;
  std::vector<std::unique_ptr<runtime::node>> nodes_;
  std::vector<runtime::entity_ref<tally>> refs_;
};

} // namespace

TEST_F(runtimeEntityCluster, EveryNodeReachesEveryEntity) {
  for (int k = 0; k < 12; ++k) {
    auto key = "key-" + std::to_string(k);
    for (size_t via = 0; via < 3; ++via) {
      auto r = add(via, key, 1);
      ASSERT_TRUE(r) << key << " via n" << via + 1 << ": "
                     << nodes_[via]->system().render(r.error());
      EXPECT_EQ(*r, static_cast<int64_t>(via + 1)) << key;
    }
  }
}

TEST_F(runtimeEntityCluster, BackupsTakeOverTheEntitiesOfAStoppedNode) {
  std::vector<std::string> keys;
  for (int k = 0; keys.size() < 5 && k < 1000; ++k)
    if (auto key = "k" + std::to_string(k); primary_of(key) == 2)
      keys.push_back(key);
  ASSERT_EQ(keys.size(), 5u);
  for (const auto& key : keys)
    ASSERT_TRUE(add(0, key, 10));
  nodes_[2].reset(); // n3 stops: its connections close
  ASSERT_TRUE(all_ready());
  for (const auto& key : keys) {
    auto r = get(0, key);
    ASSERT_TRUE(r) << key << ": " << nodes_[0]->system().render(r.error());
    EXPECT_EQ(*r, 10) << key;
    auto w = add(1, key, 1);
    ASSERT_TRUE(w) << key;
    EXPECT_EQ(*w, 11) << key;
  }
}
