// The etcd client and the node's etcd agent against a real etcd.
#include "troupe/runtime/etcd_agent.hpp"

#include <condition_variable>
#include <future>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <gtest/gtest.h>

#include "etcd_server.hpp"
#include "harness.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/etcd_client.hpp"
#include "troupe/runtime/shard_config.hpp"

using namespace troupe;
using namespace troupe::runtime;
using namespace std::chrono_literals;

namespace {

config::node_config two_nodes(const std::string& etcd) {
  auto cfg = config::default_config();
  cfg.cluster = "agent-test";
  cfg.nodes.push_back(cfg.nodes.front());
  cfg.nodes.back().name = "n2";
  cfg.membership.source = config::membership_source::etcd;
  cfg.membership.etcd_endpoints = {*config::parse_endpoint(etcd)};
  cfg.membership.lease_ttl = 1000ms;
  cfg.membership.heartbeat_interval = 100ms;
  return cfg;
}

/// Runs one call of the client and waits for its result.
template <class T, class Call>
etcd::result<T> await(Call call) {
  std::promise<etcd::result<T>> done;
  call([&](etcd::result<T> r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

/// The keys under `prefix`.
std::vector<etcd::key_value> keys(etcd::client& c, const std::string& prefix) {
  etcd::txn_request req;
  req.success.push_back(etcd::operation::prefix(prefix));
  auto r = await<etcd::txn_response>([&](auto f) { c.txn(req, std::move(f)); });
  EXPECT_TRUE(r.ok()) << r.error;
  return r.ok() && !r.value.ranges.empty() ? r.value.ranges[0]
                                           : std::vector<etcd::key_value>{};
}

bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

struct runtimeEtcdAgent : ::testing::Test {
  void SetUp() override { ASSERT_TRUE(etcd.start()); }

  troupe_e2e::etcd_server etcd;
};

} // namespace

TEST_F(runtimeEtcdAgent, ClientGrantsRenewsAndRevokesLeases) {
  etcd::client c{{*config::parse_endpoint(etcd.endpoint())}, 1000ms};
  auto g = await<etcd::lease_grant>([&](auto f) { c.grant(1, std::move(f)); });
  ASSERT_TRUE(g.ok()) << g.error;
  EXPECT_EQ(g.value.ttl, 1);
  auto k =
      await<int64_t>([&](auto f) { c.keepalive(g.value.id, std::move(f)); });
  ASSERT_TRUE(k.ok()) << k.error;
  EXPECT_EQ(k.value, 1);
  auto r = await<bool>([&](auto f) { c.revoke(g.value.id, std::move(f)); });
  EXPECT_TRUE(r.ok()) << r.error;
  auto gone =
      await<int64_t>([&](auto f) { c.keepalive(g.value.id, std::move(f)); });
  ASSERT_TRUE(gone.ok()) << gone.error;
  EXPECT_EQ(gone.value, 0);
}

TEST_F(runtimeEtcdAgent, ClientTransactionsCompareAndSwap) {
  etcd::client c{{*config::parse_endpoint(etcd.endpoint())}, 1000ms};
  auto swap = [&](int64_t expected, const std::string& value) {
    etcd::txn_request req;
    req.compares.push_back(etcd::compare::mod_revision("k", expected));
    req.success.push_back(etcd::operation::put("k", value));
    req.failure.push_back(etcd::operation::range("k"));
    auto r =
        await<etcd::txn_response>([&](auto f) { c.txn(req, std::move(f)); });
    EXPECT_TRUE(r.ok()) << r.error;
    return r.value;
  };
  auto created = swap(0, "one");
  ASSERT_TRUE(created.succeeded);
  EXPECT_FALSE(swap(0, "again").succeeded); // exists now
  auto lost = swap(created.revision - 1, "stale");
  ASSERT_FALSE(lost.succeeded);
  ASSERT_EQ(lost.ranges.size(), 1u);
  EXPECT_EQ(lost.ranges[0].at(0).value, "one");
  EXPECT_TRUE(swap(created.revision, "two").succeeded);
}

TEST_F(runtimeEtcdAgent, ClientFailsOverToTheNextEndpoint) {
  // The first endpoint refuses connections; calls move on to the second.
  auto dead = *config::parse_endpoint("127.0.0.1:" +
                                      std::to_string(troupe_e2e::free_port()));
  etcd::client c{{dead, *config::parse_endpoint(etcd.endpoint())}, 500ms};
  auto first = await<etcd::lease_grant>([&](auto f) { c.grant(1, f); });
  EXPECT_FALSE(first.ok());
  EXPECT_NE(first.error.find(dead.to_string()), std::string::npos);
  auto second = await<etcd::lease_grant>([&](auto f) { c.grant(1, f); });
  EXPECT_TRUE(second.ok()) << second.error;
}

TEST_F(runtimeEtcdAgent, AgentHoldsALeaseAndPublishesItsMemberKey) {
  auto cfg = two_nodes(etcd.endpoint());
  caf::actor_system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  caf::scoped_actor membership{sys};
  auto lease = std::make_shared<lease_status>();
  auto agent = start_etcd_agent(sys, cfg, lease, membership);
  ASSERT_TRUE(eventually([&] { return lease->valid(); }, 5s));
  // The membership learns the live leases, this node's among them.
  bool seen = false;
  for (int i = 0; i < 50 && !seen; ++i)
    membership->receive(
        [&](leases_atom, const std::vector<std::string>& names,
            const std::vector<int64_t>& ids) {
          for (size_t k = 0; k < names.size(); ++k)
            seen = seen || (names[k] == "n1" && ids[k] == lease->id());
        },
        caf::after(100ms) >> [] {});
  EXPECT_TRUE(seen);
  etcd::client c{{*config::parse_endpoint(etcd.endpoint())}, 1000ms};
  etcd_keys k{cfg.membership.etcd_prefix, cfg.cluster};
  auto members = keys(c, k.members());
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].key, k.member("n1", lease->id()));
  EXPECT_EQ(members[0].lease, lease->id());
  // The lease stays valid across several TTLs: it is renewed.
  std::this_thread::sleep_for(2500ms);
  EXPECT_TRUE(lease->valid());
  // Revoking it (clean stop) deletes the member key at once.
  membership->request(agent, caf::infinite, revoke_atom::value)
      .receive([](bool ok) { EXPECT_TRUE(ok); },
               [](caf::error& err) { FAIL() << caf::to_string(err); });
  EXPECT_FALSE(lease->valid());
  EXPECT_TRUE(keys(c, k.members()).empty());
  caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
}

TEST_F(runtimeEtcdAgent, AgentSwapsConfigurationsAndTellsTheRegions) {
  auto cfg = two_nodes(etcd.endpoint());
  caf::actor_system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  caf::scoped_actor region{sys};
  auto lease = std::make_shared<lease_status>();
  auto agent = start_etcd_agent(sys, cfg, lease, region);
  ASSERT_TRUE(eventually([&] { return lease->valid(); }, 5s));
  caf::anon_send(agent, subscribe_atom::value, std::string{"svc"},
                 caf::actor{region});
  etcd_keys k{cfg.membership.etcd_prefix, cfg.cluster};
  auto key = k.shard("svc", 3);
  auto me = k.member("n1", lease->id());
  auto cas = [&](int64_t expected, std::string value,
                 std::vector<std::string> exist,
                 std::vector<std::string> absent) {
    std::tuple<bool, int64_t, std::string> out;
    region
        ->request(agent, caf::infinite, cas_atom::value, key, expected,
                  std::move(value), std::move(exist), std::move(absent))
        .receive(
            [&](bool ok, int64_t rev, std::string& current) {
              out = {ok, rev, current};
            },
            [&](caf::error& err) { FAIL() << caf::to_string(err); });
    return out;
  };
  auto v1 = shard_config::initial("n1", lease->id(), 1).encode();
  auto [ok1, rev1, cur1] = cas(0, v1, {me}, {});
  ASSERT_TRUE(ok1);
  // Another create, or a change from an old revision, loses.
  auto [ok2, rev2, cur2] = cas(0, "x", {me}, {});
  EXPECT_FALSE(ok2);
  EXPECT_EQ(rev2, rev1);
  EXPECT_EQ(cur2, v1);
  // A change that relies on a lease that does not exist loses too.
  auto [ok3, rev3, cur3] = cas(rev1, "x", {k.member("n2", 42)}, {});
  EXPECT_FALSE(ok3);
  auto [ok4, rev4, cur4] = cas(rev1, "x", {}, {me});
  EXPECT_FALSE(ok4);
  // Revision -1 only reads.
  auto [ok5, rev5, cur5] = cas(-1, "", {}, {});
  EXPECT_FALSE(ok5);
  EXPECT_EQ(rev5, rev1);
  EXPECT_EQ(cur5, v1);
  // The region hears of the configuration and that all were read.
  bool loaded = false;
  bool got = false;
  for (int i = 0; i < 50 && !(loaded && got); ++i)
    region->receive(
        [&](configs_atom) { loaded = true; },
        [&](config_atom, uint16_t idx, const std::string& json, int64_t rev) {
          got = idx == 3 && json == v1 && rev == rev1;
        },
        [](lease_atom, int64_t, bool) {},
        [](leases_atom, const std::vector<std::string>&,
           const std::vector<int64_t>&) {},
        caf::after(100ms) >> [] {});
  EXPECT_TRUE(loaded);
  EXPECT_TRUE(got);
  caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
}

TEST_F(runtimeEtcdAgent, LeaseLapsesWhileEtcdIsDownAndComesBackAfter) {
  auto cfg = two_nodes(etcd.endpoint());
  caf::actor_system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  caf::scoped_actor membership{sys};
  auto lease = std::make_shared<lease_status>();
  auto agent = start_etcd_agent(sys, cfg, lease, membership);
  ASSERT_TRUE(eventually([&] { return lease->valid(); }, 5s));
  etcd.kill9();
  auto t0 = std::chrono::steady_clock::now();
  // Not renewed any more: invalid within the TTL (1 s), never later.
  ASSERT_TRUE(eventually([&] { return !lease->valid(); }, 3s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1100ms);
  ASSERT_TRUE(etcd.start());
  EXPECT_TRUE(eventually([&] { return lease->valid(); }, 10s));
  caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
}
