// The counter entity of examples/embedded_counter behind troupe's HTTP
// edge, on routes of this program's own:
//   POST /counter/api/v1/increment  {"key": "visits", "by": 1}  (by: 1 if
//   absent)
//     -> 200 {"key": "visits", "value": 3}
//   GET  /counter/api/v1/value?key=visits  -> 200 {"key", "value"}
// plus troupe's /healthz, /readyz and /metrics. Runs until SIGINT/SIGTERM.
//
//   custom_route DATA_DIR [PORT]      (default port 8090, on 127.0.0.1)
//   custom_route --config FILE [--node NAME]
//
// The second form reads a troupe config file (cluster-config/single.toml
// documents the keys); with two or more [[nodes]] the counter is sharded,
// replicated and failed over across the nodes like any entity (every node
// runs the same file and picks its entry with --node).
#include <climits>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include "troupe/config/config.hpp"
#include "troupe/http/entity_route.hpp"
#include "troupe/http/json_util.hpp"
#include "troupe/http/routes/routes.hpp"
#include "troupe/http/server.hpp"
#include "troupe/log.hpp"
#include "troupe/runtime/entity.hpp"
#include "troupe/runtime/node.hpp"

namespace {

using add_atom = caf::atom_constant<caf::atom("add")>;
using get_atom = caf::atom_constant<caf::atom("get")>;

struct counter {
  int64_t value = 0;
  MSGPACK_DEFINE_MAP(value)
};

namespace http = troupe::http;
using troupe::runtime::entity_ref;

nlohmann::json counter_json(const std::string& key, int64_t& value) {
  return nlohmann::json{{"key", key}, {"value", value}};
}

/// The largest step one request may add or subtract.
constexpr int64_t max_step = 1000000;

/// Adds `by` to the counter, saturating instead of overflowing.
int64_t add_to(counter& c, int64_t by) {
  if (__builtin_add_overflow(c.value, by, &c.value))
    c.value = by > 0 ? INT64_MAX : INT64_MIN;
  return c.value;
}

/// `{"key": non-empty string, "by": integer?}` -> (key, (add, by)).
std::optional<http::entity_call> increment_call(http::request_context& ctx) {
  auto body = http::parse_json_object(ctx.body());
  if (!body) {
    ctx.respond_error(body.error());
    return std::nullopt;
  }
  auto key = http::required_string(*body, "key");
  if (!key || key->empty()) {
    ctx.respond_error(400, "invalid_argument",
                      "\"key\" must be a non-empty string");
    return std::nullopt;
  }
  int64_t by = 1;
  if (auto i = body->find("by"); i != body->end()) {
    // (nlohmann compares unsigned with signed after a cast: check apart)
    bool in_range = i->is_number_unsigned()
                        ? i->get<uint64_t>() <= static_cast<uint64_t>(max_step)
                        : i->is_number_integer() &&
                              i->get<int64_t>() >= -max_step &&
                              i->get<int64_t>() <= max_step;
    if (!in_range) {
      ctx.respond_error(400, "invalid_argument",
                        "\"by\" must be an integer from -1000000 to 1000000");
      return std::nullopt;
    }
    by = i->get<int64_t>();
  }
  return http::entity_call{*key, caf::make_message(add_atom::value, by)};
}

std::optional<http::entity_call> value_call(http::request_context& ctx) {
  auto key = ctx.query("key");
  if (!key || key->empty()) {
    ctx.respond_error(400, "invalid_argument",
                      "query parameter key is required");
    return std::nullopt;
  }
  return http::entity_call{*key, caf::make_message(get_atom::value)};
}

/// The node's config from the command line, or nullopt (after printing
/// why) when it is wrong.
std::optional<troupe::config::node_config> config_from_args(int argc,
                                                            char** argv) {
  constexpr const char* usage =
      "usage: custom_route DATA_DIR [PORT]   (PORT 0..65535, default 8090; 0 "
      "picks a free one)\n"
      "       custom_route --config FILE [--node NAME]\n";
  if (argc >= 2 && std::string{argv[1]} == "--config") {
    std::optional<std::string> file;
    troupe::config::overrides flags;
    bool pairs = argc % 2 == 1; // flag value flag value ...
    for (int i = 1; pairs && i + 1 < argc; i += 2) {
      std::string flag = argv[i];
      if (flag == "--config")
        file = argv[i + 1];
      else if (flag == "--node")
        flags.node = argv[i + 1];
      else
        pairs = false;
    }
    if (!pairs || !file) {
      std::cerr << usage;
      return std::nullopt;
    }
    auto loaded = troupe::config::load(file, flags);
    if (!loaded.config)
      std::cerr << "custom_route: " << loaded.error << '\n';
    return loaded.config;
  }
  char* end = nullptr;
  auto port = argc > 2 ? std::strtoul(argv[2], &end, 10) : 8090;
  if (argc < 2 || argc > 3 || (argc > 2 && (*end != '\0' || port > 65535))) {
    std::cerr << usage;
    return std::nullopt;
  }
  auto cfg = troupe::config::default_config();
  cfg.nodes.front().data_dir = argv[1];
  cfg.nodes.front().http.port = static_cast<uint16_t>(port);
  cfg.persistence.map_size_mb = 64;
  return cfg;
}

int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

} // namespace

int main(int argc, char** argv) {
  auto loaded = config_from_args(argc, argv);
  if (!loaded)
    return 2;
  const auto& cfg = *loaded;
  troupe::log::level lvl = troupe::log::level::info;
  troupe::log::parse_level(cfg.log_level, lvl);
  troupe::log::set_level(lvl);
  // Only this thread takes SIGINT/SIGTERM (threads started later inherit).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  troupe::runtime::node node{cfg};
  if (auto err = node.start(); !err.empty()) {
    std::cerr << "custom_route: " << err << '\n';
    return 1;
  }
  auto counters = troupe::runtime::declare(
      node,
      troupe::runtime::entity_type<counter>{"counter"}
          .on([](counter& c, add_atom, int64_t by) { return add_to(c, by); })
          .on([](const counter& c, get_atom) { return c.value; }));
  http::router routes;
  http::routes::add_operations(routes,
                               node); // /healthz, /readyz, /metrics, ...
  http::add_entity_route<int64_t>(routes, http::method::post,
                                  "/counter/api/v1/increment", counters,
                                  increment_call, counter_json);
  http::add_entity_route<int64_t>(routes, http::method::get,
                                  "/counter/api/v1/value", counters, value_call,
                                  counter_json);
  http::server edge{node.system(), cfg.http, routes, node.metrics()};
  edge.enable_link(http::node_link(node));
  const auto& ep = cfg.self_entry().http;
  if (auto err = edge.start(ep.host, ep.port); !err.empty()) {
    std::cerr << "custom_route: " << err << '\n';
    node.stop();
    return 1;
  }
  troupe::log::info("example", "custom_route serving on http://", ep.host, ":",
                    edge.port());
  wait_for_signal();
  edge.stop_accepting();
  edge.wait_idle(cfg.http.shutdown_grace);
  edge.stop();
  node.stop();
  return 0;
}
