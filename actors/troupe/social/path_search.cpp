#include "troupe/social/path_search.hpp"

#include <algorithm>

namespace troupe::social {

path_search::path_search(person_id source, person_id target, uint32_t max_hops,
                         size_t max_visited)
    : max_hops_(max_hops), max_visited_(max_visited) {
  if (source == target) {
    path_ = {source};
    state_ = state::found;
    return;
  }
  forward_.seen.emplace(source, std::make_pair(source, 0u));
  forward_.frontier = {source};
  backward_.seen.emplace(target, std::make_pair(target, 0u));
  backward_.frontier = {target};
  if (max_hops == 0)
    state_ = state::no_path;
}

void path_search::expand(person_id who, const person_id* first,
                         const person_id* last) {
  auto& mine = forward_turn_ ? forward_ : backward_;
  auto& other = forward_turn_ ? backward_ : forward_;
  auto depth = mine.depth + 1;
  for (auto i = first; i != last; ++i) {
    auto [pos, added] = mine.seen.emplace(*i, std::make_pair(who, depth));
    if (!added)
      continue;
    mine.next.push_back(*i);
    auto hit = other.seen.find(*i);
    if (hit == other.seen.end())
      continue;
    auto len = depth + hit->second.second;
    if (meet_ == 0 || len < meet_len_) {
      meet_ = *i;
      meet_len_ = len;
    }
  }
}

void path_search::end_level() {
  if (state_ != state::expand)
    return;
  auto& mine = forward_turn_ ? forward_ : backward_;
  ++mine.depth;
  mine.frontier.swap(mine.next);
  mine.next.clear();
  if (meet_ != 0) {
    if (meet_len_ <= max_hops_) {
      build_path(meet_);
      state_ = state::found;
    } else {
      state_ = state::no_path;
    }
    return;
  }
  if (visited() > max_visited_) {
    state_ = state::too_large;
    return;
  }
  // No meeting: every path is longer than the two depths together.
  if (forward_.depth + backward_.depth >= max_hops_ || mine.frontier.empty()) {
    state_ = state::no_path;
    return;
  }
  choose_side();
}

void path_search::choose_side() {
  forward_turn_ = forward_.frontier.size() <= backward_.frontier.size();
}

void path_search::build_path(person_id meet) {
  std::vector<person_id> head;
  for (auto x = meet;;) {
    head.push_back(x);
    auto parent = forward_.seen.at(x).first;
    if (parent == x)
      break;
    x = parent;
  }
  std::reverse(head.begin(), head.end());
  for (auto x = meet; x != backward_.seen.at(x).first;) {
    x = backward_.seen.at(x).first;
    head.push_back(x);
  }
  path_ = std::move(head);
}

} // namespace troupe::social
