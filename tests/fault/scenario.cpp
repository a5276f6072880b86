#include "scenario.hpp"

#include <iostream>
#include <sstream>
#include <thread>

namespace troupe_fault {

using clock_type = std::chrono::steady_clock;

void hold(millis d) {
  std::this_thread::sleep_for(d);
}

std::string summary_line(const scenario_report& r) {
  std::ostringstream out;
  out << "[lab] " << r.name << " (" << to_string(r.flavour) << "): acked "
      << total(r.acked) << " (before " << r.acked[0] << ", during "
      << r.acked[1] << ", after " << r.acked[2] << "), unacked "
      << total(r.unacked) << ", lost " << r.read_back.lost << ", diverged "
      << r.read_back.diverged << ", stale " << r.read_back.stale
      << ", ready-after-heal " << r.ready_after_heal_ms << " ms";
  return out.str();
}

std::string lab_test::test_name() {
  return ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

void lab_test::SetUp() {
  if (auto why = lab_unavailable_reason(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  flavour_ = flavour_from_env();
  if (etcd_flavour() && lab_etcd::binary().empty()) {
    FAIL() << "TROUPE_LAB_MEMBERSHIP=etcd needs etcd (apt-get install "
              "etcd-server, see scripts/install-deps.sh)";
  }
  lab_ = std::make_unique<lab>(3);
  hub_ = std::make_unique<netns_guard>(lab_->hub_ns());
  etcd_ = std::make_unique<lab_etcd>(*lab_);
  if (etcd_flavour()) {
    ASSERT_GE(etcd_->start(), 0) << "etcd not healthy; its log:\n"
                                 << etcd_->log();
  }
}

void lab_test::TearDown() {
  if (HasFailure() && cluster_)
    std::cerr << cluster_->describe() << cluster_->logs();
  // Leave the hub before the lab deletes it; the lab kills what it holds.
  cluster_.reset();
  etcd_.reset();
  hub_.reset();
  lab_.reset();
}

bool lab_test::start_cluster(node_command command) {
  if (command.binary.empty()) {
    ADD_FAILURE() << "no node binary (set TROUPE_BIN)";
    return false;
  }
  cluster_ = std::make_unique<lab_cluster>(*lab_, flavour_, command);
  std::string why;
  if (!cluster_->start(std::chrono::seconds(30), &why)) {
    ADD_FAILURE() << "the cluster did not form: " << why;
    return false;
  }
  return true;
}

long long lab_test::expect_ready_after_heal(const scenario_timing& timing) {
  auto ms = c().wait_converged(timing.ready_wait);
  EXPECT_GE(ms, 0) << "not every node ready within "
                   << timing.ready_wait.count() << " ms of the heal:\n"
                   << c().exited() << c().describe();
  EXPECT_LE(ms, timing.ready_bound.count())
      << "ready only " << ms << " ms after the heal";
  return ms;
}

scenario_report lab_test::run_paste_scenario(const std::function<void()>& fault,
                                             scenario_timing timing) {
  scenario_report report;
  report.name = test_name();
  report.flavour = flavour_;
  paste_workload w{c().http_all(), report.name};
  w.start();
  hold(timing.before);
  w.set_phase(phase::during);
  fault();
  w.set_phase(phase::after);
  report.ready_after_heal_ms = expect_ready_after_heal(timing);
  hold(timing.after_ready);
  w.stop();
  report.acked = w.loop().acked();
  report.unacked = w.loop().unacked();
  report.read_back = read_back_pastes(c().http_all(), w.acked());
  std::cout << summary_line(report) << std::endl;
  RecordProperty("summary", summary_line(report));
  // The cluster did work in every phase: the test cannot pass vacuously.
  for (size_t p = 0; p < phase_count; ++p)
    EXPECT_GT(report.acked[p], 0u)
        << "no acknowledged write " << to_string(static_cast<phase>(p))
        << " the fault";
  std::string samples;
  for (const auto& s : report.read_back.samples)
    samples += "  " + s + "\n";
  EXPECT_EQ(report.read_back.lost, 0u) << "acknowledged pastes lost:\n"
                                       << samples;
  EXPECT_EQ(report.read_back.diverged, 0u) << "acknowledged pastes diverged:\n"
                                           << samples;
  return report;
}

} // namespace troupe_fault
