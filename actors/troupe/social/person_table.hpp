#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "troupe/persistence/store.hpp"
#include "troupe/social/messages.hpp"

namespace troupe::social {

/// The pure logic of one person server: the people of one shard and their
/// friend lists. Every durable change is expressed as journal ops and
/// applied through `apply`, the code that recovery's records go through
/// too, so memory and disk cannot disagree on what an op means.
///
/// Layout: one hash entry per person holding the name (stored once, empty
/// for people an import created) and the friends as a sorted vector of
/// 32-bit ids, reallocated to its exact size on every change (no growth
/// slack). Keys on disk: `n<id>` -> name bytes (the person exists),
/// `f<id><friend>` -> empty (one half of a friendship), ids as 4 big-endian
/// bytes, so a shard's records list each friend list in order.
class person_table {
public:
  using op = persistence::journal_op;

  /// Rebuilds the table from a loaded shard image.
  void restore(const persistence::shard_image& image);

  /// Applies durable ops to memory, in order.
  void apply(const std::vector<op>& ops);

  /// Plans naming person `id`: a new person, or one an import created
  /// without a name. nullopt: `id` has a name already (conflict).
  std::optional<std::vector<op>> plan_create(person_id id,
                                             const std::string& name) const;

  /// Plans storing `friend_id` among `id`'s friends (empty when it is
  /// there already); nullopt: no person `id`.
  std::optional<std::vector<op>> plan_link(person_id id,
                                           person_id friend_id) const;

  /// Plans removing `friend_id` from `id`'s friends (empty when absent);
  /// nullopt: no person `id`.
  std::optional<std::vector<op>> plan_unlink(person_id id,
                                             person_id friend_id) const;

  /// What an import batch changes.
  struct import_plan {
    std::vector<op> ops;
    uint64_t new_halves = 0;
    uint64_t new_people = 0;
  };

  /// Plans an import of flattened (person, friend) pairs: creates unknown
  /// people without a name and stores each missing half once. Pairs with
  /// a zero id or a person equal to the friend are skipped.
  import_plan plan_import(std::vector<person_id> pairs) const;

  /// Plans creating, without a name, those of `ids` who are unknown; sets
  /// `created` to their number.
  std::vector<op> plan_people(std::vector<person_id> ids,
                              uint64_t& created) const;

  /// Returns person `id`, if known.
  std::optional<person_view> view(person_id id) const;

  /// Appends the friends of each of `ids` to `friends` and their number to
  /// `counts` (0 for unknown people).
  void neighbors(const std::vector<person_id>& ids,
                 std::vector<uint32_t>& counts,
                 std::vector<person_id>& friends) const;

  /// Returns whether `id` has `friend_id` among their friends.
  bool are_friends(person_id id, person_id friend_id) const;

  /// Number of people held.
  size_t people() const { return people_.size(); }

  /// Number of friendship halves held (each friendship has two, usually on
  /// two shards).
  uint64_t halves() const { return halves_; }

  /// Key of person `id`'s record.
  static std::string name_key(person_id id);

  /// Key of the half of a friendship held by `id`.
  static std::string friend_key(person_id id, person_id friend_id);

private:
  struct person {
    std::string name;
    std::vector<person_id> friends;
  };

  /// Merges sorted, unique, new `add` into `id`'s friends (exact size).
  void add_friends(person_id id, const person_id* first, const person_id* last);
  void remove_friend(person_id id, person_id friend_id);

  std::unordered_map<person_id, person> people_;
  uint64_t halves_ = 0;
};

} // namespace troupe::social
