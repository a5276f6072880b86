// Routing: every service route works through every node of a three-node
// cluster, whichever node owns the key. Each test writes enough keys that
// every node is the primary of some of them.
#include "cluster.hpp"

#include <map>

#include <gtest/gtest.h>

using namespace troupe_cluster;
using namespace std::chrono_literals;

namespace {

constexpr size_t key_count = 30;

const std::string stats_path = "/pastebin/api/v1/stats";

std::vector<std::string> shortlinks_of(const std::vector<paste>& pastes) {
  std::vector<std::string> out;
  for (const auto& p : pastes)
    out.push_back(p.shortlink);
  return out;
}

/// Every byte value once, then `tag`: a value that is not text.
std::string binary_value(const std::string& tag) {
  std::string out;
  for (int b = 0; b < 256; ++b)
    out += static_cast<char>(b);
  return out + tag;
}

/// Hits per shortlink in node `via`'s stats of this month (only `links`).
std::map<std::string, int> hits_seen(uint16_t via,
                                     const std::vector<std::string>& links) {
  std::map<std::string, int> out;
  auto r =
      send(via, "GET",
           stats_path + "?month=" + troupe_e2e::utc_month() + "&limit=1000");
  if (r.status != 200)
    return out;
  for (const auto& row : r.body_json())
    if (std::find(links.begin(), links.end(), row["shortlink"]) != links.end())
      out[row["shortlink"].get<std::string>()] = row["hits"].get<int>();
  return out;
}

json cache_stats(uint16_t via) {
  auto r = send(via, "GET", "/cache/api/v1/stats");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.body_json();
}

class clusterRouting : public shared_cluster_test<clusterRouting> {};

} // namespace

TEST_F(clusterRouting, PasteCreatedThroughOneNodeReadsTheSameThroughTheOthers) {
  std::vector<paste> pastes;
  for (size_t k = 0; k < key_count; ++k) {
    auto contents = "routed paste " + std::to_string(k) + " \xF0\x9F\x98\x80";
    auto link = create_paste(c().port(0), contents);
    ASSERT_FALSE(link.empty());
    pastes.push_back({link, contents});
  }
  ASSERT_TRUE(every_node_owns_one(c(), "pastebin", shortlinks_of(pastes)));
  for (const auto& p : pastes) {
    auto via_n2 = get_paste(c().port(1), p.shortlink);
    auto via_n3 = get_paste(c().port(2), p.shortlink);
    ASSERT_EQ(via_n2.status, 200) << p.shortlink << ": " << via_n2.body;
    ASSERT_EQ(via_n3.status, 200) << p.shortlink << ": " << via_n3.body;
    EXPECT_EQ(via_n2.body_json()["paste_contents"], p.contents);
    EXPECT_EQ(via_n2.body_json()["shortlink"], p.shortlink);
    EXPECT_EQ(via_n2.body_json(), via_n3.body_json());
  }
}

TEST_F(clusterRouting, RoutedRequestsAreCountedPerOwnerInMetrics) {
  auto routed = [&](size_t via, const std::string& owner) {
    auto r = send(c().port(via), "GET", "/metrics");
    return troupe_e2e::metric_value(
        r.body, "troupe_routed_requests_total{service=\"pastebin\",node=\"" +
                    owner + "\"}");
  };
  std::vector<paste> pastes;
  for (size_t k = 0; k < key_count; ++k) {
    auto contents = "counted " + std::to_string(k);
    pastes.push_back({create_paste(c().port(0), contents), contents});
  }
  // Reads through n2 of pastes n1 owns: each one routed request to n1.
  double before = routed(1, c().name(0));
  double expected = 0;
  for (const auto& p : pastes)
    if (c().owner_of("pastebin", p.shortlink) == 0) {
      ASSERT_EQ(get_paste(c().port(1), p.shortlink).status, 200);
      ++expected;
    }
  ASSERT_GT(expected, 0);
  EXPECT_EQ(routed(1, c().name(0)) - (before < 0 ? 0 : before), expected);
}

TEST_F(clusterRouting, ShortUrlCreatedThroughOneNodeRedirectsFromTheOthers) {
  std::map<std::string, std::string> urls; // shortlink -> url
  for (size_t k = 0; k < key_count; ++k) {
    auto url = "https://example.com/routed/" + std::to_string(k) + "?q=1";
    auto r = send(c().port(1), "POST", "/pastebin/api/v1/url",
                  json{{"url", url}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    urls[r.body_json()["shortlink"].get<std::string>()] = url;
  }
  std::vector<std::string> links;
  for (const auto& [link, url] : urls)
    links.push_back(link);
  ASSERT_TRUE(every_node_owns_one(c(), "pastebin", links));
  for (const auto& [link, url] : urls)
    for (size_t via : {2, 0}) {
      auto r = send(c().port(via), "GET", "/s/" + link);
      EXPECT_EQ(r.status, 301)
          << link << " via " << c().name(via) << ": " << r.body;
      EXPECT_EQ(r.header("location"), url) << link << " via " << c().name(via);
    }
}

TEST_F(clusterRouting, VisitsCountedByTheOwnerShowInTheStatsOfEveryNode) {
  auto pastes = create_pastes(c(), key_count, "visited");
  ASSERT_EQ(pastes.size(), key_count);
  auto links = shortlinks_of(pastes);
  ASSERT_TRUE(every_node_owns_one(c(), "pastebin", links));
  // Paste k is visited k % 3 + 1 times, each time through another node.
  std::map<std::string, int> expected;
  for (size_t k = 0; k < pastes.size(); ++k) {
    int visits = static_cast<int>(k % 3) + 1;
    for (int v = 0; v < visits; ++v)
      ASSERT_EQ(get_paste(c().port((k + v) % c().size()), links[k]).status,
                200);
    expected[links[k]] = visits;
  }
  // Counters reach the stats within stats_flush_interval_ms.
  for (size_t via = 0; via < c().size(); ++via)
    EXPECT_TRUE(eventually(
        [&] { return hits_seen(c().port(via), links) == expected; }, 10s))
        << c().name(via) << " reports other hits than were made";
}

TEST_F(clusterRouting, StatsOfOneShortlinkAreAnsweredThroughEveryNode) {
  auto pastes = create_pastes(c(), key_count, "one link's stats");
  ASSERT_EQ(pastes.size(), key_count);
  ASSERT_TRUE(every_node_owns_one(c(), "pastebin", shortlinks_of(pastes)));
  for (const auto& p : pastes)
    ASSERT_EQ(get_paste(c().port(0), p.shortlink).status, 200);
  auto month = troupe_e2e::utc_month();
  for (const auto& p : pastes)
    for (size_t via = 0; via < c().size(); ++via) {
      auto target =
          stats_path + "?month=" + month + "&shortlink=" + p.shortlink;
      json expected = json::array(
          {{{"shortlink", p.shortlink}, {"month", month}, {"hits", 1}}});
      EXPECT_TRUE(eventually(
          [&] {
            return send(c().port(via), "GET", target).body_json() == expected;
          },
          10s))
          << p.shortlink << " via " << c().name(via) << ": "
          << send(c().port(via), "GET", target).body;
    }
}

TEST_F(clusterRouting, CacheEntryIsWrittenReadAndDeletedThroughDifferentNodes) {
  std::vector<std::string> keys;
  for (size_t k = 0; k < key_count; ++k)
    keys.push_back("routed key " + std::to_string(k));
  ASSERT_TRUE(every_node_owns_one(c(), "cache", keys));
  for (const auto& key : keys) {
    SCOPED_TRACE(key + " (owner " + c().name(c().owner_of("cache", key)) + ")");
    auto value = binary_value(key);
    EXPECT_EQ(put_entry(c().port(0), key, value).status, 204);
    auto got = get_entry(c().port(1), key);
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.body, value);
    EXPECT_EQ(got.header("content-type"), "application/octet-stream");
    EXPECT_EQ(delete_entry(c().port(2), key).status, 204);
    EXPECT_EQ(get_entry(c().port(0), key).status, 404);
  }
}

TEST_F(clusterRouting, CacheStatsOfEveryNodeSumTheWholeCluster) {
  auto before = cache_stats(c().port(0));
  ASSERT_TRUE(before.is_object());
  std::vector<std::string> keys;
  for (size_t k = 0; k < key_count; ++k)
    keys.push_back("counted key " + std::to_string(k));
  ASSERT_TRUE(every_node_owns_one(c(), "cache", keys));
  for (size_t k = 0; k < keys.size(); ++k)
    ASSERT_EQ(put_entry(c().port(k % c().size()), keys[k], "v").status, 204);
  auto entries = before["entries"].get<uint64_t>() + keys.size();
  auto capacity = 3 * c().settings().cache_capacity_bytes;
  for (size_t via = 0; via < c().size(); ++via) {
    auto stats = cache_stats(c().port(via));
    EXPECT_EQ(stats["entries"], entries) << c().name(via) << ": " << stats;
    EXPECT_EQ(stats["capacity_bytes"], capacity)
        << c().name(via) << ": " << stats;
  }
}
