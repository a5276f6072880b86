// The dashboard's data on a cluster of three: GET /api/v1/stats through one
// node carries every node's history; when a node is killed, the node being
// asked shows it down (with why it has no figures), the shards it served
// served by the others, and the change in the event log.
#include "cluster.hpp"

#include <set>

#include <gtest/gtest.h>

using namespace troupe_cluster;
using namespace std::chrono_literals;

namespace {

constexpr size_t victim = 2; // n3

json stats_via(uint16_t port) {
  auto r = send(port, "GET", "/api/v1/stats", "", 10s);
  return r.status == 200 ? r.body_json() : json::object();
}

const json* node_row(const json& stats, const std::string& name) {
  if (!stats.contains("nodes"))
    return nullptr;
  for (const auto& row : stats["nodes"])
    if (row.value("name", "") == name)
      return &row;
  return nullptr;
}

/// Whether no shard of any service is served by `name` (nor unserved).
bool none_served_by(const json& stats, const std::string& name) {
  if (!stats.contains("shards"))
    return false;
  for (const auto& [service, rows] : stats["shards"].items())
    for (const auto& row : rows)
      if (!row["serving"].is_string() || row["serving"] == name)
        return false;
  return true;
}

bool has_event(const json& stats, const std::string& kind,
               const std::string& text) {
  for (const auto& e : stats.value("events", json::array()))
    if (e.value("kind", "") == kind &&
        e.value("text", "").find(text) != std::string::npos)
      return true;
  return false;
}

class dashboard_stats_test : public fresh_cluster_test {};

} // namespace

TEST_F(dashboard_stats_test, OneNodeShowsTheWholeClusterAndAFailure) {
  auto pastes = create_pastes(c(), 30, "stats");
  ASSERT_EQ(pastes.size(), 30u);
  // Every node's history arrives through n1, each with its own traffic.
  json all;
  ASSERT_TRUE(eventually(
      [&] {
        all = stats_via(c().port(0));
        for (size_t i = 0; i < c().size(); ++i) {
          const auto* row = node_row(all, c().name(i));
          if (row == nullptr || !(*row)["stats"].is_object() ||
              !(*row)["stats"]["routes"].contains("/pastebin/api/v1/paste"))
            return false;
        }
        return true;
      },
      10s))
      << all.dump().substr(0, 2000);
  std::set<std::string> serving;
  for (const auto& [service, rows] : all["shards"].items())
    for (const auto& row : rows)
      serving.insert(row["serving"].get<std::string>());
  EXPECT_EQ(serving, (std::set<std::string>{"n1", "n2", "n3"}));

  auto killed_at = std::chrono::steady_clock::now();
  c().node(victim).kill9();
  auto allowance = c().settings().failover_allowance() + 5s;
  ASSERT_TRUE(eventually(
      [&] {
        all = stats_via(c().port(0));
        const auto* row = node_row(all, "n3");
        return row != nullptr && (*row)["state"] == "down" &&
               (*row)["stats"].is_null() && none_served_by(all, "n3") &&
               has_event(all, "node_down", "n3 down") &&
               has_event(all, "shard_moved", "n3 -> ");
      },
      allowance))
      << all.dump().substr(0, 3000);
  std::cerr << "n3 down, its shards moved and logged after "
            << elapsed_ms(killed_at) << " ms\n";
  const auto* row = node_row(all, "n3");
  EXPECT_FALSE((*row)["error"].get<std::string>().empty());
  // The survivors still report their figures.
  EXPECT_TRUE((*node_row(all, "n2"))["stats"].is_object());
}
