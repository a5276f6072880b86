// Social graph on a cluster of three: a random graph imported through one
// node answers friend searches the same through every node, as a plain BFS
// in the test computes them (a shortest path of the right length, made of
// real friendships, or 404 when the people are not connected within
// max_hops); the same after one node is killed (through the survivors,
// once its shards failed over) and again after it is back. Searches batch
// their messages: one per person server and level, not one per person.
#include "cluster.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include <xxhash.h>

using namespace troupe_cluster;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string api = "/social/api/v1/";

/// [social] shards (the default: the cluster config does not set it).
constexpr size_t social_shards = 64;
/// max_hops of friend_search when the query does not name it.
constexpr uint32_t default_hops = 6;

/// The person server of `id`, as the service places people.
size_t shard_of(uint32_t id) {
  auto key = std::to_string(id);
  return XXH64(key.data(), key.size(), 0) % social_shards;
}

/// An undirected graph of people (ids) with names, and plain BFS on it.
struct social_graph {
  std::unordered_map<uint32_t, std::vector<uint32_t>> friends;
  std::unordered_set<uint64_t> edges;
  std::map<uint32_t, std::string> names;

  static uint64_t key(uint32_t a, uint32_t b) {
    return (uint64_t{a} << 32) | b;
  }
  bool linked(uint32_t a, uint32_t b) const {
    return edges.count(key(a, b)) > 0;
  }
  void add_person(uint32_t id) { friends[id]; }
  /// Adds a friendship; false when it was there already.
  bool add(uint32_t a, uint32_t b) {
    if (a == b || linked(a, b))
      return false;
    edges.insert(key(a, b));
    edges.insert(key(b, a));
    friends[a].push_back(b);
    friends[b].push_back(a);
    return true;
  }
  /// Hops from `source` to everyone reachable.
  std::unordered_map<uint32_t, uint32_t> distances(uint32_t source) const {
    std::unordered_map<uint32_t, uint32_t> dist{{source, 0}};
    std::deque<uint32_t> queue{source};
    while (!queue.empty()) {
      auto x = queue.front();
      queue.pop_front();
      for (auto y : friends.at(x))
        if (dist.emplace(y, dist[x] + 1).second)
          queue.push_back(y);
    }
    return dist;
  }
};

/// What one search costs on the person servers, by the service's
/// algorithm (actors/troupe/social/search.cpp, path_search.cpp) replayed
/// on the test's graph: both directions expand a whole level at a time,
/// the smaller frontier first, one message per person server per level.
struct search_cost {
  /// Messages for the levels and for the names of source and target.
  size_t fixed_messages = 0;
  /// Names of the people between source and target: one message per
  /// person server among them (at most one per person).
  size_t path_names_max = 0;
  /// People both directions visited.
  size_t visited = 0;
  /// People whose friends were fetched.
  size_t expanded = 0;
  size_t levels = 0;
};

size_t servers_of(const std::vector<uint32_t>& ids) {
  std::set<size_t> used;
  for (auto id : ids)
    used.insert(shard_of(id));
  return used.size();
}

search_cost replay_search(const social_graph& g, uint32_t source,
                          uint32_t target, uint32_t max_hops) {
  search_cost cost;
  cost.fixed_messages = servers_of({source, target});
  if (source == target)
    return cost;
  struct side {
    std::unordered_map<uint32_t, uint32_t> seen; // person -> depth
    std::vector<uint32_t> frontier;
    uint32_t depth = 0;
  };
  side fwd;
  side bwd;
  fwd.seen[source] = 0;
  fwd.frontier = {source};
  bwd.seen[target] = 0;
  bwd.frontier = {target};
  bool forward = true;
  for (;;) {
    auto& mine = forward ? fwd : bwd;
    auto& other = forward ? bwd : fwd;
    cost.fixed_messages += servers_of(mine.frontier);
    cost.expanded += mine.frontier.size();
    ++cost.levels;
    std::vector<uint32_t> next;
    uint32_t meet_len = 0;
    for (auto who : mine.frontier)
      for (auto y : g.friends.at(who)) {
        if (!mine.seen.emplace(y, mine.depth + 1).second)
          continue;
        next.push_back(y);
        if (auto hit = other.seen.find(y); hit != other.seen.end()) {
          auto len = mine.depth + 1 + hit->second;
          if (meet_len == 0 || len < meet_len)
            meet_len = len;
        }
      }
    ++mine.depth;
    mine.frontier = std::move(next);
    if (meet_len != 0) {
      if (meet_len <= max_hops)
        cost.path_names_max = meet_len - 1;
      break;
    }
    if (fwd.depth + bwd.depth >= max_hops || mine.frontier.empty())
      break;
    forward = fwd.frontier.size() <= bwd.frontier.size();
  }
  cost.visited = fwd.seen.size() + bwd.seen.size();
  return cost;
}

/// One friend_search the test asks, with the reference answer.
struct query {
  uint32_t source = 0;
  uint32_t target = 0;
  /// 0: the query leaves max_hops out (the default applies).
  uint32_t max_hops = 0;
  /// Shortest path length, or -1 when not connected.
  long hops = -1;

  uint32_t limit() const { return max_hops == 0 ? default_hops : max_hops; }
  bool found() const { return hops >= 0 && hops <= static_cast<long>(limit()); }
  std::string target_path() const {
    auto t = api + "friend_search?source_id=" + std::to_string(source) +
             "&person_id=" + std::to_string(target);
    if (max_hops != 0)
      t += "&max_hops=" + std::to_string(max_hops);
    return t;
  }
  std::string describe() const {
    return std::to_string(source) + " -> " + std::to_string(target) +
           " (max_hops " + std::to_string(limit()) + ", BFS: " +
           (hops < 0 ? std::string{"not connected"} : std::to_string(hops)) +
           ")";
  }
};

/// "" when `r` is the right answer to `q` on `g`, else what is wrong.
std::string check_answer(const social_graph& g, const query& q,
                         const http_response& r) {
  if (!q.found()) {
    if (r.status == 404 && r.error_code() == "not_found")
      return {};
    return "expected 404 not_found, got " + std::to_string(r.status) + " " +
           r.body;
  }
  if (r.status != 200)
    return "expected 200, got " + std::to_string(r.status) + " " + r.body;
  auto path = r.body_json();
  if (!path.is_array() || path.size() != static_cast<size_t>(q.hops) + 1)
    return "expected a path of " + std::to_string(q.hops + 1) +
           " people, got " + r.body;
  std::vector<uint32_t> ids;
  for (const auto& p : path) {
    if (!p.is_object() || !p["person_id"].is_number_unsigned() ||
        !p["name"].is_string() || !p["link"].is_string())
      return "malformed person " + p.dump();
    auto id = p["person_id"].get<uint32_t>();
    auto name = g.names.count(id) ? g.names.at(id) : std::string{};
    if (p["name"] != name)
      return "person " + std::to_string(id) + " has name " + p["name"].dump() +
             ", not \"" + name + "\"";
    if (p["link"] != api + "person?person_id=" + std::to_string(id))
      return "bad link " + p.dump();
    ids.push_back(id);
  }
  if (ids.front() != q.source || ids.back() != q.target)
    return "path does not run from source to target: " + r.body;
  for (size_t i = 0; i + 1 < ids.size(); ++i)
    if (!g.linked(ids[i], ids[i + 1]))
      return std::to_string(ids[i]) + " and " + std::to_string(ids[i + 1]) +
             " are not friends: " + r.body;
  return {};
}

/// A friend_search answer that may come while shards fail over: 503
/// (shard unavailable) or 504 (a person server did not answer in time).
bool transient(const http_response& r) {
  return r.status == 503 || r.status == 504 || r.status == 0;
}

double metric(uint16_t port, const std::string& series) {
  return troupe_e2e::metric_value(send(port, "GET", "/metrics").body, series);
}

/// The random graph of the test and the queries on it.
class clusterSocial : public fresh_cluster_test {
protected:
  void SetUp() override {
    fresh_cluster_test::SetUp();
    if (HasFatalFailure())
      return;
    generate();
  }

  /// Fresh person ids from the whole range (1 and 2^32 - 1 included).
  uint32_t new_id() {
    for (;;) {
      auto id = static_cast<uint32_t>(rng_());
      if (id != 0 && used_.insert(id).second)
        return id;
    }
  }

  std::vector<uint32_t> people(size_t n) {
    std::vector<uint32_t> out;
    for (size_t i = 0; i < n; ++i)
      out.push_back(new_id());
    return out;
  }

  uint32_t pick(const std::vector<uint32_t>& from) {
    return from[rng_() % from.size()];
  }

  /// A connected random graph on `ids`: a random tree plus `extra` edges.
  void connect(const std::vector<uint32_t>& ids, size_t extra) {
    for (size_t i = 1; i < ids.size(); ++i)
      add_edge(ids[i], ids[rng_() % i]);
    for (size_t k = 0; k < extra; ++k)
      add_edge(pick(ids), pick(ids));
  }

  void add_edge(uint32_t a, uint32_t b) {
    if (a == b)
      return;
    if (g_.add(a, b))
      lines_.emplace_back(a, b);
  }

  void generate() {
    used_ = {1u, 4294967295u};
    core_ = people(2500);
    core_[7] = 1;
    core_[1234] = 4294967295u;
    connect(core_, 5000);
    // Tails: chains hanging off the core, for paths longer than 6 and 10.
    for (int t = 0; t < 4; ++t) {
      auto at = pick(core_);
      auto chain = people(9);
      tail_ends_.push_back(chain.back());
      add_edge(at, chain[0]);
      for (size_t i = 0; i + 1 < chain.size(); ++i)
        add_edge(chain[i], chain[i + 1]);
      core_.insert(core_.end(), chain.begin(), chain.end());
    }
    // A second component, and people without friends (created by POST).
    island_ = people(300);
    connect(island_, 300);
    loners_ = people(6);
    for (auto id : loners_)
      g_.add_person(id);
    // Names for some people.
    for (int k = 0; k < 60; ++k) {
      auto id = pick(k % 3 == 0 ? island_ : core_);
      g_.names[id] = "Person " + std::to_string(k) + " \xC3\xA9";
    }
    for (size_t k = 0; k < loners_.size(); ++k)
      g_.names[loners_[k]] = "Loner " + std::to_string(k);

    // The queries: random pairs, long ones, unreachable ones.
    auto add_query = [&](uint32_t s, uint32_t t, uint32_t max_hops) {
      query q{s, t, max_hops, -1};
      auto d = g_.distances(s);
      if (auto i = d.find(t); i != d.end())
        q.hops = i->second;
      queries_.push_back(q);
    };
    for (int k = 0; k < 28; ++k)
      add_query(pick(core_), pick(core_), k % 4 == 0 ? 0 : 10);
    for (auto end : tail_ends_) {
      add_query(end, pick(core_), 10);
      add_query(pick(core_), end, 0);
    }
    add_query(tail_ends_[0], tail_ends_[1], 10); // likely beyond 10
    add_query(tail_ends_[2], tail_ends_[3], 10);
    for (int k = 0; k < 4; ++k)
      add_query(pick(island_), pick(island_), 10);
    add_query(pick(core_), pick(island_), 10);
    add_query(pick(island_), pick(core_), 0);
    add_query(loners_[0], pick(core_), 10);
    add_query(pick(island_), loners_[1], 10);
    add_query(loners_[2], loners_[3], 10);
    add_query(1, 4294967295u, 10);
    auto self = pick(core_);
    add_query(self, self, 0);
    add_query(loners_[4], loners_[4], 3);
    ASSERT_GE(queries_.size(), 50u);
  }

  /// The import body: every friendship once, some written twice (both
  /// ways round), in random order.
  std::string edge_list() {
    auto lines = lines_;
    for (size_t k = 0; k < 200; ++k) {
      auto [a, b] = lines_[rng_() % lines_.size()];
      lines.emplace_back(b, a);
    }
    std::shuffle(lines.begin(), lines.end(), rng_);
    std::string out = "# generated by social_cluster_test\n";
    for (auto [a, b] : lines)
      out += std::to_string(a) + " " + std::to_string(b) + "\n";
    duplicate_lines_ = lines.size() - lines_.size();
    return out;
  }

  /// Imports the graph through node `via` and names people through the
  /// nodes in turn.
  void load(size_t via) {
    auto body = edge_list();
    auto r = send(c().port(via), "POST", api + "import", body);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.body_json();
    EXPECT_EQ(j["edges"], lines_.size() + duplicate_lines_) << r.body;
    EXPECT_EQ(j["people_created"], g_.friends.size() - loners_.size())
        << r.body;
    // Names, the loners' included (they exist only by name).
    EXPECT_EQ(j["rejected_count"], 0) << r.body;
    size_t k = 0;
    for (const auto& [id, name] : g_.names) {
      auto p = send(c().port(k++ % c().size()), "POST", api + "person",
                    json{{"person_id", id}, {"name", name}}.dump());
      ASSERT_EQ(p.status, 201) << id << ": " << p.body;
      EXPECT_EQ(p.body_json()["friends"], g_.friends.at(id).size()) << p.body;
    }
  }

  /// Asks every query through every node of `via`; 503 and 504 are
  /// retried until `deadline` (none, when it is in the past).
  void expect_answers(const std::vector<size_t>& via,
                      clock_type::time_point deadline,
                      const std::string& when) {
    for (auto node : via)
      for (const auto& q : queries_) {
        auto r = send(c().port(node), "GET", q.target_path());
        while (transient(r) && clock_type::now() < deadline) {
          ++retries_;
          std::this_thread::sleep_for(50ms);
          r = send(c().port(node), "GET", q.target_path());
        }
        auto wrong = check_answer(g_, q, r);
        EXPECT_EQ(wrong, "")
            << when << ", through " << c().name(node) << ": " << q.describe();
      }
  }

  /// Expects GET person to show each of a sample the same through `via`.
  void expect_people(const std::vector<size_t>& via,
                     clock_type::time_point deadline) {
    std::vector<uint32_t> sample{1, 4294967295u, loners_[0], island_[0],
                                 tail_ends_[0]};
    for (const auto& [id, name] : g_.names)
      if (sample.size() < 30)
        sample.push_back(id);
    for (auto node : via)
      for (auto id : sample) {
        auto target = api + "person?person_id=" + std::to_string(id);
        auto r = send(c().port(node), "GET", target);
        while (transient(r) && clock_type::now() < deadline) {
          std::this_thread::sleep_for(50ms);
          r = send(c().port(node), "GET", target);
        }
        auto name = g_.names.count(id) ? g_.names.at(id) : std::string{};
        EXPECT_EQ(r.status, 200)
            << id << " via " << c().name(node) << ": " << r.body;
        EXPECT_EQ(r.body_json(), (json{{"person_id", id},
                                       {"name", name},
                                       {"friends", g_.friends.at(id).size()}}))
            << id << " via " << c().name(node);
      }
  }

  std::mt19937_64 rng_{20261206};
  std::set<uint32_t> used_;
  social_graph g_;
  std::vector<std::pair<uint32_t, uint32_t>> lines_;
  size_t duplicate_lines_ = 0;
  std::vector<uint32_t> core_;
  std::vector<uint32_t> tail_ends_;
  std::vector<uint32_t> island_;
  std::vector<uint32_t> loners_;
  std::vector<query> queries_;
  /// 503 and 504 answers retried so far.
  size_t retries_ = 0;
};

} // namespace

TEST_F(clusterSocial, SearchesMatchBfsThroughEveryNodeAcrossAKillAndRestart) {
  // The reference covers every kind of answer.
  size_t found = 0, beyond = 0, apart = 0;
  for (const auto& q : queries_)
    (q.found() ? found : q.hops < 0 ? apart : beyond)++;
  ASSERT_GT(found, 30u);
  ASSERT_GT(beyond, 0u) << "no pair connected only beyond max_hops";
  ASSERT_GE(apart, 5u);
  std::printf("[ social ] %zu people, %zu friendships, %zu queries: %zu "
              "found, %zu beyond max_hops, %zu not connected\n",
              g_.friends.size(), lines_.size(), queries_.size(), found, beyond,
              apart);

  ASSERT_NO_FATAL_FAILURE(load(0));

  // -- every node up ----------------------------------------------------------
  std::vector<size_t> all{0, 1, 2};
  std::vector<double> searches(3), messages(3);
  for (auto i : all) {
    searches[i] = metric(c().port(i), "troupe_social_searches_total");
    messages[i] = metric(c().port(i), "troupe_social_search_messages_total");
  }
  auto started = clock_type::now();
  expect_answers(all, started, "with every node up");
  RecordProperty("all_up_ms", std::to_string(elapsed_ms(started)));
  expect_people(all, started);

  // Messages: one per person server and level (plus names), far fewer than
  // the people the searches visited.
  search_cost total;
  size_t path_names = 0;
  size_t answered_paths = 0;
  for (const auto& q : queries_) {
    auto cost = replay_search(g_, q.source, q.target, q.limit());
    total.fixed_messages += cost.fixed_messages;
    total.visited += cost.visited;
    total.expanded += cost.expanded;
    total.levels += cost.levels;
    path_names += cost.path_names_max;
    answered_paths += cost.path_names_max > 0 ? 1 : 0;
  }
  for (auto i : all) {
    auto n = metric(c().port(i), "troupe_social_searches_total") - searches[i];
    auto sent = metric(c().port(i), "troupe_social_search_messages_total") -
                messages[i];
    EXPECT_EQ(n, static_cast<double>(queries_.size())) << c().name(i);
    EXPECT_GE(sent, static_cast<double>(total.fixed_messages + answered_paths))
        << c().name(i);
    EXPECT_LE(sent, static_cast<double>(total.fixed_messages + path_names))
        << c().name(i);
    EXPECT_LE(sent, static_cast<double>(social_shards * (total.levels + 2) *
                                        queries_.size()))
        << c().name(i);
    EXPECT_LT(sent, static_cast<double>(total.visited)) << c().name(i);
    // Even fewer than the people whose friends were fetched (deterministic
    // for this graph: the bounds above are exact up to the path names).
    EXPECT_LT(sent, static_cast<double>(total.expanded)) << c().name(i);
    std::printf("[ social ] through %s: %zu searches sent %.0f messages "
                "(%zu levels; %zu people expanded, %zu visited)\n",
                c().name(i).c_str(), queries_.size(), sent, total.levels,
                total.expanded, total.visited);
  }

  // -- one node killed --------------------------------------------------------
  const size_t victim = 2;
  const std::vector<size_t> survivors{0, 1};
  c().node(victim).kill9();
  ASSERT_TRUE(c().wait_seen(survivors, victim, "down", clock_type::now() + 10s))
      << "n3 not seen down";
  auto failover_deadline =
      clock_type::now() + c().settings().failover_allowance();
  started = clock_type::now();
  expect_answers(survivors, failover_deadline, "with n3 killed");
  RecordProperty("failover_ms", std::to_string(elapsed_ms(started)));
  std::printf("[ social ] n3 killed: answers through n1 and n2 in %lld ms, "
              "%zu answers 503/504 retried\n",
              elapsed_ms(started), retries_);
  expect_people(survivors, failover_deadline);

  // Writes through the survivors while n3 is down: a new person joins the
  // core and leaves the island.
  auto newcomer = new_id();
  auto anchor = core_[42];
  auto leaver = island_[5];
  auto write = [&](size_t via, const std::string& method,
                   const std::string& target, const json& body, int status) {
    auto r = send(c().port(via), method, api + target, body.dump());
    while (transient(r) && clock_type::now() < failover_deadline) {
      std::this_thread::sleep_for(50ms);
      r = send(c().port(via), method, api + target, body.dump());
    }
    EXPECT_EQ(r.status, status) << method << " " << target << " via "
                                << c().name(via) << ": " << r.body;
  };
  write(0, "POST", "person", {{"person_id", newcomer}, {"name", "Newcomer"}},
        201);
  write(1, "POST", "friendship",
        {{"person_id", newcomer}, {"friend_id", anchor}}, 204);
  for (auto f : std::vector<uint32_t>(g_.friends.at(leaver)))
    write(f % 2, "DELETE", "friendship",
          {{"person_id", leaver}, {"friend_id", f}}, 204);
  g_.names[newcomer] = "Newcomer";
  g_.add(newcomer, anchor);
  for (auto f : g_.friends.at(leaver)) {
    g_.edges.erase(social_graph::key(leaver, f));
    g_.edges.erase(social_graph::key(f, leaver));
    auto& back = g_.friends.at(f);
    back.erase(std::remove(back.begin(), back.end(), leaver), back.end());
  }
  g_.friends.at(leaver).clear();
  // Their queries, with the reference recomputed.
  std::vector<query> more{{newcomer, pick(core_), 10, -1},
                          {pick(core_), newcomer, 0, -1},
                          {newcomer, anchor, 1, -1},
                          {leaver, pick(island_), 10, -1},
                          {pick(island_), leaver, 10, -1}};
  queries_.insert(queries_.end(), more.begin(), more.end());
  for (auto& q : queries_) {
    auto d = g_.distances(q.source);
    auto i = d.find(q.target);
    q.hops = i == d.end() ? -1 : static_cast<long>(i->second);
  }
  expect_answers(survivors, failover_deadline, "after writes with n3 killed");

  // -- the node back ----------------------------------------------------------
  ASSERT_TRUE(c().node(victim).restart()); // same ports, same data dir
  auto back_deadline = clock_type::now() + 20s;
  ASSERT_TRUE(c().wait_seen(all, victim, "up", back_deadline));
  for (auto i : survivors)
    ASSERT_TRUE(c().wait_seen({victim}, i, "up", back_deadline)) << c().name(i);
  ASSERT_TRUE(c().wait_preferred(0));
  started = clock_type::now();
  expect_answers(all, clock_type::now() + c().settings().failover_allowance(),
                 "after n3 came back");
  RecordProperty("back_ms", std::to_string(elapsed_ms(started)));
  std::printf("[ social ] n3 back: answers through every node in %lld ms, "
              "%zu answers 503/504 retried in all\n",
              elapsed_ms(started), retries_);
  expect_people(all, clock_type::now() + c().settings().failover_allowance());
}
