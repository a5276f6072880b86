#include "troupe/runtime/restart_intensity.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using troupe::runtime::restart_intensity;

TEST(restart_intensity, allows_max_restarts_within_the_period) {
  restart_intensity in{3, 10s};
  auto t0 = restart_intensity::clock::now();
  EXPECT_TRUE(in.on_crash(t0));
  EXPECT_TRUE(in.on_crash(t0 + 1s));
  EXPECT_TRUE(in.on_crash(t0 + 2s));
  EXPECT_FALSE(in.on_crash(t0 + 3s));
}

TEST(restart_intensity, old_crashes_leave_the_window) {
  restart_intensity in{2, 10s};
  auto t0 = restart_intensity::clock::now();
  EXPECT_TRUE(in.on_crash(t0));
  EXPECT_TRUE(in.on_crash(t0 + 5s));
  EXPECT_TRUE(in.on_crash(t0 + 11s)); // t0 left the window
  EXPECT_EQ(in.recent_crashes(), 2u);
  EXPECT_FALSE(in.on_crash(t0 + 12s));
}

TEST(restart_intensity, zero_restarts_escalates_at_once) {
  restart_intensity in{0, 10s};
  EXPECT_FALSE(in.on_crash(restart_intensity::clock::now()));
}
