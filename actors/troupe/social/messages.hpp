#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

/// Messages of the social graph.
///
/// One region ("social") of person servers keyed by person id (the decimal
/// id as routing key). A person's shard holds the person's name and the
/// sorted ids of their friends; a friendship is stored on both ends.
/// Protocol (errors are `troupe::runtime::errc` values):
///
/// keyed by the person id (element 1):
/// - `(so_person, id, name)` -> `person_view` | conflict (named already)
/// - `(so_get, id)` -> `person_view` | not_found
/// - `(so_link, id, friend_id)` -> ok | not_found (no person `id`): stores
///   the half of a friendship held by `id`'s shard; idempotent.
/// - `(so_unlink, id, friend_id)` -> ok | not_found: removes that half.
///
/// by shard index (`(to_shard, idx, msg)`):
/// - `(so_import, pairs)` -> `(new_halves, new_people)`: `pairs` holds
///   (person, friend) pairs flattened, every person on that shard; unknown
///   people are created without a name. Answered once durable.
/// - `(so_people, ids)` -> `(0, new_people)`: creates the unknown people
///   among `ids` (all on that shard) without a name. Answered once durable.
/// - `(so_nbrs, ids)` -> `(counts, friends)`: the friends of each id in
///   order, `counts[i]` of them for `ids[i]` (0 for unknown people),
///   concatenated in `friends`.
/// - `(so_names, ids)` -> `std::vector<person_view>`: the known ones.
///
/// the node's importer (importer.hpp): `(so_batch, pairs)` ->
/// `(new_halves, new_people)` with `pairs` flattened friendships (a, b).
///
/// the node's search actors: `(so_search, source, target, max_hops)` ->
/// `std::vector<person_view>` (the path) | not_found | timeout.
namespace troupe::social {

using ok_atom = caf::atom_constant<caf::atom("ok")>;
using person_atom = caf::atom_constant<caf::atom("so_person")>;
using get_atom = caf::atom_constant<caf::atom("so_get")>;
using link_atom = caf::atom_constant<caf::atom("so_link")>;
using unlink_atom = caf::atom_constant<caf::atom("so_unlink")>;
using import_atom = caf::atom_constant<caf::atom("so_import")>;
using people_atom = caf::atom_constant<caf::atom("so_people")>;
using neighbors_atom = caf::atom_constant<caf::atom("so_nbrs")>;
using names_atom = caf::atom_constant<caf::atom("so_names")>;
using batch_atom = caf::atom_constant<caf::atom("so_batch")>;
using search_atom = caf::atom_constant<caf::atom("so_search")>;
using deadline_atom = caf::atom_constant<caf::atom("so_dead")>;
using retry_atom = caf::atom_constant<caf::atom("so_retry")>;

/// Person ids are 1 .. 2^32 - 1 (0 is never a person).
using person_id = uint32_t;

/// A person as the API shows them.
struct person_view {
  person_id id = 0;
  std::string name;
  /// Number of friends.
  uint32_t friends = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, person_view& x) {
  return f(caf::meta::type_name("person_view"), x.id, x.name, x.friends);
}

} // namespace troupe::social
