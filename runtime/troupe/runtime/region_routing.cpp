// Where a region's messages go: the local shard, the owning node, or an
// error (owner down, no quorum); and the backup side of replication.

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

/// Delegates `msg` to shard `idx` on node `owner`: the shard answers the
/// requester directly. The region remembers the requester for one request
/// timeout, to fail the request at once if `owner` goes down meanwhile.
caf::result<caf::message> forward_remote(region_actor* self,
                                         const std::string& owner, uint16_t idx,
                                         caf::message msg) {
  auto& st = self->state;
  auto view = st.placement.members->view();
  const auto* m = view->find(owner);
  if (m == nullptr || !m->up || !m->gateway)
    return make_error(errc::unavailable, "shard " + std::to_string(idx) +
                                             " of " + st.spec.service +
                                             " is owned by node " + owner +
                                             ", which is down");
  auto now = in_flight_entry::clock::now();
  auto& pending = st.in_flight[owner];
  auto window = st.base.config->http.request_timeout;
  while (!pending.empty() && now - pending.front().sent > window)
    pending.pop_front();
  auto rp = self->make_response_promise();
  if (auto requester = rp.next())
    pending.push_back(in_flight_entry{std::move(requester), rp.id(), now});
  count_routed(st, owner);
  rp.delegate(m->gateway, deliver_atom::value, st.spec.service, idx,
              std::move(msg));
  return caf::delegated<caf::message>{};
}

} // namespace

/// Returns the node that owns shard `idx` (this node on a single node).
const std::string& owner_of(const region_state& st, uint16_t idx) {
  // The node filled `primaries` from the shard map when it made the region.
  if (!st.placement.members)
    return st.placement.self;
  return st.status->primaries[idx];
}

/// Hands `msg` to the shard actor `idx` of this node.
caf::result<caf::message> forward_local(region_actor* self, uint16_t idx,
                                        caf::message msg) {
  auto& st = self->state;
  if (idx >= st.shards.size())
    return make_error(errc::invalid_argument, "no such shard");
  if (!st.shards[idx])
    return make_error(errc::unavailable, "shard " + std::to_string(idx) +
                                             " of " + st.spec.service +
                                             " is unavailable");
  self->delegate(st.shards[idx], std::move(msg));
  return caf::delegated<caf::message>{};
}

/// Routes `msg` to shard `idx`, wherever it runs.
caf::result<caf::message> forward(region_actor* self, uint16_t idx,
                                  caf::message msg) {
  auto& st = self->state;
  if (idx >= st.shards.size())
    return make_error(errc::invalid_argument, "no such shard");
  const auto& members = st.placement.members;
  if (members && !members->quorum() && st.spec.is_write &&
      st.spec.is_write(msg)) {
    auto view = members->view();
    return make_error(errc::unavailable,
                      "node " + view->self + " sees " +
                          std::to_string(view->up_count()) + " of " +
                          std::to_string(view->members.size()) +
                          " nodes; writes need a majority");
  }
  auto owner = owner_of(st, idx);
  if (owner == st.placement.self)
    return forward_local(self, idx, std::move(msg));
  return forward_remote(self, owner, idx, std::move(msg));
}

/// Persists a journal entry the primary of shard `idx` sent to this
/// backup; answers `(replicate)` once it is durable here.
caf::result<caf::message> persist_replica(region_actor* self, uint16_t idx,
                                          const std::string& blob) {
  auto& st = self->state;
  if (idx >= st.shards.size() || owner_of(st, idx) == st.placement.self)
    return make_error(errc::conflict, "this node is the primary of shard " +
                                          std::to_string(idx));
  persistence::journal_entry entry;
  std::string why;
  if (!persistence::decode(blob, entry, &why))
    return make_error(errc::invalid_argument, "bad journal entry: " + why);
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
void fail_in_flight(region_actor* self, const std::string& name) {
  auto i = self->state.in_flight.find(name);
  if (i == self->state.in_flight.end())
    return;
  auto err =
      make_error(errc::unavailable,
                 "node " + name + " went down with the request in flight");
  for (auto& entry : i->second)
    entry.requester->enqueue(nullptr, entry.id.response_id(),
                             caf::make_message(err), self->context());
  self->state.in_flight.erase(i);
}

} // namespace troupe::runtime::detail
