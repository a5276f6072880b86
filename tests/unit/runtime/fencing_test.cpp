// Epoch fencing on a real cluster-mode node whose two peers never come:
// after the start-up grace it backs up the shards ranked second there and
// serves the shards it is the preferred primary of. A backup refuses
// journal entries of an older epoch than it has seen; a primary that gets
// an entry of a newer epoch steps down.

#include <gtest/gtest.h>

#include <caf/all.hpp>

#include "test_node.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/persistence/store.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/region.hpp"

using namespace troupe;
using namespace std::chrono_literals;

namespace {

caf::behavior idle_shard(caf::event_based_actor* self,
                         runtime::shard_context ctx) {
  self->send(caf::actor_cast<caf::actor>(ctx.region),
             runtime::ready_atom::value, ctx.shard);
  return {[](int32_t x) { return x; },
          [](runtime::flush_atom) { return runtime::flush_atom::value; }};
}

std::string entry_of(uint64_t epoch, uint64_t seq) {
  persistence::journal_entry entry;
  entry.seq = seq;
  entry.epoch = epoch;
  entry.ops.push_back({persistence::journal_op::put, "k", "v"});
  return persistence::encode(entry);
}

class runtimeFencing : public ::testing::Test {
protected:
  void SetUp() override {
    runtime::region_spec spec;
    spec.service = "svc";
    spec.shards = 16;
    spec.key_of = [](const caf::message&) { return std::nullopt; };
    spec.shard = idle_shard;
    region_ = node_->start_region(std::move(spec));
    status_ = node_->regions().back();
    for (uint16_t i = 0; i < 16; ++i) {
      auto owners = node_->placement().owners("svc", i);
      if (owners[0] == "n1" && primary_ < 0)
        primary_ = i;
      if (owners[1] == "n1" && backup_ < 0)
        backup_ = i;
    }
    ASSERT_GE(primary_, 0);
    ASSERT_GE(backup_, 0);
    // Past the grace: the primary shard runs, the backup shard does not.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (status_->states[primary_] != runtime::region_status::up &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    ASSERT_EQ(status_->states[primary_].load(), runtime::region_status::up);
    ASSERT_EQ(status_->states[backup_].load(), runtime::region_status::remote);
  }

  /// Sends a journal entry to shard `idx` as its primary would; returns
  /// the error code (0: persisted).
  uint8_t replicate(int idx, uint64_t epoch, uint64_t seq) {
    auto res = test::ask<runtime::replicate_atom>(
        *node_, region_, runtime::local_atom::value, static_cast<uint16_t>(idx),
        caf::make_message(runtime::replicate_atom::value,
                          entry_of(epoch, seq)));
    return res ? 0 : res.error().code();
  }

  test::test_node node_{test::three_node_config()};
  caf::actor region_;
  runtime::region_status_ptr status_;
  int primary_ = -1;
  int backup_ = -1;
};

constexpr auto conflict = static_cast<uint8_t>(runtime::errc::conflict);
constexpr auto unavailable = static_cast<uint8_t>(runtime::errc::unavailable);

} // namespace

TEST_F(runtimeFencing, BackupRefusesEntriesOfAnOlderEpochThanItHasSeen) {
  EXPECT_EQ(replicate(backup_, 0x500, 1), 0);
  EXPECT_EQ(replicate(backup_, 0x500, 2), 0);
  EXPECT_EQ(replicate(backup_, 0x300, 3), conflict);
  EXPECT_EQ(replicate(backup_, 0x600, 3), 0);
  EXPECT_EQ(replicate(backup_, 0x500, 4), conflict);
  auto& store = node_->store("svc");
  node_->committer().flush();
  EXPECT_EQ(store.position(backup_), (persistence::log_position{0x600, 3}));
}

TEST_F(runtimeFencing, PrimaryRefusesEntriesOfItsOwnOrAnOlderEpoch) {
  EXPECT_EQ(replicate(primary_, 0, 1), conflict);
  EXPECT_EQ(status_->states[primary_].load(), runtime::region_status::up);
}

TEST_F(runtimeFencing, PrimaryStepsDownOnAnEntryOfANewerEpoch) {
  EXPECT_EQ(replicate(primary_, uint64_t{1} << 40, 1), unavailable);
  // It stops its shard to catch up (the refusal can reach us before the
  // shard is marked as stopped: wait for that first, unless the whole
  // cycle is over already) ...
  auto stopping = std::chrono::steady_clock::now() + 1s;
  while (status_->states[primary_] == runtime::region_status::up &&
         std::chrono::steady_clock::now() < stopping)
    std::this_thread::sleep_for(1ms);
  // ... and with no other owner up it serves again, under an epoch above
  // the one it saw.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (status_->states[primary_] != runtime::region_status::up &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(status_->states[primary_].load(), runtime::region_status::up);
  EXPECT_EQ(replicate(primary_, uint64_t{1} << 40, 2), conflict);
}
