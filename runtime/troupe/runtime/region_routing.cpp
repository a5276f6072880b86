// Where a region's messages go: the local shard, the node serving the
// shard, a stash while the shard moves, or an error (no owner up, no
// quorum); and the backup side of replication.

#include "troupe/runtime/region_state.hpp"

#include <caf/actor_cast.hpp>
#include <caf/scheduled_actor.hpp>

#include "troupe/persistence/codec.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/persistence/store.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::runtime::detail {

namespace {

/// Messages held per shard while it is handed over (more get 429).
constexpr size_t max_stash = 10000;

/// Counts a request this region sent to node `owner`.
void count_routed(region_state& st, const std::string& owner) {
  auto& counter = st.routed[owner];
  if (counter == nullptr && st.base.metrics != nullptr)
    counter = &st.base.metrics->counter(
        "troupe_routed_requests_total",
        "Requests this node sent to the shard's owner on another node",
        {{"service", st.spec.service}, {"node", owner}});
  if (counter != nullptr)
    counter->inc();
}

caf::error unavailable(const region_state& st, uint16_t idx,
                       const std::string& why) {
  return make_error(errc::unavailable, "shard " + std::to_string(idx) + " of " +
                                           st.spec.service + " " + why);
}

/// Sends `msg` for shard `idx` to node `owner`, answering through `rp`:
/// the shard there answers the requester directly. The region remembers
/// the requester for one request timeout, to fail the request at once if
/// `owner` goes down meanwhile.
void send_remote(region_actor* self, const std::string& owner, uint16_t idx,
                 caf::message msg, caf::response_promise rp) {
  auto& st = self->state;
  auto view = st.placement.members->view();
  const auto* m = view->find(owner);
  if (m == nullptr || !m->up || !m->gateway) {
    rp.deliver(
        unavailable(st, idx, "is served by node " + owner + ", which is down"));
    return;
  }
  auto now = in_flight_entry::clock::now();
  auto& pending = st.in_flight[owner];
  auto window = st.base.config->http.request_timeout;
  while (!pending.empty() && now - pending.front().sent > window)
    pending.pop_front();
  if (auto requester = rp.next())
    pending.push_back(in_flight_entry{std::move(requester), rp.id(), now});
  count_routed(st, owner);
  rp.delegate(m->gateway, deliver_atom::value, st.spec.service, idx,
              std::move(msg));
}

/// Holds `msg` while shard `idx` moves (429 beyond `max_stash`).
void stash(region_state& st, uint16_t idx, caf::message msg,
           caf::response_promise rp) {
  if (st.stash[idx].size() >= max_stash)
    rp.deliver(
        make_error(errc::overloaded, "shard is moving and its queue is full"));
  else
    st.stash[idx].push_back(stashed_message{std::move(rp), std::move(msg)});
  note_stashed(st, idx);
}

/// Returns the node this one believes serves shard `idx` (not itself).
std::string acting_elsewhere(const region_state& st, uint16_t idx) {
  auto view = st.placement.members->view();
  if (st.roles[idx] == shard_role::syncing) {
    const auto* m = view->find(st.sync_from[idx]);
    if (m != nullptr && m->up)
      return st.sync_from[idx];
  }
  return first_up_owner(st, idx, *view, true);
}

/// Routes `msg` for shard `idx` by this node's role for it. `may_leave`:
/// the message may go to another node, as `(hop, msg)` if `last_hop` (that
/// node then serves it or refuses it: no ping-pong while views differ).
void route(region_actor* self, uint16_t idx, caf::message msg,
           caf::response_promise rp, bool may_leave, bool last_hop) {
  auto& st = self->state;
  switch (st.roles[idx]) {
  case shard_role::primary:
    if (st.shards[idx])
      rp.delegate(st.shards[idx], std::move(msg));
    else
      rp.deliver(unavailable(st, idx, "is unavailable"));
    return;
  case shard_role::handing_over:
    stash(st, idx, std::move(msg), std::move(rp));
    return;
  default:
    break;
  }
  if (st.etcd && st.etcd_shards[idx].joining) {
    // Joining the replicas (maybe as the new primary): held until joined.
    stash(st, idx, std::move(msg), std::move(rp));
    return;
  }
  if (!may_leave || !st.placement.members) {
    rp.deliver(unavailable(st, idx, "is not served by this node"));
    return;
  }
  auto target = st.etcd ? etcd_target(st, idx) : acting_elsewhere(st, idx);
  if (target.empty()) {
    rp.deliver(
        unavailable(st, idx,
                    st.etcd ? "has no primary right now (failing over); retry"
                            : "has no owner up"));
    return;
  }
  if (last_hop)
    msg = caf::make_message(hop_atom::value, std::move(msg));
  send_remote(self, target, idx, std::move(msg), std::move(rp));
}

} // namespace

std::string first_up_owner(const region_state& st, uint16_t idx,
                           const member_view& view, bool others_only) {
  for (const auto& name : st.owners[idx]) {
    if (others_only && name == st.placement.self)
      continue;
    if (const auto* m = view.find(name); m != nullptr && m->up)
      return name;
  }
  return {};
}

caf::result<caf::message> forward(region_actor* self, uint16_t idx,
                                  caf::message msg) {
  auto& st = self->state;
  if (idx >= st.shards.size())
    return make_error(errc::invalid_argument, "no such shard");
  const auto& members = st.placement.members;
  if (members && !members->quorum() && st.spec.is_write &&
      st.spec.is_write(msg)) {
    auto view = members->view();
    if (st.etcd)
      return make_error(errc::unavailable,
                        "node " + view->self +
                            " holds no valid lease in etcd; writes need one");
    return make_error(errc::unavailable,
                      "node " + view->self + " sees " +
                          std::to_string(view->up_count()) + " of " +
                          std::to_string(view->members.size()) +
                          " nodes; writes need a majority");
  }
  route(self, idx, std::move(msg), self->make_response_promise(), true, false);
  return caf::delegated<caf::message>{};
}

caf::result<caf::message> forward_routed(region_actor* self, uint16_t idx,
                                         caf::message msg) {
  auto rp = self->make_response_promise();
  if (msg.match_elements<hop_atom, caf::message>())
    route(self, idx, msg.get_as<caf::message>(1), std::move(rp), false, true);
  else
    route(self, idx, std::move(msg), std::move(rp), true, true);
  return caf::delegated<caf::message>{};
}

void release_stash(region_actor* self, uint16_t idx) {
  auto stash = std::move(self->state.stash[idx]);
  self->state.stash[idx].clear();
  note_stashed(self->state, idx);
  for (auto& x : stash)
    route(self, idx, std::move(x.msg), std::move(x.rp), true, true);
}

/// Persists a journal entry the primary of shard `idx` sent to this
/// backup; answers `(replicate)` once it is durable here. Entries of an
/// older epoch than this node knows are refused (`conflict`): they come
/// from a primary that was deposed while cut off. An entry of a newer
/// epoch while this node still serves the shard means this node is the
/// deposed one: it steps down and catches up.
caf::result<caf::message> persist_replica(region_actor* self, uint16_t idx,
                                          const std::string& blob) {
  auto& st = self->state;
  persistence::journal_entry entry;
  std::string why;
  if (!persistence::decode(blob, entry, &why))
    return make_error(errc::invalid_argument, "bad journal entry: " + why);
  auto known = st.epochs[idx];
  auto role = st.roles[idx];
  if (entry.epoch < known ||
      (entry.epoch == known && role == shard_role::primary))
    return make_error(errc::conflict,
                      "node " + st.placement.self + " knows shard " +
                          std::to_string(idx) + " at a newer epoch (" +
                          std::to_string(known) + " > " +
                          std::to_string(entry.epoch) + ")");
  if (role == shard_role::primary) {
    step_down(self, idx, known);
    st.epochs[idx] = entry.epoch; // its next epoch must be above this one
    return unavailable(st, idx, "is catching up on " + st.placement.self);
  }
  st.epochs[idx] = entry.epoch;
  auto rp = self->make_response_promise();
  caf::strong_actor_ptr requester = rp.next();
  auto id = rp.id();
  auto respond = [requester, id](caf::message msg) {
    if (requester)
      requester->enqueue(nullptr, id.response_id(), std::move(msg), nullptr);
  };
  auto res = st.base.committer->submit(
      *st.base.store, idx, std::move(entry),
      [respond](bool ok, const std::string& err) {
        respond(ok ? caf::make_message(replicate_atom::value)
                   : caf::make_message(make_error(
                         errc::unavailable, "backup write failed: " + err)));
      });
  if (res != persistence::submit_result::accepted)
    return make_error(errc::unavailable, "backup refused the entry: " +
                                             std::string{to_string(res)});
  ++st.status->replica_entries;
  return rp;
}

/// Fails the requests sent towards `name` within the last request
/// timeout. Those already answered get a second answer, which requesters
/// ignore (its request id is no longer pending).
void fail_in_flight(region_actor* self, const std::string& name,
                    const char* what) {
  auto i = self->state.in_flight.find(name);
  if (i == self->state.in_flight.end())
    return;
  auto err = make_error(errc::unavailable, "node " + name + " " + what +
                                               " with the request in flight");
  for (auto& entry : i->second)
    entry.requester->enqueue(nullptr, entry.id.response_id(),
                             caf::make_message(err), self->context());
  self->state.in_flight.erase(i);
}

} // namespace troupe::runtime::detail
