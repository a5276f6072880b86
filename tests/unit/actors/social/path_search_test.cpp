// The bidirectional search against a plain BFS on random graphs (pure
// logic, friend lists from memory): same lengths, real paths, max_hops.

#include "troupe/social/path_search.hpp"

#include <gtest/gtest.h>

#include "graph_gen.hpp"

using troupe::social::path_search;
using troupe::test::graph;

namespace {

/// Runs the search with friend lists from `g`.
path_search run(const graph& g, uint32_t s, uint32_t t, uint32_t hops,
                size_t max_visited = 1u << 30) {
  path_search bfs{s, t, hops, max_visited};
  while (bfs.current() == path_search::state::expand) {
    for (auto who : bfs.frontier())
      bfs.expand(who, g.adj[who].data(), g.adj[who].data() + g.adj[who].size());
    bfs.end_level();
  }
  return bfs;
}

void check_pairs(const graph& g, uint32_t n, uint64_t seed) {
  std::mt19937_64 rng{seed};
  int found = 0;
  int unreachable = 0;
  for (int i = 0; i < 300; ++i) {
    uint32_t s = 1 + rng() % n;
    uint32_t t = 1 + rng() % n;
    auto d = g.distance(s, t);
    for (uint32_t hops : {10u, 3u, 2u}) {
      auto bfs = run(g, s, t, hops);
      if (d < 0 || static_cast<uint32_t>(d) > hops) {
        EXPECT_EQ(bfs.current(), path_search::state::no_path)
            << s << " -> " << t << " d=" << d << " hops=" << hops;
        continue;
      }
      ASSERT_EQ(bfs.current(), path_search::state::found) << s << " -> " << t;
      const auto& path = bfs.path();
      ASSERT_EQ(path.size(), static_cast<size_t>(d) + 1) << s << " -> " << t;
      EXPECT_EQ(path.front(), s);
      EXPECT_EQ(path.back(), t);
      for (size_t j = 1; j < path.size(); ++j)
        EXPECT_TRUE(g.friends(path[j - 1], path[j]));
    }
    (d < 0 ? unreachable : found)++;
  }
  // The graphs are made so that both kinds of pairs occur.
  EXPECT_GT(found, 100);
  EXPECT_GT(unreachable, 10);
}

} // namespace

TEST(path_search, erdos_renyi_paths_equal_reference_bfs) {
  // 3000 people, 2500 of them in a sparse random graph, 500 alone.
  auto g = troupe::test::erdos_renyi(3000, 4000, 2500, 7);
  check_pairs(g, 3000, 11);
}

TEST(path_search, power_law_paths_equal_reference_bfs) {
  // 4000 people with hubs, and an island of 400 unreachable from the rest.
  auto g = troupe::test::power_law(4000, 2, 400, 5);
  check_pairs(g, 4000, 13);
}

TEST(path_search, same_person_is_a_path_of_one) {
  path_search bfs{4, 4, 6, 100};
  ASSERT_EQ(bfs.current(), path_search::state::found);
  EXPECT_EQ(bfs.path(), std::vector<uint32_t>{4});
}

TEST(path_search, direct_friends_are_one_hop) {
  graph g{3};
  g.add(1, 2);
  auto bfs = run(g, 1, 2, 1);
  ASSERT_EQ(bfs.current(), path_search::state::found);
  EXPECT_EQ(bfs.path(), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(run(g, 1, 3, 10).current(), path_search::state::no_path);
}

TEST(path_search, stops_when_visiting_too_many) {
  auto g = troupe::test::erdos_renyi(2000, 8000, 2000, 3);
  uint32_t far = 2;
  while (far < 2000 && g.distance(1, far) < 4)
    ++far;
  ASSERT_LT(far, 2000u);
  auto bfs = run(g, 1, far, 10, 20);
  EXPECT_EQ(bfs.current(), path_search::state::too_large);
  // It stops after the level that passed the bound, long before the
  // 2000 people a full search would see.
  EXPECT_LT(bfs.visited(), 500u);
  EXPECT_EQ(run(g, 1, far, 10).current(), path_search::state::found);
}
