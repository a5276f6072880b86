// A sharded counter service on a real node: routing by key, durable state,
// restart of a crashed shard from disk, escalation beyond the intensity.

#include "troupe/runtime/region.hpp"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>
#include <unordered_map>

#include <caf/all.hpp>

#include "test_node.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_journal.hpp"

using namespace troupe;
using namespace std::chrono_literals;

using troupe::test::ask;

namespace {

using add_atom = caf::atom_constant<caf::atom("add")>;
using get_atom = caf::atom_constant<caf::atom("get")>;

struct counter_shard {
  explicit counter_shard(runtime::shard_context ctx)
      : journal(std::move(ctx)) {}
  std::unordered_map<std::string, int64_t> values;
  runtime::shard_journal journal;
};

caf::behavior counter(caf::event_based_actor* self,
                      runtime::shard_context ctx) {
  auto st = std::make_shared<counter_shard>(ctx);
  self->set_default_handler(caf::skip);
  runtime::load_shard_async(self, ctx);
  caf::behavior serving{
      [self, st](add_atom, const std::string& key,
                 int64_t delta) -> caf::result<caf::message> {
        auto value = st->values[key] + delta;
        auto rp = self->make_response_promise();
        std::vector<persistence::journal_op> ops{
            {persistence::journal_op::put, key, persistence::encode(value)}};
        if (auto err =
                st->journal.submit(self, ops, rp, caf::make_message(value)))
          return err;
        st->values[key] = value;
        return rp;
      },
      [st](get_atom, const std::string& key) { return st->values[key]; },
      [st](runtime::committed_atom, uint64_t seq, bool ok,
           const std::string& err) { st->journal.on_committed(seq, ok, err); },
      [](runtime::flush_atom) { return runtime::flush_atom::value; },
      [](runtime::crash_atom) { throw std::runtime_error("injected"); },
  };
  return {
      [self, st, serving](runtime::loaded_atom,
                          const runtime::shard_image_ptr& image) mutable {
        for (auto& [key, value] : image->records)
          persistence::decode(value, st->values[key]);
        st->journal.restore(image->last_seq);
        self->set_default_handler(caf::print_and_drop);
        const auto& c = st->journal.context();
        self->send(caf::actor_cast<caf::actor>(c.region),
                   runtime::ready_atom::value, c.shard);
        self->become(serving);
      },
  };
}

std::optional<std::string> counter_key(const caf::message& msg) {
  if (msg.match_elements<add_atom, std::string, int64_t>() ||
      msg.match_elements<get_atom, std::string>())
    return msg.get_as<std::string>(1);
  return std::nullopt;
}

runtime::region_spec counter_spec() {
  return runtime::region_spec{"counter", 4, counter_key, counter, {}};
}

void wait_until(const std::function<bool()>& pred) {
  for (int i = 0; i < 500 && !pred(); ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(pred());
}

bool shard_is(runtime::node& n, uint16_t idx, uint8_t state) {
  return n.regions().front()->states[idx].load() == state;
}

} // namespace

TEST(region, routes_by_key_and_persists) {
  test::test_node n;
  auto region = n->start_region(counter_spec());
  wait_until([&] { return n->ready(); });
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(*ask<int64_t>(*n, region, add_atom::value,
                            "k" + std::to_string(i % 5), int64_t{1}),
              i / 5 + 1);
  n.restart();
  region = n->start_region(counter_spec());
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(
        *ask<int64_t>(*n, region, get_atom::value, "k" + std::to_string(i)), 4);
}

TEST(region, crashed_shard_restarts_from_durable_state) {
  test::test_node n;
  auto region = n->start_region(counter_spec());
  ASSERT_EQ(*ask<int64_t>(*n, region, add_atom::value, "a", int64_t{42}), 42);
  auto idx = runtime::shard_of("a", 4);
  ASSERT_TRUE(
      ask<runtime::crash_atom>(*n, region, runtime::crash_atom::value, idx));
  wait_until([&] { return n->regions().front()->restarts.load() == 1; });
  wait_until([&] { return shard_is(*n, idx, runtime::region_status::up); });
  EXPECT_EQ(*ask<int64_t>(*n, region, get_atom::value, "a"), 42);
}

TEST(region, too_many_crashes_escalate_and_other_shards_keep_serving) {
  auto cfg = test::test_node::small_config();
  cfg.runtime.max_restarts = 2;
  cfg.runtime.restart_period = 60s;
  test::test_node n{cfg};
  auto region = n->start_region(counter_spec());
  std::string victim = "a";
  auto idx = runtime::shard_of(victim, 4);
  std::string bystander;
  for (int i = 0; bystander.empty(); ++i)
    if (runtime::shard_of("b" + std::to_string(i), 4) != idx)
      bystander = "b" + std::to_string(i);
  ASSERT_TRUE(ask<int64_t>(*n, region, add_atom::value, victim, int64_t{1}));
  for (int crash = 1; crash <= 3; ++crash) {
    wait_until([&] { return shard_is(*n, idx, runtime::region_status::up); });
    ASSERT_TRUE(
        ask<runtime::crash_atom>(*n, region, runtime::crash_atom::value, idx));
    wait_until([&] {
      return !shard_is(*n, idx, runtime::region_status::up) ||
             n->regions().front()->restarts.load() ==
                 static_cast<uint64_t>(crash);
    });
  }
  wait_until([&] { return n->regions().front()->escalations.load() == 1; });
  auto res = ask<int64_t>(*n, region, get_atom::value, victim);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code(),
            static_cast<uint8_t>(runtime::errc::unavailable));
  EXPECT_EQ(*ask<int64_t>(*n, region, add_atom::value, bystander, int64_t{2}),
            2);
}

TEST(region, unroutable_messages_are_rejected) {
  test::test_node n;
  auto region = n->start_region(counter_spec());
  auto res = ask<int64_t>(*n, region, std::string{"no key"});
  ASSERT_FALSE(res);
}

TEST(region, a_write_accepted_before_a_crash_is_still_answered_when_durable) {
  test::test_node n;
  auto region = n->start_region(counter_spec());
  wait_until([&] { return n->ready(); });
  // Hold the committer so that the next write stays queued.
  std::promise<void> release;
  auto held = release.get_future().share();
  n->committer().submit_task([held] { held.wait(); });
  caf::scoped_actor client{n->system()};
  auto pending = client->request(region, 5s, add_atom::value, std::string{"p"},
                                 int64_t{1});
  auto idx = runtime::shard_of("p", 4);
  // Let the write reach the shard, then crash it while the write waits.
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(
      ask<runtime::crash_atom>(*n, region, runtime::crash_atom::value, idx));
  release.set_value();
  // The committer answers the client itself, crash or not.
  pending.receive([](int64_t value) { EXPECT_EQ(value, 1); },
                  [&](caf::error& err) {
                    FAIL() << "write not answered: " << n->system().render(err);
                  });
  // And the restarted shard has it.
  wait_until([&] { return n->ready(); });
  EXPECT_EQ(*ask<int64_t>(*n, region, get_atom::value, "p"), 1);
}
