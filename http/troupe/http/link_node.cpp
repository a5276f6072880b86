// The node link's decisions for a runtime::node: which requests an edge
// sends over the link (those whose shard another node serves, in the steady
// state), and which actor serves a request that arrives over it.

#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/make_message.hpp>

#include "troupe/http/link.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/metrics.hpp"
#include "troupe/runtime/node.hpp"
#include "troupe/runtime/region.hpp"
#include "troupe/runtime/shard_map.hpp"

namespace troupe::http {

namespace {

using runtime::region_status;

/// Read-only after `node_link` built it: shared by every I/O thread.
struct link_table {
  std::string self;
  /// With etcd a node without a lease serves nothing: its requests in
  /// flight fail at once, as when it is down.
  bool etcd = false;
  runtime::membership_status_ptr members;
  /// A region, and its troupe_routed_requests_total{service,node} by node.
  struct region_entry {
    caf::actor_addr addr;
    runtime::region_status_ptr status;
    std::unordered_map<std::string, runtime::metric_counter*> routed;
  };
  /// Regions by actor address (the edge's requests name the region).
  std::vector<region_entry> regions;
  std::unordered_map<std::string, runtime::region_status_ptr> by_service;
  /// The link endpoint of every other node that has one.
  std::unordered_map<std::string, config::endpoint> links;
};

/// Whether `name` may serve now: up, and with etcd holding a lease.
bool serving(const link_table& t, const runtime::member_view& view,
             const std::string& name) {
  const auto* m = view.find(name);
  return m != nullptr && m->up && (!t.etcd || m->lease() != 0);
}

/// The node serving shard `idx` as this node sees it (may be this node or
/// empty while none does).
std::string serving_node(const link_table& t, const region_status& st,
                         uint16_t idx, const runtime::member_view& view) {
  if (auto cfgs = st.configs())
    return idx < cfgs->size() ? (*cfgs)[idx].primary : std::string{};
  if (idx >= st.owners.size())
    return {};
  for (const auto& name : st.owners[idx]) {
    if (name == t.self)
      return name;
    if (const auto* m = view.find(name); m != nullptr && m->up)
      return name;
  }
  return {};
}

bool route(const link_table& t, const caf::strong_actor_ptr& dest,
           const caf::message& msg, link_target& out) {
  auto addr = caf::actor_cast<caf::actor_addr>(dest);
  const link_table::region_entry* region = nullptr;
  for (const auto& r : t.regions)
    if (r.addr == addr)
      region = &r;
  // Anything unusual stays with the region: no quorum (it refuses writes),
  // a local shard, a shard without a primary elsewhere.
  if (region == nullptr || !region->status->key_of || !t.members->quorum())
    return false;
  const auto* st = region->status.get();
  auto key = st->key_of(msg);
  if (!key)
    return false;
  auto idx = runtime::shard_of(*key, st->shards);
  if (st->shard_at(idx))
    return false;
  auto view = t.members->view();
  auto node = serving_node(t, *st, idx, *view);
  if (node.empty() || node == t.self)
    return false;
  auto link = t.links.find(node);
  if (link == t.links.end() || !serving(t, *view, node))
    return false;
  out.node = std::move(node);
  out.at = link->second;
  out.service = st->service;
  out.shard = idx;
  auto counter = region->routed.find(out.node);
  out.routed = counter == region->routed.end() ? nullptr : counter->second;
  return true;
}

caf::strong_actor_ptr dispatch(const link_table& t, std::string_view service,
                               uint16_t shard, caf::message& msg) {
  auto i = t.by_service.find(std::string{service});
  if (i == t.by_service.end() || shard >= i->second->shards)
    return nullptr;
  const auto& st = *i->second;
  if (auto actor = st.shard_at(shard))
    return caf::actor_cast<caf::strong_actor_ptr>(actor);
  // Not served here right now: the region stashes it while the shard moves,
  // or refuses it (the last hop: it is never sent on again).
  msg = caf::make_message(
      runtime::local_atom::value, shard,
      caf::make_message(runtime::hop_atom::value, std::move(msg)));
  return caf::actor_cast<caf::strong_actor_ptr>(st.region);
}

} // namespace

link_options node_link(runtime::node& node) {
  const auto& cfg = node.config();
  link_options opts;
  opts.self = cfg.self;
  opts.cluster_hash = runtime::cluster_config_hash(cfg);
  if (!node.members())
    return opts; // a single node: no link
  if (cfg.self_entry().link.port != 0)
    opts.listen = cfg.self_entry().link;
  auto t = std::make_shared<link_table>();
  t->self = cfg.self;
  t->etcd = cfg.membership.source == config::membership_source::etcd;
  t->members = node.members();
  for (const auto& n : cfg.nodes)
    if (n.name != cfg.self && n.link.port != 0)
      t->links.emplace(n.name, n.link);
  for (const auto& status : node.regions()) {
    link_table::region_entry entry{status->region, status, {}};
    for (const auto& [name, at] : t->links)
      entry.routed[name] = &node.metrics().counter(
          "troupe_routed_requests_total",
          "Requests this node sent to the shard's owner on another node",
          {{"service", status->service}, {"node", name}});
    t->regions.push_back(std::move(entry));
    t->by_service.emplace(status->service, status);
  }
  opts.dispatch = [t](std::string_view service, uint16_t shard,
                      caf::message& msg) {
    return dispatch(*t, service, shard, msg);
  };
  opts.route = [t](const caf::strong_actor_ptr& dest, const caf::message& msg,
                   link_target& out) { return route(*t, dest, msg, out); };
  opts.node_up = [t](const std::string& name) {
    return serving(*t, *t->members->view(), name);
  };
  return opts;
}

} // namespace troupe::http
