// The counter workload of the partition lab: increments of a handful of
// counter keys (examples/custom_route's entity routes) through every node,
// tallied per key. After the heal, every key's value read through every
// node must be the same everywhere and lie between the acknowledged
// increments and those plus the unacknowledged ones (an unacknowledged
// increment may or may not have happened; an acknowledged one must have,
// exactly once).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "load_loop.hpp"
#include "workload.hpp"

namespace troupe_fault {

/// Writers incrementing `keys` in turn (by 1) through every node.
class counter_workload {
public:
  counter_workload(std::vector<endpoint> nodes, std::vector<std::string> keys,
                   load_options opt = {});

  void start() { loop_.start(); }
  void set_phase(phase p) { loop_.set_phase(p); }
  void stop() { loop_.stop(); }
  const load_loop& loop() const { return loop_; }
  const std::vector<std::string>& keys() const { return keys_; }
  /// Acknowledged and unacknowledged increments of key k.
  size_t acked(size_t k) const { return acked_[k]; }
  size_t unacked(size_t k) const { return unacked_[k]; }

private:
  bool increment(troupe_e2e::connection& c, size_t writer, size_t seq);

  std::vector<std::string> keys_;
  std::unique_ptr<std::atomic<size_t>[]> acked_;
  std::unique_ptr<std::atomic<size_t>[]> unacked_;
  load_loop loop_;
};

/// What the check of one key found (in its last round).
struct counter_check {
  std::string key;
  size_t acked = 0;
  size_t unacked = 0;
  /// The value read through each node (-1: no 200 answer).
  std::vector<long long> values;
  bool ok = false;
  /// Not ok in the first round, ok in a later one.
  bool stale = false;
};

/// Reads every key through every node (bounded rounds, as for pastes).
std::vector<counter_check> check_counters(const std::vector<endpoint>& nodes,
                                          const counter_workload& w,
                                          read_back_options opt = {});

/// "k1: acked 120, unacked 3, values 121 121 121 ok".
std::string to_string(const counter_check& c);

} // namespace troupe_fault
