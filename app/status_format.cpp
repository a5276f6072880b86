#include "status_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

namespace troupe::app {

namespace {

using json = nlohmann::json;

// -- Tolerant field access: a missing or mistyped field is "unknown". --------

/// The member `key` of `obj`, or nullptr when `obj` is no object or lacks it.
const json* field(const json& obj, const char* key) {
  if (!obj.is_object())
    return nullptr;
  auto i = obj.find(key);
  return i == obj.end() ? nullptr : &*i;
}

std::string text_of(const json& obj, const char* key,
                    const std::string& fallback = {}) {
  auto* x = field(obj, key);
  return x && x->is_string() ? x->get<std::string>() : fallback;
}

std::optional<double> number(const json* x) {
  if (!x || !x->is_number())
    return std::nullopt;
  auto v = x->get<double>();
  return std::isfinite(v) ? std::optional<double>{v} : std::nullopt;
}

std::optional<double> number_of(const json& obj, const char* key) {
  return number(field(obj, key));
}

/// Element `i` of the array `arr` as a number, if any.
std::optional<double> number_at(const json* arr, std::size_t i) {
  if (!arr || !arr->is_array() || i >= arr->size())
    return std::nullopt;
  return number(&(*arr)[i]);
}

/// A time in ms since the epoch; none for absurd values (beyond year 9999).
std::optional<int64_t> millis(std::optional<double> v) {
  constexpr double limit = 253402300799000.0; // 9999-12-31
  if (!v || *v < -limit || *v > limit)
    return std::nullopt;
  return static_cast<int64_t>(*v);
}

/// The last number of an array (skipping trailing nulls).
std::optional<double> last_number(const json* arr) {
  if (!arr || !arr->is_array())
    return std::nullopt;
  for (auto i = arr->size(); i > 0; --i)
    if (auto v = number(&(*arr)[i - 1]))
      return v;
  return std::nullopt;
}

/// Indices of the samples within `window_ms` of the node's newest one.
std::vector<std::size_t> window_indices(const json& stats, int64_t window_ms) {
  std::vector<std::size_t> out;
  auto* t = field(stats, "t");
  if (!t || !t->is_array() || t->empty())
    return out;
  auto newest = last_number(t);
  if (!newest)
    return out;
  for (std::size_t i = 0; i < t->size(); ++i)
    if (auto ti = number(&(*t)[i]);
        ti && *ti > *newest - static_cast<double>(window_ms))
      out.push_back(i);
  return out;
}

/// A weighted mean accumulated sample by sample.
struct weighted_mean {
  double sum = 0;
  double weight = 0;
  void add(double value, double w) {
    sum += value * w;
    weight += w;
  }
  std::optional<double> value() const {
    return weight > 0 ? std::optional<double>{sum / weight} : std::nullopt;
  }
};

/// A latency sample weighs its second's request count (1 when unknown).
double latency_weight(std::optional<double> rps) {
  return rps && *rps > 0 ? *rps : 1.0;
}

struct route_acc {
  double rps = 0;
  double errors = 0;
  weighted_mean p50;
  weighted_mean p99;
};

/// Fills the node's metrics from its stats and adds its routes to `routes`.
void summarize_node(const json& stats, const status_limits& limits,
                    status_node& node,
                    std::map<std::string, route_acc>& routes) {
  node.has_stats = true;
  auto* current = field(stats, "current");
  node.cpu = current ? number_of(*current, "cpu") : std::nullopt;
  if (!node.cpu)
    node.cpu = last_number(field(stats, "cpu"));
  auto rss = current ? number_of(*current, "rss_bytes") : std::nullopt;
  if (!rss)
    rss = last_number(field(stats, "rss_bytes"));
  if (rss)
    node.rss_mib = *rss / (1024.0 * 1024.0);
  if (auto* lag = field(stats, "replication_lag"); lag && lag->is_object()) {
    for (auto& [service, values] : lag->items()) {
      (void)service;
      if (auto v = last_number(&values))
        node.replication_lag = node.replication_lag.value_or(0) + *v;
    }
  }
  auto window = window_indices(stats, limits.window_ms);
  if (window.empty()) {
    // No samples yet: the instantaneous figures, if any.
    if (current) {
      node.rps = number_of(*current, "requests_per_s");
      node.errors_per_s = number_of(*current, "errors_per_s");
    }
    return;
  }
  auto n = static_cast<double>(window.size());
  double rps = 0;
  double errors = 0;
  weighted_mean p99;
  if (auto* rs = field(stats, "routes"); rs && rs->is_object()) {
    for (auto& [name, route] : rs->items()) {
      auto* r_rps = field(route, "rps");
      auto* r_err = field(route, "errors");
      auto* r_p50 = field(route, "p50_ms");
      auto* r_p99 = field(route, "p99_ms");
      auto& acc = routes[name];
      double route_rps = 0;
      double route_errors = 0;
      for (auto i : window) {
        auto sec_rps = number_at(r_rps, i);
        route_rps += sec_rps.value_or(0);
        route_errors += number_at(r_err, i).value_or(0);
        auto w = latency_weight(sec_rps);
        if (auto v = number_at(r_p50, i))
          acc.p50.add(*v, w);
        if (auto v = number_at(r_p99, i)) {
          acc.p99.add(*v, w);
          p99.add(*v, w);
        }
      }
      acc.rps += route_rps / n;
      acc.errors += route_errors / n;
      rps += route_rps / n;
      errors += route_errors / n;
    }
  }
  node.rps = rps;
  node.errors_per_s = errors;
  node.p99_ms = p99.value();
}

void summarize_shards(const json& stats, status_summary& out) {
  auto* shards = field(stats, "shards");
  if (!shards || !shards->is_object())
    return;
  std::map<std::string, std::size_t> served_by_node;
  for (auto& [name, list] : shards->items()) {
    status_service svc;
    svc.name = name;
    std::map<std::string, std::size_t> served;
    if (list.is_array()) {
      for (auto& shard : list) {
        if (!shard.is_object())
          continue;
        ++svc.shards;
        auto* serving = field(shard, "serving");
        if (serving && serving->is_string() &&
            !serving->get_ref<const std::string&>().empty()) {
          auto& who = serving->get_ref<const std::string&>();
          ++served[who];
          ++served_by_node[who];
        } else {
          ++svc.unserved;
        }
        if (auto* m = field(shard, "moving"); m && m->is_boolean() && *m)
          ++svc.moving;
        if (auto s = number_of(shard, "stashed"); s && *s > 0)
          ++svc.stashing;
      }
    }
    // Nodes in the order of the nodes list, then the rest (sorted).
    for (auto& node : out.nodes) {
      if (auto i = served.find(node.name); i != served.end()) {
        svc.served.emplace_back(i->first, i->second);
        served.erase(i);
      }
    }
    for (auto& [who, count] : served)
      svc.served.emplace_back(who, count);
    out.services.push_back(std::move(svc));
  }
  for (auto& node : out.nodes)
    if (auto i = served_by_node.find(node.name); i != served_by_node.end())
      node.shards_served = i->second;
}

void summarize_events(const json& stats, const status_limits& limits,
                      status_summary& out) {
  auto* events = field(stats, "events");
  if (!events || !events->is_array())
    return;
  for (auto& e : *events) {
    if (!e.is_object())
      continue;
    status_event ev;
    ev.t = millis(number_of(e, "t")).value_or(0);
    ev.node = text_of(e, "node");
    ev.kind = text_of(e, "kind");
    ev.text = text_of(e, "text");
    out.events.push_back(std::move(ev));
  }
  // Ascending by t per the contract; sort anyway (stable: ties keep order).
  std::stable_sort(out.events.begin(), out.events.end(),
                   [](auto& a, auto& b) { return a.t < b.t; });
  if (out.events.size() > limits.max_events)
    out.events.erase(out.events.begin(),
                     out.events.end() -
                         static_cast<std::ptrdiff_t>(limits.max_events));
}

// -- Rendering ---------------------------------------------------------------

namespace ansi {
constexpr const char* bold = "\033[1m";
constexpr const char* red = "\033[31m";
constexpr const char* green = "\033[32m";
constexpr const char* yellow = "\033[33m";
constexpr const char* dim = "\033[2m";
constexpr const char* reset = "\033[0m";
} // namespace ansi

/// Terminal-safe text: control characters (escape sequences from a hostile
/// or broken answer) become '?', and overlong text is cut.
std::string clean(const std::string& text, std::size_t max_chars = 80) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    bool continuation = (c & 0xC0) == 0x80;
    if (!continuation && ++chars > max_chars) {
      out += "...";
      break;
    }
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  return out;
}

/// Display width: UTF-8 code points (the text passed through `clean`).
std::size_t width(const std::string& text) {
  std::size_t n = 0;
  for (auto c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
      ++n;
  return n;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string or_dash(const std::optional<double>& v, int decimals) {
  return v ? fixed(*v, decimals) : "-";
}

/// Latencies: 0.42, 12.3, 250.
std::string ms(const std::optional<double>& v) {
  if (!v)
    return "-";
  return fixed(*v, *v < 10 ? 2 : *v < 100 ? 1 : 0);
}

/// Rates: one decimal below 1000/s.
std::string rate(const std::optional<double>& v) {
  if (!v)
    return "-";
  return fixed(*v, *v < 1000 ? 1 : 0);
}

std::string count(const std::optional<double>& v) {
  if (!v)
    return "-";
  return fixed(*v, std::floor(*v) == *v ? 0 : 1);
}

std::string clock_time(int64_t ms_since_epoch, bool local) {
  auto secs = static_cast<std::time_t>(ms_since_epoch / 1000);
  std::tm tm{};
  if (!(local ? localtime_r(&secs, &tm) : gmtime_r(&secs, &tm)))
    return "??:??:??";
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

struct cell {
  std::string text;
  const char* color = nullptr;
};

/// An aligned table: columns separated by two spaces, numbers right-aligned,
/// the last column never padded.
class table {
public:
  table(std::vector<std::string> headers, std::vector<bool> right)
      : right_(std::move(right)) {
    std::vector<cell> row;
    for (auto& h : headers)
      row.push_back({std::move(h), nullptr});
    rows_.push_back(std::move(row));
  }

  void add(std::vector<cell> row) { rows_.push_back(std::move(row)); }

  void render(std::string& out, bool color) const {
    std::vector<std::size_t> widths;
    for (auto& row : rows_)
      for (std::size_t c = 0; c < row.size(); ++c) {
        if (widths.size() <= c)
          widths.push_back(0);
        widths[c] = std::max(widths[c], width(row[c].text));
      }
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      auto& row = rows_[r];
      std::string line;
      for (std::size_t c = 0; c < row.size(); ++c) {
        auto pad = widths[c] - width(row[c].text);
        bool last = c + 1 == row.size();
        bool right = c < right_.size() && right_[c];
        if (c > 0)
          line += "  ";
        if (right)
          line.append(pad, ' ');
        const char* code = r == 0 ? ansi::bold : row[c].color;
        if (color && code)
          line += code;
        line += row[c].text;
        if (color && code)
          line += ansi::reset;
        if (!right && !last)
          line.append(pad, ' ');
      }
      while (!line.empty() && line.back() == ' ')
        line.pop_back();
      out += line;
      out += '\n';
    }
  }

private:
  std::vector<std::vector<cell>> rows_;
  std::vector<bool> right_;
};

void section(std::string& out, const std::string& title, bool color) {
  out += '\n';
  if (color)
    out += ansi::bold;
  out += title;
  if (color)
    out += ansi::reset;
  out += '\n';
}

const char* state_color(const std::string& state) {
  if (state == "up")
    return ansi::green;
  if (state == "down")
    return ansi::red;
  return ansi::yellow;
}

/// Red when a count of bad things is positive.
const char* alert(double v, const char* code = ansi::red) {
  return v > 0 ? code : nullptr;
}

} // namespace

status_result summarize_status(const json& stats, const status_limits& limits) {
  status_result result;
  if (!stats.is_object()) {
    result.error = "the answer is not a JSON object";
    return result;
  }
  auto* nodes = field(stats, "nodes");
  if (!nodes || !nodes->is_array()) {
    result.error = field(stats, "node")
                       ? "the answer is one node's stats, not the cluster's "
                         "(no \"nodes\" list)"
                       : "the answer has no \"nodes\" list";
    return result;
  }
  status_summary s;
  s.cluster = text_of(stats, "cluster", "?");
  s.self = text_of(stats, "self", "?");
  s.membership = text_of(stats, "membership", "?");
  if (auto* q = field(stats, "quorum"); q && q->is_boolean())
    s.quorum = q->get<bool>();
  s.now = millis(number_of(stats, "now"));
  std::map<std::string, route_acc> routes;
  for (auto& n : *nodes) {
    if (!n.is_object())
      continue;
    status_node node;
    node.name = text_of(n, "name", "?");
    node.state = text_of(n, "state", "?");
    node.http = text_of(n, "http", "-");
    node.error = text_of(n, "error");
    if (auto* st = field(n, "stats"); st && st->is_object())
      summarize_node(*st, limits, node, routes);
    s.nodes.push_back(std::move(node));
  }
  summarize_shards(stats, s);
  for (auto& [name, acc] : routes) {
    if (acc.rps <= 0 && acc.errors <= 0)
      continue;
    s.routes.push_back(
        {name, acc.rps, acc.errors, acc.p50.value(), acc.p99.value()});
  }
  std::stable_sort(s.routes.begin(), s.routes.end(),
                   [](auto& a, auto& b) { return a.rps > b.rps; });
  if (s.routes.size() > limits.max_routes)
    s.routes.resize(limits.max_routes);
  summarize_events(stats, limits, s);
  result.summary = std::move(s);
  return result;
}

status_result summarize_status(std::string_view body,
                               const status_limits& limits) {
  auto j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) {
    status_result result;
    result.error = "the answer is not JSON";
    return result;
  }
  return summarize_status(j, limits);
}

namespace {

void render_header(std::string& out, const status_summary& s,
                   const status_style& style) {
  std::size_t up = 0;
  for (auto& n : s.nodes)
    up += n.state == "up";
  out += "cluster " + clean(s.cluster) + "  via " + clean(s.self) +
         "  membership " + clean(s.membership) + "  quorum " +
         (s.quorum ? (*s.quorum ? "yes" : "no") : "?") + "  nodes up " +
         std::to_string(up) + "/" + std::to_string(s.nodes.size());
  if (s.now)
    out += "  at " + clock_time(*s.now, style.local_time);
  out += '\n';
}

void render_nodes(std::string& out, const status_summary& s,
                  const status_style& style) {
  bool color = style.color;
  section(out, "NODES", color);
  table nodes{{"NAME", "STATE", "HTTP", "CPU", "RSS MIB", "REQ/S", "5XX/S",
               "P99 MS", "SHARDS", "REPL LAG"},
              {false, false, false, true, true, true, true, true, true, true}};
  for (auto& n : s.nodes) {
    auto errors = n.errors_per_s.value_or(0);
    nodes.add({{clean(n.name)},
               {clean(n.state), state_color(n.state)},
               {clean(n.http)},
               {or_dash(n.cpu, 2)},
               {or_dash(n.rss_mib, 1)},
               {rate(n.rps)},
               {rate(n.errors_per_s), alert(errors)},
               {ms(n.p99_ms)},
               {std::to_string(n.shards_served)},
               {count(n.replication_lag),
                alert(n.replication_lag.value_or(0), ansi::yellow)}});
  }
  if (s.nodes.empty())
    out += "(no nodes)\n";
  else
    nodes.render(out, color);
  // Why a node has no stats, unless the error only repeats its state.
  for (auto& n : s.nodes)
    if ((!n.error.empty() && n.error != n.state) ||
        (n.error.empty() && !n.has_stats && n.state == "up"))
      out += "  " + clean(n.name) + ": " +
             (n.error.empty() ? "no stats" : clean(n.error, 200)) + '\n';
}

void render_services(std::string& out, const status_summary& s,
                     const status_style& style) {
  bool color = style.color;
  section(out, "SERVICES", color);
  if (s.services.empty()) {
    out += "(no shards)\n";
  } else {
    table services{
        {"SERVICE", "SHARDS", "SERVED", "MOVING", "STASHING", "UNSERVED"},
        {false, true, false, true, true, true}};
    for (auto& svc : s.services) {
      std::string served;
      for (auto& [who, n] : svc.served) {
        if (!served.empty())
          served += ' ';
        served += clean(who, 40) + ':' + std::to_string(n);
      }
      services.add({{clean(svc.name)},
                    {std::to_string(svc.shards)},
                    {served.empty() ? "-" : served},
                    {std::to_string(svc.moving),
                     alert(static_cast<double>(svc.moving), ansi::yellow)},
                    {std::to_string(svc.stashing),
                     alert(static_cast<double>(svc.stashing), ansi::yellow)},
                    {std::to_string(svc.unserved),
                     alert(static_cast<double>(svc.unserved))}});
    }
    services.render(out, color);
  }
}

void render_routes(std::string& out, const status_summary& s,
                   const status_style& style) {
  bool color = style.color;
  section(out, "ROUTES (busiest, last 10 s)", color);
  if (s.routes.empty()) {
    out += "(no traffic)\n";
  } else {
    table routes{{"ROUTE", "REQ/S", "5XX/S", "P50 MS", "P99 MS"},
                 {false, true, true, true, true}};
    for (auto& r : s.routes)
      routes.add({{clean(r.route)},
                  {rate(r.rps)},
                  {rate(r.errors_per_s), alert(r.errors_per_s)},
                  {ms(r.p50_ms)},
                  {ms(r.p99_ms)}});
    routes.render(out, color);
  }
}

void render_events(std::string& out, const status_summary& s,
                   const status_style& style) {
  bool color = style.color;
  section(out, "EVENTS (latest last)", color);
  if (s.events.empty()) {
    out += "(none)\n";
  } else {
    table events{{"TIME", "NODE", "KIND", "TEXT"},
                 {false, false, false, false}};
    for (auto& e : s.events) {
      const char* code = e.kind == "node_down" ? ansi::red
                         : e.kind == "restart" || e.kind == "shard_moved"
                             ? ansi::yellow
                             : nullptr;
      events.add({{clock_time(e.t, style.local_time), ansi::dim},
                  {clean(e.node)},
                  {clean(e.kind), code},
                  {clean(e.text, 200)}});
    }
    events.render(out, color);
  }
}

} // namespace

std::string render_status(const status_summary& s, const status_style& style) {
  std::string out;
  render_header(out, s, style);
  render_nodes(out, s, style);
  render_services(out, s, style);
  render_routes(out, s, style);
  render_events(out, s, style);
  return out;
}

} // namespace troupe::app
