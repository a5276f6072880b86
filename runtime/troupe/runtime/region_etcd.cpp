// Which node serves each shard when etcd is the configuration manager
// (membership source `etcd`). See docs/design.md ("Partition safety").
//
// A node never decides on its own view of the others. Each shard has a
// configuration in etcd (epoch, primary and its lease, replicas in sync)
// that changes only by a compare-and-swap on its revision, and every
// transition below is such a CAS, guarded by the leases it relies on:
//
// - create:  no configuration exists; the first owner holding a lease
//            serves the shard alone.
// - elect:   the primary's lease is gone from etcd; a replica of the last
//            configuration serves the shard (alone, until the others
//            caught up with it). A node named primary under an old lease
//            of its own (it restarted) renews the configuration.
// - drop:    a replica did not persist an entry in time; the primary
//            removes it before it acknowledges the write.
// - join:    a follower that caught up is added by the primary (and
//            becomes primary if it ranks higher: hand-over).
//
// Until a CAS's outcome is known the shard stays paused; an outcome lost
// with the connection to etcd is read back from etcd. A node serves a
// shard only while the configuration names it with its current lease and
// that lease is valid (the shard actor checks it for every request).

#include "troupe/runtime/region_state.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/send.hpp>

#include "troupe/log.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::runtime::detail {

namespace {

using persistence::log_position;

const lease_status& my_lease(const region_state& st) {
  return *st.placement.members->lease();
}

std::string my_key(const region_state& st) {
  return st.keys->member(st.placement.self, my_lease(st).id());
}

void set_state(region_state& st, uint16_t idx, region_status::shard_state s) {
  st.status->states[idx] = s;
}

void count_move(region_state& st) {
  if (st.moves != nullptr)
    st.moves->inc();
}

/// Returns the newest live lease of `node` (0: none).
int64_t lease_of(const region_state& st, const std::string& node) {
  if (node == st.placement.self)
    return my_lease(st).valid() ? my_lease(st).id() : 0;
  auto view = st.placement.members->view();
  const auto* m = view->find(node);
  return m != nullptr ? m->lease() : 0;
}

/// Returns whether the primary of `c` still holds the lease it serves
/// under. This node's own old lease counts as gone: only a process that
/// holds the data dir's lock runs as this node, so the old one is dead.
bool primary_alive(const region_state& st, const shard_config& c) {
  if (c.primary == st.placement.self)
    return c.lease == my_lease(st).id();
  auto view = st.placement.members->view();
  const auto* m = view->find(c.primary);
  return m != nullptr && m->holds(c.lease);
}

/// Returns the first of `candidates` (in owner rank order) holding a
/// lease, or "".
std::string first_leased(const region_state& st, uint16_t idx,
                         const std::vector<std::string>& candidates) {
  for (const auto& name : st.owners[idx])
    if (std::find(candidates.begin(), candidates.end(), name) !=
            candidates.end() &&
        lease_of(st, name) != 0)
      return name;
  return {};
}

void create(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  auto lease = my_lease(st).id();
  auto next = shard_config::initial(st.placement.self, lease,
                                    st.etcd_shards[idx].start.epoch + 1);
  log::info("failover", st.spec.service, "/", idx, ": node ", st.placement.self,
            " creates the shard's configuration");
  etcd_propose(self, idx, std::move(next), {my_key(st)}, {},
               [](region_actor* self, uint16_t idx, bool) {
                 etcd_reconcile(self, idx);
               });
}

void elect(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  const auto& c = st.etcd_shards[idx].cfg;
  auto lease = my_lease(st).id();
  std::vector<std::string> gone;
  shard_config next;
  if (c.primary == st.placement.self) {
    next = c.renewed(lease);
  } else {
    log::warning("failover", st.spec.service, "/", idx, ": node ",
                 st.placement.self, " takes over as primary (the lease of ",
                 c.primary, " expired)");
    gone.push_back(st.keys->member(c.primary, c.lease));
    next = c.elected(st.placement.self, lease);
  }
  // Taking over another node's shard is a move; renewing one's own is not.
  bool moves = !gone.empty();
  etcd_propose(self, idx, std::move(next), {my_key(st)}, std::move(gone),
               [moves](region_actor* self, uint16_t idx, bool applied) {
                 if (applied && moves)
                   count_move(self->state);
                 etcd_reconcile(self, idx);
               });
}

/// Removes the replicas the journal asked to drop.
void drop_replicas(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  auto next = es.cfg;
  std::string names;
  for (const auto& name : es.drop) {
    next = next.without_replica(name);
    names += (names.empty() ? "" : ", ") + name;
  }
  next.epoch = es.cfg.epoch + 1;
  log::warning("replication", st.spec.service, "/", idx, ": removing replica ",
               names,
               " from the configuration (it did not persist an entry in "
               "time, or it is gone); writes go on without it");
  etcd_propose(self, idx, std::move(next), {my_key(st)}, {},
               [removed = es.drop.size()](region_actor* self, uint16_t idx,
                                          bool applied) {
                 if (applied && self->state.replicas_removed != nullptr)
                   self->state.replicas_removed->inc(removed);
                 etcd_reconcile(self, idx);
               });
}

/// Gives a memory-only shard back to the higher-ranked owner `to`.
void hand_back(region_actor* self, uint16_t idx, const std::string& to,
               int64_t lease) {
  auto& st = self->state;
  st.roles[idx] = shard_role::handing_over;
  stop_shard(self, idx, [self, idx, to, lease] {
    auto& st = self->state;
    auto next = st.etcd_shards[idx].cfg.elected(to, lease);
    etcd_propose(self, idx, std::move(next),
                 {my_key(st), st.keys->member(to, lease)}, {},
                 [to](region_actor* self, uint16_t idx, bool applied) {
                   auto& st = self->state;
                   st.roles[idx] = shard_role::waiting;
                   if (applied) {
                     log::info("failover", st.spec.service, "/", idx,
                               ": handed back to ", to);
                     count_move(st);
                   }
                   etcd_reconcile(self, idx);
                   release_stash(self, idx);
                 });
  });
}

/// Marks the backups that are unreachable and whose lease expired for
/// removal: they are gone (and catch up as followers when back), so the
/// next write need not wait for them to time out.
void drop_departed(region_state& st, etcd_shard& es) {
  auto view = st.placement.members->view();
  for (const auto& name : es.cfg.backups()) {
    const auto* m = view->find(name);
    bool gone = m == nullptr || (!m->up && m->lease() == 0);
    if (gone &&
        std::find(es.drop.begin(), es.drop.end(), name) == es.drop.end())
      es.drop.push_back(name);
  }
}

/// What a primary does besides serving: remove failed replicas, give a
/// memory-only shard back to its preferred owner.
void primary_duties(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  if (es.cas_pending)
    return;
  drop_departed(st, es);
  if (!es.drop.empty()) {
    drop_replicas(self, idx);
    return;
  }
  if (st.spec.replicated)
    return;
  auto view = st.placement.members->view();
  for (const auto& name : st.owners[idx]) {
    if (name == st.placement.self)
      return;
    const auto* m = view->find(name);
    if (m != nullptr && m->up && m->lease() != 0) {
      hand_back(self, idx, name, m->lease());
      return;
    }
  }
}

void step_down(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  const auto& c = st.etcd_shards[idx].cfg;
  log::warning("failover", st.spec.service, "/", idx, ": node ",
               st.placement.self, " stops serving the shard (now ", c.primary,
               " at epoch ", c.epoch, ")");
  st.roles[idx] = shard_role::waiting;
  st.etcd_shards[idx].replicas->fail_parked(
      make_error(errc::unavailable,
                 "shard " + std::to_string(idx) + " of " + st.spec.service +
                     " moved to another node; the write was not "
                     "acknowledged"));
  stop_shard(self, idx, [self, idx] {
    set_state(self->state, idx, region_status::loading);
    etcd_reconcile(self, idx);
  });
}

bool may_create(const region_state& st, uint16_t idx) {
  const auto& owners = st.owners[idx];
  if (first_leased(st, idx, owners) != st.placement.self)
    return false;
  // The preferred owner creates at once; another one after the start-up
  // grace, unless every owner is here anyway.
  if (owners.front() == st.placement.self || st.grace_over)
    return true;
  for (const auto& name : owners)
    if (lease_of(st, name) == 0)
      return false;
  return true;
}

bool may_elect(const region_state& st, uint16_t idx) {
  const auto& c = st.etcd_shards[idx].cfg;
  if (c.primary == st.placement.self)
    return true; // its own old lease: renew
  const auto& candidates = st.spec.replicated ? c.replicas : st.owners[idx];
  return first_leased(st, idx, candidates) == st.placement.self;
}

} // namespace

void etcd_become_primary(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  st.roles[idx] = shard_role::primary;
  st.epochs[idx] = es.cfg.epoch;
  es.joining = false;
  es.replicas->set(es.cfg.epoch, st.spec.replicated
                                     ? es.cfg.backups()
                                     : std::vector<std::string>{});
  log::info("failover", st.spec.service, "/", idx, ": node ", st.placement.self,
            " serves the shard (epoch ", es.cfg.epoch, ", replicas ",
            es.cfg.replicas.size(), ")");
  spawn_shard(self, idx);
  release_stash(self, idx);
}

void etcd_init(region_actor* self) {
  auto& st = self->state;
  auto n = st.shards.size();
  st.etcd_shards.resize(n);
  st.keys = std::make_unique<etcd_keys>(st.base.config->membership.etcd_prefix,
                                        st.base.config->cluster);
  if (auto* reg = st.base.metrics; reg != nullptr) {
    metric_labels labels{{"service", st.spec.service}};
    st.config_changes = &reg->counter(
        "troupe_config_changes_total",
        "Shard configurations this node changed in etcd (compare-and-swap)",
        labels);
    st.replicas_removed = &reg->counter(
        "troupe_replicas_removed_total",
        "Replicas removed from a shard's configuration because they did not "
        "persist an entry in time",
        labels);
  }
  for (uint16_t i = 0; i < n; ++i) {
    bool owner = owns(st, i, st.placement.self);
    st.roles[i] = owner ? shard_role::waiting : shard_role::none;
    set_state(st, i, owner ? region_status::loading : region_status::remote);
  }
  // The positions of this node's copies (the first epoch of a shard this
  // node creates lies above them).
  auto dest = caf::actor_cast<caf::actor>(self);
  auto* store = st.base.store;
  st.base.committer->submit_task([dest, store, n] {
    std::vector<uint64_t> epochs;
    for (uint16_t i = 0; i < n; ++i)
      epochs.push_back(store->position(i).epoch);
    caf::anon_send(dest, configs_atom::value, std::move(epochs));
  });
}

void etcd_on_positions(region_actor* self,
                       const std::vector<uint64_t>& epochs) {
  auto& st = self->state;
  for (size_t i = 0; i < epochs.size() && i < st.etcd_shards.size(); ++i)
    st.etcd_shards[i].start.epoch = epochs[i];
  st.positions_known = true;
  etcd_reconcile_all(self);
}

void etcd_on_config(region_actor* self, uint16_t idx, const std::string& json,
                    int64_t revision) {
  if (idx >= self->state.etcd_shards.size())
    return;
  etcd_adopt_stored(self, idx, json, revision);
  etcd_reconcile(self, idx);
}

void etcd_reconcile_all(region_actor* self) {
  for (uint16_t i = 0; i < self->state.etcd_shards.size(); ++i)
    etcd_reconcile(self, i);
}

void etcd_reconcile(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  auto role = st.roles[idx];
  if (!st.configs_loaded || !st.positions_known || es.cas_pending ||
      role == shard_role::handing_over)
    return;
  const auto& me = st.placement.self;
  const auto& lease = my_lease(st);
  const auto& c = es.cfg;
  bool mine =
      c.exists() && c.primary == me && c.lease == lease.id() && lease.id() != 0;
  if (mine) {
    // While the lease is not valid, the shard refuses every request.
    if (!lease.valid())
      return;
    if (role != shard_role::primary)
      etcd_become_primary(self, idx);
    else
      primary_duties(self, idx);
    return;
  }
  if (role == shard_role::primary) {
    step_down(self, idx);
    return;
  }
  if (!lease.valid())
    return;
  if (!owns(st, idx, me)) {
    st.roles[idx] = shard_role::none;
    set_state(st, idx, region_status::remote);
    return;
  }
  if (!c.exists()) {
    if (may_create(st, idx))
      create(self, idx);
    return;
  }
  if (!primary_alive(st, c)) {
    if (may_elect(st, idx))
      elect(self, idx);
    return;
  }
  if (!st.spec.replicated) {
    st.roles[idx] = shard_role::backup;
    set_state(st, idx, region_status::remote);
    return;
  }
  if (role == shard_role::syncing ||
      (role == shard_role::backup && (es.joining || c.has_replica(me))))
    return;
  etcd_start_sync(self, idx);
}

void etcd_on_drop(region_actor* self, uint16_t idx, const std::string& node,
                  uint64_t) {
  auto& st = self->state;
  if (idx >= st.etcd_shards.size() || st.roles[idx] != shard_role::primary)
    return;
  auto& es = st.etcd_shards[idx];
  if (!es.cfg.has_replica(node)) {
    // Removed already: let the writes parked on it go on.
    es.replicas->set(es.cfg.epoch, es.cfg.backups());
    return;
  }
  if (std::find(es.drop.begin(), es.drop.end(), node) == es.drop.end())
    es.drop.push_back(node);
  etcd_reconcile(self, idx);
}

void etcd_on_leases(region_actor* self) {
  auto& st = self->state;
  auto view = st.placement.members->view();
  std::vector<std::pair<std::string, int64_t>> live;
  for (const auto& m : view->members)
    for (auto id : m.leases)
      live.emplace_back(m.name, id);
  for (const auto& [name, id] : st.live_leases) {
    if (std::find(live.begin(), live.end(), std::make_pair(name, id)) !=
        live.end())
      continue;
    // Seen alive before, gone now: expired (or revoked) in etcd.
    if (st.expired_leases.size() >= 1024)
      st.expired_leases.clear();
    st.expired_leases.insert(id);
    const auto* m = view->find(name);
    if (name != st.placement.self && m != nullptr && m->lease() == 0)
      fail_in_flight(self, name, "lost its lease");
  }
  st.live_leases = std::move(live);
  etcd_reconcile_all(self);
}

void etcd_on_handover_timeout(region_actor* self, uint16_t idx,
                              uint64_t token) {
  auto& st = self->state;
  auto i = st.handovers.find(idx);
  if (i == st.handovers.end() || i->second.token != token ||
      st.etcd_shards[idx].cas_pending)
    return;
  log::warning("failover", st.spec.service, "/", idx, ": ", i->second.to,
               " did not join in time; serving the shard again");
  st.handovers.erase(i);
  st.roles[idx] = shard_role::waiting;
  etcd_reconcile(self, idx); // serves again if the configuration says so
  release_stash(self, idx);
}

void etcd_resync(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  if (idx >= st.etcd_shards.size() || st.roles[idx] != shard_role::backup)
    return;
  st.roles[idx] = shard_role::waiting;
  set_state(st, idx, region_status::loading);
  etcd_reconcile(self, idx);
}

std::string etcd_target(const region_state& st, uint16_t idx) {
  const auto& c = st.etcd_shards[idx].cfg;
  // A primary whose lease expired serves nothing: the shard is failing
  // over. (A lease not seen yet is not taken for expired: after a
  // hand-over, the new primary's lease may reach this node after the
  // configuration that names it.)
  if (!c.exists() || c.primary == st.placement.self ||
      st.expired_leases.count(c.lease) != 0)
    return {};
  return c.primary;
}

void fail_stash(region_actor* self, uint16_t idx, const caf::error& why) {
  auto stash = std::move(self->state.stash[idx]);
  self->state.stash[idx].clear();
  note_stashed(self->state, idx);
  for (auto& x : stash)
    x.rp.deliver(why);
}

} // namespace troupe::runtime::detail
