// How a follower catches up with a shard's primary and joins its
// replicas when etcd is the configuration manager, and how a replica
// accepts the primary's entries. See region_etcd.cpp for the transitions.
//
// 1. The follower reads its position (on the committer thread, after
//    every write queued before) and sends `(sync, epoch, seq, me)`.
// 2. The primary pauses the shard (stops the actor; new messages are
//    stashed), and answers with what makes the follower's copy *equal* to
//    its own: nothing, the journal tail after the follower's position, or
//    the whole state when the follower's history is not a prefix of its
//    own (entries a deposed primary wrote that were never acknowledged).
// 3. The follower installs it and asks `(join, me, epoch, seq)`. From
//    here on it accepts the primary's entries (seq after its position,
//    epoch newer than the configuration it synced against): the primary's
//    first entries may overtake the answer to the join.
// 4. The primary adds the follower to the replicas by a CAS, or hands the
//    shard to it if it ranks higher, answers the new configuration, and
//    serves again (or, having handed it over, becomes a replica itself).
//
// A replica accepts an entry only if it is the next one (seq) and not
// older than the configuration that made it a replica (epoch); anything
// else is refused, and the primary then removes the replica, which syncs
// again. So a replica's journal is always a prefix of its primary's.

#include "troupe/runtime/region_state.hpp"

#include <caf/actor_cast.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/send.hpp>

#include "troupe/log.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::runtime::detail {

namespace {

using persistence::log_position;

void set_state(region_state& st, uint16_t idx, region_status::shard_state s) {
  st.status->states[idx] = s;
}

caf::error unavailable(const region_state& st, uint16_t idx,
                       const std::string& why) {
  return make_error(errc::unavailable, "shard " + std::to_string(idx) + " of " +
                                           st.spec.service + " " + why);
}

caf::actor gateway_of(const region_state& st, const std::string& node) {
  auto view = st.placement.members->view();
  const auto* m = view->find(node);
  return m != nullptr && m->up ? m->gateway : nullptr;
}

bool stale(const region_state& st, uint16_t idx, uint64_t token) {
  return token != st.sync_token[idx] ||
         (st.roles[idx] != shard_role::syncing &&
          !(st.roles[idx] == shard_role::backup &&
            st.etcd_shards[idx].joining));
}

/// Starts the sync of `idx` over after `heartbeat_interval`.
void retry_later(region_actor* self, uint16_t idx) {
  self->delayed_send(self,
                     self->state.base.config->membership.heartbeat_interval,
                     sync_atom::value, idx);
}

/// A step of the sync of `idx` failed: start over later (logged once per
/// series of failures).
void sync_failed(region_actor* self, uint16_t idx, const char* step,
                 const caf::error& err) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  if (es.failures++ == 0)
    log::info("failover", st.spec.service, "/", idx, ": ", step, " ",
              st.sync_from[idx], " failed (", caf::to_string(err),
              "); retrying");
  es.joining = false;
  st.roles[idx] = shard_role::waiting;
  release_stash(self, idx);
  retry_later(self, idx);
}

/// Accepts the primary's entries from the position reached (step 3).
void accept_entries(region_actor* self, uint16_t idx, uint64_t fence) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  st.roles[idx] = shard_role::backup;
  es.next_seq = es.synced.seq + 1;
  es.fence = fence;
}

void on_joined(region_actor* self, uint16_t idx, const std::string& json,
               int64_t revision) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  es.joining = false;
  std::string why;
  if (auto c = shard_config::decode(json, revision, &why))
    etcd_adopt(self, idx, std::move(*c));
  const auto& c = es.cfg;
  const auto& me = st.placement.self;
  if (c.primary == me && c.lease == st.placement.members->lease()->id()) {
    log::info("failover", st.spec.service, "/", idx, ": took over from ",
              st.sync_from[idx]);
    etcd_become_primary(self, idx);
    return;
  }
  if (c.has_replica(me)) {
    es.failures = 0;
    es.fence = std::max(es.fence, c.epoch);
    set_state(st, idx, region_status::remote);
    log::info("failover", st.spec.service, "/", idx, ": in sync with ",
              c.primary, " (epoch ", c.epoch, ")");
  } else {
    st.roles[idx] = shard_role::waiting;
    retry_later(self, idx);
  }
  release_stash(self, idx);
}

/// Asks the primary to join the replicas (step 3).
void join(region_actor* self, uint16_t idx, uint64_t token) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  auto gateway = gateway_of(st, st.sync_from[idx]);
  if (!gateway) {
    st.roles[idx] = shard_role::waiting;
    retry_later(self, idx);
    return;
  }
  accept_entries(self, idx, es.cfg.epoch + 1);
  es.joining = true;
  self->request(gateway, st.base.config->http.request_timeout,
                deliver_atom::value, st.spec.service, idx,
                caf::make_message(join_atom::value, st.placement.self,
                                  st.placement.members->lease()->id(),
                                  es.synced.epoch, es.synced.seq))
      .then(
          [self, idx, token](const std::string& json, int64_t revision) {
            if (!stale(self->state, idx, token))
              on_joined(self, idx, json, revision);
          },
          [self, idx, token](caf::error& err) {
            if (!stale(self->state, idx, token))
              sync_failed(self, idx, "joining", err);
          });
}

void install(region_actor* self, uint16_t idx, uint64_t token,
             const std::string& blob) {
  auto& st = self->state;
  auto transfer = decode_transfer(self, idx, blob);
  if (!transfer) {
    st.roles[idx] = shard_role::waiting;
    retry_later(self, idx);
    return;
  }
  install_transfer(self, idx, token, std::move(transfer));
}

} // namespace

// -- follower
// ------------------------------------------------------------------

void etcd_start_sync(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  st.roles[idx] = shard_role::syncing;
  es.joining = false;
  set_state(st, idx, region_status::loading);
  auto token = ++st.sync_token[idx];
  st.sync_from[idx] = es.cfg.primary;
  auto dest = caf::actor_cast<caf::actor>(self);
  auto* store = st.base.store;
  st.base.committer->submit_task([dest, store, idx, token] {
    auto pos = store->position(idx);
    caf::anon_send(dest, sync_atom::value, idx, token, pos.epoch, pos.seq);
  });
}

void etcd_on_position(region_actor* self, uint16_t idx, uint64_t token,
                      log_position pos) {
  auto& st = self->state;
  if (stale(st, idx, token))
    return;
  st.etcd_shards[idx].synced = pos;
  auto gateway = gateway_of(st, st.sync_from[idx]);
  if (!gateway) {
    st.roles[idx] = shard_role::waiting;
    retry_later(self, idx);
    return;
  }
  self->request(gateway, st.base.config->http.request_timeout,
                deliver_atom::value, st.spec.service, idx,
                caf::make_message(sync_atom::value, pos.epoch, pos.seq,
                                  st.placement.self))
      .then(
          [self, idx, token](const std::string& blob, uint64_t) {
            if (stale(self->state, idx, token))
              return;
            if (blob.empty())
              join(self, idx, token);
            else
              install(self, idx, token, blob);
          },
          [self, idx, token](caf::error& err) {
            if (!stale(self->state, idx, token))
              sync_failed(self, idx, "catching up from", err);
          });
}

void etcd_on_installed(region_actor* self, uint16_t idx, uint64_t token,
                       log_position pos) {
  auto& st = self->state;
  if (stale(st, idx, token))
    return;
  st.etcd_shards[idx].synced = pos;
  join(self, idx, token);
}

// -- primary
// -------------------------------------------------------------------

caf::result<caf::message> etcd_on_sync(region_actor* self, uint16_t idx,
                                       log_position from,
                                       const std::string& requester) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  if (!st.spec.replicated || !owns(st, idx, requester))
    return make_error(errc::invalid_argument,
                      requester + " is not an owner of this shard");
  if (st.roles[idx] != shard_role::primary || !st.placement.members->quorum())
    return unavailable(st, idx, "is not served by " + st.placement.self);
  if (es.cas_pending)
    return unavailable(st, idx, "is changing its configuration; retry");
  // Pause the shard so that the transfer holds every write, and stash new
  // messages until the follower joined.
  auto rp = self->make_response_promise();
  pause_for_transfer(self, idx, requester, from, rp, true);
  return caf::delegated<caf::message>{};
}

caf::result<caf::message> etcd_on_join(region_actor* self, uint16_t idx,
                                       const std::string& requester,
                                       int64_t lease, log_position at) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  auto h = st.handovers.find(idx);
  if (h == st.handovers.end() || h->second.to != requester ||
      st.roles[idx] != shard_role::handing_over || es.cas_pending)
    return unavailable(st, idx, "has no sync of " + requester + " in progress");
  if (lease == 0) {
    etcd_on_handover_timeout(self, idx, h->second.token);
    return unavailable(st, idx,
                       "cannot add " + requester + ", which holds no lease");
  }
  bool hand = rank_of(st, idx, requester) < rank_of(st, idx, st.placement.self);
  auto next = hand ? es.cfg.handed_to(requester, lease)
                   : es.cfg.with_replica(requester);
  for (const auto& name : es.drop)
    if (name != requester && name != next.primary)
      next = next.without_replica(name);
  next.epoch = es.cfg.epoch + 1;
  auto rp = self->make_response_promise();
  auto my_key =
      st.keys->member(st.placement.self, st.placement.members->lease()->id());
  etcd_propose(self, idx, std::move(next),
               {my_key, st.keys->member(requester, lease)}, {},
               [rp, requester, at](region_actor* self, uint16_t idx,
                                   bool applied) mutable {
                 etcd_after_join(self, idx, requester, at, applied, rp);
               });
  return caf::delegated<caf::message>{};
}

void etcd_after_join(region_actor* self, uint16_t idx,
                     const std::string& requester, log_position at,
                     bool applied, caf::response_promise& rp) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  st.handovers.erase(idx);
  const auto& me = st.placement.self;
  if (applied) {
    rp.deliver(es.cfg.encode(), es.cfg.revision);
    if (es.cfg.primary != me) {
      log::info("failover", st.spec.service, "/", idx, ": handed over to ",
                requester);
      if (st.moves != nullptr)
        st.moves->inc();
    }
  } else {
    rp.deliver(unavailable(st, idx, "changed its configuration; retry"));
  }
  if (es.cfg.primary == me &&
      es.cfg.lease == st.placement.members->lease()->id()) {
    etcd_become_primary(self, idx);
    return;
  }
  // Handed over: this node's copy equals the new primary's.
  if (applied && es.cfg.has_replica(me)) {
    st.roles[idx] = shard_role::backup;
    es.synced = at;
    es.next_seq = at.seq + 1;
    es.fence = es.cfg.epoch;
    set_state(st, idx, region_status::remote);
  } else {
    st.roles[idx] = shard_role::waiting;
  }
  es.replicas->fail_parked(
      unavailable(st, idx,
                  "moved to another node; the write was not "
                  "acknowledged"));
  release_stash(self, idx);
  etcd_reconcile(self, idx);
}

// -- replica
// -------------------------------------------------------------------

caf::result<caf::message> etcd_persist_replica(region_actor* self, uint16_t idx,
                                               const std::string& blob) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  if (st.roles[idx] != shard_role::backup)
    return unavailable(st, idx, "has no replica on " + st.placement.self);
  persistence::journal_entry entry;
  std::string why;
  if (!persistence::decode(blob, entry, &why))
    return make_error(errc::invalid_argument, "bad journal entry: " + why);
  if (entry.epoch < es.fence)
    return make_error(errc::conflict,
                      "node " + st.placement.self + " replicates shard " +
                          std::to_string(idx) + " from epoch " +
                          std::to_string(es.fence) + " on, not " +
                          std::to_string(entry.epoch));
  if (entry.seq != es.next_seq)
    return unavailable(st, idx,
                       "on " + st.placement.self + " expects entry " +
                           std::to_string(es.next_seq) + ", not " +
                           std::to_string(entry.seq));
  auto rp = self->make_response_promise();
  reply_to client{rp.next(), rp.id()};
  auto region = caf::actor_cast<caf::actor>(self);
  auto res = st.base.committer->submit(
      *st.base.store, idx, std::move(entry),
      [client, region, idx](bool ok, const std::string& err) {
        if (ok)
          return client.send(caf::make_message(replicate_atom::value));
        client.send(caf::make_message(
            make_error(errc::unavailable, "replica write failed: " + err)));
        // The journal here now misses an entry: sync again.
        caf::anon_send(region, sync_atom::value, idx, true);
      });
  if (res != persistence::submit_result::accepted)
    return make_error(errc::unavailable, "replica refused the entry: " +
                                             std::string{to_string(res)});
  ++es.next_seq;
  ++st.status->replica_entries;
  return rp;
}

} // namespace troupe::runtime::detail
