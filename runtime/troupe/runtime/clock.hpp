#pragma once

// Wall-clock time for what the API shows and stores (TTLs, crawl records,
// the dashboard's samples). Services take a clock function defaulting to
// this one, so that tests can move time.

#include <chrono>
#include <cstdint>

namespace troupe::runtime {

/// Milliseconds since the Unix epoch.
inline int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

} // namespace troupe::runtime
