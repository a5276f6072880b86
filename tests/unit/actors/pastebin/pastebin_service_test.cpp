// The Pastebin service on a real node (real actors, real LMDB) with a
// clock the test moves: expiry, the sweep deleting from disk, stats that
// survive a restart, and shortlink collision retries.

#include "troupe/pastebin/service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <caf/all.hpp>

#include "../../runtime/test_node.hpp"
#include "troupe/pastebin/front.hpp"
#include "troupe/pastebin/messages.hpp"
#include "troupe/pastebin/shortlink.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/persistence/store.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_map.hpp"
#include "troupe/services.hpp"

using namespace troupe;
using namespace troupe::pastebin;
using namespace std::chrono_literals;

using troupe::test::ask;

namespace {

constexpr int64_t t0 = 1767225600; // 2026-01-01 00:00:00 UTC
constexpr auto paste = static_cast<uint8_t>(paste_kind::paste);

std::atomic<int64_t> fake_now{t0};

config::node_config quick_config() {
  auto cfg = test::test_node::small_config();
  cfg.pastebin.sweep_interval = 20ms;
  cfg.pastebin.stats_flush_interval = 20ms;
  return cfg;
}

std::string create(runtime::node& n, const service& svc, std::string text,
                   uint32_t minutes) {
  paste_input in{std::move(text), minutes, paste, "127.0.0.1", fake_now};
  return *ask<std::string>(n, svc.front, create_atom::value, in);
}

bool on_disk(runtime::node& n, const std::string& link) {
  n.committer().flush();
  auto image = n.store("pastebin").load_shard(runtime::shard_of(link, 4));
  for (auto& rec : image.records)
    if (rec.first == "p:" + link)
      return true;
  return false;
}

struct pastebin_service : ::testing::Test {
  pastebin_service() : node(quick_config(), services::register_types) {
    fake_now = t0;
  }
  service start() {
    return pastebin::start(*node, [] { return fake_now.load(); });
  }
  test::test_node node;
};

} // namespace

TEST_F(pastebin_service, expired_pastes_vanish_from_memory_and_disk) {
  auto svc = start();
  auto link = create(*node, svc, "short-lived", 1);
  auto keep = create(*node, svc, "forever", 0);
  ASSERT_TRUE(ask<paste_view>(*node, svc.region, get_atom::value, link, paste));
  ASSERT_TRUE(on_disk(*node, link));
  fake_now = t0 + 60;
  auto gone = ask<paste_view>(*node, svc.region, get_atom::value, link, paste);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(),
            static_cast<uint8_t>(runtime::errc::not_found));
  // The periodic sweep deletes it from disk too.
  for (int i = 0; i < 200 && on_disk(*node, link); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(on_disk(*node, link));
  EXPECT_TRUE(on_disk(*node, keep));
}

TEST_F(pastebin_service, stats_survive_a_restart) {
  auto svc = start();
  auto a = create(*node, svc, "a", 0);
  auto b = create(*node, svc, "b", 0);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(ask<paste_view>(*node, svc.region, get_atom::value, a, paste));
  ASSERT_TRUE(ask<paste_view>(*node, svc.region, get_atom::value, b, paste));
  svc = service{}; // handles must not outlive their actor system
  node.restart();
  svc = start();
  auto rows = *ask<std::vector<stats_row>>(*node, svc.front, stats_atom::value,
                                           std::string{"2026-01"},
                                           std::string{}, uint32_t{10});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].shortlink, a);
  EXPECT_EQ(rows[0].hits, 3u);
  EXPECT_EQ(rows[1].shortlink, b);
  EXPECT_EQ(rows[1].hits, 1u);
  auto one =
      *ask<std::vector<stats_row>>(*node, svc.front, stats_atom::value,
                                   std::string{"2026-01"}, b, uint32_t{10});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].hits, 1u);
}

TEST_F(pastebin_service, collisions_are_retried_then_reported) {
  auto svc = start();
  paste_input in{"x", 0, paste, "c", t0};
  auto send = [&](uint32_t attempt) {
    return ask<std::string>(*node, svc.region, create_atom::value,
                            std::string{"collide"}, in, attempt);
  };
  EXPECT_EQ(*send(0), "collide");
  // Taken: the shard passes the create on with a fresh shortlink.
  auto other = send(0);
  ASSERT_TRUE(other) << node->system().render(other.error());
  EXPECT_NE(*other, "collide");
  EXPECT_TRUE(is_shortlink(*other));
  EXPECT_TRUE(
      ask<paste_view>(*node, svc.region, get_atom::value, *other, paste));
  // The last allowed attempt (create_retries = 5) gives up with conflict.
  auto res = send(4);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code(), static_cast<uint8_t>(runtime::errc::conflict));
  // The service's first attempt and the front's create both work.
  auto first = svc.create(in);
  caf::scoped_actor self{node->system()};
  std::string via_service;
  self->request(first.dest, caf::infinite, first.msg)
      .receive([&](std::string& link) { via_service = link; },
               [&](caf::error& err) { FAIL() << node->system().render(err); });
  EXPECT_TRUE(is_shortlink(via_service));
  EXPECT_TRUE(is_shortlink(
      *ask<std::string>(*node, svc.front, create_atom::value, in)));
}

TEST(pastebin_types, messages_survive_serialization_between_nodes) {
  caf::actor_system_config cfg;
  services::register_types(cfg);
  caf::actor_system sys{cfg};
  paste_input in{"text", 5, paste, "1.2.3.4", t0};
  auto msg = caf::make_message(create_atom::value, std::string{"abcdefg"}, in,
                               uint32_t{0});
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  ASSERT_FALSE(sink(msg));
  caf::message copy;
  caf::binary_deserializer source{sys, buf};
  ASSERT_FALSE(source(copy));
  ASSERT_TRUE(
      (copy.match_elements<create_atom, std::string, paste_input, uint32_t>()));
  EXPECT_EQ(copy.get_as<paste_input>(2).contents, "text");
  EXPECT_EQ(key_of(copy), std::string{"abcdefg"});
}
