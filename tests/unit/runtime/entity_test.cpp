// The entity-declaration API on a real node: activation on first message,
// passivation after idle, state restored after passivation, after a
// supervised crash and after a restart; reads vs writes; unknown messages.

#include "troupe/runtime/entity.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "test_node.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/persistence/store.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_map.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

using add_atom = caf::atom_constant<caf::atom("add")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using name_atom = caf::atom_constant<caf::atom("name")>;

struct counter {
  int64_t value = 0;
  std::string label;
  MSGPACK_DEFINE_MAP(value, label)
};

constexpr size_t shards = 4;

runtime::entity_type<counter> counters(std::chrono::milliseconds idle) {
  return runtime::entity_type<counter>{"counter"}
      .on([](counter& c, add_atom, int64_t by) { return c.value += by; })
      .on([](const counter& c, get_atom) { return c.value; })
      .on([](counter& c, name_atom, const std::string& label) {
        c.label = label;
        return c.label;
      })
      .on([](const counter& c, name_atom) { return c.label; })
      .shards(shards)
      .passivate_after(idle);
}

class runtimeEntity : public ::testing::Test {
protected:
  void SetUp() override { declare(1h); }

  void declare(std::chrono::milliseconds idle) {
    ref_ = runtime::declare(*node_, counters(idle));
  }

  int64_t add(const std::string& key, int64_t by) {
    auto r = runtime::ask<int64_t>(*node_, ref_, key, add_atom::value, by);
    EXPECT_TRUE(r) << node_->system().render(r.error());
    return r ? *r : -1;
  }

  int64_t get(const std::string& key) {
    auto r = runtime::ask<int64_t>(*node_, ref_, key, get_atom::value);
    EXPECT_TRUE(r) << node_->system().render(r.error());
    return r ? *r : -1;
  }

  double active() {
    return node_->metrics()
        .gauge("troupe_entities_active", "", {{"entity", "counter"}})
        .value();
  }

  /// Polls until `active()` is `n` (passivation runs on a timer).
  bool active_becomes(double n) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (active() != n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    return active() == n;
  }

  test::test_node node_;
  runtime::entity_ref<counter> ref_;
};

} // namespace

TEST_F(runtimeEntity, FirstMessageActivatesTheEntityWithADefaultState) {
  EXPECT_EQ(active(), 0);
  EXPECT_EQ(get("a"), 0);
  EXPECT_EQ(active(), 1);
  EXPECT_EQ(add("a", 5), 5);
  EXPECT_EQ(add("b", 2), 2);
  EXPECT_EQ(active(), 2);
  EXPECT_EQ(get("a"), 5);
}

TEST_F(runtimeEntity, WritesApplyInOrderAndReadsSeeThem) {
  for (int i = 1; i <= 100; ++i)
    EXPECT_EQ(add("k", 1), i);
  auto r = runtime::ask<std::string>(*node_, ref_, "k", name_atom::value,
                                     std::string{"ten"});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "ten");
  EXPECT_EQ(get("k"), 100);
}

TEST_F(runtimeEntity, IdleEntitiesArePassivatedAndComeBackWithTheirState) {
  node_.restart();
  declare(100ms);
  add("p", 7);
  runtime::ask<std::string>(*node_, ref_, "p", name_atom::value,
                            std::string{"seven"});
  EXPECT_EQ(active(), 1);
  EXPECT_TRUE(active_becomes(0)) << "not passivated";
  EXPECT_EQ(get("p"), 7);
  auto label = runtime::ask<std::string>(*node_, ref_, "p", name_atom::value);
  ASSERT_TRUE(label);
  EXPECT_EQ(*label, "seven");
  EXPECT_EQ(active(), 1);
}

TEST_F(runtimeEntity, StateIsRestoredAfterASupervisedCrash) {
  EXPECT_EQ(add("c", 3), 3);
  auto idx = runtime::shard_of("c", shards);
  auto crashed = test::ask<runtime::crash_atom>(
      *node_, ref_.region, runtime::crash_atom::value, idx);
  ASSERT_TRUE(crashed);
  auto status = node_->regions().back();
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (status->restarts == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(status->restarts.load(), 1u);
  EXPECT_EQ(get("c"), 3);
  EXPECT_EQ(add("c", 1), 4);
}

TEST_F(runtimeEntity, StateSurvivesARestartOfTheNode) {
  add("r", 41);
  node_.restart();
  declare(1h);
  EXPECT_EQ(active(), 0);
  EXPECT_EQ(add("r", 1), 42);
}

TEST_F(runtimeEntity, AMessageWithoutAHandlerIsRefused) {
  auto r = runtime::ask<int64_t>(*node_, ref_, "x", add_atom::value,
                                 std::string{"not a number"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(),
            static_cast<uint8_t>(runtime::errc::invalid_argument));
  EXPECT_EQ(get("x"), 0);
}

TEST_F(runtimeEntity, IntegerKeysAddressTheEntityOfTheirDecimalString) {
  auto r = runtime::ask<int64_t>(*node_, ref_, 42, add_atom::value, int64_t{3});
  ASSERT_TRUE(r);
  EXPECT_EQ(get("42"), 3);
}

TEST_F(runtimeEntity, MemoryOnlyEntitiesWriteNothingAndForgetWhenPassivated) {
  auto mem = runtime::declare(
      *node_,
      runtime::entity_type<counter>{"scratch"}
          .on([](counter& c, add_atom, int64_t by) { return c.value += by; })
          .durable(false)
          .shards(1)
          .passivate_after(100ms));
  auto add_mem = [&] {
    auto r =
        runtime::ask<int64_t>(*node_, mem, "m", add_atom::value, int64_t{1});
    return r ? *r : -1;
  };
  EXPECT_EQ(add_mem(), 1);
  EXPECT_EQ(add_mem(), 2);
  node_->committer().flush();
  EXPECT_EQ(node_->store("scratch").position(0).seq, 0u);
  std::this_thread::sleep_for(400ms); // passivated: its state is gone
  EXPECT_EQ(add_mem(), 1);
}
