// Writer threads for the lab's workloads: each writer keeps one keep-alive
// connection to one node and sends requests in a loop bounded in count and
// time, until stopped. What a request is, and whether its answer is an
// acknowledgement, is the workload's (a step function); the loop keeps the
// connection, the pauses after failures, and the tallies per phase of the
// fault.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "lab_http.hpp"

namespace troupe_fault {

using millis = std::chrono::milliseconds;

/// Where a scenario is: before the fault, during it, after the heal.
enum class phase : int { before, during, after };
constexpr size_t phase_count = 3;
const char* to_string(phase p);

/// Acknowledged (or not) requests per phase.
using phase_counts = std::array<size_t, phase_count>;
inline size_t total(const phase_counts& c) {
  return c[0] + c[1] + c[2];
}

/// Bounds and pacing of the writers.
struct load_options {
  size_t writers_per_node = 2;
  /// Longer than the nodes' request timeout (5 s), so that the node's own
  /// answer is what a writer sees when it has one.
  millis client_timeout{6500};
  /// The loop ends after this long whatever happens.
  millis max_duration{50000};
  size_t max_requests_per_writer = 50000;
  /// After a failed request or connect, before the next attempt.
  millis pause_after_failure{100};
  /// A writer starts a request at most this often: a few hundred writes a
  /// second in all, so that the read-back stays short and the nodes' own
  /// timers (100 ms heartbeats) are not starved on two cores.
  millis min_interval{20};
};

/// Sends request number `seq` of `writer` on the open connection `c`;
/// returns whether it was acknowledged.
using step_fn =
    std::function<bool(troupe_e2e::connection& c, size_t writer, size_t seq)>;

/// The writers of one workload: `writers_per_node` per node.
class load_loop {
public:
  load_loop(std::vector<endpoint> nodes, load_options opt, step_fn step);
  ~load_loop();
  load_loop(const load_loop&) = delete;
  load_loop& operator=(const load_loop&) = delete;

  void start();
  /// Tallies from now on go to `p`.
  void set_phase(phase p) { phase_ = static_cast<int>(p); }
  phase current_phase() const { return static_cast<phase>(phase_.load()); }
  /// Stops and joins the writers (each finishes its request in flight,
  /// bounded by the client timeout). Idempotent.
  void stop();

  size_t writers() const { return nodes_.size() * opt_.writers_per_node; }
  /// The node writer `w` talks to.
  size_t node_of(size_t w) const { return w % nodes_.size(); }
  phase_counts acked() const;
  phase_counts unacked() const;
  /// Connects that failed (no request was sent).
  size_t connect_failures() const { return connect_failures_; }

private:
  void run(size_t writer);

  std::vector<endpoint> nodes_;
  load_options opt_;
  step_fn step_;
  std::atomic<int> phase_{0};
  std::atomic<bool> stop_{false};
  std::array<std::atomic<size_t>, phase_count> acked_{};
  std::array<std::atomic<size_t>, phase_count> unacked_{};
  std::atomic<size_t> connect_failures_{0};
  std::vector<std::thread> threads_;
};

} // namespace troupe_fault
