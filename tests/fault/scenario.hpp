// The fixture of the partition lab's tests: a fresh lab of three node
// namespaces per test, etcd in its own when the flavour is etcd
// ($TROUPE_LAB_MEMBERSHIP), a cluster of real nodes, and the test's HTTP
// client threads inside the hub. run_paste_scenario() is the shape every
// paste scenario shares: write for a while, inject the fault (which heals
// at its end) while writing, keep writing after the heal, then check that
// no acknowledged write was lost or diverged and that every node was ready
// again soon after the heal.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "lab.hpp"
#include "lab_cluster.hpp"
#include "lab_etcd.hpp"
#include "load_loop.hpp"
#include "workload.hpp"

namespace troupe_fault {

/// Sleeps for `d` (a fault's duration; bounded by definition).
void hold(millis d);

/// What one scenario run measured.
struct scenario_report {
  std::string name;
  membership_flavour flavour = membership_flavour::etcd;
  phase_counts acked{};
  phase_counts unacked{};
  read_back_result read_back;
  /// ms from the heal until every node was ready and saw every node up;
  /// -1 when that did not happen in time.
  long long ready_after_heal_ms = -1;
};

/// "[lab] OneNodeIsolated (static): acked 1234 (before 300, during 500,
/// after 434), unacked 56, lost 0, diverged 0, stale 0, ready-after-heal
/// 812 ms".
std::string summary_line(const scenario_report& r);

/// How long the phases of a paste scenario last.
struct scenario_timing {
  /// Writing before the fault.
  millis before{3000};
  /// Writing after every node is ready again.
  millis after_ready{1500};
  /// The assertion on ready-after-heal, and how long to wait for it.
  millis ready_bound{15000};
  millis ready_wait{20000};
};

/// A fresh lab and cluster per test (see the top of the file).
class lab_test : public ::testing::Test {
protected:
  void SetUp() override;
  void TearDown() override;

  membership_flavour flavour() const { return flavour_; }
  bool etcd_flavour() const { return flavour_ == membership_flavour::etcd; }
  lab& l() { return *lab_; }
  lab_etcd& etcd() { return *etcd_; }
  lab_cluster& c() { return *cluster_; }

  /// Starts the nodes (the troupe binary unless told otherwise) and waits
  /// until they converge; returns false with a test failure otherwise.
  bool start_cluster(node_command command = troupe_command());

  /// Runs the paste workload around `fault` (which must heal before it
  /// returns) and checks the no-loss properties. Returns what it measured.
  scenario_report run_paste_scenario(const std::function<void()>& fault,
                                     scenario_timing timing = {});

  /// The current test's name.
  static std::string test_name();

  /// Waits for convergence after a heal, bounded by `timing`; expects it
  /// within timing.ready_bound. Returns the ms it took (or -1).
  long long expect_ready_after_heal(const scenario_timing& timing);

private:
  membership_flavour flavour_ = membership_flavour::etcd;
  std::unique_ptr<lab> lab_;
  std::unique_ptr<netns_guard> hub_;
  std::unique_ptr<lab_etcd> etcd_;
  std::unique_ptr<lab_cluster> cluster_;
};

} // namespace troupe_fault
