#include "run_command.hpp"

#include <csignal>
#include <iostream>

#include "troupe/cache/service.hpp"
#include "troupe/crawler/service.hpp"
#include "troupe/http/router.hpp"
#include "troupe/http/routes/routes.hpp"
#include "troupe/http/server.hpp"
#include "troupe/log.hpp"
#include "troupe/mint/service.hpp"
#include "troupe/pastebin/service.hpp"
#include "troupe/runtime/node.hpp"
#include "troupe/salesrank/service.hpp"
#include "troupe/services.hpp"
#include "troupe/social/service.hpp"
#include "troupe/twitter/service.hpp"

namespace troupe::app {

namespace {

/// Waits for SIGINT or SIGTERM (blocked, so only this thread sees them).
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

int run_node(const run_options& opts) {
  auto loaded = config::load(opts.config_file, opts.flags);
  if (!loaded.config) {
    std::cerr << "troupe: " << loaded.error << '\n';
    return 2;
  }
  const auto& cfg = *loaded.config;
  log::level lvl = log::level::info;
  log::parse_level(cfg.log_level, lvl);
  log::set_level(lvl);
  runtime::node node{cfg, services::register_types};
  if (auto err = node.start(); !err.empty()) {
    log::error("node", err);
    return 1;
  }
  // Services, then the routes that reach them.
  auto pastebin = pastebin::start(node);
  auto cache = cache::start(node);
  auto twitter = twitter::start(node);
  auto social = social::start(node);
  auto salesrank = salesrank::start(node);
  std::string mint_error;
  auto mint = mint::start(node, mint_error);
  if (!mint) {
    log::error("node", mint_error);
    node.stop();
    return 1;
  }
  auto crawler = crawler::start(node, cache);
  http::router routes;
  http::routes::add_operations(routes, node);
  http::routes::add_pastebin(routes, pastebin, cfg);
  http::routes::add_cache(routes, cache, cfg);
  http::routes::add_twitter(routes, twitter);
  http::routes::add_social(routes, social);
  http::routes::add_salesrank(routes, salesrank);
  http::routes::add_mint(routes, *mint);
  http::routes::add_crawler(routes, crawler);
  http::server edge{node.system(), cfg.http, routes, node.metrics()};
  edge.enable_link(http::node_link(node));
  const auto& ep = cfg.self_entry().http;
  if (auto err = edge.start(ep.host, ep.port); !err.empty()) {
    log::error("http", err);
    node.stop();
    return 1;
  }
  node.metrics().add_collector([&edge](runtime::metrics_registry& reg) {
    reg.gauge("troupe_http_connections", "Open HTTP connections")
        .set(static_cast<double>(edge.open_connections()));
    reg.gauge("troupe_http_in_flight", "HTTP requests being handled")
        .set(static_cast<double>(edge.in_flight()));
  });
  log::info("http", "serving on http://", ep.host, ":", edge.port(), " with ",
            cfg.http.io_threads, " I/O threads");
  auto sig = wait_for_signal();
  // Graceful stop: no new connections, finish what is in flight, flush.
  log::info("node", "received ", sig == SIGINT ? "SIGINT" : "SIGTERM",
            "; stopping: ", edge.in_flight(), " requests in flight");
  edge.stop_accepting();
  edge.wait_idle(cfg.http.shutdown_grace);
  edge.stop();
  node.stop();
  return 0;
}

} // namespace troupe::app
