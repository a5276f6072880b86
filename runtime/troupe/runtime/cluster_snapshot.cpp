#include "troupe/runtime/cluster_snapshot.hpp"

#include <algorithm>

#include "troupe/runtime/node.hpp"

namespace troupe::runtime {

bool shard_row::moving() const {
  if (state == region_status::loading)
    return true;
  return !serving.empty() && !owners.empty() && serving != owners.front();
}

namespace {

/// The acting primary without etcd: the first owner up.
std::string first_up(const member_view& view,
                     const std::vector<std::string>& owners) {
  for (const auto& name : owners)
    if (const auto* m = view.find(name); m != nullptr && m->up)
      return name;
  return {};
}

} // namespace

std::vector<shard_row> shard_rows(const node& n, const region_status& status) {
  const auto& members = n.members();
  auto view =
      members ? members->view()
              : std::make_shared<const member_view>(initial_view(n.config()));
  bool etcd = members && members->lease();
  auto configs = status.configs();
  std::vector<shard_row> rows(status.shards);
  for (uint16_t i = 0; i < status.shards; ++i) {
    auto& row = rows[i];
    row.shard = i;
    row.owners = n.placement().owners(status.service, i);
    if (etcd && configs && i < configs->size()) {
      const auto& c = (*configs)[i];
      row.has_config = true;
      row.serving = c.primary;
      row.epoch = c.epoch;
      row.in_sync = c.replicas;
    } else if (!etcd) {
      row.serving = first_up(*view, row.owners);
    }
    row.state = status.states[i].load(std::memory_order_relaxed);
    row.stashed = status.stashed[i].load(std::memory_order_relaxed);
  }
  return rows;
}

nlohmann::json shard_json(const shard_row& row, bool etcd) {
  nlohmann::json out{
      {"shard", row.shard},
      {"primary", row.owners.empty() ? "" : row.owners.front()},
      {"replicas",
       std::vector<std::string>(row.owners.empty() ? row.owners.begin()
                                                   : row.owners.begin() + 1,
                                row.owners.end())},
      {"serving",
       row.serving.empty() ? nlohmann::json{} : nlohmann::json(row.serving)},
      {"moving", row.moving()},
      {"stashed", row.stashed}};
  if (etcd && row.has_config) {
    out["epoch"] = row.epoch;
    out["in_sync"] = row.in_sync;
  }
  static const char* states[] = {"loading", "up", "failed"};
  if (row.state < 3)
    out["state"] = states[row.state];
  return out;
}

nlohmann::json cluster_json(const node& n) {
  const auto& cfg = n.config();
  auto view = n.members()
                  ? n.members()->view()
                  : std::make_shared<const member_view>(initial_view(cfg));
  bool etcd = n.members() && n.members()->lease();
  auto nodes = nlohmann::json::array();
  for (const auto& entry : cfg.nodes) {
    const auto* m = view->find(entry.name);
    nlohmann::json row{{"name", entry.name},
                       {"state", m && m->up ? "up" : "down"},
                       {"http", entry.http.to_string()},
                       {"actor", entry.actor.to_string()}};
    if (etcd)
      row["lease"] = m != nullptr && m->lease() != 0;
    nodes.push_back(std::move(row));
  }
  auto shards = nlohmann::json::object();
  for (const auto& status : n.regions()) {
    auto rows = nlohmann::json::array();
    for (const auto& row : shard_rows(n, *status))
      rows.push_back(shard_json(row, etcd));
    shards[status->service] = std::move(rows);
  }
  return nlohmann::json{
      {"cluster", cfg.cluster},
      {"self", cfg.self},
      {"quorum", n.members() ? n.members()->quorum() : true},
      {"membership", config::to_string(cfg.membership.source)},
      {"nodes", std::move(nodes)},
      {"shards", std::move(shards)}};
}

cluster_snapshot snapshot_cluster(const node& n) {
  cluster_snapshot out;
  if (const auto& members = n.members())
    for (const auto& m : members->view()->members)
      out.members[m.name] = m.up;
  for (const auto& status : n.regions()) {
    out.shards[status->service] = shard_rows(n, *status);
    out.restarts[status->service] = status->restarts.load();
  }
  return out;
}

namespace {

const char* state_name(uint8_t x) {
  switch (x) {
  case region_status::up:
    return "up";
  case region_status::failed:
    return "failed";
  case region_status::loading:
    return "loading";
  default:
    return "elsewhere";
  }
}

std::string shards_text(size_t n) {
  return n == 1 ? "1 shard" : std::to_string(n) + " shards";
}

void diff_members(const cluster_snapshot& before, const cluster_snapshot& after,
                  int64_t t, std::vector<stats_event>& out) {
  for (const auto& [name, up] : after.members) {
    auto i = before.members.find(name);
    if (i != before.members.end() && i->second != up)
      out.push_back(
          {t, up ? "node_up" : "node_down", name + (up ? " up" : " down")});
  }
}

/// Moves, epochs and local states of one service, grouped.
void diff_service(const std::string& service,
                  const std::vector<shard_row>& before,
                  const std::vector<shard_row>& after, int64_t t,
                  std::vector<stats_event>& out) {
  std::map<std::pair<std::string, std::string>, std::vector<uint16_t>> moves;
  std::map<std::string, size_t> states;
  size_t epochs = 0;
  for (size_t i = 0; i < after.size() && i < before.size(); ++i) {
    const auto& a = before[i];
    const auto& b = after[i];
    if (a.serving != b.serving)
      moves[{a.serving, b.serving}].push_back(b.shard);
    else if (a.epoch != b.epoch)
      ++epochs;
    if (a.state != b.state && b.state != region_status::remote)
      ++states[state_name(b.state)];
  }
  auto name = [](const std::string& x) { return x.empty() ? "none" : x; };
  for (const auto& [move, shards] : moves) {
    auto what = shards.size() == 1
                    ? service + "/" + std::to_string(shards.front())
                    : service + ": " + shards_text(shards.size());
    out.push_back({t, "shard_moved",
                   what + " " + name(move.first) + " -> " + name(move.second)});
  }
  if (epochs > 0)
    out.push_back({t, "epoch",
                   service + ": epoch raised on " + shards_text(epochs) +
                       " (replicas changed)"});
  for (const auto& [state, n] : states)
    out.push_back(
        {t, "shard_state", service + ": " + shards_text(n) + " " + state});
}

} // namespace

std::vector<stats_event> diff_snapshots(const cluster_snapshot& before,
                                        const cluster_snapshot& after,
                                        int64_t t_ms) {
  std::vector<stats_event> out;
  diff_members(before, after, t_ms, out);
  for (const auto& [service, rows] : after.shards) {
    auto i = before.shards.find(service);
    if (i != before.shards.end())
      diff_service(service, i->second, rows, t_ms, out);
  }
  for (const auto& [service, n] : after.restarts) {
    auto i = before.restarts.find(service);
    if (i != before.restarts.end() && n > i->second)
      out.push_back({t_ms, "restart",
                     service + ": " + std::to_string(n - i->second) +
                         " supervised restart" +
                         (n - i->second > 1 ? "s" : "")});
  }
  return out;
}

nlohmann::json merge_events(const nlohmann::json& nodes) {
  std::vector<nlohmann::json> all;
  for (const auto& row : nodes)
    if (row.contains("stats") && row["stats"].is_object())
      for (const auto& e :
           row["stats"].value("events", nlohmann::json::array()))
        all.push_back(e);
  std::stable_sort(all.begin(), all.end(),
                   [](const nlohmann::json& a, const nlohmann::json& b) {
                     return a.value("t", int64_t{0}) < b.value("t", int64_t{0});
                   });
  std::map<std::pair<std::string, std::string>, int64_t> seen;
  auto out = nlohmann::json::array();
  for (auto& e : all) {
    auto key = std::make_pair(e.value("kind", ""), e.value("text", ""));
    auto t = e.value("t", int64_t{0});
    auto i = seen.find(key);
    bool repeat = i != seen.end() && t - i->second < same_event_ms &&
                  key.first != "started";
    seen[key] = t;
    if (!repeat)
      out.push_back(std::move(e));
  }
  if (out.size() > max_cluster_events)
    out.erase(out.begin(), out.end() - max_cluster_events);
  return out;
}

} // namespace troupe::runtime
