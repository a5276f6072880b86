#pragma once

// The node's recent history for the operator's dashboard: every second the
// sampler takes a reading of the metrics registry and of the process, and
// the history keeps what changed in that second (rates, latency quantiles,
// gauges), at most `capacity` seconds of it, plus a bounded log of events.
// Thread-safe: the sampler adds, the HTTP edge renders.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "troupe/runtime/metrics.hpp"

namespace troupe::runtime {

/// Cumulative counters and current gauges, read at one instant.
struct stats_reading {
  struct route_totals {
    std::string service;
    uint64_t requests = 0;
    /// Responses with status >= 500.
    uint64_t errors = 0;
    /// The latency histogram: upper bounds (seconds) and non-cumulative
    /// counts (one more than bounds: +Inf).
    std::vector<double> bounds;
    std::vector<uint64_t> buckets;
  };
  std::map<std::string, route_totals> routes;
  /// Active entities and virtual actors by type ("counter", ...).
  std::map<std::string, double> entities;
  double actors = 0;
  /// Replication lag (entries sent to backups, not yet persisted) by service.
  std::map<std::string, double> replication_lag;
  double fanout_backlog = 0;
  double commits = 0;
  double journal_entries = 0;
  double fsyncs = 0;
  double fsync_seconds = 0;
  double cache_hits = 0;
  double cache_misses = 0;
  double cache_entries = 0;
  double cache_bytes = 0;
  double cache_capacity_bytes = 0;
  /// Per-service totals ("pastes", "tweets", ...).
  std::map<std::string, double> totals;
  /// CPU seconds the process used so far, and its resident set.
  double cpu_seconds = 0;
  double rss_bytes = 0;
};

/// Reads what the dashboard shows from `reg` (runs its collectors).
stats_reading read_stats(metrics_registry& reg);

/// Adds the process's CPU time and RSS (from /proc/self) to `r`.
void read_process(stats_reading& r);

/// The service a route belongs to: its first path segment, or "ops".
std::string service_of_route(const std::string& route);

/// The `q` quantile of a histogram's non-cumulative bucket counts, found as
/// Prometheus' histogram_quantile does (linear within the bucket; the last
/// finite bound for the +Inf bucket). NaN when the histogram is empty.
double histogram_quantile(double q, const std::vector<double>& bounds,
                          const std::vector<uint64_t>& counts);

/// Something an operator wants to see in the log.
struct stats_event {
  int64_t t_ms = 0;
  std::string kind;
  std::string text;
};

/// One second of the history (defined in stats_history.cpp).
struct stats_sample;

/// The last `capacity` seconds of one node and its last `max_events` events.
class stats_history {
public:
  explicit stats_history(std::string node, size_t capacity = 900,
                         size_t max_events = 256);
  ~stats_history();

  /// Adds the second ending at `t_ms`, derived from the previous reading
  /// (the first reading only becomes the base).
  void add(stats_reading r, int64_t t_ms);

  /// Appends an event (the oldest goes beyond `max_events`).
  void add_event(stats_event e);

  /// Renders the samples and events newer than `since_ms` as the JSON
  /// object of `GET /api/v1/stats?scope=node` (docs/api.md).
  std::string render(int64_t since_ms) const;

  size_t samples() const;
  size_t events() const;
  /// Distinct route and gauge names ever seen (bounded by the registry).
  size_t names() const;

private:
  uint16_t intern(const std::string& name);
  stats_sample derive(const stats_reading& now, int64_t t_ms);

  std::string node_;
  size_t capacity_;
  size_t max_events_;
  int64_t started_ms_ = 0;
  mutable std::mutex mtx_;
  std::deque<stats_sample> samples_;
  std::deque<stats_event> events_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint16_t> ids_;
  /// route id -> service
  std::map<uint16_t, std::string> services_;
  stats_reading last_;
  bool have_last_ = false;
  int64_t last_t_ms_ = 0;
};

} // namespace troupe::runtime
