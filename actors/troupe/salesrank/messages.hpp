#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

/// Messages of the sales rank.
///
/// One region ("salesrank") of category shards keyed by category id: a
/// category's shard holds the hourly sales of each of its products over the
/// past week and the category's ranking. Protocol (errors are
/// `troupe::runtime::errc` values):
///
/// by shard index (`(to_shard, idx, msg)`):
/// - `(sr_ingest, batch)` -> `uint64_t` (sales applied): `batch` is an
///   encoded `sale_batch` (sale_batch.hpp) of sales of categories on that
///   shard; journaled as it is, answered once durable. invalid_argument
///   if it does not decode.
///
/// keyed by the category id (element 1):
/// - `(sr_popular, category_id, limit)` -> `std::string`: the category's
///   ranking as of the last refresh, rendered as the API's JSON array.
///
/// local: `(sr_refresh)` to a shard recomputes its rankings now (tests).
namespace troupe::salesrank {

using ingest_atom = caf::atom_constant<caf::atom("sr_ingest")>;
using popular_atom = caf::atom_constant<caf::atom("sr_popular")>;
using refresh_atom = caf::atom_constant<caf::atom("sr_refresh")>;
using tick_atom = caf::atom_constant<caf::atom("sr_tick")>;

} // namespace troupe::salesrank
