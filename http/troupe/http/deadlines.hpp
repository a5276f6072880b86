#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace troupe::http {

/// The deadlines of the pending requests of one I/O thread (the bridge's,
/// a node link connection's), by request id. One FIFO per distinct timeout:
/// deadlines of equal timeouts only grow, so each queue stays sorted without
/// a heap (one timeout is the common case). Answered requests are not
/// removed: `expire` hands out their ids too, and the caller skips ids it no
/// longer holds.
class deadline_queues {
public:
  using clock_type = std::chrono::steady_clock;

  void add(std::chrono::milliseconds timeout, clock_type::time_point deadline,
           uint64_t id) {
    queue_for(timeout).emplace_back(deadline, id);
  }

  /// Calls `f(id)` for every id whose deadline is not after `now`; `f` may
  /// add new deadlines.
  template <class F>
  void expire(clock_type::time_point now, F f) {
    // By index, and the queue looked up again each round: `f` may add one.
    for (size_t k = 0; k < queues_.size(); ++k) {
      for (;;) {
        auto& queue = queues_[k].second;
        if (queue.empty() || queue.front().first > now)
          break;
        auto id = queue.front().second;
        queue.pop_front();
        f(id);
      }
    }
  }

  void clear() { queues_.clear(); }

private:
  using entry = std::pair<clock_type::time_point, uint64_t>;

  std::deque<entry>& queue_for(std::chrono::milliseconds t) {
    for (auto& [timeout, queue] : queues_)
      if (timeout == t)
        return queue;
    queues_.emplace_back(t, std::deque<entry>{});
    return queues_.back().second;
  }

  std::vector<std::pair<std::chrono::milliseconds, std::deque<entry>>> queues_;
};

} // namespace troupe::http
