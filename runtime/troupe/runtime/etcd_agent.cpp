// The node's agent of etcd: its lease, the cluster's live leases and shard
// configurations (read every heartbeat), and compare-and-swaps for the
// regions. Every etcd call runs on the etcd client's I/O thread; its
// outcome comes back to this actor as a message, so the actor's state is
// only ever touched by the actor. See etcd_agent.hpp for the protocol.

#include "troupe/runtime/etcd_agent.hpp"

#include <algorithm>
#include <random>

#include <caf/event_based_actor.hpp>

#include "troupe/log.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/etcd_agent_state.hpp"

namespace troupe::runtime {

namespace agent_detail {

namespace {

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

} // namespace agent_detail

caf::actor start_etcd_agent(caf::actor_system& sys,
                            const config::node_config& cfg,
                            lease_status_ptr lease, caf::actor membership) {
  return sys.spawn(agent_detail::agent, cfg, std::move(lease),
                   std::move(membership));
}

} // namespace troupe::runtime
