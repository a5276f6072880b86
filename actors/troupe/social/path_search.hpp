#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "troupe/social/messages.hpp"

namespace troupe::social {

/// The pure logic of a bidirectional breadth-first search between two
/// people, one whole level at a time, independent of where friend lists
/// come from (the search actor fetches them from the person servers, the
/// tests from a local graph).
///
/// Each step expands the smaller frontier: the caller fetches the friends
/// of every person in `frontier()`, hands each list to `expand`, then calls
/// `end_level`. Levels are complete, so the first level on which the two
/// searches meet yields a shortest path: a person first reached on this
/// level at distance d from this side and at the smallest distance e from
/// the other side gives d + e, and no path is shorter (the earlier levels
/// did not meet).
class path_search {
public:
  enum class state : uint8_t {
    /// Fetch the friends of `frontier()`.
    expand,
    /// `path()` holds a shortest path.
    found,
    /// No path within `max_hops` (or none at all).
    no_path,
    /// The search visited more than `max_visited` people.
    too_large,
  };

  path_search(person_id source, person_id target, uint32_t max_hops,
              size_t max_visited);

  state current() const { return state_; }

  /// The people whose friends the next level needs, each once.
  const std::vector<person_id>& frontier() const {
    return forward_turn_ ? forward_.frontier : backward_.frontier;
  }

  /// Takes the friends of `who`, a person of `frontier()`.
  void expand(person_id who, const person_id* first, const person_id* last);

  /// Finishes the level and decides the next state.
  void end_level();

  /// The path from source to target, both included (state `found`).
  const std::vector<person_id>& path() const { return path_; }

  /// People visited by both directions together.
  size_t visited() const {
    return forward_.seen.size() + backward_.seen.size();
  }

private:
  struct side {
    /// person -> (parent towards this side's root, distance from it).
    std::unordered_map<person_id, std::pair<person_id, uint32_t>> seen;
    std::vector<person_id> frontier;
    std::vector<person_id> next;
    uint32_t depth = 0;
  };

  void choose_side();
  void build_path(person_id meet);

  side forward_;
  side backward_;
  bool forward_turn_ = true;
  uint32_t max_hops_;
  size_t max_visited_;
  state state_ = state::expand;
  /// Best meeting person of the current level, 0 if none.
  person_id meet_ = 0;
  uint32_t meet_len_ = 0;
  std::vector<person_id> path_;
};

} // namespace troupe::social
