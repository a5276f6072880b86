#include "troupe/runtime/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <stdexcept>

namespace troupe::runtime {

namespace {

enum metric_type { counter_t, gauge_t, histogram_t };

const char* type_name(int t) {
  switch (t) {
  case counter_t:
    return "counter";
  case gauge_t:
    return "gauge";
  default:
    return "histogram";
  }
}

void atomic_add(std::atomic<double>& x, double y) noexcept {
  auto cur = x.load(std::memory_order_relaxed);
  while (!x.compare_exchange_weak(cur, cur + y, std::memory_order_relaxed))
    ; // retry with the refreshed `cur`
}

std::string escape_help(const std::string& x) {
  std::string out;
  out.reserve(x.size());
  for (char c : x) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// Renders `{k="v",...}` with an optional trailing `le` label.
std::string render_labels(const metric_labels& labels,
                          const std::string* le = nullptr) {
  if (labels.empty() && le == nullptr)
    return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first)
      out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += escape_label_value(v);
    out += '"';
  }
  if (le != nullptr) {
    if (!first)
      out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
  return out;
}

} // namespace

// -- series types -------------------------------------------------------------

void metric_gauge::add(double x) noexcept {
  atomic_add(value_, x);
}

metric_histogram::metric_histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (size_t i = 0; i <= bounds_.size(); ++i)
    counts_[i].store(0, std::memory_order_relaxed);
}

void metric_histogram::observe(double x) noexcept {
  auto i = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), x) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, x);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<double> default_latency_buckets() {
  // From 100 µs: a local keyed read takes well under a millisecond.
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

// -- registry -----------------------------------------------------------------

struct metrics_registry::family {
  std::string help;
  int type;
  // Series in registration order; deques keep element addresses stable.
  std::deque<metric_labels> labels;
  std::deque<metric_counter> counters;
  std::deque<metric_gauge> gauges;
  std::deque<metric_histogram> histograms;

  size_t find(const metric_labels& xs) const {
    auto i = std::find(labels.begin(), labels.end(), xs);
    return static_cast<size_t>(i - labels.begin());
  }
};

metrics_registry::metrics_registry() = default;

metrics_registry::~metrics_registry() = default;

metrics_registry::family& metrics_registry::get_family(const std::string& name,
                                                       const std::string& help,
                                                       int type) {
  auto& ptr = families_[name];
  if (!ptr) {
    ptr = std::make_unique<family>();
    ptr->help = help;
    ptr->type = type;
  } else if (ptr->type != type) {
    throw std::invalid_argument("metric " + name + " already registered as " +
                                type_name(ptr->type));
  }
  return *ptr;
}

metric_counter& metrics_registry::counter(const std::string& name,
                                          const std::string& help,
                                          const metric_labels& labels) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& f = get_family(name, help, counter_t);
  auto i = f.find(labels);
  if (i < f.counters.size())
    return f.counters[i];
  f.labels.push_back(labels);
  return f.counters.emplace_back();
}

metric_gauge& metrics_registry::gauge(const std::string& name,
                                      const std::string& help,
                                      const metric_labels& labels) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& f = get_family(name, help, gauge_t);
  auto i = f.find(labels);
  if (i < f.gauges.size())
    return f.gauges[i];
  f.labels.push_back(labels);
  return f.gauges.emplace_back();
}

metric_histogram& metrics_registry::histogram(const std::string& name,
                                              const std::string& help,
                                              const metric_labels& labels,
                                              std::vector<double> buckets) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& f = get_family(name, help, histogram_t);
  auto i = f.find(labels);
  if (i < f.histograms.size())
    return f.histograms[i];
  f.labels.push_back(labels);
  return f.histograms.emplace_back(std::move(buckets));
}

void metrics_registry::add_collector(collector f) {
  std::lock_guard<std::mutex> guard{collectors_mtx_};
  collectors_.push_back(std::move(f));
}

void metrics_registry::run_collectors() {
  std::vector<collector> fs;
  {
    std::lock_guard<std::mutex> guard{collectors_mtx_};
    fs = collectors_;
  }
  for (auto& f : fs)
    f(*this); // outside `mtx_`: collectors register and set gauges
}

void metrics_registry::visit(const std::function<void(const series_view&)>& f) {
  std::lock_guard<std::mutex> render_guard{render_mtx_};
  run_collectors();
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& [name, fam] : families_)
    for (size_t i = 0; i < fam->labels.size(); ++i) {
      const auto& labels = fam->labels[i];
      switch (fam->type) {
      case counter_t:
        f({name, labels, static_cast<double>(fam->counters[i].value()),
           nullptr});
        break;
      case gauge_t:
        f({name, labels, fam->gauges[i].value(), nullptr});
        break;
      default:
        f({name, labels, 0, &fam->histograms[i]});
      }
    }
}

std::string metrics_registry::render_prometheus() {
  // One render at a time, so collectors need not be reentrant.
  std::lock_guard<std::mutex> render_guard{render_mtx_};
  run_collectors();
  std::string out;
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + ' ' + escape_help(f->help) + '\n';
    out += "# TYPE " + name + ' ' + type_name(f->type) + '\n';
    for (size_t i = 0; i < f->labels.size(); ++i) {
      const auto& labels = f->labels[i];
      switch (f->type) {
      case counter_t:
        out += name + render_labels(labels) + ' ' +
               std::to_string(f->counters[i].value()) + '\n';
        break;
      case gauge_t:
        out += name + render_labels(labels) + ' ' +
               format_metric_value(f->gauges[i].value()) + '\n';
        break;
      default: {
        const auto& h = f->histograms[i];
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= h.bounds().size(); ++b) {
          cumulative += h.bucket_count(b);
          auto le = b < h.bounds().size() ? format_metric_value(h.bounds()[b])
                                          : std::string{"+Inf"};
          out += name + "_bucket" + render_labels(labels, &le) + ' ' +
                 std::to_string(cumulative) + '\n';
        }
        out += name + "_sum" + render_labels(labels) + ' ' +
               format_metric_value(h.sum()) + '\n';
        out += name + "_count" + render_labels(labels) + ' ' +
               std::to_string(cumulative) + '\n';
      }
      }
    }
  }
  return out;
}

// -- formatting ---------------------------------------------------------------

std::string format_metric_value(double x) {
  if (std::isnan(x))
    return "NaN";
  if (std::isinf(x))
    return x > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (x == std::floor(x) && std::fabs(x) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", x);
    return buf;
  }
  // Shortest representation that reads back as the same double.
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*g", prec, x);
    if (std::strtod(buf, nullptr) == x)
      break;
  }
  return buf;
}

std::string escape_label_value(const std::string& x) {
  std::string out;
  out.reserve(x.size());
  for (char c : x) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

} // namespace troupe::runtime
