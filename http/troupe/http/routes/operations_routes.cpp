// Operations endpoints served by every node: liveness, readiness, metrics,
// the cluster view, and (config-gated) fault injection.

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/http/json_util.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/routes/dashboard_page.hpp"
#include "troupe/http/routes/routes.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/shard_map.hpp"

namespace troupe::http::routes {

namespace {

using nlohmann::json;

const char* shard_state_name(uint8_t x) {
  switch (x) {
  case runtime::region_status::up:
    return "up";
  case runtime::region_status::failed:
    return "failed";
  default:
    return "loading";
  }
}

json cluster_view(runtime::node& n) {
  const auto& cfg = n.config();
  auto view = n.members() ? n.members()->view()
                          : std::make_shared<const runtime::member_view>(
                                runtime::initial_view(cfg));
  bool etcd = n.members() && n.members()->lease();
  auto nodes = json::array();
  for (const auto& entry : cfg.nodes) {
    const auto* m = view->find(entry.name);
    json row{{"name", entry.name},
             {"state", m && m->up ? "up" : "down"},
             {"http", entry.http.to_string()},
             {"actor", entry.actor.to_string()}};
    if (etcd)
      row["lease"] = m != nullptr && m->lease() != 0;
    nodes.push_back(std::move(row));
  }
  auto shards = json::object();
  for (const auto& status : n.regions()) {
    auto rows = json::array();
    auto configs = status->configs();
    for (uint16_t i = 0; i < status->shards; ++i) {
      auto owners = n.placement().owners(status->service, i);
      json row{{"shard", i},
               {"primary", owners.front()},
               {"replicas",
                std::vector<std::string>(owners.begin() + 1, owners.end())},
               {"serving", nullptr}};
      if (etcd && configs && i < configs->size()) {
        // The configuration in etcd: who serves, which replicas are in sync.
        const auto& c = (*configs)[i];
        if (!c.primary.empty())
          row["serving"] = c.primary;
        row["epoch"] = c.epoch;
        row["in_sync"] = c.replicas;
      } else if (!etcd) {
        // The acting primary: the first owner up (the backups take over).
        for (const auto& name : owners)
          if (const auto* m = view->find(name); m != nullptr && m->up) {
            row["serving"] = name;
            break;
          }
      }
      auto state = status->states[i].load();
      if (state != runtime::region_status::remote)
        row["state"] = shard_state_name(state);
      rows.push_back(std::move(row));
    }
    shards[status->service] = std::move(rows);
  }
  return json{{"cluster", cfg.cluster},
              {"self", cfg.self},
              {"quorum", n.members() ? n.members()->quorum() : true},
              {"membership", config::to_string(cfg.membership.source)},
              {"nodes", std::move(nodes)},
              {"shards", std::move(shards)}};
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
  r.add(method::get, "/", [](request_context& ctx) {
    ctx.respond(200, dashboard_html, "text/html; charset=utf-8");
  });
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
    ctx.respond(200, cluster_view(*node).dump());
  });
  if (n.config().runtime.fault_injection)
    r.add(method::post, "/admin/v1/fault/crash",
          [node](request_context& ctx) { crash_shard(ctx, *node); });
}

} // namespace troupe::http::routes
