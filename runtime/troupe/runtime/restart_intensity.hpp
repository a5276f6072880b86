#pragma once

#include <chrono>
#include <deque>

namespace troupe::runtime {

/// Erlang-style restart intensity: a child may be restarted at most
/// `max_restarts` times within any window of `period`. One more crash in the
/// window means the child is beyond repair here and the supervisor escalates.
class restart_intensity {
public:
  using clock = std::chrono::steady_clock;

  restart_intensity(int max_restarts, std::chrono::milliseconds period)
      : max_restarts_(max_restarts), period_(period) {
    // nop
  }

  /// Records a crash at `now`; returns whether a restart is still allowed.
  bool on_crash(clock::time_point now) {
    while (!crashes_.empty() && now - crashes_.front() > period_)
      crashes_.pop_front();
    crashes_.push_back(now);
    return static_cast<int>(crashes_.size()) <= max_restarts_;
  }

  /// Returns the crashes inside the current window.
  size_t recent_crashes() const { return crashes_.size(); }

private:
  int max_restarts_;
  std::chrono::milliseconds period_;
  std::deque<clock::time_point> crashes_;
};

} // namespace troupe::runtime
