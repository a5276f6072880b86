#include "troupe/runtime/stats_actors.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>

#include "troupe/net/http_client.hpp"
#include "troupe/runtime/clock.hpp"
#include "troupe/runtime/cluster_snapshot.hpp"
#include "troupe/runtime/node.hpp"

namespace troupe::runtime {

namespace {

using nlohmann::json;
using sample_atom = caf::atom_constant<caf::atom("sample")>;
using peer_atom = caf::atom_constant<caf::atom("pstats")>;
using gather_timeout_atom = caf::atom_constant<caf::atom("gtimeout")>;

/// How long the front waits for another node's history.
constexpr auto peer_timeout = std::chrono::milliseconds(1500);

// -- sampler ------------------------------------------------------------------

struct sampler_state {
  node* n = nullptr;
  std::shared_ptr<stats_history> history;
  std::chrono::milliseconds every{1000};
  cluster_snapshot last;
};

using sampler_actor = caf::stateful_actor<sampler_state>;

void sample(sampler_state& st) {
  auto r = read_stats(st.n->metrics());
  read_process(r);
  auto t = unix_now_ms();
  st.history->add(std::move(r), t);
  auto snap = snapshot_cluster(*st.n);
  for (auto& e : diff_snapshots(st.last, snap, t))
    st.history->add_event(std::move(e));
  st.last = std::move(snap);
}

caf::behavior sampler(sampler_actor* self, node* n,
                      std::shared_ptr<stats_history> history,
                      std::chrono::milliseconds every) {
  auto& st = self->state;
  st.n = n;
  st.history = std::move(history);
  st.every = every;
  st.history->add_event(
      {unix_now_ms(), "started", n->config().self + " started"});
  self->send(self, sample_atom::value);
  return {
      [self](sample_atom) {
        sample(self->state);
        self->delayed_send(self, self->state.every, sample_atom::value);
      },
  };
}

// -- front --------------------------------------------------------------------

struct gathering {
  caf::typed_response_promise<std::string> rp;
  int64_t since = 0;
  size_t waiting = 0;
  /// node -> its history's JSON, or why there is none ("!" + reason)
  std::map<std::string, std::string> answers;
};

struct front_state {
  node* n = nullptr;
  std::shared_ptr<stats_history> history;
  std::unique_ptr<net::http_client> client;
  uint64_t next_id = 0;
  std::unordered_map<uint64_t, gathering> pending;
};

using front_actor = caf::stateful_actor<front_state>;

/// The node's own cluster view, each node's history in its row.
std::string render_cluster(const node& n, gathering& g) {
  const auto& rt = n.config().runtime;
  auto out = cluster_json(n);
  for (auto& row : out["nodes"]) {
    const auto& text = g.answers[row.value("name", "")];
    row["stats"] = nullptr;
    if (text.empty() || text[0] == '!') {
      row["error"] = text.empty() ? "no answer in time" : text.substr(1);
    } else if (auto stats = json::parse(text, nullptr, false);
               stats.is_object()) {
      row["stats"] = std::move(stats);
    } else {
      row["error"] = "malformed answer";
    }
  }
  out["events"] = merge_events(out["nodes"]);
  out["now"] = unix_now_ms();
  out["interval_ms"] = rt.stats_interval.count();
  out["history_s"] = rt.stats_history_s;
  return out.dump();
}

void finish(front_actor* self, uint64_t id) {
  auto i = self->state.pending.find(id);
  if (i == self->state.pending.end())
    return;
  auto g = std::move(i->second);
  self->state.pending.erase(i);
  g.rp.deliver(render_cluster(*self->state.n, g));
}

/// Asks node `entry` for its history since `since`.
void ask_peer(front_actor* self, uint64_t id, const config::node_entry& entry,
              int64_t since) {
  net::http_request req;
  req.url = "http://" + entry.http.to_string() +
            "/api/v1/stats?scope=node&since=" + std::to_string(since);
  req.connect_timeout = peer_timeout;
  req.timeout = peer_timeout;
  req.max_response_bytes = 16u << 20;
  auto me = caf::actor_cast<caf::actor>(self);
  if (!self->state.client) // one I/O thread, only where there are peers
    self->state.client = std::make_unique<net::http_client>();
  self->state.client->send(
      std::move(req), [me, id, name = entry.name](net::http_response res) {
        std::string text;
        if (!res.ok())
          text = "!" + res.error_text;
        else if (res.status != 200)
          text = "!HTTP " + std::to_string(res.status);
        else
          text = std::move(res.body);
        caf::anon_send(me, peer_atom::value, id, name, std::move(text));
      });
}

caf::result<std::string> gather(front_actor* self, int64_t since) {
  auto& st = self->state;
  auto id = st.next_id++;
  auto& g = st.pending[id];
  g.rp = self->make_response_promise<std::string>();
  g.since = since;
  const auto& cfg = st.n->config();
  const auto& members = st.n->members();
  auto view = members ? members->view() : nullptr;
  for (const auto& entry : cfg.nodes) {
    if (entry.name == cfg.self) {
      g.answers[entry.name] = st.history->render(since);
      continue;
    }
    const auto* m = view ? view->find(entry.name) : nullptr;
    if (m != nullptr && !m->up) {
      g.answers[entry.name] = "!down";
      continue;
    }
    ++g.waiting;
    ask_peer(self, id, entry, since);
  }
  auto rp = g.rp;
  if (g.waiting == 0)
    finish(self, id);
  else
    self->delayed_send(self, peer_timeout + std::chrono::milliseconds(200),
                       gather_timeout_atom::value, id);
  return rp;
}

caf::behavior front(front_actor* self, node* n,
                    std::shared_ptr<stats_history> history) {
  auto& st = self->state;
  st.n = n;
  st.history = std::move(history);
  return {
      [self](node_stats_atom, int64_t since,
             bool cluster) -> caf::result<std::string> {
        if (!cluster)
          return self->state.history->render(since);
        return gather(self, since);
      },
      [self](peer_atom, uint64_t id, const std::string& name,
             std::string& text) {
        auto i = self->state.pending.find(id);
        if (i == self->state.pending.end())
          return;
        i->second.answers[name] = std::move(text);
        if (--i->second.waiting == 0)
          finish(self, id);
      },
      [self](gather_timeout_atom, uint64_t id) {
        auto i = self->state.pending.find(id);
        if (i == self->state.pending.end())
          return;
        finish(self, id);
      },
  };
}

} // namespace

caf::actor spawn_stats_sampler(caf::actor_system& sys, node* n,
                               std::shared_ptr<stats_history> history,
                               std::chrono::milliseconds every) {
  return sys.spawn(sampler, n, std::move(history), every);
}

caf::actor spawn_stats_front(caf::actor_system& sys, node* n,
                             std::shared_ptr<stats_history> history) {
  return sys.spawn(front, n, std::move(history));
}

} // namespace troupe::runtime
