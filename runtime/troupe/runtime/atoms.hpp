#pragma once

#include <caf/atom.hpp>

/// Atoms of the runtime's own protocols (regions, shards, virtual actors).
/// Services declare theirs next to their message types.
namespace troupe::runtime {

/// Routes the wrapped message to a shard by index: `(to_shard, idx, msg)`.
using to_shard_atom = caf::atom_constant<caf::atom("to_shard")>;
/// A shard tells its region that its state is loaded: `(ready, idx)`.
using ready_atom = caf::atom_constant<caf::atom("ready")>;
/// The persistence layer acknowledges a journal entry:
/// `(committed, seq, ok, error_text)`.
using committed_atom = caf::atom_constant<caf::atom("committed")>;
/// Loaded durable state arrives at a shard: `(loaded, shard_image_ptr)`.
using loaded_atom = caf::atom_constant<caf::atom("loaded")>;
/// Asks a shard or region to persist everything buffered (e.g. counters).
using flush_atom = caf::atom_constant<caf::atom("flush")>;
/// Fault injection: `(crash, idx)` makes a shard throw.
using crash_atom = caf::atom_constant<caf::atom("crash")>;
/// Periodic timer tick.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
/// Asks a virtual actor to persist and stop.
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
/// Asks a region for the number of active virtual actors.
using count_atom = caf::atom_constant<caf::atom("count")>;

/// Delivers the wrapped message to a shard running on this node only:
/// `(local, idx, msg)` (what other nodes' routed messages become).
using local_atom = caf::atom_constant<caf::atom("local")>;

// -- membership (between nodes) ---------------------------------------------

/// A node's hello and heartbeat: `(heartbeat, name, incarnation, hash)`.
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
/// Answer to a heartbeat with another config hash: `(refused, reason)`.
using refused_atom = caf::atom_constant<caf::atom("refused")>;
/// A region registers with the membership: `(subscribe, service, region)`.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
/// The membership tells regions: `(member_down, name)`, `(member_up, name)`.
using member_down_atom = caf::atom_constant<caf::atom("mdown")>;
using member_up_atom = caf::atom_constant<caf::atom("mup")>;
/// A message routed to another node's shard: `(deliver, service, idx, msg)`.
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;

/// A primary sends a journal entry to a backup of its shard:
/// `(replicate, msgpack journal_entry)`, answered with `(replicate)` once
/// the backup persisted it.
using replicate_atom = caf::atom_constant<caf::atom("replicate")>;

} // namespace troupe::runtime
