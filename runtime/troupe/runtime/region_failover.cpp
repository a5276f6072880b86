// Which node serves each shard, and how a shard moves between its owners:
// promotion when higher-ranked owners are down, catch-up of an owner that
// comes back, and hand-over to it. See docs/design.md ("Failover").
//
// Every owner of a shard applies one rule to its own view: the acting
// primary is the first owner (in rank order) that is up. An owner that
// starts, or learns it was cut off, first catches up from the acting
// primary (`sync`): the primary stops its shard actor (new messages are
// stashed), sends the journal tail after the requester's position or its
// whole state, and once the requester installed it either hands the shard
// over (the requester ranks higher) or restarts its shard. A promoted or
// handed-over primary takes a new epoch; backups refuse entries of older
// epochs, which fences a primary that was cut off.

#include "troupe/runtime/region_state.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/send.hpp>

#include "troupe/log.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::runtime::detail {

using persistence::log_position;

bool owns(const region_state& st, uint16_t idx, const std::string& name) {
  const auto& owners = st.owners[idx];
  return std::find(owners.begin(), owners.end(), name) != owners.end();
}

/// Returns the rank of `name` among the owners of `idx` (0 = preferred).
size_t rank_of(const region_state& st, uint16_t idx, const std::string& name) {
  const auto& owners = st.owners[idx];
  return static_cast<size_t>(std::find(owners.begin(), owners.end(), name) -
                             owners.begin());
}

/// Sends a one-way control message to the region of shard `idx` on `node`.
void tell(region_actor* self, const std::string& node, uint16_t idx,
          caf::message msg) {
  auto view = self->state.placement.members->view();
  if (const auto* m = view->find(node); m != nullptr && m->up && m->gateway)
    self->send(m->gateway, deliver_atom::value, self->state.spec.service, idx,
               std::move(msg));
}

void send_transfer(region_actor* self, uint16_t idx, log_position from,
                   caf::strong_actor_ptr requester, caf::message_id id,
                   bool exact) {
  auto* store = self->state.base.store;
  auto epoch = self->state.epochs[idx];
  self->state.base.committer->submit_task([store, idx, from, epoch, requester,
                                           id, exact] {
    auto transfer = store->read_transfer(idx, from);
    std::string blob;
    bool differs = transfer.full || !transfer.entries.empty();
    if (exact ? differs : from < transfer.to)
      blob = persistence::encode(transfer);
    if (requester)
      requester->enqueue(nullptr, id.response_id(),
                         caf::make_message(std::move(blob), epoch), nullptr);
  });
}

std::shared_ptr<persistence::shard_transfer>
decode_transfer(region_actor* self, uint16_t idx, const std::string& blob) {
  auto transfer = std::make_shared<persistence::shard_transfer>();
  std::string why;
  if (persistence::decode(blob, *transfer, &why))
    return transfer;
  auto& st = self->state;
  log::error("failover", st.spec.service, "/", idx,
             ": unreadable transfer from ", st.sync_from[idx], " (", why,
             "); retrying");
  return nullptr;
}

void pause_for_transfer(region_actor* self, uint16_t idx,
                        const std::string& requester, log_position from,
                        caf::response_promise& rp, bool exact) {
  auto& st = self->state;
  st.roles[idx] = shard_role::handing_over;
  auto token = ++st.sync_token[idx];
  st.handovers[idx] = handover{rp.next(), rp.id(), requester, from, token};
  stop_shard(self, idx, [self, idx, token, exact] {
    auto i = self->state.handovers.find(idx);
    if (i == self->state.handovers.end() || i->second.token != token)
      return;
    send_transfer(self, idx, i->second.from, i->second.requester, i->second.id,
                  exact);
  });
  self->delayed_send(self, st.base.config->http.request_timeout,
                     grace_atom::value, idx, token);
}

void install_transfer(region_actor* self, uint16_t idx, uint64_t token,
                      std::shared_ptr<persistence::shard_transfer> transfer) {
  auto& st = self->state;
  log::info("failover", st.spec.service, "/", idx, ": catching up from ",
            st.sync_from[idx], " (",
            transfer->full ? "whole state" : "journal tail", ", ",
            transfer->full ? transfer->records.size()
                           : transfer->entries.size(),
            transfer->full ? " records" : " entries", ")");
  auto dest = caf::actor_cast<caf::actor>(self);
  auto* store = st.base.store;
  st.base.committer->submit_task([dest, store, idx, token, transfer] {
    store->install(idx, *transfer);
    caf::anon_send(dest, synced_atom::value, idx, token, transfer->to.epoch,
                   transfer->to.seq);
  });
}

namespace {

void set_state(region_state& st, uint16_t idx, region_status::shard_state s) {
  st.status->states[idx] = s;
}

void count_move(region_state& st) {
  if (st.moves != nullptr)
    st.moves->inc();
}

/// Serves shard `idx` from this node's store under a new epoch, higher
/// than any this node knows (the low byte tells nodes apart).
void become_primary(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  st.roles[idx] = shard_role::primary;
  st.epochs[idx] = (((st.epochs[idx] >> 8) + 1) << 8) | st.node_index;
  spawn_shard(self, idx);
}

void become_backup(region_actor* self, uint16_t idx) {
  self->state.roles[idx] = shard_role::backup;
  set_state(self->state, idx, region_status::remote);
}

/// Ends a sync of shard `idx`: serve it if this node is now its first
/// owner up (a promotion needs a quorum), else back it up; tell the
/// source, which may be holding the shard for this node.
void finish_sync(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  auto source = std::move(st.sync_from[idx]);
  st.sync_from[idx].clear();
  auto view = st.placement.members->view();
  bool first = first_up_owner(st, idx, *view, false) == st.placement.self;
  bool serve = first && (rank_of(st, idx, st.placement.self) == 0 ||
                         (view->quorum && st.grace_over));
  if (serve)
    become_primary(self, idx);
  else
    become_backup(self, idx);
  if (!source.empty())
    tell(self, source, idx,
         caf::make_message(synced_atom::value, st.placement.self, serve));
}

/// Reads this node's position of shard `idx` on the committer thread
/// (after every queued write), then asks the source for what it lacks.
void start_sync(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  st.roles[idx] = shard_role::syncing;
  set_state(st, idx, region_status::loading);
  auto token = ++st.sync_token[idx];
  auto view = st.placement.members->view();
  st.sync_from[idx] =
      st.spec.replicated ? first_up_owner(st, idx, *view, true) : "";
  if (st.sync_from[idx].empty()) {
    finish_sync(self, idx);
    return;
  }
  auto dest = caf::actor_cast<caf::actor>(self);
  auto* store = st.base.store;
  st.base.committer->submit_task([dest, store, idx, token] {
    auto pos = store->position(idx);
    caf::anon_send(dest, sync_atom::value, idx, token, pos.epoch, pos.seq);
  });
}

void install(region_actor* self, uint16_t idx, uint64_t token,
             const std::string& blob) {
  auto& st = self->state;
  if (blob.empty()) {
    finish_sync(self, idx);
    return;
  }
  auto transfer = decode_transfer(self, idx, blob);
  if (!transfer) {
    self->delayed_send(self, st.base.config->membership.heartbeat_interval,
                       sync_atom::value, idx);
    return;
  }
  install_transfer(self, idx, token, std::move(transfer));
}

/// Gives up a hand-over of shard `idx`: serve it again here.
void abort_handover(region_actor* self, uint16_t idx, const char* why) {
  auto& st = self->state;
  st.handovers.erase(idx);
  log::warning("failover", st.spec.service, "/", idx, ": hand-over abandoned (",
               why, "); serving it again");
  st.roles[idx] = shard_role::primary;
  spawn_shard(self, idx);
  release_stash(self, idx);
}

void promote(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  log::warning("failover", st.spec.service, "/", idx, ": node ",
               st.placement.self,
               " takes over as primary (the owners ranked above it are down)");
  become_primary(self, idx);
  count_move(st);
}

void reconcile(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  auto view = st.placement.members->view();
  auto first = first_up_owner(st, idx, *view, false);
  switch (st.roles[idx]) {
  case shard_role::waiting: {
    bool all_up = true;
    for (const auto& name : st.owners[idx])
      if (const auto* m = view->find(name); m == nullptr || !m->up)
        all_up = false;
    if (all_up || st.grace_over)
      start_sync(self, idx);
    break;
  }
  case shard_role::backup:
    if (first == st.placement.self && view->quorum && st.grace_over)
      promote(self, idx);
    break;
  case shard_role::primary:
    // Memory-only shards have nothing to hand over: give the shard back
    // to a higher-ranked owner as soon as it is up.
    if (!st.spec.replicated && !first.empty() &&
        rank_of(st, idx, first) < rank_of(st, idx, st.placement.self)) {
      st.roles[idx] = shard_role::backup;
      stop_shard(self, idx, [self, idx] { become_backup(self, idx); });
      count_move(st);
    }
    break;
  default:
    break;
  }
}

} // namespace

void init_roles(region_actor* self) {
  auto& st = self->state;
  auto n = st.shards.size();
  st.roles.assign(n, shard_role::primary);
  st.epochs.assign(n, 0);
  st.sync_from.assign(n, "");
  st.sync_token.assign(n, 0);
  st.stash.resize(n);
  if (!st.placement.members) {
    for (uint16_t i = 0; i < n; ++i)
      spawn_shard(self, i);
    return;
  }
  const auto& nodes = st.base.config->nodes;
  for (size_t k = 0; k < nodes.size(); ++k)
    if (nodes[k].name == st.placement.self)
      st.node_index = k & 0xff;
  if (st.base.metrics != nullptr)
    st.moves = &st.base.metrics->counter(
        "troupe_shard_moves_total",
        "Shards this node took over (promotion) or handed to another owner",
        {{"service", st.spec.service}});
  st.owners = st.status->owners;
  auto grace = st.base.config->membership.failure_timeout;
  if (st.placement.agent) {
    st.etcd = true;
    etcd_init(self);
    self->delayed_send(self, grace, grace_atom::value);
    self->send(self, tick_atom::value);
    return;
  }
  for (uint16_t i = 0; i < n; ++i) {
    if (!owns(st, i, st.placement.self)) {
      st.roles[i] = shard_role::none;
      set_state(st, i, region_status::remote);
    } else if (!st.spec.replicated && st.owners[i][0] == st.placement.self) {
      spawn_shard(self, i);
    } else if (!st.spec.replicated) {
      become_backup(self, i);
    } else {
      st.roles[i] = shard_role::waiting;
    }
  }
  self->delayed_send(self, grace, grace_atom::value);
}

void reconcile_all(region_actor* self) {
  if (!self->state.placement.members)
    return;
  for (uint16_t i = 0; i < self->state.shards.size(); ++i)
    reconcile(self, i);
}

void on_member_up(region_actor* self, const std::string& name) {
  auto& st = self->state;
  // Every node seen up once: nothing is left to wait for at start.
  auto view = st.placement.members->view();
  if (view->up_count() == view->members.size())
    st.grace_over = true;
  if (st.spec.replicated)
    for (uint16_t i = 0; i < st.shards.size(); ++i)
      if (st.roles[i] == shard_role::primary && owns(st, i, name))
        tell(self, name, i, caf::make_message(offer_atom::value, st.epochs[i]));
  reconcile_all(self);
}

void on_member_down(region_actor* self, const std::string& name) {
  auto& st = self->state;
  std::vector<uint16_t> orphaned;
  for (auto& [idx, h] : st.handovers)
    if (h.to == name)
      orphaned.push_back(idx);
  for (auto idx : orphaned)
    abort_handover(self, idx, "the receiving node went down");
  for (uint16_t i = 0; i < st.shards.size(); ++i)
    if (st.roles[i] == shard_role::syncing && st.sync_from[i] == name)
      start_sync(self, i);
  reconcile_all(self);
}

caf::result<caf::message> on_sync_request(region_actor* self, uint16_t idx,
                                          log_position from,
                                          const std::string& requester) {
  auto& st = self->state;
  if (!st.placement.members || !st.spec.replicated || !owns(st, idx, requester))
    return make_error(errc::invalid_argument,
                      requester + " is not an owner of this shard");
  if (st.roles[idx] == shard_role::handing_over)
    return make_error(errc::unavailable, "shard is being handed over");
  auto rp = self->make_response_promise();
  if (st.roles[idx] != shard_role::primary) {
    send_transfer(self, idx, from, rp.next(), rp.id(), false);
    return caf::delegated<caf::message>{};
  }
  // The acting primary: stop the shard so that the transfer holds every
  // write, and stash new messages until the requester has installed it.
  pause_for_transfer(self, idx, requester, from, rp, false);
  return caf::delegated<caf::message>{};
}

void on_synced(region_actor* self, uint16_t idx, const std::string& requester,
               bool took_over) {
  auto& st = self->state;
  auto i = st.handovers.find(idx);
  if (i == st.handovers.end() || i->second.to != requester)
    return;
  st.handovers.erase(i);
  if (took_over) {
    log::info("failover", st.spec.service, "/", idx, ": handed over to ",
              requester);
    become_backup(self, idx);
    count_move(st);
  } else {
    st.roles[idx] = shard_role::primary;
    spawn_shard(self, idx);
  }
  release_stash(self, idx);
}

void on_offer(region_actor* self, uint16_t idx, uint64_t epoch) {
  auto& st = self->state;
  if (st.roles[idx] == shard_role::primary && st.epochs[idx] < epoch)
    step_down(self, idx, st.epochs[idx]);
  else if (st.roles[idx] == shard_role::backup)
    start_sync(self, idx); // entries written while it was cut off
}

void step_down(region_actor* self, uint16_t idx, uint64_t epoch) {
  auto& st = self->state;
  if (st.roles[idx] != shard_role::primary || st.epochs[idx] != epoch)
    return;
  log::warning("failover", st.spec.service, "/", idx, ": node ",
               st.placement.self,
               " steps down as primary (another node serves the shard at a "
               "newer epoch) and catches up");
  st.roles[idx] = shard_role::waiting;
  stop_shard(self, idx, [self, idx] { start_sync(self, idx); });
}

void on_handover_timeout(region_actor* self, uint16_t idx, uint64_t token) {
  auto i = self->state.handovers.find(idx);
  if (i != self->state.handovers.end() && i->second.token == token)
    abort_handover(self, idx, "the receiving node did not confirm in time");
}

void on_position(region_actor* self, uint16_t idx, uint64_t token,
                 log_position pos) {
  auto& st = self->state;
  if (token != st.sync_token[idx] || st.roles[idx] != shard_role::syncing)
    return;
  st.epochs[idx] = std::max(st.epochs[idx], pos.epoch);
  auto view = st.placement.members->view();
  const auto* m = view->find(st.sync_from[idx]);
  if (m == nullptr || !m->up || !m->gateway) {
    start_sync(self, idx);
    return;
  }
  self->request(m->gateway, st.base.config->http.request_timeout,
                deliver_atom::value, st.spec.service, idx,
                caf::make_message(sync_atom::value, pos.epoch, pos.seq,
                                  st.placement.self))
      .then(
          [self, idx, token](std::string& blob, uint64_t epoch) {
            auto& st = self->state;
            if (token != st.sync_token[idx] ||
                st.roles[idx] != shard_role::syncing)
              return;
            st.epochs[idx] = std::max(st.epochs[idx], epoch);
            install(self, idx, token, blob);
          },
          [self, idx, token](caf::error& err) {
            auto& st = self->state;
            if (token != st.sync_token[idx] ||
                st.roles[idx] != shard_role::syncing)
              return;
            // Info only: at start the other node's service may not run yet;
            // a sync that never succeeds keeps the node not ready.
            log::info("failover", st.spec.service, "/", idx,
                      ": catching up from ", st.sync_from[idx], " failed (",
                      caf::to_string(err), "); retrying");
            self->delayed_send(self,
                               st.base.config->membership.heartbeat_interval,
                               sync_atom::value, idx);
          });
}

void on_installed(region_actor* self, uint16_t idx, uint64_t token,
                  log_position pos) {
  auto& st = self->state;
  if (token != st.sync_token[idx] || st.roles[idx] != shard_role::syncing)
    return;
  st.epochs[idx] = std::max(st.epochs[idx], pos.epoch);
  finish_sync(self, idx);
}

void retry_sync(region_actor* self, uint16_t idx) {
  if (self->state.roles[idx] == shard_role::syncing)
    start_sync(self, idx);
}

} // namespace troupe::runtime::detail
