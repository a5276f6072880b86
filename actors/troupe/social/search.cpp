#include "troupe/social/search.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/social/messages.hpp"
#include "troupe/social/path_search.hpp"
#include "troupe/social/service.hpp"

namespace troupe::social {

namespace {

using runtime::errc;
using runtime::make_error;
using id_list = std::vector<person_id>;

struct run_state {
  explicit run_state(search_env e) : env(std::move(e)) {
    // nop
  }
  search_env env;
  caf::response_promise rp;
  person_id source = 0;
  person_id target = 0;
  uint32_t max_hops = 0;
  std::unique_ptr<path_search> bfs;
  /// Every person whose name is known (source, target, then the path).
  std::unordered_map<person_id, person_view> known;
};

using run_ptr = std::shared_ptr<run_state>;

/// Groups `ids` by person server: (shard, its ids) for each shard used.
std::vector<std::pair<uint16_t, id_list>> by_shard(const id_list& ids,
                                                   size_t shards) {
  std::vector<id_list> groups(shards);
  for (auto id : ids)
    groups[shard_of_person(id, shards)].push_back(id);
  std::vector<std::pair<uint16_t, id_list>> out;
  for (size_t i = 0; i < shards; ++i)
    if (!groups[i].empty())
      out.emplace_back(static_cast<uint16_t>(i), std::move(groups[i]));
  return out;
}

/// Sends `(xs...)` to person server `idx`: straight to it when it runs
/// here, through the region otherwise.
template <class... Ts>
auto ask_shard(caf::event_based_actor* self, const run_ptr& run, uint16_t idx,
               const Ts&... xs) {
  ++run->env.board->messages;
  auto local = run->env.status ? run->env.status->shard_at(idx) : caf::actor{};
  if (local)
    return self->request(local, run->env.timeout, xs...);
  return self->request(run->env.region, run->env.timeout,
                       runtime::to_shard_atom::value, idx,
                       caf::make_message(xs...));
}

void finish(caf::event_based_actor* self, const run_ptr& run,
            caf::message result) {
  if (run->rp.pending())
    run->rp.deliver(std::move(result));
  self->quit();
}

void fail(caf::event_based_actor* self, const run_ptr& run, caf::error err) {
  if (run->rp.pending())
    run->rp.deliver(std::move(err));
  self->quit();
}

/// Fetches the names of `ids`, then calls `then()`.
template <class F>
void fetch_names(caf::event_based_actor* self, const run_ptr& run,
                 const id_list& ids, F then) {
  auto groups = by_shard(ids, run->env.shards);
  if (groups.empty())
    return then();
  auto pending = std::make_shared<size_t>(groups.size());
  for (auto& [idx, group] : groups)
    ask_shard(self, run, idx, names_atom::value, group)
        .then(
            [run, pending, then](std::vector<person_view>& people) mutable {
              for (auto& p : people)
                run->known[p.id] = std::move(p);
              if (--*pending == 0)
                then();
            },
            [self, run](caf::error& err) { fail(self, run, std::move(err)); });
}

void step(caf::event_based_actor* self, const run_ptr& run);

void expand_level(caf::event_based_actor* self, const run_ptr& run) {
  auto groups = by_shard(run->bfs->frontier(), run->env.shards);
  auto pending = std::make_shared<size_t>(groups.size());
  for (auto& [idx, group] : groups) {
    auto ids = std::make_shared<const id_list>(std::move(group));
    ask_shard(self, run, idx, neighbors_atom::value, *ids)
        .then(
            [self, run, pending, ids](std::vector<uint32_t>& counts,
                                      id_list& friends) {
              const person_id* next = friends.data();
              auto n = std::min(counts.size(), ids->size());
              for (size_t i = 0; i < n; ++i) {
                auto end = next + std::min<size_t>(counts[i],
                                                   friends.data() +
                                                       friends.size() - next);
                run->bfs->expand((*ids)[i], next, end);
                next = end;
              }
              if (--*pending > 0)
                return;
              run->bfs->end_level();
              step(self, run);
            },
            [self, run](caf::error& err) { fail(self, run, std::move(err)); });
  }
}

void answer_path(caf::event_based_actor* self, const run_ptr& run) {
  id_list missing;
  for (auto id : run->bfs->path())
    if (run->known.count(id) == 0)
      missing.push_back(id);
  fetch_names(self, run, missing, [self, run] {
    std::vector<person_view> path;
    for (auto id : run->bfs->path()) {
      auto i = run->known.find(id);
      // A person on the path always exists: a friend list names only
      // people an import or a POST created.
      path.push_back(i != run->known.end() ? i->second
                                           : person_view{id, {}, 0});
    }
    finish(self, run, caf::make_message(std::move(path)));
  });
}

void step(caf::event_based_actor* self, const run_ptr& run) {
  switch (run->bfs->current()) {
  case path_search::state::expand:
    return expand_level(self, run);
  case path_search::state::found:
    return answer_path(self, run);
  case path_search::state::no_path:
    return fail(self, run,
                make_error(errc::not_found,
                           "no path from " + std::to_string(run->source) +
                               " to " + std::to_string(run->target) +
                               " within " + std::to_string(run->max_hops) +
                               " hops"));
  case path_search::state::too_large:
    return fail(
        self, run,
        make_error(errc::timeout, "friend search stopped after visiting " +
                                      std::to_string(run->bfs->visited()) +
                                      " people (social.search_max_visited)"));
  }
}

void start(caf::event_based_actor* self, const run_ptr& run) {
  fetch_names(self, run, {run->source, run->target}, [self, run] {
    for (auto id : {run->source, run->target})
      if (run->known.count(id) == 0)
        return fail(
            self, run,
            make_error(errc::not_found, "no person " + std::to_string(id)));
    run->bfs = std::make_unique<path_search>(
        run->source, run->target, run->max_hops, run->env.max_visited);
    step(self, run);
  });
}

} // namespace

caf::behavior search_actor(caf::event_based_actor* self, search_env env) {
  auto run = std::make_shared<run_state>(std::move(env));
  return {
      [self, run](search_atom, person_id source, person_id target,
                  uint32_t max_hops) -> caf::result<caf::message> {
        run->rp = self->make_response_promise();
        run->source = source;
        run->target = target;
        run->max_hops = max_hops;
        ++run->env.board->searches;
        self->delayed_send(self, run->env.timeout, deadline_atom::value);
        start(self, run);
        return run->rp;
      },
      [self, run](deadline_atom) {
        fail(self, run,
             make_error(errc::timeout,
                        "friend search took longer than " +
                            std::to_string(run->env.timeout.count()) +
                            " ms (social.search_timeout_ms)"));
      },
  };
}

} // namespace troupe::social
