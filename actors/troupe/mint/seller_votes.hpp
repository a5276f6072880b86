#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "troupe/mint/category.hpp"

namespace troupe::mint {

/// The crowd's votes on the category of one seller the shipped map does
/// not know: one vote per voter (a user's manual override of one
/// transaction; overriding it again moves the vote). The most voted
/// category wins; among equals, the one whose earliest standing vote is
/// earliest (so replaying the standing votes gives the same winner).
class seller_votes {
public:
  /// Records `voter`'s vote (`seq` orders votes: larger is later); returns
  /// the winner afterwards.
  category vote(const std::string& voter, category c, uint64_t seq);

  /// Returns the winner, nullopt without votes.
  std::optional<category> winner() const;

  /// Returns the votes of `c`.
  size_t count(category c) const;

private:
  /// Voter -> category and the seq of the vote.
  std::map<std::string, std::pair<category, uint64_t>> by_voter_;
  /// Per category: votes, and the smallest seq among them.
  std::map<category, std::pair<size_t, uint64_t>> tally_;
};

} // namespace troupe::mint
