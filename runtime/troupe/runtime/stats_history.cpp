#include "troupe/runtime/stats_history.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

namespace troupe::runtime {

namespace {

using nlohmann::json;

constexpr float null_value = std::numeric_limits<float>::quiet_NaN();

const std::string* label(const metric_labels& xs, const char* key) {
  for (const auto& [k, v] : xs)
    if (k == key)
      return &v;
  return nullptr;
}

void add_route_counter(stats_reading& r,
                       const metrics_registry::series_view& s) {
  const auto* route = label(s.labels, "route");
  const auto* status = label(s.labels, "status");
  if (route == nullptr || status == nullptr)
    return;
  auto& totals = r.routes[*route];
  auto n = static_cast<uint64_t>(s.value);
  totals.requests += n;
  if (!status->empty() && (*status)[0] >= '5')
    totals.errors += n;
}

void add_route_histogram(stats_reading& r,
                         const metrics_registry::series_view& s) {
  const auto* route = label(s.labels, "route");
  if (route == nullptr || s.histogram == nullptr)
    return;
  auto& totals = r.routes[*route];
  const auto& h = *s.histogram;
  totals.bounds = h.bounds();
  totals.buckets.resize(h.bounds().size() + 1);
  for (size_t i = 0; i < totals.buckets.size(); ++i)
    totals.buckets[i] = h.bucket_count(i);
}

/// The gauges the dashboard charts, by metric name.
void add_gauge(stats_reading& r, const metrics_registry::series_view& s) {
  const auto& n = s.name;
  auto by = [&s](const char* key) {
    const auto* v = label(s.labels, key);
    return v != nullptr ? *v : std::string{};
  };
  if (n == "troupe_entities_active")
    r.entities[by("entity")] += s.value;
  else if (n == "troupe_virtual_actors_active")
    r.entities[by("kind")] += s.value;
  else if (n == "troupe_actors_alive")
    r.actors = s.value;
  else if (n == "troupe_replication_pending")
    r.replication_lag[by("service")] += s.value;
  else if (n == "troupe_twitter_fanout_backlog")
    r.fanout_backlog = s.value;
  else if (n == "troupe_commits")
    r.commits = s.value;
  else if (n == "troupe_journal_entries")
    r.journal_entries = s.value;
  else if (n == "troupe_fsyncs")
    r.fsyncs = s.value;
  else if (n == "troupe_fsync_seconds")
    r.fsync_seconds = s.value;
  else if (n == "troupe_cache_hits")
    r.cache_hits = s.value;
  else if (n == "troupe_cache_misses")
    r.cache_misses = s.value;
  else if (n == "troupe_cache_entries")
    r.cache_entries = s.value;
  else if (n == "troupe_cache_bytes")
    r.cache_bytes = s.value;
  else if (n == "troupe_cache_capacity_bytes")
    r.cache_capacity_bytes = s.value;
}

/// Per-service totals: metric name -> the name the dashboard shows.
const std::map<std::string, std::string>& total_names() {
  static const std::map<std::string, std::string> names{
      {"troupe_pastebin_pastes", "pastes"},
      {"troupe_twitter_tweets_total", "tweets"},
      {"troupe_mint_users", "mint_users"},
      {"troupe_mint_transactions_total", "transactions"},
      {"troupe_social_people", "people"},
      {"troupe_salesrank_sales_total", "sales"},
      {"troupe_crawler_pages_total", "pages_crawled"},
      {"troupe_search_documents", "documents_indexed"},
      {"troupe_cache_entries", "cache_entries"},
  };
  return names;
}

} // namespace

stats_reading read_stats(metrics_registry& reg) {
  stats_reading r;
  const auto& totals = total_names();
  reg.visit([&r, &totals](const metrics_registry::series_view& s) {
    if (s.name == "troupe_http_requests_total")
      add_route_counter(r, s);
    else if (s.name == "troupe_http_request_duration_seconds")
      add_route_histogram(r, s);
    else if (s.histogram == nullptr)
      add_gauge(r, s);
    if (auto i = totals.find(s.name); i != totals.end())
      r.totals[i->second] += s.value;
  });
  for (auto& [route, x] : r.routes)
    x.service = service_of_route(route);
  return r;
}

void read_process(stats_reading& r) {
  // /proc/self/stat: utime and stime are fields 14 and 15 (clock ticks),
  // after the command name in parentheses.
  std::ifstream stat{"/proc/self/stat"};
  std::string text{std::istreambuf_iterator<char>{stat}, {}};
  auto close = text.rfind(')');
  if (close != std::string::npos) {
    std::istringstream in{text.substr(close + 2)};
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14)
        utime = std::stoull(field);
      else if (i == 15)
        stime = std::stoull(field);
    }
    r.cpu_seconds = static_cast<double>(utime + stime) /
                    static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  std::ifstream statm{"/proc/self/statm"};
  unsigned long long size = 0, resident = 0;
  if (statm >> size >> resident)
    r.rss_bytes = static_cast<double>(resident) *
                  static_cast<double>(::sysconf(_SC_PAGESIZE));
}

std::string service_of_route(const std::string& route) {
  if (route.size() < 2 || route[0] != '/' || route.compare(0, 5, "/api/") == 0)
    return "ops";
  auto end = route.find('/', 1);
  auto first = route.substr(1, end == std::string::npos ? end : end - 1);
  if (end == std::string::npos || first == "admin")
    return "ops";
  return first;
}

double histogram_quantile(double q, const std::vector<double>& bounds,
                          const std::vector<uint64_t>& counts) {
  uint64_t total = 0;
  for (auto c : counts)
    total += c;
  if (total == 0 || bounds.empty() || counts.size() != bounds.size() + 1)
    return std::numeric_limits<double>::quiet_NaN();
  auto rank = q * static_cast<double>(total);
  double below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    auto here = static_cast<double>(counts[i]);
    if (counts[i] > 0 && below + here >= rank) {
      if (i == bounds.size())
        return bounds.back();
      auto lower = i == 0 ? 0.0 : bounds[i - 1];
      return lower + (bounds[i] - lower) * (rank - below) / here;
    }
    below += here;
  }
  return bounds.back();
}

// -- history ------------------------------------------------------------------

struct stats_history::sample {
  struct route {
    uint16_t id;
    float rps;
    float errors;
    float p50_ms;
    float p99_ms;
  };
  int64_t t_ms = 0;
  float cpu = 0;
  double rss = 0;
  std::vector<route> routes;
  /// (name id, value)
  std::vector<std::pair<uint16_t, float>> entities;
  std::vector<std::pair<uint16_t, float>> lag;
  float actors = 0;
  float fanout_backlog = 0;
  float commit_batch = null_value;
  float fsync_ms = null_value;
  float cache_hit_rate = null_value;
};

stats_history::stats_history(std::string node, size_t capacity,
                             size_t max_events)
    : node_(std::move(node)), capacity_(capacity), max_events_(max_events) {
  // nop
}

stats_history::~stats_history() = default;

uint16_t stats_history::intern(const std::string& name) {
  auto i = ids_.find(name);
  if (i != ids_.end())
    return i->second;
  auto id = static_cast<uint16_t>(names_.size());
  names_.push_back(name);
  ids_.emplace(name, id);
  return id;
}

namespace {

float ratio(double num, double den) {
  return den > 0 ? static_cast<float>(num / den) : null_value;
}

std::vector<uint64_t> bucket_delta(const stats_reading::route_totals& now,
                                   const stats_reading::route_totals* before) {
  auto out = now.buckets;
  if (before != nullptr && before->buckets.size() == out.size())
    for (size_t i = 0; i < out.size(); ++i)
      out[i] -= std::min(out[i], before->buckets[i]);
  return out;
}

} // namespace

stats_history::sample stats_history::derive(const stats_reading& now,
                                            int64_t t_ms) {
  sample s;
  s.t_ms = t_ms;
  auto secs = static_cast<double>(t_ms - last_t_ms_) / 1000.0;
  if (secs <= 0)
    secs = 1;
  s.cpu = static_cast<float>((now.cpu_seconds - last_.cpu_seconds) / secs);
  s.rss = now.rss_bytes;
  for (const auto& [route, x] : now.routes) {
    auto i = last_.routes.find(route);
    const auto* before = i != last_.routes.end() ? &i->second : nullptr;
    auto requests = x.requests - (before ? before->requests : 0);
    if (requests == 0)
      continue;
    auto errors = x.errors - (before ? before->errors : 0);
    auto delta = bucket_delta(x, before);
    auto id = intern(route);
    services_.emplace(id, x.service);
    s.routes.push_back(
        {id, static_cast<float>(requests / secs),
         static_cast<float>(errors / secs),
         static_cast<float>(histogram_quantile(0.5, x.bounds, delta) * 1e3),
         static_cast<float>(histogram_quantile(0.99, x.bounds, delta) * 1e3)});
  }
  for (const auto& [name, v] : now.entities)
    s.entities.emplace_back(intern(name), static_cast<float>(v));
  for (const auto& [name, v] : now.replication_lag)
    s.lag.emplace_back(intern(name), static_cast<float>(v));
  s.actors = static_cast<float>(now.actors);
  s.fanout_backlog = static_cast<float>(now.fanout_backlog);
  s.commit_batch = ratio(now.journal_entries - last_.journal_entries,
                         now.commits - last_.commits);
  s.fsync_ms = ratio((now.fsync_seconds - last_.fsync_seconds) * 1e3,
                     now.fsyncs - last_.fsyncs);
  auto hits = now.cache_hits - last_.cache_hits;
  s.cache_hit_rate = ratio(hits, hits + now.cache_misses - last_.cache_misses);
  return s;
}

void stats_history::add(stats_reading r, int64_t t_ms) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!have_last_) {
    started_ms_ = t_ms;
    have_last_ = true;
  } else {
    samples_.push_back(derive(r, t_ms));
    while (samples_.size() > capacity_)
      samples_.pop_front();
  }
  last_ = std::move(r);
  last_t_ms_ = t_ms;
}

void stats_history::add_event(stats_event e) {
  std::lock_guard<std::mutex> guard{mtx_};
  events_.push_back(std::move(e));
  while (events_.size() > max_events_)
    events_.pop_front();
}

size_t stats_history::samples() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return samples_.size();
}

size_t stats_history::events() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return events_.size();
}

size_t stats_history::names() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return names_.size();
}

// -- rendering ----------------------------------------------------------------

namespace {

/// A value rounded to three decimals; NaN becomes null.
json num(double x) {
  if (std::isnan(x))
    return nullptr;
  auto r = std::round(x * 1000.0) / 1000.0;
  if (r == std::floor(r) && std::fabs(r) < 9e15) // integers print short
    return static_cast<int64_t>(r);
  return r;
}

/// One array per name, aligned with the samples: value or null.
template <class Get>
json columns(const std::vector<const void*>& window,
             const std::vector<std::string>& names, Get get) {
  std::map<uint16_t, json> cols;
  for (size_t i = 0; i < window.size(); ++i)
    get(window[i], [&](uint16_t id, double v) {
      auto& col = cols[id];
      if (col.is_null())
        col = json::array();
      while (col.size() < i)
        col.push_back(nullptr);
      col.push_back(num(v));
    });
  auto out = json::object();
  for (auto& [id, col] : cols) {
    while (col.size() < window.size())
      col.push_back(nullptr);
    out[names[id]] = std::move(col);
  }
  return out;
}

json current(const stats_reading& last, const float* rates, float cpu,
             int64_t uptime_s) {
  auto totals = json::object();
  for (const auto& [name, v] : last.totals)
    totals[name] = num(v);
  return {{"cpu", num(cpu)},
          {"rss_bytes", num(last.rss_bytes)},
          {"uptime_s", uptime_s},
          {"requests_per_s", num(rates[0])},
          {"errors_per_s", num(rates[1])},
          {"cache",
           {{"entries", num(last.cache_entries)},
            {"bytes", num(last.cache_bytes)},
            {"capacity_bytes", num(last.cache_capacity_bytes)},
            {"hits", num(last.cache_hits)},
            {"misses", num(last.cache_misses)}}},
          {"totals", std::move(totals)}};
}

} // namespace

std::string stats_history::render(int64_t since_ms) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<const void*> window;
  for (const auto& s : samples_)
    if (s.t_ms > since_ms)
      window.push_back(&s);
  auto at = [](const void* p) -> const sample& {
    return *static_cast<const sample*>(p);
  };
  auto series = [&](auto field) {
    auto arr = json::array();
    for (const auto* p : window)
      arr.push_back(num(field(at(p))));
    return arr;
  };
  json out;
  out["node"] = node_;
  out["started"] = started_ms_;
  auto times = json::array();
  for (const auto* p : window)
    times.push_back(at(p).t_ms);
  out["t"] = std::move(times);
  out["cpu"] = series([](const sample& s) { return double(s.cpu); });
  out["rss_bytes"] = series([](const sample& s) { return s.rss; });
  auto route_col = [&](auto field) {
    return columns(window, names_, [&](const void* p, auto emit) {
      for (const auto& r : at(p).routes)
        emit(r.id, double(field(r)));
    });
  };
  auto rps = route_col([](const sample::route& r) { return r.rps; });
  auto errors = route_col([](const sample::route& r) { return r.errors; });
  auto p50 = route_col([](const sample::route& r) { return r.p50_ms; });
  auto p99 = route_col([](const sample::route& r) { return r.p99_ms; });
  auto routes = json::object();
  for (auto& [name, col] : rps.items()) {
    auto service = services_.at(ids_.at(name));
    routes[name] = {{"service", service},
                    {"rps", std::move(col)},
                    {"errors", std::move(errors[name])},
                    {"p50_ms", std::move(p50[name])},
                    {"p99_ms", std::move(p99[name])}};
  }
  out["routes"] = std::move(routes);
  out["entities"] = columns(window, names_, [&](const void* p, auto emit) {
    for (const auto& [id, v] : at(p).entities)
      emit(id, v);
  });
  out["actors"] = series([](const sample& s) { return double(s.actors); });
  out["replication_lag"] =
      columns(window, names_, [&](const void* p, auto emit) {
        for (const auto& [id, v] : at(p).lag)
          emit(id, v);
      });
  out["fanout_backlog"] =
      series([](const sample& s) { return double(s.fanout_backlog); });
  out["commit_batch"] =
      series([](const sample& s) { return double(s.commit_batch); });
  out["fsync_ms"] = series([](const sample& s) { return double(s.fsync_ms); });
  out["cache_hit_rate"] =
      series([](const sample& s) { return double(s.cache_hit_rate); });
  auto events = json::array();
  for (const auto& e : events_)
    if (e.t_ms > since_ms)
      events.push_back(
          {{"t", e.t_ms}, {"node", node_}, {"kind", e.kind}, {"text", e.text}});
  out["events"] = std::move(events);
  float rates[2] = {0, 0};
  float cpu = 0;
  if (!samples_.empty()) {
    cpu = samples_.back().cpu;
    for (const auto& r : samples_.back().routes) {
      rates[0] += r.rps;
      rates[1] += r.errors;
    }
  }
  out["current"] =
      current(last_, rates, cpu, (last_t_ms_ - started_ms_) / 1000);
  return out.dump();
}

} // namespace troupe::runtime
