// The node's agent of etcd: its lease, the cluster's live leases and shard
// configurations (read every heartbeat), and compare-and-swaps for the
// regions. Every etcd call runs on the etcd client's I/O thread; its
// outcome comes back to this actor as a message, so the actor's state is
// only ever touched by the actor. See etcd_agent.hpp for the protocol.

#include "troupe/runtime/etcd_agent.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <nlohmann/json.hpp>

#include "troupe/log.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/etcd_client.hpp"
#include "troupe/runtime/membership.hpp"
#include "troupe/runtime/shard_config.hpp"

// Handed from the etcd client's thread to the agent, in this process only.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::runtime::etcd::txn_response)

namespace troupe::runtime {

namespace {

using clock_type = lease_status::clock;

// Outcomes of etcd calls, sent by the client's thread to the agent.
using granted_atom = caf::atom_constant<caf::atom("e_grant")>;
using registered_atom = caf::atom_constant<caf::atom("e_reg")>;
using renewed_atom = caf::atom_constant<caf::atom("e_renew")>;
using polled_atom = caf::atom_constant<caf::atom("e_poll")>;
using swapped_atom = caf::atom_constant<caf::atom("e_cas")>;
using revoked_atom = caf::atom_constant<caf::atom("e_revoke")>;
using checked_atom = caf::atom_constant<caf::atom("e_check")>;
using claimed_atom = caf::atom_constant<caf::atom("e_claim")>;

/// A configuration as last read, per service and shard.
struct cached_config {
  std::string value;
  int64_t revision = 0;
};

struct agent_state {
  config::node_config cfg;
  std::unique_ptr<etcd::client> client;
  lease_status_ptr lease;
  caf::actor membership;
  std::unique_ptr<etcd_keys> keys;
  uint64_t incarnation = 0;
  // -- the config every node shares -------------------------------------------
  /// This node's config matches the cluster's in etcd (checked before each
  /// new lease).
  bool checked = false;
  bool checking = false;
  clock_type::time_point check_started;
  clock_type::time_point next_check;
  // -- lease ------------------------------------------------------------------
  int64_t lease_id = 0;
  bool registered = false;
  bool granting = false;
  bool renewing = false;
  /// Set by `(revoke)`: the node stops; no new lease.
  bool stopping = false;
  clock_type::time_point last_renewal;
  bool was_valid = false;
  /// When the call in flight (grant, renewal, poll) started: one that gets
  /// no answer within a few call timeouts is given up.
  clock_type::time_point grant_started;
  clock_type::time_point poll_started;
  // -- watching ---------------------------------------------------------------
  bool polling = false;
  bool loaded = false;
  int64_t revision = 0;
  /// Live leases: node -> ids, oldest first.
  std::map<std::string, std::vector<int64_t>> members;
  std::map<std::string, std::map<uint16_t, cached_config>> configs;
  std::unordered_map<std::string, caf::actor> regions;
  // -- compare-and-swaps in flight -------------------------------------------
  std::unordered_map<uint64_t, caf::response_promise> swaps;
  uint64_t next_swap = 0;
  /// The last etcd error logged (each is logged once, until a success).
  std::string last_error;
  static inline const char* name = "etcd_agent";
};

using agent_actor = caf::stateful_actor<agent_state>;

/// Sends `xs` to the agent from the etcd client's thread (weakly held:
/// the agent may be gone by then).
template <class... Ts>
void post(const caf::actor_addr& agent, Ts&&... xs) {
  if (auto hdl = caf::actor_cast<caf::actor>(agent))
    caf::anon_send(hdl, std::forward<Ts>(xs)...);
}

/// How long one call to etcd may take: half the lease TTL (a renewal that
/// takes longer than that could not keep the lease anyway).
std::chrono::milliseconds call_timeout(const config::node_config& cfg) {
  return std::max(std::chrono::milliseconds{200}, cfg.membership.lease_ttl / 2);
}

void note_error(agent_actor* self, const std::string& what) {
  auto& st = self->state;
  if (what != st.last_error)
    log::warning("etcd", what);
  st.last_error = what;
}

void note_success(agent_actor* self) {
  auto& st = self->state;
  if (!st.last_error.empty())
    log::info("etcd", "reachable again");
  st.last_error.clear();
}

void tell_regions(agent_actor* self, caf::message msg) {
  for (auto& [service, region] : self->state.regions)
    self->send(region, msg);
}

/// Tells the regions when the lease became valid or invalid.
void check_validity(agent_actor* self) {
  auto& st = self->state;
  bool valid = st.lease->valid();
  if (valid == st.was_valid)
    return;
  st.was_valid = valid;
  if (!valid)
    log::warning("etcd", "lease ", st.lease_id,
                 " not renewed in time: this node stops serving until it "
                 "holds a lease again");
  tell_regions(self,
               caf::make_message(lease_atom::value, st.lease->id(), valid));
}

void grant(agent_actor* self) {
  auto& st = self->state;
  st.granting = true;
  st.grant_started = clock_type::now();
  auto ttl = st.cfg.membership.lease_ttl.count() / 1000;
  auto me = self->address();
  auto t0 = clock_type::now();
  st.client->grant(ttl, [me, t0](etcd::result<etcd::lease_grant> r) {
    post(me, granted_atom::value, std::move(r.error), r.value.id, r.value.ttl,
         static_cast<int64_t>(t0.time_since_epoch().count()));
  });
}

/// The deadline of a lease of `ttl_s` seconds renewed at `t0`.
clock_type::time_point deadline_of(clock_type::time_point t0, int64_t ttl_s) {
  auto ttl = std::chrono::milliseconds{ttl_s * 1000};
  return t0 + ttl - ttl / 10;
}

/// Writes this node's member key, attached to its new lease.
void register_member(agent_actor* self, int64_t id, int64_t ttl,
                     clock_type::time_point t0) {
  auto& st = self->state;
  etcd::txn_request req;
  auto value = nlohmann::json{{"incarnation", st.incarnation},
                              {"actor", st.cfg.self_entry().actor.to_string()}}
                   .dump();
  req.success.push_back(etcd::operation::put(st.keys->member(st.cfg.self, id),
                                             std::move(value), id));
  auto me = self->address();
  st.client->txn(req, [me, id, ttl, t0](etcd::result<etcd::txn_response> r) {
    post(me, registered_atom::value, std::move(r.error), id, ttl,
         static_cast<int64_t>(t0.time_since_epoch().count()));
  });
}

void on_granted(agent_actor* self, const std::string& error, int64_t id,
                int64_t ttl, clock_type::time_point t0) {
  auto& st = self->state;
  if (!error.empty()) {
    st.granting = false;
    note_error(self, "cannot get a lease: " + error);
    return;
  }
  if (ttl * 1000 > st.cfg.membership.lease_ttl.count())
    log::warning("etcd", "etcd granted a TTL of ", ttl, " s, longer than ",
                 "lease_ttl_ms: failover after a node's loss takes that long");
  register_member(self, id, ttl, t0);
}

void on_registered(agent_actor* self, const std::string& error, int64_t id,
                   int64_t ttl, clock_type::time_point t0) {
  auto& st = self->state;
  st.granting = false;
  if (!error.empty()) {
    note_error(self, "cannot register this node: " + error);
    return; // the lease expires on its own; the next tick grants another
  }
  note_success(self);
  st.lease_id = id;
  st.registered = true;
  st.last_renewal = t0;
  st.lease->renew(id, deadline_of(t0, ttl));
  log::info("etcd", "node ", st.cfg.self, " holds lease ", id, " (TTL ", ttl,
            " s)");
  st.was_valid = true;
  tell_regions(self, caf::make_message(lease_atom::value, id, true));
}

void renew(agent_actor* self) {
  auto& st = self->state;
  st.renewing = true;
  auto t0 = clock_type::now();
  st.last_renewal = t0;
  auto me = self->address();
  auto id = st.lease_id;
  st.client->keepalive(id, [me, id, t0](etcd::result<int64_t> r) {
    post(me, renewed_atom::value, std::move(r.error), id, r.value,
         static_cast<int64_t>(t0.time_since_epoch().count()));
  });
}

void on_renewed(agent_actor* self, const std::string& error, int64_t id,
                int64_t ttl, clock_type::time_point t0) {
  auto& st = self->state;
  st.renewing = false;
  if (id != st.lease_id)
    return;
  if (!error.empty()) {
    note_error(self, "cannot renew the lease: " + error);
    return;
  }
  note_success(self);
  if (ttl > 0) {
    st.lease->renew(id, deadline_of(t0, ttl));
    check_validity(self);
    return;
  }
  log::warning("etcd", "lease ", id,
               " expired in etcd (this node was cut off or frozen); other "
               "nodes may serve its shards now");
  st.lease->lose();
  st.lease_id = 0;
  st.registered = false;
  st.checked = false; // the cluster may have changed while it was out
  check_validity(self);
}

void poll(agent_actor* self) {
  auto& st = self->state;
  st.polling = true;
  st.poll_started = clock_type::now();
  etcd::txn_request req;
  req.success.push_back(etcd::operation::prefix(st.keys->members()));
  req.success.push_back(etcd::operation::prefix(
      st.keys->shards(), st.loaded ? st.revision + 1 : 0));
  auto me = self->address();
  st.client->txn(req, [me](etcd::result<etcd::txn_response> r) {
    post(me, polled_atom::value, std::move(r.error), std::move(r.value));
  });
}

void publish_members(agent_actor* self,
                     std::map<std::string, std::vector<int64_t>> members) {
  auto& st = self->state;
  if (members == st.members)
    return;
  st.members = std::move(members);
  std::vector<std::string> names;
  std::vector<int64_t> ids;
  for (const auto& [name, leases] : st.members)
    for (auto id : leases) {
      names.push_back(name);
      ids.push_back(id);
    }
  self->send(st.membership, leases_atom::value, std::move(names),
             std::move(ids));
}

void send_config(agent_actor* self, const caf::actor& region, uint16_t idx,
                 const cached_config& c) {
  self->send(region, config_atom::value, idx, c.value, c.revision);
}

void on_polled(agent_actor* self, const std::string& error,
               etcd::txn_response& res) {
  auto& st = self->state;
  st.polling = false;
  if (!error.empty() || res.ranges.size() != 2) {
    note_error(self, "cannot read the cluster's state: " +
                         (error.empty() ? "unexpected answer" : error));
    return;
  }
  note_success(self);
  // Members: oldest lease first (a restarted node's newest is its own).
  std::sort(res.ranges[0].begin(), res.ranges[0].end(),
            [](const auto& x, const auto& y) {
              return x.create_revision < y.create_revision;
            });
  std::map<std::string, std::vector<int64_t>> members;
  for (const auto& kv : res.ranges[0]) {
    std::string name;
    int64_t id = 0;
    if (st.keys->parse_member(kv.key, name, id))
      members[name].push_back(id);
  }
  publish_members(self, std::move(members));
  for (const auto& kv : res.ranges[1]) {
    std::string service;
    uint16_t idx = 0;
    if (!st.keys->parse_shard(kv.key, service, idx))
      continue;
    auto& c = st.configs[service][idx];
    if (kv.mod_revision <= c.revision)
      continue;
    c = cached_config{kv.value, kv.mod_revision};
    if (auto i = st.regions.find(service); i != st.regions.end())
      send_config(self, i->second, idx, c);
  }
  st.revision = std::max(st.revision, res.revision);
  if (!st.loaded) {
    st.loaded = true;
    tell_regions(self, caf::make_message(configs_atom::value));
  }
}

/// Gives up calls that got no answer in time (the client answers every
/// call, but a lost answer must not stop the lease or the watching).
void expire_calls(agent_actor* self, clock_type::time_point now) {
  auto& st = self->state;
  auto limit = 3 * call_timeout(st.cfg);
  auto overdue = [&](bool busy, clock_type::time_point since) {
    return busy && now - since > limit;
  };
  if (overdue(st.polling, st.poll_started) ||
      overdue(st.renewing, st.last_renewal) ||
      overdue(st.granting, st.grant_started) ||
      overdue(st.checking, st.check_started)) {
    log::warning("etcd", "a call to etcd got no answer in time; retrying");
    st.polling = false;
    st.renewing = false;
    st.granting = false;
    st.checking = false;
  }
}

/// Reads the cluster's shared config and the live members from etcd.
void check_config(agent_actor* self) {
  auto& st = self->state;
  st.checking = true;
  st.check_started = clock_type::now();
  etcd::txn_request req;
  req.success.push_back(etcd::operation::range(st.keys->config()));
  req.success.push_back(etcd::operation::prefix(st.keys->members()));
  auto me = self->address();
  st.client->txn(req, [me](etcd::result<etcd::txn_response> r) {
    post(me, checked_atom::value, std::move(r.error), std::move(r.value));
  });
}

/// Makes this node's config the cluster's (none stored, or no node runs).
void claim_config(agent_actor* self, const std::string& mine,
                  const etcd::key_value* stored) {
  auto& st = self->state;
  if (stored != nullptr)
    log::warning("etcd",
                 "the cluster's shared config changes (no node is "
                 "running): from '",
                 stored->value, "' to '", mine, "'");
  etcd::txn_request req;
  req.compares.push_back(etcd::compare::mod_revision(
      st.keys->config(), stored != nullptr ? stored->mod_revision : 0));
  req.success.push_back(etcd::operation::put(st.keys->config(), mine));
  st.checking = true;
  st.check_started = clock_type::now();
  auto me = self->address();
  st.client->txn(req, [me](etcd::result<etcd::txn_response> r) {
    post(me, claimed_atom::value, std::move(r.error), r.value.succeeded);
  });
}

void on_checked(agent_actor* self, const std::string& error,
                const etcd::txn_response& res) {
  auto& st = self->state;
  st.checking = false;
  if (!error.empty() || res.ranges.size() != 2) {
    note_error(self, "cannot read the cluster's config: " +
                         (error.empty() ? "unexpected answer" : error));
    return;
  }
  auto mine = cluster_config_text(st.cfg);
  const auto* stored = res.ranges[0].empty() ? nullptr : &res.ranges[0][0];
  if (stored != nullptr && stored->value == mine) {
    note_success(self);
    st.checked = true;
    return;
  }
  if (stored == nullptr || res.ranges[1].empty()) {
    note_success(self);
    claim_config(self, mine, stored);
    return;
  }
  // Nodes run with another config: stay out (and say so once).
  auto why = "refusing to join cluster " + st.cfg.cluster +
             ": the nodes running now share another config ('" + stored->value +
             "', in etcd at " + st.keys->config() + ") than this node ('" +
             mine +
             "'); every node must run the same [[nodes]], "
             "replication_factor, membership source and shard counts";
  if (why != st.last_error)
    log::error("etcd", why);
  st.last_error = std::move(why);
  st.next_check = clock_type::now() + st.cfg.membership.failure_timeout;
}

void tick(agent_actor* self) {
  auto& st = self->state;
  auto now = clock_type::now();
  expire_calls(self, now);
  check_validity(self);
  if (!st.checked) {
    if (!st.checking && now >= st.next_check && !st.stopping)
      check_config(self);
    return;
  }
  if (!st.registered && !st.granting && !st.stopping)
    grant(self);
  if (st.registered && !st.renewing &&
      now - st.last_renewal >= st.cfg.membership.lease_ttl / 3)
    renew(self);
  if (!st.polling)
    poll(self);
}

caf::result<bool, int64_t, std::string>
swap(agent_actor* self, std::string& key, int64_t expected, std::string& value,
     std::vector<std::string>& must_exist,
     std::vector<std::string>& must_not_exist) {
  auto& st = self->state;
  etcd::txn_request req;
  req.compares.push_back(etcd::compare::mod_revision(key, expected));
  for (auto& k : must_exist)
    req.compares.push_back(etcd::compare::exists(std::move(k)));
  for (auto& k : must_not_exist)
    req.compares.push_back(etcd::compare::absent(std::move(k)));
  req.success.push_back(etcd::operation::put(key, std::move(value)));
  req.failure.push_back(etcd::operation::range(key));
  auto token = ++st.next_swap;
  auto rp = self->make_response_promise();
  st.swaps.emplace(token, rp);
  auto me = self->address();
  st.client->txn(req, [me, token](etcd::result<etcd::txn_response> r) {
    post(me, swapped_atom::value, token, std::move(r.error),
         std::move(r.value));
  });
  return caf::delegated<bool, int64_t, std::string>{};
}

void on_swapped(agent_actor* self, uint64_t token, const std::string& error,
                const etcd::txn_response& res) {
  auto& st = self->state;
  auto i = st.swaps.find(token);
  if (i == st.swaps.end())
    return;
  auto rp = std::move(i->second);
  st.swaps.erase(i);
  if (!error.empty()) {
    note_error(self, "a configuration change failed: " + error);
    rp.deliver(make_error(errc::unavailable, "etcd: " + error));
    return;
  }
  note_success(self);
  if (res.succeeded) {
    rp.deliver(true, res.revision, std::string{});
    return;
  }
  const auto* kv = !res.ranges.empty() && !res.ranges[0].empty()
                       ? &res.ranges[0][0]
                       : nullptr;
  rp.deliver(false, kv != nullptr ? kv->mod_revision : int64_t{0},
             kv != nullptr ? kv->value : std::string{});
}

caf::behavior agent(agent_actor* self, config::node_config cfg,
                    lease_status_ptr lease, caf::actor membership) {
  auto& st = self->state;
  std::random_device rd;
  st.incarnation = (static_cast<uint64_t>(rd()) << 32) | rd();
  st.keys =
      std::make_unique<etcd_keys>(cfg.membership.etcd_prefix, cfg.cluster);
  st.client = std::make_unique<etcd::client>(cfg.membership.etcd_endpoints,
                                             call_timeout(cfg));
  st.cfg = std::move(cfg);
  st.lease = std::move(lease);
  st.membership = std::move(membership);
  self->send(self, tick_atom::value);
  self->attach_functor([self] {
    // Stops the client's thread before the state goes.
    if (self->state.client)
      self->state.client->stop();
  });
  auto at = [](int64_t ns) {
    return clock_type::time_point{clock_type::duration{ns}};
  };
  return {
      [self](tick_atom) {
        tick(self);
        self->delayed_send(self, self->state.cfg.membership.heartbeat_interval,
                           tick_atom::value);
      },
      [self, at](granted_atom, const std::string& error, int64_t id,
                 int64_t ttl,
                 int64_t t0) { on_granted(self, error, id, ttl, at(t0)); },
      [self, at](registered_atom, const std::string& error, int64_t id,
                 int64_t ttl,
                 int64_t t0) { on_registered(self, error, id, ttl, at(t0)); },
      [self, at](renewed_atom, const std::string& error, int64_t id,
                 int64_t ttl,
                 int64_t t0) { on_renewed(self, error, id, ttl, at(t0)); },
      [self](polled_atom, const std::string& error, etcd::txn_response& res) {
        on_polled(self, error, res);
      },
      [self](swapped_atom, uint64_t token, const std::string& error,
             const etcd::txn_response& res) {
        on_swapped(self, token, error, res);
      },
      [self](checked_atom, const std::string& error,
             const etcd::txn_response& res) { on_checked(self, error, res); },
      [self](claimed_atom, const std::string& error, bool succeeded) {
        auto& st = self->state;
        st.checking = false;
        if (!error.empty())
          note_error(self, "cannot store the cluster's config: " + error);
        st.checked = error.empty() && succeeded; // else: read it again
      },
      [self](subscribe_atom, const std::string& service, caf::actor region) {
        auto& st = self->state;
        st.regions[service] = region;
        if (!st.loaded)
          return;
        for (const auto& [idx, c] : st.configs[service])
          send_config(self, region, idx, c);
        self->send(region, configs_atom::value);
      },
      [self](cas_atom, std::string& key, int64_t expected, std::string& value,
             std::vector<std::string>& must_exist,
             std::vector<std::string>& must_not_exist) {
        return swap(self, key, expected, value, must_exist, must_not_exist);
      },
      [self](revoke_atom) -> caf::result<bool> {
        auto& st = self->state;
        auto id = st.lease_id;
        st.lease->lose();
        st.lease_id = 0;
        st.registered = false;
        st.stopping = true; // no new lease from here on
        if (id == 0)
          return true;
        auto token = ++st.next_swap;
        st.swaps.emplace(token, self->make_response_promise());
        auto me = self->address();
        st.client->revoke(id, [me, token](etcd::result<bool> r) {
          post(me, revoked_atom::value, token, r.ok());
        });
        return caf::delegated<bool>{};
      },
      [self](revoked_atom, uint64_t token, bool ok) {
        auto& st = self->state;
        if (auto i = st.swaps.find(token); i != st.swaps.end()) {
          i->second.deliver(ok);
          st.swaps.erase(i);
        }
      },
  };
}

} // namespace

caf::actor start_etcd_agent(caf::actor_system& sys,
                            const config::node_config& cfg,
                            lease_status_ptr lease, caf::actor membership) {
  return sys.spawn(agent, cfg, std::move(lease), std::move(membership));
}

} // namespace troupe::runtime
