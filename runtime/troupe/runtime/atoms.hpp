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
/// A backup refused a primary's entry: a newer epoch serves the shard.
using deposed_atom = caf::atom_constant<caf::atom("deposed")>;
/// `(sync, epoch, seq, requester)`: bring the requester's copy of a shard
/// up to date (see region.hpp).
using sync_atom = caf::atom_constant<caf::atom("sync")>;
/// `(synced, requester, took_over)`: the requester installed the transfer.
using synced_atom = caf::atom_constant<caf::atom("synced")>;
/// `(offer, epoch)`: a shard's acting primary tells a higher-ranked owner
/// that came back to catch up from it.
using offer_atom = caf::atom_constant<caf::atom("offer")>;
/// `(hop, msg)`: a routed message that must not be routed again.
using hop_atom = caf::atom_constant<caf::atom("hop")>;
/// `(entity, key, msg)`: `msg` for the entity `key` (runtime/entity.hpp).
using entity_atom = caf::atom_constant<caf::atom("entity")>;
/// An entity's stored state was read (entity shards).
using activate_atom = caf::atom_constant<caf::atom("activate")>;
/// Internal timers of the region.
using grace_atom = caf::atom_constant<caf::atom("grace")>;

// -- etcd membership (runtime/etcd_agent.hpp) --------------------------------

/// A shard's configuration as etcd stores it:
/// `(config, idx, json, mod_revision)` (json empty: none exists).
using config_atom = caf::atom_constant<caf::atom("config")>;
/// The agent read every configuration of a service once: `(configs)`.
using configs_atom = caf::atom_constant<caf::atom("configs")>;
/// This node's lease changed: `(lease, id, valid)`.
using lease_atom = caf::atom_constant<caf::atom("lease")>;
/// The live leases of the cluster: `(leases, names, ids)` from the agent to
/// the membership; `(leases)` from the membership to the regions.
using leases_atom = caf::atom_constant<caf::atom("leases")>;
/// A compare-and-swap of a configuration key:
/// `(cas, key, expected_revision, value, must_exist, must_not_exist)` ->
/// `(succeeded, revision, current_value)`.
using cas_atom = caf::atom_constant<caf::atom("cas")>;
/// A primary's journal asks its region to remove a replica that did not
/// persist an entry: `(drop, idx, node, epoch)`.
using drop_atom = caf::atom_constant<caf::atom("drop")>;
/// A follower installed a primary's transfer and asks to join the
/// replicas: `(join, requester, lease, epoch, seq)` ->
/// `(json, mod_revision)`.
using join_atom = caf::atom_constant<caf::atom("join")>;
/// Revokes this node's lease (clean stop): `(revoke)`.
using revoke_atom = caf::atom_constant<caf::atom("revoke")>;

} // namespace troupe::runtime
