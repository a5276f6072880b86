// `troupe status`: the cluster summary computed from a GET /api/v1/stats
// answer (see docs or notes/stats-contract.md for its shape) and rendered as
// aligned plain-text tables. Pure: no I/O, so it is unit-tested on fixtures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace troupe::app {

/// One row of the NODES table. Metrics are empty when unknown (a down node
/// has no stats).
struct status_node {
  std::string name;
  std::string state; // "up" / "down" as the viewing node sees it
  std::string http;
  std::string error; // why the viewing node has no stats of it
  bool has_stats = false;
  std::optional<double> cpu;     // cores
  std::optional<double> rss_mib; // MiB
  std::optional<double> rps;     // requests/s over the window
  std::optional<double> errors_per_s;
  std::optional<double> p99_ms; // request-weighted p99 over routes and window
  std::optional<double> replication_lag; // sum of the services' last values
  std::size_t shards_served = 0;
};

/// One row of the SERVICES table.
struct status_service {
  std::string name;
  std::size_t shards = 0;
  /// Shards served per node: nodes in the order of the nodes list, then
  /// unknown names sorted; nodes serving nothing are left out.
  std::vector<std::pair<std::string, std::size_t>> served;
  std::size_t moving = 0;
  std::size_t stashing = 0; // stashed > 0
  std::size_t unserved = 0; // serving null
};

/// One route over all nodes for the window.
struct status_route {
  std::string route;
  double rps = 0;               // summed over nodes
  double errors_per_s = 0;      // responses >= 500
  std::optional<double> p50_ms; // request-weighted over nodes and seconds
  std::optional<double> p99_ms;
};

struct status_event {
  int64_t t = 0; // ms since the epoch
  std::string node;
  std::string kind;
  std::string text;
};

struct status_summary {
  std::string cluster;
  std::string self;
  std::string membership;
  std::optional<bool> quorum;
  std::optional<int64_t> now; // ms since the epoch
  std::vector<status_node> nodes;
  std::vector<status_service> services; // sorted by name
  std::vector<status_route> routes;     // busiest first, at most `max_routes`
  std::vector<status_event> events;     // oldest first, the last `max_events`
};

struct status_limits {
  int64_t window_ms = 10000; // rates and latencies over the last 10 s
  std::size_t max_routes = 10;
  std::size_t max_events = 10;
};

/// The summary of a cluster-scope stats answer, or an error (one line) when
/// `stats` is not such an answer (not an object or without a "nodes" list).
/// Any other missing or mistyped field is shown as unknown, never thrown.
struct status_result {
  std::optional<status_summary> summary;
  std::string error;
};
status_result summarize_status(const nlohmann::json& stats,
                               const status_limits& limits = {});
/// Same from the raw body; a body that is not JSON is an error.
status_result summarize_status(std::string_view body,
                               const status_limits& limits = {});

struct status_style {
  bool color = false;     // ANSI colors (stdout is a terminal)
  bool local_time = true; // times in the local zone; UTC otherwise (tests)
};

/// The summary as text: a header line, then the NODES, SERVICES, ROUTES and
/// EVENTS sections, each an aligned table.
std::string render_status(const status_summary& summary,
                          const status_style& style = {});

} // namespace troupe::app
