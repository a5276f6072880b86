// Benchmark (not run by CTest; tests/bench/partition_time.sh runs it): how
// long a partition makes the keys of the isolated node's shards wait, with
// etcd as the configuration manager.
//
// Each trial isolates one node (from the other nodes and from etcd), then
// creates Twitter users, one every 20 ms, through a node of the majority,
// each with a user id whose shard the isolated node was serving (a durable,
// replicated write with a key of the client's choosing). The time from the
// cut to the first acknowledged create is the failover time: the old
// primary's lease must expire in etcd, a replica must see that and take
// the shard by a CAS. Then the cut heals, and the time until every node is
// ready again and sees every node up is measured; the trial ends once every
// shard is back on its preferred primary.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <xxhash.h>

#include "scenario.hpp"

namespace troupe_fault {

namespace {

using clock_type = std::chrono::steady_clock;

long long since_ms(clock_type::time_point t) {
  return std::chrono::duration_cast<millis>(clock_type::now() - t).count();
}

/// Node names serving each Twitter shard, as node `via` sees them.
std::vector<std::string> twitter_serving(const endpoint& via) {
  std::vector<std::string> out;
  auto v = send(via, "GET", "/api/v1/cluster").body_json();
  if (!v.is_object() || !v["shards"].contains("twitter"))
    return out;
  for (const auto& row : v["shards"]["twitter"])
    out.push_back(row["serving"].is_string() ? row["serving"].get<std::string>()
                                             : std::string{});
  return out;
}

/// Whether every shard of every service is served by its preferred primary.
bool on_preferred(const endpoint& via) {
  auto v = send(via, "GET", "/api/v1/cluster").body_json();
  if (!v.is_object() || !v["shards"].is_object())
    return false;
  for (const auto& [service, rows] : v["shards"].items())
    for (const auto& row : rows)
      if (row["serving"] != row["primary"])
        return false;
  return true;
}

/// The next user id after `k` whose shard `victim` serves.
std::string next_id(const std::vector<std::string>& serving,
                    const std::string& victim, size_t trial, size_t& k) {
  for (size_t limit = k + 100000; k < limit; ++k) {
    auto id = "b" + std::to_string(trial) + "x" + std::to_string(k);
    auto shard = XXH64(id.data(), id.size(), 0) % serving.size();
    if (serving[shard] == victim)
      return id;
  }
  return {};
}

struct trial_result {
  std::string victim;
  long long first_write_ms = -1;
  long long ready_ms = -1;
  size_t refused = 0;
};

size_t trials_from_env() {
  const char* v = std::getenv("TRIALS");
  long n = v != nullptr ? std::atol(v) : 0;
  return n > 0 && n <= 50 ? static_cast<size_t>(n) : 5;
}

class partitionBench : public lab_test {
protected:
  /// One trial: isolate `victim`, write its keys through `via`, heal.
  trial_result run_trial(size_t trial, size_t victim, size_t via) {
    trial_result r;
    r.victim = c().name(victim);
    auto serving = twitter_serving(c().http(via));
    EXPECT_FALSE(serving.empty());
    if (serving.empty())
      return r;
    size_t k = 0;
    l().isolate(victim);
    auto cut = clock_type::now();
    while (since_ms(cut) < 30000) {
      auto id = next_id(serving, r.victim, trial, k);
      ++k;
      auto res =
          send(c().http(via), "POST", "/twitter/api/v1/user",
               json{{"user_id", id}, {"name", std::string{"bench"}}}.dump(),
               std::chrono::seconds(2));
      if (res.status == 201) {
        r.first_write_ms = since_ms(cut);
        break;
      }
      ++r.refused;
      std::this_thread::sleep_for(millis(20));
    }
    l().heal_all();
    r.ready_ms = c().wait_converged(std::chrono::seconds(30));
    // The next trial starts from the preferred layout again.
    auto deadline = clock_type::now() + std::chrono::seconds(30);
    while (!on_preferred(c().http(via)) && clock_type::now() < deadline)
      std::this_thread::sleep_for(millis(100));
    return r;
  }
};

} // namespace

TEST_F(partitionBench, IsolationToFirstWriteAndHealToReady) {
  if (!etcd_flavour())
    GTEST_SKIP() << "measures the etcd membership";
  ASSERT_TRUE(start_cluster());
  auto trials = trials_from_env();
  std::vector<trial_result> results;
  for (size_t t = 0; t < trials; ++t) {
    size_t victim = t % c().size();
    results.push_back(run_trial(t, victim, (victim + 1) % c().size()));
    const auto& r = results.back();
    std::cerr << "[bench] trial " << t + 1 << ": isolated " << r.victim
              << ", first write after " << r.first_write_ms << " ms ("
              << r.refused << " refused before), ready " << r.ready_ms
              << " ms after the heal\n";
    ASSERT_GE(r.first_write_ms, 0)
        << "no write of " << r.victim << "'s keys succeeded within 30 s";
    ASSERT_GE(r.ready_ms, 0) << "not every node was ready within 30 s";
  }
  auto median = [&](auto field) {
    std::vector<long long> v;
    for (const auto& r : results)
      v.push_back(r.*field);
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto range = [&](auto field) {
    std::vector<long long> v;
    for (const auto& r : results)
      v.push_back(r.*field);
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return std::to_string(*lo) + "-" + std::to_string(*hi);
  };
  // One line per figure for the script: "bench_result NAME MEDIAN RANGE".
  std::cout << "bench_result isolation_to_first_write "
            << median(&trial_result::first_write_ms) << " "
            << range(&trial_result::first_write_ms) << "\n"
            << "bench_result heal_to_ready " << median(&trial_result::ready_ms)
            << " " << range(&trial_result::ready_ms) << "\n"
            << "bench_result trials " << results.size() << " -\n"
            << "bench_result lease_ttl_ms " << lab_lease_ttl() << " -\n"
            << "bench_result heartbeat_ms " << lab_heartbeat() << " -\n";
}

} // namespace troupe_fault
