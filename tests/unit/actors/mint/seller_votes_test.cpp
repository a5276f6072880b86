// The crowd's votes on one seller's category: most votes win, ties go to
// the category whose earliest standing vote is earliest, a voter moving
// moves their vote (recomputing the old category's earliest vote), and
// replaying only the standing votes gives the live winner.
#include "troupe/mint/seller_votes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace troupe::mint;

TEST(MintSellerVotes, EmptyHasNoWinner) {
  seller_votes v;
  EXPECT_FALSE(v.winner().has_value());
  EXPECT_EQ(v.count(category::food), 0u);
}

TEST(MintSellerVotes, MostVotesWin) {
  seller_votes v;
  EXPECT_EQ(v.vote("a", category::food, 1), category::food);
  EXPECT_EQ(v.vote("b", category::travel, 2), category::food); // tie: older
  EXPECT_EQ(v.vote("c", category::travel, 3), category::travel);
  EXPECT_EQ(v.vote("d", category::food, 4), category::food); // tie: older
  EXPECT_EQ(v.vote("e", category::gas, 5), category::food);
  EXPECT_EQ(v.count(category::food), 2u);
  EXPECT_EQ(v.count(category::travel), 2u);
  EXPECT_EQ(v.count(category::gas), 1u);
  EXPECT_EQ(v.winner(), category::food);
}

TEST(MintSellerVotes, TieGoesToTheEarliestStandingVote) {
  seller_votes v;
  v.vote("late", category::travel, 20);
  v.vote("early", category::food, 10); // seq, not arrival, orders votes
  EXPECT_EQ(v.winner(), category::food);
}

TEST(MintSellerVotes, MovingAVoteDecrementsTheOld) {
  seller_votes v;
  v.vote("a", category::food, 1);
  v.vote("b", category::food, 2);
  v.vote("c", category::travel, 3);
  EXPECT_EQ(v.vote("a", category::travel, 4), category::travel);
  EXPECT_EQ(v.count(category::food), 1u);
  EXPECT_EQ(v.count(category::travel), 2u);
  EXPECT_EQ(v.vote("a", category::gas, 5), category::food); // 1:1:1, food b@2
  EXPECT_EQ(v.count(category::travel), 1u);
  EXPECT_EQ(v.count(category::gas), 1u);
  // A category whose last vote left has no votes.
  EXPECT_EQ(v.vote("a", category::food, 6), category::food);
  EXPECT_EQ(v.count(category::gas), 0u);
}

TEST(MintSellerVotes, RevotingTheSameCategoryIsANoOp) {
  seller_votes v;
  v.vote("a", category::food, 1);
  v.vote("b", category::travel, 2);
  EXPECT_EQ(v.winner(), category::food);
  // A later revote keeps the original seq: food stays the earliest.
  EXPECT_EQ(v.vote("a", category::food, 3), category::food);
  EXPECT_EQ(v.vote("a", category::food, 4), category::food);
  EXPECT_EQ(v.count(category::food), 1u);
  EXPECT_EQ(v.count(category::travel), 1u);
}

TEST(MintSellerVotes, EarliestIsRecomputedWhenAVoterMovesAway) {
  seller_votes v;
  v.vote("a", category::food, 1);   // food's earliest
  v.vote("b", category::travel, 2); // travel's earliest
  v.vote("c", category::food, 3);   // food's next
  v.vote("d", category::travel, 4); // 2:2, food@1 wins
  EXPECT_EQ(v.winner(), category::food);
  v.vote("a", category::health, 5); // food: c@3 only; travel 2 votes
  EXPECT_EQ(v.winner(), category::travel);
  v.vote("b", category::health, 6); // food c@3, travel d@4, health a@5 b@6
  EXPECT_EQ(v.winner(), category::health);
  v.vote("a", category::gas, 7); // 1:1:1:1 - food c@3 is earliest
  EXPECT_EQ(v.winner(), category::food);
  v.vote("c", category::gas, 8); // gas 2 (a@7, c@8)
  EXPECT_EQ(v.winner(), category::gas);
  v.vote("e", category::travel, 9); // travel d@4 e@9: tie 2:2, travel@4
  EXPECT_EQ(v.winner(), category::travel);
}

TEST(MintSellerVotes, TheEarliestVoteLeavingPassesTheTieOn) {
  seller_votes v;
  v.vote("a", category::food, 1);
  v.vote("b", category::travel, 2);
  v.vote("c", category::food, 4);
  v.vote("d", category::travel, 5);
  EXPECT_EQ(v.winner(), category::food); // 2:2, food@1
  // a leaves food: food's earliest standing vote is now c@4, travel's b@2.
  EXPECT_EQ(v.vote("a", category::gas, 6), category::travel);
  EXPECT_EQ(v.vote("d", category::gas, 7), category::gas); // gas 2
  // 1:1:1 -> travel b@2 beats food c@4 and gas a@6.
  EXPECT_EQ(v.vote("a", category::health, 8), category::travel);
}

TEST(MintSellerVotes, MovingBackGetsTheNewSeq) {
  seller_votes v;
  v.vote("a", category::food, 1);
  v.vote("b", category::travel, 2);
  v.vote("a", category::gas, 3);
  v.vote("a", category::food, 4); // food's vote is now @4, travel @2
  EXPECT_EQ(v.winner(), category::travel);
}

namespace {

/// The winner from the standing votes: most votes, then earliest.
std::optional<category> expected_winner(
    const std::map<std::string, std::pair<category, uint64_t>>& standing) {
  std::map<category, std::pair<size_t, uint64_t>> tally;
  for (const auto& [voter, cs] : standing) {
    auto& t = tally.try_emplace(cs.first, 0, UINT64_MAX).first->second;
    ++t.first;
    t.second = std::min(t.second, cs.second);
  }
  std::optional<category> best;
  std::pair<size_t, uint64_t> score{0, 0};
  for (const auto& [c, s] : tally)
    if (!best || s.first > score.first ||
        (s.first == score.first && s.second < score.second)) {
      best = c;
      score = s;
    }
  return best;
}

} // namespace

TEST(MintSellerVotes, ReplayOfStandingVotesGivesTheLiveWinner) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    auto pick = [&](size_t n) {
      return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
    };
    seller_votes live;
    std::map<std::string, std::pair<category, uint64_t>> standing;
    size_t voters = 2 + pick(10);
    size_t cats = 2 + pick(4);
    uint64_t seq = 0;
    for (int step = 0; step < 200; ++step) {
      auto voter = "v" + std::to_string(pick(voters));
      auto c = static_cast<category>(pick(cats));
      seq += 1 + pick(3);
      auto got = live.vote(voter, c, seq);
      auto [i, added] = standing.try_emplace(voter, c, seq);
      if (!added && i->second.first != c)
        i->second = {c, seq};
      auto want = expected_winner(standing);
      ASSERT_TRUE(want.has_value());
      ASSERT_EQ(got, *want) << "step " << step;
      ASSERT_EQ(live.winner(), want);
      for (size_t k = 0; k < cats; ++k) {
        auto kc = static_cast<category>(k);
        size_t n =
            std::count_if(standing.begin(), standing.end(),
                          [&](const auto& s) { return s.second.first == kc; });
        ASSERT_EQ(live.count(kc), n) << to_string(kc);
      }
      // Replay: a fresh tally fed the standing votes in seq order.
      if (step % 10 == 9) {
        std::vector<std::tuple<uint64_t, std::string, category>> votes;
        for (const auto& [v, cs] : standing)
          votes.emplace_back(cs.second, v, cs.first);
        std::sort(votes.begin(), votes.end());
        seller_votes replay;
        for (const auto& [s, v, vc] : votes)
          replay.vote(v, vc, s);
        ASSERT_EQ(replay.winner(), live.winner()) << "step " << step;
        for (size_t k = 0; k < cats; ++k)
          ASSERT_EQ(replay.count(static_cast<category>(k)),
                    live.count(static_cast<category>(k)));
      }
    }
  }
}
