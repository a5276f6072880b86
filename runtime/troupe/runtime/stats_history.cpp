#include "troupe/runtime/stats_history.hpp"

#include <algorithm>
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

/// The single-valued gauges the dashboard charts, by metric name.
const std::map<std::string, double stats_reading::*>& scalar_gauges() {
  static const std::map<std::string, double stats_reading::*> fields{
      {"troupe_actors_alive", &stats_reading::actors},
      {"troupe_twitter_fanout_backlog", &stats_reading::fanout_backlog},
      {"troupe_commits", &stats_reading::commits},
      {"troupe_journal_entries", &stats_reading::journal_entries},
      {"troupe_fsyncs", &stats_reading::fsyncs},
      {"troupe_fsync_seconds", &stats_reading::fsync_seconds},
      {"troupe_cache_hits", &stats_reading::cache_hits},
      {"troupe_cache_misses", &stats_reading::cache_misses},
      {"troupe_cache_entries", &stats_reading::cache_entries},
      {"troupe_cache_bytes", &stats_reading::cache_bytes},
      {"troupe_cache_capacity_bytes", &stats_reading::cache_capacity_bytes},
  };
  return fields;
}

/// The gauges the dashboard charts: by type, by service, or single.
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
  else if (n == "troupe_replication_pending")
    r.replication_lag[by("service")] += s.value;
  else if (auto i = scalar_gauges().find(n); i != scalar_gauges().end())
    r.*(i->second) = s.value;
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

struct stats_sample {
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

stats_sample stats_history::derive(const stats_reading& now, int64_t t_ms) {
  stats_sample s;
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
json columns(const std::vector<const stats_sample*>& window,
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

/// The latest figures: the last reading and the last second's rates.
json current(const stats_reading& last, const stats_sample* latest,
             int64_t uptime_s) {
  double rps = 0;
  double errors = 0;
  if (latest != nullptr)
    for (const auto& r : latest->routes) {
      rps += r.rps;
      errors += r.errors;
    }
  auto totals = json::object();
  for (const auto& [name, v] : last.totals)
    totals[name] = num(v);
  return {{"cpu", num(latest != nullptr ? latest->cpu : 0.0)},
          {"rss_bytes", num(last.rss_bytes)},
          {"uptime_s", uptime_s},
          {"requests_per_s", num(rps)},
          {"errors_per_s", num(errors)},
          {"cache",
           {{"entries", num(last.cache_entries)},
            {"bytes", num(last.cache_bytes)},
            {"capacity_bytes", num(last.cache_capacity_bytes)},
            {"hits", num(last.cache_hits)},
            {"misses", num(last.cache_misses)}}},
          {"totals", std::move(totals)}};
}

} // namespace

namespace {

using window_type = std::vector<const stats_sample*>;

/// One value per sample of the window.
template <class Field>
json series(const window_type& window, Field field) {
  auto arr = json::array();
  for (const auto* s : window)
    arr.push_back(num(double(field(*s))));
  return arr;
}

/// The routes with traffic in the window, each with its four series.
json render_routes(const window_type& window,
                   const std::vector<std::string>& names,
                   const std::map<uint16_t, std::string>& services) {
  auto col = [&](auto field) {
    return columns(window, names, [&](const stats_sample* s, auto emit) {
      for (const auto& r : s->routes)
        emit(r.id, double(field(r)));
    });
  };
  using route = stats_sample::route;
  auto rps = col([](const route& r) { return r.rps; });
  auto errors = col([](const route& r) { return r.errors; });
  auto p50 = col([](const route& r) { return r.p50_ms; });
  auto p99 = col([](const route& r) { return r.p99_ms; });
  auto out = json::object();
  for (auto& [name, rates] : rps.items()) {
    auto id = std::find(names.begin(), names.end(), name) - names.begin();
    out[name] = {{"service", services.at(static_cast<uint16_t>(id))},
                 {"rps", std::move(rates)},
                 {"errors", std::move(errors[name])},
                 {"p50_ms", std::move(p50[name])},
                 {"p99_ms", std::move(p99[name])}};
  }
  return out;
}

/// A labeled gauge (`entities`, `replication_lag`) as one series per label.
template <class Member>
json render_labeled(const window_type& window,
                    const std::vector<std::string>& names, Member member) {
  return columns(window, names, [&](const stats_sample* s, auto emit) {
    for (const auto& [id, v] : s->*member)
      emit(id, v);
  });
}

} // namespace

std::string stats_history::render(int64_t since_ms) const {
  std::lock_guard<std::mutex> guard{mtx_};
  window_type window;
  for (const auto& s : samples_)
    if (s.t_ms > since_ms)
      window.push_back(&s);
  using S = const stats_sample&;
  json out;
  out["node"] = node_;
  out["started"] = started_ms_;
  auto times = json::array();
  for (const auto* s : window)
    times.push_back(s->t_ms);
  out["t"] = std::move(times);
  out["cpu"] = series(window, [](S s) { return s.cpu; });
  out["rss_bytes"] = series(window, [](S s) { return s.rss; });
  out["routes"] = render_routes(window, names_, services_);
  out["entities"] = render_labeled(window, names_, &stats_sample::entities);
  out["actors"] = series(window, [](S s) { return s.actors; });
  out["replication_lag"] = render_labeled(window, names_, &stats_sample::lag);
  out["fanout_backlog"] = series(window, [](S s) { return s.fanout_backlog; });
  out["commit_batch"] = series(window, [](S s) { return s.commit_batch; });
  out["fsync_ms"] = series(window, [](S s) { return s.fsync_ms; });
  out["cache_hit_rate"] = series(window, [](S s) { return s.cache_hit_rate; });
  auto events = json::array();
  for (const auto& e : events_)
    if (e.t_ms > since_ms)
      events.push_back(
          {{"t", e.t_ms}, {"node", node_}, {"kind", e.kind}, {"text", e.text}});
  out["events"] = std::move(events);
  out["current"] = current(last_, samples_.empty() ? nullptr : &samples_.back(),
                           (last_t_ms_ - started_ms_) / 1000);
  return out.dump();
}

} // namespace troupe::runtime
