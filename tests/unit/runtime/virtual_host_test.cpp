// Virtual actors on a real node: activation on first message, passivation
// after idle, state restored after passivation and after a crash.

#include "troupe/runtime/virtual_host.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <caf/all.hpp>

#include "test_node.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/shard_journal.hpp"

using namespace troupe;
using namespace std::chrono_literals;

using troupe::test::ask;

namespace {

using add_atom = caf::atom_constant<caf::atom("add")>;
using boom_atom = caf::atom_constant<caf::atom("boom")>;

std::atomic<int> activations{0};
std::atomic<int> passivations{0};

/// An account whose balance is written through its own journal: the test
/// keys start with distinct letters, which serve as shard numbers.
caf::behavior account(caf::event_based_actor* self, std::string key,
                      runtime::shard_context ctx) {
  ++activations;
  ctx.shard = static_cast<uint16_t>(key.at(0));
  auto balance = std::make_shared<int64_t>(0);
  auto journal = std::make_shared<runtime::shard_journal>(ctx);
  self->set_default_handler(caf::skip);
  runtime::load_shard_async(self, ctx);
  caf::behavior serving{
      [=](add_atom, const std::string&, int64_t delta) {
        *balance += delta;
        std::vector<persistence::journal_op> ops{
            {persistence::journal_op::put, key, persistence::encode(*balance)}};
        auto rp = self->make_response_promise();
        journal->submit(self, ops, rp, caf::make_message(*balance));
        return rp;
      },
      [=](runtime::committed_atom, uint64_t seq, bool ok,
          const std::string& err) { journal->on_committed(seq, ok, err); },
      [=](runtime::passivate_atom) {
        ++passivations;
        self->quit();
      },
      [](boom_atom, const std::string&) -> int64_t {
        throw std::runtime_error("boom");
      },
  };
  return {
      [=](runtime::loaded_atom, const runtime::shard_image_ptr& image) mutable {
        for (auto& [k, v] : image->records)
          if (k == key)
            persistence::decode(v, *balance);
        journal->restore(image->last_seq);
        self->set_default_handler(caf::print_and_drop);
        self->become(serving);
      },
  };
}

std::optional<std::string> account_key(const caf::message& msg) {
  if (msg.match_elements<add_atom, std::string, int64_t>() ||
      msg.match_elements<boom_atom, std::string>())
    return msg.get_as<std::string>(1);
  return std::nullopt;
}

runtime::virtual_spec spec(runtime::node& n,
                           std::chrono::milliseconds idle = 60s) {
  runtime::shard_context ctx;
  ctx.service = "accounts";
  ctx.store = &n.store("accounts");
  ctx.committer = &n.committer();
  ctx.config = &n.config();
  runtime::virtual_spec s;
  s.kind = "account";
  s.key_of = account_key;
  s.entity = [ctx](caf::event_based_actor* self, std::string key) {
    return account(self, std::move(key), ctx);
  };
  s.passivate_after = idle;
  return s;
}

uint64_t active(runtime::node& n, const caf::actor& host) {
  return *ask<uint64_t>(n, host, runtime::count_atom::value);
}

/// Crashes the entity `key`, the only active one, and waits until its host
/// has seen the exit (a message racing the exit would reach the dead actor).
void crash(runtime::node& n, const caf::actor& host, const std::string& key) {
  EXPECT_FALSE(ask<int64_t>(n, host, boom_atom::value, key));
  for (int i = 0; i < 500 && active(n, host) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  EXPECT_EQ(active(n, host), 0u);
}

} // namespace

TEST(virtual_host, activates_on_first_message_only) {
  test::test_node n;
  auto host = n->start_virtual(spec(*n));
  activations = 0;
  EXPECT_EQ(active(*n, host), 0u);
  EXPECT_EQ(*ask<int64_t>(*n, host, add_atom::value, "alice", int64_t{5}), 5);
  EXPECT_EQ(*ask<int64_t>(*n, host, add_atom::value, "alice", int64_t{5}), 10);
  EXPECT_EQ(*ask<int64_t>(*n, host, add_atom::value, "bob", int64_t{1}), 1);
  EXPECT_EQ(activations.load(), 2);
  EXPECT_EQ(active(*n, host), 2u);
}

TEST(virtual_host, passivates_after_idle_and_restores_state) {
  test::test_node n;
  auto host = n->start_virtual(spec(*n, 100ms));
  activations = 0;
  passivations = 0;
  EXPECT_EQ(*ask<int64_t>(*n, host, add_atom::value, "carol", int64_t{7}), 7);
  for (int i = 0; i < 300 && active(*n, host) != 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(active(*n, host), 0u);
  EXPECT_EQ(passivations.load(), 1);
  EXPECT_EQ(*ask<int64_t>(*n, host, add_atom::value, "carol", int64_t{1}), 8);
  EXPECT_EQ(activations.load(), 2);
}

TEST(virtual_host, crashed_entity_comes_back_from_durable_state) {
  test::test_node n;
  auto host = n->start_virtual(spec(*n));
  EXPECT_EQ(*ask<int64_t>(*n, host, add_atom::value, "dave", int64_t{3}), 3);
  crash(*n, host, "dave");
  EXPECT_EQ(*ask<int64_t>(*n, host, add_atom::value, "dave", int64_t{1}), 4);
}

TEST(virtual_host, crashing_too_often_disables_the_entity) {
  test::test_node n;
  auto s = spec(*n);
  s.max_restarts = 1;
  auto host = n->start_virtual(s);
  crash(*n, host, "eve");
  crash(*n, host, "eve");
  auto res = ask<int64_t>(*n, host, add_atom::value, "eve", int64_t{1});
  ASSERT_FALSE(res);
  EXPECT_EQ(*ask<int64_t>(*n, host, add_atom::value, "frank", int64_t{1}), 1);
}

TEST(virtual_host, unset_timings_come_from_the_node_config) {
  auto cfg = test::test_node::small_config();
  cfg.runtime.passivate_after = std::chrono::milliseconds{100};
  test::test_node n{cfg};
  auto host = n->start_virtual(spec(*n, std::chrono::milliseconds{0}));
  passivations = 0;
  EXPECT_EQ(*ask<int64_t>(*n, host, add_atom::value, "gina", int64_t{1}), 1);
  for (int i = 0; i < 300 && active(*n, host) != 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(active(*n, host), 0u);
  EXPECT_EQ(passivations.load(), 1);
}
