#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "troupe/cache/stats.hpp"

/// Messages of the key-value query cache.
///
/// Protocol (keyed messages are answered by the shard owning the key;
/// errors are `troupe::runtime::errc` values):
/// - `(get, key)` -> the value bytes | `not_found` (absent or expired). A
///   hit makes the entry the most recently used of its shard.
/// - `(put, key, value, ttl_seconds)` -> `ok`; `ttl_seconds == 0`: no
///   expiry. `payload_too_large` when the entry exceeds the shard's budget.
/// - `(delete, key)` -> `ok` | `not_found`.
/// - `(stats)` -> `cache_stats`: the front sums its shards.
namespace troupe::cache {

using get_atom = caf::atom_constant<caf::atom("get")>;
using put_atom = caf::atom_constant<caf::atom("put")>;
using delete_atom = caf::atom_constant<caf::atom("delete")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using ok_atom = caf::atom_constant<caf::atom("ok")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;

/// Keys are 1 to this many bytes (any bytes).
inline constexpr size_t max_key_bytes = 1024;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cache_stats& x) {
  return f(caf::meta::type_name("cache_stats"), x.entries, x.bytes,
           x.capacity_bytes, x.hits, x.misses, x.evictions, x.expired);
}

/// The typed interface other services call (e.g. search puts the cache in
/// front of its reverse index). Implemented by `service::api`.
using cache_actor =
    caf::typed_actor<caf::replies_to<get_atom, std::string>::with<std::string>,
                     caf::replies_to<put_atom, std::string, std::string,
                                     uint32_t>::with<ok_atom>,
                     caf::replies_to<delete_atom, std::string>::with<ok_atom>,
                     caf::replies_to<stats_atom>::with<cache_stats>>;

} // namespace troupe::cache
