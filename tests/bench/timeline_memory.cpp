// Memory per home-timeline entry of the data structure alone (issue 5's
// target is <= 24 bytes per entry for the whole service): fills TIMELINES
// timelines with ENTRIES deliveries each, in the order fan-out produces
// them (interleaved across timelines, ids increasing), and reports the
// process' RSS growth divided by the entries held.
//
//   timeline_memory_bench [TIMELINES=10000] [DELIVERIES=1000] [CAPACITY=800]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "troupe/twitter/timeline.hpp"

namespace {

/// Resident set size in bytes (/proc/self/statm).
long rss_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

size_t arg(int argc, char** argv, int i, size_t fallback) {
  return argc > i ? std::strtoull(argv[i], nullptr, 10) : fallback;
}

} // namespace

int main(int argc, char** argv) {
  using troupe::twitter::home_timeline;
  auto timelines = arg(argc, argv, 1, 10000);
  auto deliveries = arg(argc, argv, 2, 1000);
  auto capacity = arg(argc, argv, 3, 800);
  auto before = rss_bytes();
  std::vector<home_timeline> all(timelines, home_timeline{capacity});
  uint64_t id = 1;
  for (size_t d = 0; d < deliveries; ++d)
    for (auto& t : all)
      t.add({id++, static_cast<uint32_t>(d % 97), 0});
  auto after = rss_bytes();
  size_t held = 0;
  for (const auto& t : all)
    held += t.size();
  std::printf("timelines=%zu deliveries_each=%zu capacity=%zu entries_held=%zu "
              "rss_growth_bytes=%ld bytes_per_entry=%.2f\n",
              timelines, deliveries, capacity, held, after - before,
              static_cast<double>(after - before) / static_cast<double>(held));
  return 0;
}
