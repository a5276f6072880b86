// Multi-process cluster harness: N real `troupe` nodes on 127.0.0.1 (free
// ports, temp data dirs) running one generated config, plus the requests the
// cluster tests send. Builds on the end-to-end harness (tests/e2e).
#pragma once

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "etcd_server.hpp"
#include "harness.hpp"

namespace troupe_cluster {

using troupe_e2e::http_response;
using troupe_e2e::json;
using troupe_e2e::node_process;
using millis = std::chrono::milliseconds;

/// The config keys the tests care about. Every node of a cluster runs the
/// same values unless a test gives one node values of its own.
struct node_settings {
  millis heartbeat_interval{200};
  /// Shorter than the default (2 s) to keep the tests quick: 1 s, or
  /// TROUPE_TEST_FAILURE_TIMEOUT_MS (e.g. 4000 for sanitizer builds, whose
  /// heartbeats may be late by more than a second).
  millis failure_timeout = default_failure_timeout();
  /// Far longer than the failure timeout, so that a request failed because
  /// its node was marked down is told apart from one that timed out.
  millis request_timeout{20000};
  /// Short, so that visit counts reach the stats quickly.
  millis stats_flush_interval{200};
  size_t pastebin_shards = 64;
  size_t cache_shards = 64;
  /// The cache budget of one node.
  uint64_t cache_capacity_bytes = 16u << 20;
  /// A Twitter search shard slower than this makes the reply partial.
  millis search_timeout{1000};
  /// "etcd" (the cluster starts its own etcd) or "static".
  std::string membership = "etcd";
  /// The TTL of each node's lease in etcd: 1 s, or the whole seconds of
  /// TROUPE_TEST_LEASE_TTL_MS (e.g. 4000 for sanitizer builds, whose nodes
  /// may not renew a lease within a second).
  millis lease_ttl = default_lease_ttl();

  static millis default_lease_ttl();
  static millis default_failure_timeout();

  /// How long a shard may take to fail over after its primary was killed
  /// or frozen, with slack for a loaded machine: with etcd, the lease must
  /// expire first; static membership notices silence within the failure
  /// timeout.
  millis failover_allowance() const {
    auto base =
        membership == "etcd" ? lease_ttl + heartbeat_interval : failure_timeout;
    return base + std::chrono::seconds(2);
  }
};

/// A cluster of `size` nodes named n1, n2, ... Nothing runs until start().
/// Nodes still running at destruction are killed (SIGKILL); their temp dirs
/// are removed as in the e2e harness.
class cluster {
public:
  explicit cluster(node_settings settings = {},
                   std::map<std::string, node_settings> overrides = {},
                   size_t size = 3);
  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  size_t size() const { return nodes_.size(); }
  const std::string& name(size_t i) const { return names_[i]; }
  node_process& node(size_t i) { return *nodes_[i]; }
  uint16_t port(size_t i) const { return nodes_[i]->port(); }
  /// "127.0.0.1:<port>" of node i's HTTP edge and of its actor endpoint.
  std::string http_endpoint(size_t i) const;
  std::string actor_endpoint(size_t i) const;
  /// The settings every node runs unless overridden.
  const node_settings& settings() const { return settings_; }

  /// Starts every node, waits until each is ready and sees every node up,
  /// and reads the shard map. Returns false (with test failures) otherwise.
  bool start();
  /// Starts node i and returns at once (it is not ready before it sees a
  /// majority of the nodes).
  void start_node(size_t i);
  /// Writes node i's config with `s` (read when the node starts next).
  void configure(size_t i, const node_settings& s);
  /// Waits until every node in `which` is ready and sees all of `which` up.
  bool wait_formed(const std::vector<size_t>& which,
                   millis timeout = std::chrono::seconds(30));

  /// The pid of node i's process (a child of the test), -1 if none runs.
  int pid_of(size_t i) const;

  /// SIGSTOP / SIGCONT to node i.
  void freeze(size_t i);
  void thaw(size_t i);

  /// GET /api/v1/cluster of node i; an empty object when it does not answer.
  json view(size_t i) const;
  /// "up" or "down": how node `observer` sees node `member` ("" when the
  /// observer does not answer).
  std::string state_seen(size_t observer, size_t member) const;
  /// Polls until every node in `observers` sees `member` in `state`, at most
  /// until `deadline`. Returns false (without failing) otherwise.
  bool wait_seen(const std::vector<size_t>& observers, size_t member,
                 const std::string& state,
                 std::chrono::steady_clock::time_point deadline) const;

  /// The node that is the primary of the shard of `key` in `service`
  /// ("pastebin", "cache" or "twitter"), after the shard map published by n1
  /// at start.
  size_t owner_of(const std::string& service, const std::string& key) const;

  /// Every node's log in brief, for failure messages (`log_digest`:
  /// frequent lines, warnings, the last `lines` lines).
  std::string logs(size_t lines = 25) const;

  /// The cluster's etcd (running unless a test stopped it; unused with
  /// static membership).
  troupe_e2e::etcd_server& etcd() { return *etcd_; }

  /// With etcd: waits until every shard is served by its preferred
  /// primary, as node `observer` sees it.
  bool wait_preferred(size_t observer,
                      millis timeout = std::chrono::seconds(30)) const;

private:
  std::string config_text(const node_settings& s) const;
  bool read_shard_map();

  node_settings settings_;
  std::unique_ptr<troupe_e2e::etcd_server> etcd_;
  std::vector<std::string> names_;
  std::vector<uint16_t> actor_ports_;
  /// Each node's node-link port (docs/design.md, "The node link").
  std::vector<uint16_t> link_ports_;
  std::vector<std::unique_ptr<node_process>> nodes_;
  /// service -> shard -> index of the primary node
  std::map<std::string, std::vector<size_t>> primaries_;
};

/// A fixture whose tests each get a cluster of three, started in SetUp.
/// Logs of every node are printed when a test fails.
class fresh_cluster_test : public ::testing::Test {
protected:
  void SetUp() override;
  void TearDown() override;
  cluster& c() { return *cluster_; }
  /// The settings of every node of the cluster.
  virtual node_settings settings() const { return {}; }

  std::unique_ptr<cluster> cluster_;
};

/// A fixture whose tests share one cluster of three, started once for the
/// suite (CTest runs every test in a process of its own, so there each test
/// still gets a fresh cluster). `Suite` is the deriving class.
template <class Suite>
class shared_cluster_test : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    cluster_ = new cluster();
    formed_ = cluster_->start();
  }

  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(formed_) << "the suite's cluster did not form";
  }

  void TearDown() override {
    if (HasFailure())
      std::cerr << cluster_->logs();
  }

  static cluster& c() { return *cluster_; }

  static inline cluster* cluster_ = nullptr;
  static inline bool formed_ = false;
};

// -- waiting -----------------------------------------------------------------

/// Polls `done` every 50 ms until it returns true or `timeout` passed;
/// returns its last result.
template <class Predicate>
bool eventually(Predicate done, millis timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(millis(50));
  }
}

/// Milliseconds since `start`.
inline long long elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<millis>(std::chrono::steady_clock::now() -
                                            start)
      .count();
}

// -- requests ----------------------------------------------------------------

/// One request on a fresh connection that waits up to `timeout` for the
/// answer (longer than the nodes' request timeout by default, so that the
/// node's answer is what the test sees). Socket errors become status 0.
http_response send(uint16_t port, const std::string& method,
                   const std::string& target, const std::string& body = "",
                   millis timeout = std::chrono::seconds(30));

struct paste {
  std::string shortlink;
  std::string contents;
};

/// POSTs a paste; returns its shortlink, or "" and a test failure.
std::string create_paste(uint16_t port, const std::string& contents);
/// Creates `count` pastes with distinct contents (marked with `tag`),
/// through the nodes in turn.
std::vector<paste> create_pastes(cluster& c, size_t count,
                                 const std::string& tag);
/// The same through the nodes of `via` in turn (e.g. only the survivors).
std::vector<paste> create_pastes_via(cluster& c, const std::vector<size_t>& via,
                                     size_t count, const std::string& tag);
http_response get_paste(uint16_t port, const std::string& shortlink);
/// Requests in flight at `port`'s edge (the /metrics request itself
/// included), or -1.
double in_flight(uint16_t port);
/// The pastes whose shard has node `owner` as primary (or not, with
/// `owned = false`).
std::vector<paste> owned_by(const cluster& c, const std::vector<paste>& all,
                            size_t owner, bool owned = true);

/// Expects GET of every paste through node `via` to answer 200 with its
/// contents.
void expect_pastes_served(uint16_t via, const std::vector<paste>& pastes);

http_response put_entry(uint16_t port, const std::string& key,
                        const std::string& value);
http_response get_entry(uint16_t port, const std::string& key);
http_response delete_entry(uint16_t port, const std::string& key);

/// Returns whether every node of `c` is the primary of the shard of at
/// least one of `keys`.
bool every_node_owns_one(const cluster& c, const std::string& service,
                         const std::vector<std::string>& keys);

/// `error.message` of an error body ("" when absent).
std::string error_message(const http_response& r);

} // namespace troupe_cluster
