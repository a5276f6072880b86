#include "troupe/runtime/membership.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/publish.hpp>
#include <caf/stateful_actor.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "troupe/log.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/region.hpp"

namespace troupe::runtime {

const member* member_view::find(const std::string& name) const {
  for (const auto& m : members)
    if (m.name == name)
      return &m;
  return nullptr;
}

bool member::holds(int64_t id) const {
  return id != 0 && std::find(leases.begin(), leases.end(), id) != leases.end();
}

size_t member_view::up_count() const {
  size_t n = 0;
  for (const auto& m : members)
    n += m.up ? 1 : 0;
  return n;
}

member_view initial_view(const config::node_config& cfg) {
  member_view v;
  v.self = cfg.self;
  for (const auto& entry : cfg.nodes)
    v.members.push_back(member{entry.name, entry.name == cfg.self, 0, {}, {}});
  v.quorum = v.up_count() * 2 > cfg.nodes.size();
  return v;
}

membership_status::membership_status(member_view initial,
                                     lease_status_ptr lease)
    : view_(std::make_shared<const member_view>(std::move(initial))),
      lease_(std::move(lease)) {
  // nop
}

void membership_status::publish(member_view next) {
  std::atomic_store(&view_,
                    std::make_shared<const member_view>(std::move(next)));
}

std::string cluster_config_text(const config::node_config& cfg) {
  std::string text = cfg.cluster;
  for (const auto& n : cfg.nodes) {
    text += '|' + n.name + '@' + n.actor.to_string();
    if (n.link.port != 0) // every node must know where the others' links are
      text += "/link=" + n.link.to_string();
  }
  text += "|rf=" + std::to_string(cfg.replication_factor);
  text += "|membership=" + std::string{to_string(cfg.membership.source)};
  text += "|pastebin.shards=" + std::to_string(cfg.pastebin.shards);
  text += "|cache.shards=" + std::to_string(cfg.cache.shards);
  text += "|twitter.shards=" + std::to_string(cfg.twitter.shards);
  text += "|social.shards=" + std::to_string(cfg.social.shards);
  text += "|salesrank.shards=" + std::to_string(cfg.salesrank.shards);
  text += "|mint.shards=" + std::to_string(cfg.mint.shards);
  text += "|mint.seller_shards=" + std::to_string(cfg.mint.seller_shards);
  text += "|crawler.shards=" + std::to_string(cfg.crawler.shards);
  text += "|search.shards=" + std::to_string(cfg.search.shards);
  return text;
}

uint64_t cluster_config_hash(const config::node_config& cfg) {
  auto text = cluster_config_text(cfg);
  return XXH64(text.data(), text.size(), 0);
}

namespace {

using clock_type = std::chrono::steady_clock;

/// How long one connection attempt may take (a frozen peer accepts TCP
/// but never completes CAF's handshake).
constexpr auto connect_timeout = std::chrono::seconds(1);

struct peer {
  config::node_entry entry;
  caf::actor gateway;
  bool up = false;
  bool connecting = false;
  uint64_t incarnation = 0;
  /// Incarnation last refused for a config mismatch (logged once).
  uint64_t refused = 0;
  clock_type::time_point last_heard;
};

struct membership_state {
  config::node_config cfg;
  uint64_t incarnation = 0;
  uint64_t hash = 0;
  membership_status_ptr status;
  std::vector<peer> peers;
  /// The local region of each service, and its live view (whose shard
  /// actors routed messages go to directly).
  struct local_region {
    caf::actor actor;
    region_status_ptr status;
  };
  std::unordered_map<std::string, local_region> regions;
  /// The last refusal another node sent (logged once, not per heartbeat).
  std::string last_refusal;
  /// When `tick` last ran.
  clock_type::time_point last_tick = clock_type::now();
  /// With etcd: every node's live leases (from the etcd agent).
  std::map<std::string, std::vector<int64_t>> leases;
  static inline const char* name = "membership";

  peer* find(const std::string& name) {
    for (auto& p : peers)
      if (p.entry.name == name)
        return &p;
    return nullptr;
  }
};

using membership_actor = caf::stateful_actor<membership_state>;

/// Returns whether `msg` is meant for a region rather than a shard.
bool is_control(const caf::message& msg) {
  return msg.size() > 0 &&
         (msg.match_element<replicate_atom>(0) ||
          msg.match_element<sync_atom>(0) ||
          msg.match_element<synced_atom>(0) ||
          msg.match_element<offer_atom>(0) ||
          msg.match_element<config_atom>(0) || msg.match_element<join_atom>(0));
}

void publish_view(membership_actor* self) {
  auto& st = self->state;
  member_view v;
  v.self = st.cfg.self;
  for (const auto& entry : st.cfg.nodes) {
    auto leases = st.leases[entry.name];
    if (entry.name == st.cfg.self) {
      v.members.push_back(
          member{entry.name, true, st.incarnation, {}, std::move(leases)});
      continue;
    }
    const auto* p = st.find(entry.name);
    v.members.push_back(member{entry.name, p->up, p->incarnation,
                               p->up ? p->gateway : nullptr,
                               std::move(leases)});
  }
  v.quorum = v.up_count() * 2 > st.cfg.nodes.size();
  st.status->publish(std::move(v));
}

template <class Atom>
void tell_regions(membership_actor* self, Atom atom, const std::string& name) {
  for (auto& [service, region] : self->state.regions)
    self->send(region.actor, atom, name);
}

void mark_down(membership_actor* self, peer& p, const std::string& why) {
  if (p.gateway)
    self->demonitor(p.gateway);
  p.gateway = nullptr;
  if (!p.up)
    return;
  p.up = false;
  log::warning("membership", "node ", p.entry.name, " is down: ", why);
  publish_view(self);
  tell_regions(self, member_down_atom::value, p.entry.name);
}

void mark_up(membership_actor* self, peer& p, caf::actor gateway,
             uint64_t incarnation) {
  if (p.up && p.incarnation != incarnation)
    mark_down(self, p, "it restarted");
  bool moved = false;
  if (gateway && gateway != p.gateway) {
    if (p.gateway)
      self->demonitor(p.gateway);
    p.gateway = std::move(gateway);
    self->monitor(p.gateway);
    moved = true;
  }
  p.last_heard = clock_type::now();
  if (p.up) {
    // A node that is up can reach us through a new handle (its process
    // reconnected, and CAF replaced the proxy of the old connection). The
    // regions address it through the published view: publish the new one,
    // or they keep sending to a dead proxy (request_receiver_down).
    if (moved)
      publish_view(self);
    return;
  }
  p.up = true;
  p.incarnation = incarnation;
  log::info("membership", "node ", p.entry.name, " is up");
  publish_view(self);
  tell_regions(self, member_up_atom::value, p.entry.name);
}

void send_heartbeat(membership_actor* self, const caf::actor& dest) {
  auto& st = self->state;
  self->send(dest, heartbeat_atom::value, st.cfg.self, st.incarnation, st.hash);
}

void connect(membership_actor* self, peer& p) {
  p.connecting = true;
  auto name = p.entry.name;
  auto mm = self->system().middleman().actor_handle();
  self->request(mm, connect_timeout, caf::connect_atom::value,
                p.entry.actor.host, p.entry.actor.port)
      .then(
          [self, name](const caf::node_id&, caf::strong_actor_ptr& ptr,
                       const std::set<std::string>&) {
            auto* p = self->state.find(name);
            p->connecting = false;
            if (auto gateway = caf::actor_cast<caf::actor>(ptr))
              send_heartbeat(self, gateway); // its answer marks it up
          },
          [self, name](caf::error&) {
            self->state.find(name)->connecting = false;
          });
}

/// Connects to silent peers, sends heartbeats, and marks the silent down.
void tick(membership_actor* self) {
  auto& st = self->state;
  auto now = clock_type::now();
  // A tick far behind schedule means this process was stalled (SIGSTOP, a
  // swap storm): the peers' silence is then its own. Give them a fresh
  // timeout instead of marking them all down at once.
  if (now - st.last_tick > st.cfg.membership.failure_timeout) {
    for (auto& p : st.peers)
      p.last_heard = now;
  }
  st.last_tick = now;
  for (auto& p : st.peers) {
    if (p.up && now - p.last_heard > st.cfg.membership.failure_timeout)
      mark_down(self, p, "silent for longer than failure_timeout_ms");
    if (p.up && p.gateway)
      send_heartbeat(self, p.gateway);
    else if (!p.connecting)
      connect(self, p);
  }
}

void on_heartbeat(membership_actor* self, const std::string& name,
                  uint64_t incarnation, uint64_t hash) {
  auto& st = self->state;
  auto* p = st.find(name);
  auto sender = caf::actor_cast<caf::actor>(self->current_sender());
  if (p == nullptr) {
    log::error("membership", "refusing heartbeat of unknown node '", name,
               "': not in this node's [[nodes]]");
    return;
  }
  if (hash != st.hash) {
    if (p->refused != incarnation)
      log::error("membership", "refusing node ", name,
                 ": its cluster config differs from this node's (hash ", hash,
                 " vs ", st.hash,
                 "); every node must run the same [[nodes]], "
                 "replication_factor and shard counts");
    p->refused = incarnation;
    if (sender)
      self->send(sender, refused_atom::value,
                 "node " + st.cfg.self + " refuses " + name +
                     ": cluster config differs");
    return;
  }
  bool was_up = p->up;
  mark_up(self, *p, sender, incarnation);
  if (!was_up && sender)
    send_heartbeat(self, sender); // answer a hello right away
}

caf::behavior membership(membership_actor* self, config::node_config cfg,
                         membership_status_ptr status) {
  auto& st = self->state;
  std::random_device rd;
  st.incarnation = (static_cast<uint64_t>(rd()) << 32) | rd();
  st.hash = cluster_config_hash(cfg);
  for (const auto& entry : cfg.nodes)
    if (entry.name != cfg.self)
      st.peers.push_back(peer{entry, {}, false, false, 0, 0, {}});
  st.cfg = std::move(cfg);
  st.status = std::move(status);
  publish_view(self);
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& p : self->state.peers)
      if (p.gateway && p.gateway.address() == dm.source)
        mark_down(self, p, "connection lost");
  });
  self->send(self, tick_atom::value);
  return {
      [self](tick_atom) {
        tick(self);
        self->delayed_send(self, self->state.cfg.membership.heartbeat_interval,
                           tick_atom::value);
      },
      [self](heartbeat_atom, const std::string& name, uint64_t incarnation,
             uint64_t hash) { on_heartbeat(self, name, incarnation, hash); },
      [self](refused_atom, const std::string& reason) {
        if (reason != self->state.last_refusal)
          log::error("membership", reason);
        self->state.last_refusal = reason;
      },
      [self](leases_atom, const std::vector<std::string>& names,
             const std::vector<int64_t>& ids) {
        auto& st = self->state;
        st.leases.clear();
        for (size_t i = 0; i < names.size() && i < ids.size(); ++i)
          st.leases[names[i]].push_back(ids[i]);
        publish_view(self);
        for (auto& [service, region] : st.regions)
          self->send(region.actor, leases_atom::value);
      },
      [self](subscribe_atom, const std::string& service, caf::actor region,
             region_status_ptr status) {
        self->state.regions[service] = {std::move(region), std::move(status)};
      },
      [self](deliver_atom, const std::string& service, uint16_t idx,
             caf::message& msg) -> caf::result<caf::message> {
        auto i = self->state.regions.find(service);
        if (i == self->state.regions.end()) {
          if (!self->current_message_id().is_request())
            return caf::delegated<caf::message>{}; // one-way: dropped
          return make_error(errc::unavailable, "service " + service +
                                                   " is not running on " +
                                                   self->state.cfg.self);
        }
        // Straight to the shard actor when it runs here (one hop fewer);
        // the region handles the rest (control messages, moving shards,
        // errors).
        auto shard = i->second.status->shard_at(idx);
        if (shard && msg.match_elements<hop_atom, caf::message>())
          self->delegate(shard, msg.get_as<caf::message>(1));
        else if (shard && !is_control(msg))
          self->delegate(shard, std::move(msg));
        else
          self->delegate(i->second.actor, local_atom::value, idx,
                         std::move(msg));
        return caf::delegated<caf::message>{};
      },
  };
}

} // namespace

membership_start start_membership(caf::actor_system& sys,
                                  const config::node_config& cfg,
                                  membership_status_ptr status) {
  auto actor = sys.spawn(membership, cfg, std::move(status));
  const auto& ep = cfg.self_entry().actor;
  auto port = caf::io::publish(actor, ep.port, ep.host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return {{},
            "cannot listen for nodes on " + ep.to_string() + ": " +
                sys.render(port.error())};
  }
  log::info("membership", "node ", cfg.self, " listening for nodes on ",
            ep.to_string());
  return {actor, {}};
}

} // namespace troupe::runtime
