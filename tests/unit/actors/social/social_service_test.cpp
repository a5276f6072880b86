// The social graph on a real node (real actors, real LMDB, eight person
// servers): imports through the importer, friend searches through search
// actors checked against a plain BFS on random graphs, people and
// friendships surviving a restart, and the errors users see.

#include "troupe/social/service.hpp"

#include <gtest/gtest.h>

#include <random>

#include <caf/all.hpp>

#include "../../runtime/test_node.hpp"
#include "graph_gen.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/services.hpp"
#include "troupe/social/messages.hpp"

using namespace troupe;
using namespace troupe::social;
using troupe::test::ask;
using troupe::test::graph;

namespace {

config::node_config quick_config() {
  auto cfg = test::test_node::small_config();
  cfg.social.shards = 8;
  return cfg;
}

runtime::errc code_of(const caf::error& err) {
  return static_cast<runtime::errc>(err.code());
}

struct social_service : ::testing::Test {
  social_service() : node(quick_config(), services::register_types) {
    svc = social::start(*node);
  }

  void import(const graph& g) {
    std::vector<person_id> pairs;
    for (auto [a, b] : g.edges) {
      pairs.push_back(a);
      pairs.push_back(b);
    }
    caf::scoped_actor self{node->system()};
    uint64_t halves = 0;
    self->request(svc.importer, caf::infinite, batch_atom::value, pairs)
        .receive([&](uint64_t new_halves, uint64_t) { halves = new_halves; },
                 [&](caf::error& err) { FAIL() << to_string(err); });
    EXPECT_EQ(halves, 2 * g.edges.size());
  }

  caf::expected<std::vector<person_view>> search(person_id s, person_id t,
                                                 uint32_t hops) {
    return ask<std::vector<person_view>>(*node, svc.spawn_search(),
                                         search_atom::value, s, t, hops);
  }

  /// Checks searches of random pairs against the reference BFS.
  void check_against(const graph& g, uint32_t n, uint64_t seed, int pairs) {
    std::mt19937_64 rng{seed};
    int unreachable = 0;
    for (int i = 0; i < pairs; ++i) {
      uint32_t s = 1 + rng() % n;
      uint32_t t = 1 + rng() % n;
      // Lonely people were never imported: skip pairs naming them.
      if (g.adj[s].empty() || g.adj[t].empty())
        continue;
      auto d = g.distance(s, t);
      uint32_t hops = 1 + rng() % 10;
      auto path = search(s, t, hops);
      if (d < 0 || static_cast<uint32_t>(d) > hops) {
        ASSERT_FALSE(path) << s << " -> " << t;
        EXPECT_EQ(code_of(path.error()), runtime::errc::not_found);
        unreachable += d < 0;
        continue;
      }
      ASSERT_TRUE(path) << s << " -> " << t << ": " << to_string(path.error());
      ASSERT_EQ(path->size(), static_cast<size_t>(d) + 1) << s << " -> " << t;
      EXPECT_EQ(path->front().id, s);
      EXPECT_EQ(path->back().id, t);
      for (size_t j = 1; j < path->size(); ++j)
        EXPECT_TRUE(g.friends((*path)[j - 1].id, (*path)[j].id));
    }
    EXPECT_GT(unreachable, 0);
  }

  test::test_node node;
  social::service svc;
};

} // namespace

TEST_F(social_service, searches_equal_reference_bfs_on_random_graphs) {
  auto er = troupe::test::erdos_renyi(3000, 4500, 2700, 21);
  import(er);
  check_against(er, 3000, 1, 200);
}

TEST_F(social_service, searches_equal_reference_bfs_on_a_power_law_graph) {
  auto pl = troupe::test::power_law(5000, 2, 500, 9);
  import(pl);
  check_against(pl, 5000, 2, 200);
}

TEST_F(social_service, people_and_friendships_survive_a_restart) {
  auto created = ask<person_view>(*node, svc.route(1), person_atom::value,
                                  person_id{1}, std::string{"Ann"});
  ASSERT_TRUE(created);
  auto g = troupe::test::erdos_renyi(500, 1500, 500, 4);
  import(g);
  auto before = search(1, 400, 10);
  ASSERT_TRUE(before);
  node.restart();
  svc = social::start(*node);
  auto ann =
      ask<person_view>(*node, svc.route(1), get_atom::value, person_id{1});
  ASSERT_TRUE(ann) << to_string(ann.error());
  EXPECT_EQ(ann->name, "Ann");
  EXPECT_EQ(ann->friends, g.adj[1].size());
  auto after = search(1, 400, 10);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), before->size());
  EXPECT_EQ(after->front().name, "Ann");
}

TEST_F(social_service, unknown_people_and_conflicts_are_errors) {
  ASSERT_TRUE(ask<person_view>(*node, svc.route(5), person_atom::value,
                               person_id{5}, std::string{"Eve"}));
  auto dup = ask<person_view>(*node, svc.route(5), person_atom::value,
                              person_id{5}, std::string{"Eve"});
  ASSERT_FALSE(dup);
  EXPECT_EQ(code_of(dup.error()), runtime::errc::conflict);
  auto link = ask<ok_atom>(*node, svc.route(6), link_atom::value, person_id{6},
                           person_id{5});
  ASSERT_FALSE(link);
  EXPECT_EQ(code_of(link.error()), runtime::errc::not_found);
  auto path = search(5, 6, 6);
  ASSERT_FALSE(path);
  EXPECT_EQ(code_of(path.error()), runtime::errc::not_found);
  auto self = search(5, 5, 6);
  ASSERT_TRUE(self);
  ASSERT_EQ(self->size(), 1u);
  EXPECT_EQ(self->front().name, "Eve");
}

TEST_F(social_service, a_search_visiting_more_than_the_bound_answers_timeout) {
  auto g = troupe::test::erdos_renyi(2000, 8000, 2000, 3);
  import(g);
  uint32_t far = 2;
  while (far < 2000 && g.distance(1, far) < 4)
    ++far;
  ASSERT_LT(far, 2000u);
  auto env = search_env{
      svc.region, svc.status,  svc.settings.shards, std::chrono::seconds(10),
      20,         svc.searches};
  auto searcher = node->system().spawn(search_actor, env);
  auto r = ask<std::vector<person_view>>(*node, searcher, search_atom::value,
                                         person_id{1}, far, uint32_t{10});
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), runtime::errc::timeout);
  EXPECT_NE(runtime::error_message(r.error()).find("search_max_visited"),
            std::string::npos);
}

TEST_F(social_service, a_search_past_its_time_budget_answers_timeout) {
  // Person servers that never answer: only the deadline can end the search.
  auto mute =
      node->system().spawn([](caf::event_based_actor* self) -> caf::behavior {
        // Takes every request and keeps it unanswered.
        auto held = std::make_shared<std::vector<caf::response_promise>>();
        self->set_default_handler(
            [self, held](caf::scheduled_actor*,
                         caf::message_view&) -> caf::result<caf::message> {
              held->push_back(self->make_response_promise());
              return held->back();
            });
        // Any behavior keeps the actor alive; all else takes the handler above.
        return {[](ok_atom) {}};
      });
  auto env = search_env{mute, nullptr,     4, std::chrono::milliseconds(50),
                        1000, svc.searches};
  auto started = std::chrono::steady_clock::now();
  auto r = ask<std::vector<person_view>>(
      *node, node->system().spawn(search_actor, env), search_atom::value,
      person_id{1}, person_id{2}, uint32_t{6});
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), runtime::errc::timeout)
      << runtime::error_message(r.error());
  EXPECT_NE(runtime::error_message(r.error()).find("search_timeout_ms"),
            std::string::npos);
  EXPECT_GE(std::chrono::steady_clock::now() - started,
            std::chrono::milliseconds(50));
  caf::anon_send_exit(mute, caf::exit_reason::user_shutdown);
}
