// The entity API under the same faults: examples/custom_route's counter in
// cluster mode, incremented through every node during an isolation and an
// asymmetric cut. Afterwards each key reads the same through every node,
// and at least every acknowledged increment, at most those plus the
// unacknowledged ones (counter_workload.hpp).
#include <iostream>

#include "counter_workload.hpp"
#include "scenario.hpp"

namespace troupe_fault {
namespace {

using std::chrono::seconds;

class EntityCounter : public lab_test {};

TEST_F(EntityCounter, CounterUnderFaults) {
  ASSERT_TRUE(start_cluster(custom_route_command()));
  scenario_timing timing;
  counter_workload w{c().http_all(), {"k1", "k2", "k3", "k4", "k5"}};
  w.start();
  hold(seconds(2));
  w.set_phase(phase::during);
  l().isolate(0);
  hold(seconds(5));
  l().heal_all();
  auto ready_isolation = expect_ready_after_heal(timing);
  l().cut(0, 2);
  hold(seconds(5));
  l().heal_all();
  w.set_phase(phase::after);
  auto ready_cut = expect_ready_after_heal(timing);
  hold(timing.after_ready);
  w.stop();
  auto acked = w.loop().acked();
  auto unacked = w.loop().unacked();
  std::cout << "[lab] " << test_name() << " (" << to_string(flavour())
            << "): increments acked " << total(acked) << " (before " << acked[0]
            << ", during " << acked[1] << ", after " << acked[2]
            << "), unacked " << total(unacked) << ", ready-after-heal "
            << ready_isolation << " ms (isolation), " << ready_cut
            << " ms (cut)" << std::endl;
  for (size_t p = 0; p < phase_count; ++p)
    EXPECT_GT(acked[p], 0u)
        << "no acknowledged increment " << to_string(static_cast<phase>(p))
        << " the faults";
  for (const auto& check : check_counters(c().http_all(), w)) {
    std::cout << "[lab]   " << to_string(check) << std::endl;
    EXPECT_TRUE(check.ok) << to_string(check);
  }
}

} // namespace
} // namespace troupe_fault
