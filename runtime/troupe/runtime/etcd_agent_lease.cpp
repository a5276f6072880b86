// The node's lease in etcd and the cluster's shared config (see
// etcd_agent.hpp): granted after the config check, registered with the
// member key, renewed every third of the TTL, dropped when etcd says it is
// gone.

#include "troupe/runtime/etcd_agent_state.hpp"

#include <nlohmann/json.hpp>

#include "troupe/log.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/membership.hpp"

namespace troupe::runtime::agent_detail {

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

} // namespace troupe::runtime::agent_detail
