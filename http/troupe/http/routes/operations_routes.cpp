// Operations endpoints served by every node: liveness, readiness, metrics,
// the cluster view, and (config-gated) fault injection.

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/http/json_util.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/routes/dashboard_page.hpp"
#include "troupe/http/routes/routes.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/cluster_snapshot.hpp"
#include "troupe/runtime/shard_map.hpp"
#include "troupe/runtime/stats_actors.hpp"

namespace troupe::http::routes {

namespace {

using nlohmann::json;

/// `GET /api/v1/stats[?since=MS][&scope=node|cluster]`: the dashboard's
/// data (runtime/stats_actors.hpp).
void stats(request_context& ctx, runtime::node& n) {
  int64_t since = 0;
  if (auto text = ctx.query("since")) {
    auto v = parse_uint(*text);
    if (!v || *v > static_cast<uint64_t>(INT64_MAX))
      return ctx.respond_error(400, "invalid_argument",
                               "since must be milliseconds since the epoch");
    since = static_cast<int64_t>(*v);
  }
  auto scope = ctx.query("scope").value_or("cluster");
  if (scope != "cluster" && scope != "node")
    return ctx.respond_error(400, "invalid_argument",
                             "scope must be cluster or node");
  ctx.request_then<std::string>(
      n.stats_front(),
      caf::make_message(runtime::node_stats_atom::value, since,
                        scope == "cluster"),
      [&ctx](std::string& body) { ctx.respond(200, std::move(body)); });
}

/// `POST /admin/v1/fault/crash?service=S&(shard=N|key=K)`.
void crash_shard(request_context& ctx, runtime::node& n) {
  const auto& token = n.config().runtime.admin_token;
  if (ctx.header("X-Admin-Token").value_or("") != token)
    return ctx.respond_error(401, "unauthenticated",
                             "missing or wrong X-Admin-Token");
  auto service = ctx.query("service").value_or("");
  auto region = n.region(service);
  if (!region)
    return ctx.respond_error(404, "not_found", "no service '" + service + "'");
  size_t shards = 0;
  for (const auto& s : n.regions())
    if (s->service == service)
      shards = s->shards;
  std::optional<uint64_t> idx;
  if (auto key = ctx.query("key"))
    idx = runtime::shard_of(*key, shards);
  else if (auto text = ctx.query("shard"))
    idx = parse_uint(*text);
  if (!idx || *idx >= shards)
    return ctx.respond_error(400, "invalid_argument",
                             "give shard=<0.." + std::to_string(shards - 1) +
                                 "> or key=<entity key>");
  auto shard = static_cast<uint16_t>(*idx);
  ctx.request_then<runtime::crash_atom>(
      region, caf::make_message(runtime::crash_atom::value, shard),
      [&ctx, service, shard](runtime::crash_atom) {
        ctx.respond(
            202,
            json{{"crashed", {{"service", service}, {"shard", shard}}}}.dump());
      });
}

} // namespace

void add_operations(router& r, runtime::node& n) {
  auto* node = &n;
  // The dashboard page and its two assets, compiled into the binary.
  auto serve_dashboard = [](const char* file) {
    return [file](request_context& ctx) {
      auto asset = dashboard_asset(file);
      if (!asset)
        return ctx.respond_error(404, "not_found", "no such dashboard file");
      ctx.respond(200, std::string{asset->first}, asset->second,
                  {{"Cache-Control", "no-cache"}});
    };
  };
  r.add(method::get, "/", serve_dashboard("index.html"));
  r.add(method::get, "/dashboard.js", serve_dashboard("dashboard.js"));
  r.add(method::get, "/dashboard.css", serve_dashboard("dashboard.css"));
  r.add(method::get, "/healthz", [node](request_context& ctx) {
    ctx.respond(200,
                json{{"status", "ok"}, {"node", node->config().self}}.dump());
  });
  r.add(method::get, "/readyz", [node](request_context& ctx) {
    if (!node->ready())
      return ctx.respond_error(503, "unavailable", "shards are loading");
    ctx.respond(
        200, json{{"status", "ready"}, {"node", node->config().self}}.dump());
  });
  r.add(method::get, "/metrics", [node](request_context& ctx) {
    ctx.respond(200, node->metrics().render_prometheus(),
                "text/plain; version=0.0.4; charset=utf-8");
  });
  r.add(method::get, "/api/v1/cluster", [node](request_context& ctx) {
    ctx.respond(200, runtime::cluster_json(*node).dump());
  });
  r.add(method::get, "/api/v1/stats",
        [node](request_context& ctx) { stats(ctx, *node); });
  if (n.config().runtime.fault_injection)
    r.add(method::post, "/admin/v1/fault/crash",
          [node](request_context& ctx) { crash_shard(ctx, *node); });
}

} // namespace troupe::http::routes
