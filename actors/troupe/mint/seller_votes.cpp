#include "troupe/mint/seller_votes.hpp"

#include <algorithm>

namespace troupe::mint {

category seller_votes::vote(const std::string& voter, category c,
                            uint64_t seq) {
  auto [i, added] = by_voter_.try_emplace(voter, c, seq);
  if (!added) {
    if (i->second.first == c)
      return *winner();
    auto old = i->second.first;
    i->second = {c, seq};
    auto& t = tally_[old];
    if (--t.first == 0) {
      tally_.erase(old);
    } else {
      t.second = UINT64_MAX;
      for (const auto& [v, cs] : by_voter_)
        if (cs.first == old)
          t.second = std::min(t.second, cs.second);
    }
  }
  auto [t, fresh] = tally_.try_emplace(c, 0, seq);
  ++t->second.first;
  t->second.second = std::min(t->second.second, seq);
  return *winner();
}

std::optional<category> seller_votes::winner() const {
  std::optional<category> best;
  std::pair<size_t, uint64_t> best_score{0, 0};
  for (const auto& [c, score] : tally_)
    if (!best || score.first > best_score.first ||
        (score.first == best_score.first && score.second < best_score.second)) {
      best = c;
      best_score = score;
    }
  return best;
}

size_t seller_votes::count(category c) const {
  auto i = tally_.find(c);
  return i == tally_.end() ? 0 : i->second.first;
}

} // namespace troupe::mint
