#pragma once

// Random graphs for the social graph's tests: Erdős–Rényi G(n, m) and a
// power-law graph by preferential attachment, plus a plain reference BFS.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace troupe::test {

/// Undirected graph on people 1..n as sorted adjacency lists.
struct graph {
  explicit graph(uint32_t people) : adj(people + 1) {
    // nop
  }
  std::vector<std::vector<uint32_t>> adj;
  std::vector<std::pair<uint32_t, uint32_t>> edges;

  void add(uint32_t a, uint32_t b) {
    if (a == b || std::binary_search(adj[a].begin(), adj[a].end(), b))
      return;
    adj[a].insert(std::upper_bound(adj[a].begin(), adj[a].end(), b), b);
    adj[b].insert(std::upper_bound(adj[b].begin(), adj[b].end(), a), a);
    edges.emplace_back(a, b);
  }

  /// Returns the length of a shortest path from s to t, -1 if none.
  int distance(uint32_t s, uint32_t t) const {
    std::vector<int> dist(adj.size(), -1);
    std::deque<uint32_t> queue{s};
    dist[s] = 0;
    while (!queue.empty()) {
      auto u = queue.front();
      queue.pop_front();
      if (u == t)
        return dist[u];
      for (auto v : adj[u])
        if (dist[v] < 0) {
          dist[v] = dist[u] + 1;
          queue.push_back(v);
        }
    }
    return -1;
  }

  bool friends(uint32_t a, uint32_t b) const {
    return std::binary_search(adj[a].begin(), adj[a].end(), b);
  }
};

/// G(n, m): m distinct random friendships among the first `connected`
/// people; people above `connected` stay alone (unreachable pairs).
inline graph erdos_renyi(uint32_t n, size_t m, uint32_t connected,
                         uint64_t seed) {
  graph g{n};
  std::mt19937_64 rng{seed};
  std::uniform_int_distribution<uint32_t> pick{1, connected};
  while (g.edges.size() < m)
    g.add(pick(rng), pick(rng));
  return g;
}

/// Preferential attachment (Barabási–Albert): each new person befriends
/// `k` people chosen with probability proportional to their degree, which
/// gives a power-law degree distribution with a few hubs. A second,
/// separate component of `island` people is attached the same way.
inline graph power_law(uint32_t n, uint32_t k, uint32_t island, uint64_t seed) {
  graph g{n};
  std::mt19937_64 rng{seed};
  auto grow = [&](uint32_t first, uint32_t last) {
    std::vector<uint32_t> ends; // each person once per friendship
    for (uint32_t p = first; p <= std::min(last, first + k); ++p)
      for (uint32_t q = first; q < p; ++q) {
        g.add(p, q);
        ends.push_back(p);
        ends.push_back(q);
      }
    for (uint32_t p = first + k + 1; p <= last; ++p) {
      std::set<uint32_t> chosen;
      while (chosen.size() < k)
        chosen.insert(ends[rng() % ends.size()]);
      for (auto q : chosen) {
        g.add(p, q);
        ends.push_back(p);
        ends.push_back(q);
      }
    }
  };
  grow(1, n - island);
  grow(n - island + 1, n);
  return g;
}

} // namespace troupe::test
