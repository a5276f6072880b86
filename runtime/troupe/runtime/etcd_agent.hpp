#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "troupe/config/config.hpp"
#include "troupe/runtime/lease.hpp"

namespace troupe::runtime {

/// Starts this node's agent of etcd (membership source `etcd`), the one
/// actor that talks to etcd:
///
/// - **Lease.** It grants this node a lease of `lease_ttl`, writes the key
///   `members/<node>/<lease>` attached to it, and renews it every third of
///   the TTL; `lease` tells every thread until when the lease is surely
///   valid. A renewal that finds the lease gone (etcd expired it while this
///   node was cut off or frozen) drops it; the next tick grants a new one.
/// - **Watching.** Every `heartbeat_interval` it reads the live member
///   keys and the shard configurations written since its last read, in one
///   transaction. The live leases go to `membership` as `(leases, names,
///   ids)`; each changed configuration goes to the region of its service as
///   `(config, idx, json, revision)`, and once all of a service's
///   configurations were read, `(configs)`. Lease changes go to the regions
///   as `(lease, id, valid)`.
/// - **CAS.** Regions change configurations through it:
///   `(cas, key, expected_revision, value, must_exist, must_not_exist)`
///   writes `value` if the key's revision is `expected_revision` (0: the
///   key is absent) and the member keys of `must_exist` exist and those of
///   `must_not_exist` do not. It answers `(succeeded, revision,
///   current_value)`: the new revision, or the key's current revision and
///   value (empty when absent). An error means the outcome is unknown.
/// - `(revoke)` gives the lease back (clean stop): other nodes take this
///   node's shards over without waiting for the TTL.
///
/// Regions subscribe with `(subscribe, service, region)`.
caf::actor start_etcd_agent(caf::actor_system& sys,
                            const config::node_config& cfg,
                            lease_status_ptr lease, caf::actor membership);

} // namespace troupe::runtime
