// Simhash distances on generated pages, and the block index against a
// brute-force scan.

#include "troupe/crawler/simhash.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "troupe/crawler/text.hpp"

using namespace troupe::crawler;

namespace {

/// A deterministic vocabulary: `size` words "w<seed>x<i>".
std::vector<std::string> vocabulary(int seed, int size) {
  std::vector<std::string> words;
  for (int i = 0; i < size; ++i)
    words.push_back("w" + std::to_string(seed) + "x" + std::to_string(i));
  return words;
}

/// A page of `length` words drawn Zipf-like (word i with weight 1/(i+1))
/// from `words`, seeded.
std::vector<std::string> page(const std::vector<std::string>& words, int length,
                              uint32_t seed) {
  std::vector<double> weights;
  for (size_t i = 0; i < words.size(); ++i)
    weights.push_back(1.0 / static_cast<double>(i + 1));
  std::mt19937 gen{seed};
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  std::vector<std::string> out;
  for (int i = 0; i < length; ++i)
    out.push_back(words[pick(gen)]);
  return out;
}

/// `hash` with the bits in `positions` flipped.
uint64_t flipped(uint64_t hash, std::initializer_list<int> positions) {
  for (auto bit : positions)
    hash ^= uint64_t{1} << bit;
  return hash;
}

/// Nearest doc id within `max` by scanning, first added among equals.
std::optional<uint64_t>
brute_force(const std::vector<std::pair<uint64_t, uint64_t>>& stored,
            uint64_t hash, int max) {
  std::optional<uint64_t> best;
  int best_distance = max + 1;
  for (const auto& [id, h] : stored) {
    if (auto d = hamming(h, hash); d < best_distance) {
      best = id;
      best_distance = d;
    }
  }
  return best;
}

} // namespace

TEST(CrawlerSimhash, HammingCountsDifferingBits) {
  EXPECT_EQ(hamming(0, 0), 0);
  EXPECT_EQ(hamming(0, ~uint64_t{0}), 64);
  EXPECT_EQ(hamming(0b1011, 0b0110), 3);
}

TEST(CrawlerSimhash, IdenticalTextsHashAlike) {
  auto text = "The quick brown fox jumps over the lazy dog, twice: the quick "
              "brown fox jumps again.";
  EXPECT_EQ(hamming(simhash(terms_of(text)), simhash(terms_of(text))), 0);
  EXPECT_EQ(simhash({}), 0u);
}

TEST(CrawlerSimhash, OneChangedWordMovesFewBits) {
  auto words = vocabulary(1, 400);
  auto original = page(words, 300, 42);
  auto edited = original;
  edited[150] = "replacement";
  auto d = hamming(simhash(original), simhash(edited));
  EXPECT_LE(d, 3);
}

TEST(CrawlerSimhash, UnrelatedPagesAreFarApart) {
  auto a = page(vocabulary(1, 400), 300, 42);
  auto b = page(vocabulary(2, 400), 300, 43);
  EXPECT_GT(hamming(simhash(a), simhash(b)), 10);
}

TEST(CrawlerSimhash, WordOrderIsIgnored) {
  auto text = page(vocabulary(3, 200), 300, 7);
  auto shuffled = text;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937{9});
  EXPECT_EQ(simhash(text), simhash(shuffled));
}

TEST(CrawlerSimhash, IndexFindsHashesWithinThreeBits) {
  near_duplicate_index idx;
  uint64_t h = 0x0123'4567'89ab'cdefull;
  idx.add(7, h);
  EXPECT_EQ(idx.find_within(h, 3), std::optional<uint64_t>{7});
  // Three flips spread over three blocks: one block still agrees.
  EXPECT_EQ(idx.find_within(flipped(h, {1, 20, 40}), 3),
            std::optional<uint64_t>{7});
  // Three flips in one block.
  EXPECT_EQ(idx.find_within(flipped(h, {60, 61, 62}), 3),
            std::optional<uint64_t>{7});
  EXPECT_FALSE(idx.find_within(flipped(h, {1, 20, 40, 60}), 3));
  EXPECT_FALSE(idx.find_within(flipped(h, {1, 20}), 1));
  EXPECT_EQ(idx.size(), 1u);
}

TEST(CrawlerSimhash, IndexPrefersTheNearestHash) {
  near_duplicate_index idx;
  uint64_t h = 0xdead'beef'0000'ffffull;
  idx.add(1, flipped(h, {0, 17, 34}));
  idx.add(2, flipped(h, {50}));
  idx.add(3, flipped(h, {51}));
  EXPECT_EQ(idx.find_within(h), std::optional<uint64_t>{2});
}

TEST(CrawlerSimhash, IndexBeyondThreeBitsScans) {
  near_duplicate_index idx;
  uint64_t h = 0x5555'5555'5555'5555ull;
  idx.add(4, flipped(h, {0, 16, 32, 48, 63}));
  EXPECT_FALSE(idx.find_within(h, 4));
  EXPECT_EQ(idx.find_within(h, 5), std::optional<uint64_t>{4});
}

TEST(CrawlerSimhash, IndexAgreesWithBruteForce) {
  std::mt19937_64 gen{2024};
  std::vector<std::pair<uint64_t, uint64_t>> stored;
  near_duplicate_index idx;
  for (uint64_t id = 0; id < 20'000; ++id) {
    auto h = gen();
    stored.emplace_back(id, h);
    idx.add(id, h);
  }
  // Queries: planted neighbours at distance 0..5 and random hashes.
  std::uniform_int_distribution<int> bit(0, 63);
  int found = 0;
  for (int i = 0; i < 2'000; ++i) {
    auto query = gen();
    if (i % 2 == 0) {
      query = stored[gen() % stored.size()].second;
      for (int k = i % 6; k > 0; --k)
        query ^= uint64_t{1} << bit(gen);
    }
    auto expected = brute_force(stored, query, 3);
    EXPECT_EQ(idx.find_within(query, 3), expected) << i;
    found += expected.has_value();
  }
  EXPECT_GT(found, 500); // the planted neighbours within 3 bits
}
