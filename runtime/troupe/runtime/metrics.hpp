#pragma once

// A small thread-safe metrics registry that renders the Prometheus text
// exposition format 0.0.4.
//
// Registration (looking a series up by name and labels) takes a mutex;
// updating a registered series is a lock-free atomic operation, so hot paths
// look a series up once and keep the reference, which stays valid for the
// registry's lifetime.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace troupe::runtime {

/// Label pairs of one series, in the order they are rendered.
using metric_labels = std::vector<std::pair<std::string, std::string>>;

/// A monotonically increasing counter.
class metric_counter {
public:
  /// Adds `n`.
  void inc(uint64_t n = 1) noexcept {
    value_.fetch_add(n, std::memory_order_relaxed);
  }

  /// Returns the current value.
  uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<uint64_t> value_{0};
};

/// A value that goes up and down.
class metric_gauge {
public:
  /// Sets the value to `x`.
  void set(double x) noexcept { value_.store(x, std::memory_order_relaxed); }

  /// Adds `x` (may be negative).
  void add(double x) noexcept;

  /// Returns the current value.
  double value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<double> value_{0};
};

/// A histogram with fixed upper bounds (`le`), rendered cumulatively.
class metric_histogram {
public:
  /// Creates a histogram; `bounds` must be sorted ascending.
  explicit metric_histogram(std::vector<double> bounds);

  /// Records one observation.
  void observe(double x) noexcept;

  /// Returns the upper bounds (without +Inf).
  const std::vector<double>& bounds() const noexcept { return bounds_; }

  /// Returns the non-cumulative count of bucket `i`; `i == bounds().size()`
  /// is the +Inf bucket.
  uint64_t bucket_count(size_t i) const noexcept {
    return counts_[i].load(std::memory_order_relaxed);
  }

  /// Returns the sum of all observations.
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

  /// Returns the number of observations.
  uint64_t count() const noexcept {
    return count_.load(std::memory_order_relaxed);
  }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

/// Default latency buckets in seconds (0.1 ms .. 10 s).
std::vector<double> default_latency_buckets();

/// Thread-safe registry of metric families.
class metrics_registry {
public:
  using counter_type = metric_counter;
  using gauge_type = metric_gauge;
  using histogram_type = metric_histogram;

  /// A callback that refreshes gauges right before rendering.
  using collector = std::function<void(metrics_registry&)>;

  metrics_registry();
  ~metrics_registry();
  metrics_registry(const metrics_registry&) = delete;
  metrics_registry& operator=(const metrics_registry&) = delete;

  /// Returns the counter `name{labels}`, creating it on first use. Throws
  /// `std::invalid_argument` if `name` is registered with another type.
  metric_counter& counter(const std::string& name, const std::string& help,
                          const metric_labels& labels = {});

  /// Returns the gauge `name{labels}`, creating it on first use.
  metric_gauge& gauge(const std::string& name, const std::string& help,
                      const metric_labels& labels = {});

  /// Returns the histogram `name{labels}`, creating it on first use with
  /// `buckets` (ascending upper bounds; +Inf is implicit).
  metric_histogram& histogram(const std::string& name, const std::string& help,
                              const metric_labels& labels,
                              std::vector<double> buckets);

  /// Adds a collector that runs before each render.
  void add_collector(collector f);

  /// Runs the collectors and renders all families, sorted by name.
  std::string render_prometheus();

  /// One series as `visit` shows it.
  struct series_view {
    const std::string& name;
    const metric_labels& labels;
    /// A counter's or gauge's value (0 for histograms).
    double value;
    /// The histogram, or nullptr for counters and gauges.
    const metric_histogram* histogram;
  };

  /// Runs the collectors, then calls `f` for every series, families sorted
  /// by name. `f` runs under the registry's lock: it must not register.
  void visit(const std::function<void(const series_view&)>& f);

private:
  void run_collectors();

  struct family;
  family& get_family(const std::string& name, const std::string& help,
                     int type);

  std::mutex mtx_;
  std::map<std::string, std::unique_ptr<family>> families_;
  std::mutex collectors_mtx_;
  std::vector<collector> collectors_;
  std::mutex render_mtx_;
};

/// Formats a sample value the way Prometheus expects (`+Inf`, shortest
/// round-trip decimal).
std::string format_metric_value(double x);

/// Escapes a label value (backslash, double quote, newline).
std::string escape_label_value(const std::string& x);

} // namespace troupe::runtime
