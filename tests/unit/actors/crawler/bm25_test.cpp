// BM25 ranking against scores worked out from the formula, query
// semantics, and bookkeeping under replace and remove.

#include "troupe/crawler/bm25.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace troupe::crawler;

// `index` alone would be ambiguous with POSIX `::index` from <strings.h>.
using troupe::crawler::bm25_index;

namespace {

/// The test corpus: doc id -> text.
const std::map<uint64_t, std::string> corpus{
    {1, "the cat sat on the mat"},     // 6 terms
    {2, "the dog sat on the log"},     // 6 terms
    {3, "cat and dog"},                // 3 terms
    {4, "the cat chased the cat toy"}, // 6 terms, cat twice
    {5, "birds fly"},                  // 2 terms
};

constexpr double n_docs = 5;
constexpr double avgdl = 23.0 / 5;

/// One term's BM25 contribution, straight from the formula.
double by_hand(double tf, double df, double dl) {
  double idf = std::log(1 + (n_docs - df + 0.5) / (df + 0.5));
  return idf * tf * (1.2 + 1) / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl));
}

/// An index holding `corpus`.
bm25_index corpus_index() {
  bm25_index idx;
  for (const auto& [id, text] : corpus)
    idx.add_document(id, terms_of(text));
  return idx;
}

/// Searches `idx` for `text`.
std::vector<bm25_index::hit> run(const bm25_index& idx, std::string_view text,
                                 size_t limit = 10) {
  auto q = query::parse(text);
  EXPECT_TRUE(q.has_value()) << text;
  return q ? idx.search(*q, limit) : std::vector<bm25_index::hit>{};
}

/// The doc ids of `hits`, in order.
std::vector<uint64_t> ids(const std::vector<bm25_index::hit>& hits) {
  std::vector<uint64_t> out;
  for (const auto& h : hits)
    out.push_back(h.first);
  return out;
}

} // namespace

TEST(CrawlerBm25, Statistics) {
  auto idx = corpus_index();
  EXPECT_EQ(idx.doc_count(), 5u);
  EXPECT_DOUBLE_EQ(idx.avg_length(), avgdl);
  EXPECT_EQ(idx.df("cat"), 3u);
  EXPECT_EQ(idx.df("the"), 3u);
  EXPECT_EQ(idx.df("birds"), 1u);
  EXPECT_EQ(idx.df("zebra"), 0u);
  EXPECT_NEAR(idx.idf("cat"), std::log(1 + 2.5 / 3.5), 1e-12);
}

TEST(CrawlerBm25, SingleTermRanking) {
  auto hits = run(corpus_index(), "cat");
  ASSERT_EQ(ids(hits), (std::vector<uint64_t>{4, 3, 1}));
  EXPECT_NEAR(hits[0].second, by_hand(2, 3, 6), 1e-9);
  EXPECT_NEAR(hits[1].second, by_hand(1, 3, 3), 1e-9);
  EXPECT_NEAR(hits[2].second, by_hand(1, 3, 6), 1e-9);
}

TEST(CrawlerBm25, OrGroupScoresEveryTermPresent) {
  auto hits = run(corpus_index(), "cat OR dog");
  ASSERT_EQ(ids(hits), (std::vector<uint64_t>{3, 2, 4, 1}));
  EXPECT_NEAR(hits[0].second, by_hand(1, 3, 3) + by_hand(1, 2, 3), 1e-9);
  EXPECT_NEAR(hits[1].second, by_hand(1, 2, 6), 1e-9);
  EXPECT_NEAR(hits[2].second, by_hand(2, 3, 6), 1e-9);
  EXPECT_NEAR(hits[3].second, by_hand(1, 3, 6), 1e-9);
}

TEST(CrawlerBm25, AndNeedsEveryGroup) {
  auto idx = corpus_index();
  auto hits = run(idx, "cat dog");
  ASSERT_EQ(ids(hits), (std::vector<uint64_t>{3}));
  EXPECT_NEAR(hits[0].second, by_hand(1, 3, 3) + by_hand(1, 2, 3), 1e-9);
  EXPECT_EQ(ids(run(idx, "cat OR dog sat")), (std::vector<uint64_t>{2, 1}));
  EXPECT_TRUE(run(idx, "cat zebra").empty());
  EXPECT_TRUE(run(idx, "zebra").empty());
}

TEST(CrawlerBm25, ExcludedTermsRemoveDocuments) {
  auto idx = corpus_index();
  EXPECT_EQ(ids(run(idx, "cat -the")), (std::vector<uint64_t>{3}));
  EXPECT_EQ(ids(run(idx, "cat OR dog -sat -toy")), (std::vector<uint64_t>{3}));
  EXPECT_EQ(ids(run(idx, "cat -zebra")), (std::vector<uint64_t>{4, 3, 1}));
}

TEST(CrawlerBm25, TiesGoByDocIdAndLimitCuts) {
  auto idx = corpus_index();
  auto hits = run(idx, "sat");
  ASSERT_EQ(ids(hits), (std::vector<uint64_t>{1, 2}));
  EXPECT_DOUBLE_EQ(hits[0].second, hits[1].second);
  EXPECT_EQ(ids(run(idx, "the", 2)), (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(run(idx, "the", 0).empty());
}

TEST(CrawlerBm25, ReAddingReplacesTheDocument) {
  auto idx = corpus_index();
  idx.add_document(3, terms_of("fish fish fish fish"));
  EXPECT_EQ(idx.doc_count(), 5u);
  EXPECT_DOUBLE_EQ(idx.avg_length(), 24.0 / 5);
  EXPECT_EQ(idx.df("cat"), 2u);
  EXPECT_EQ(idx.df("dog"), 1u);
  EXPECT_EQ(idx.df("and"), 0u);
  EXPECT_EQ(idx.df("fish"), 1u);
  EXPECT_EQ(ids(run(idx, "cat")), (std::vector<uint64_t>{4, 1}));
  EXPECT_EQ(ids(run(idx, "fish")), (std::vector<uint64_t>{3}));
}

TEST(CrawlerBm25, RemovingForgetsTheDocument) {
  auto idx = corpus_index();
  EXPECT_TRUE(idx.remove_document(4));
  EXPECT_FALSE(idx.remove_document(4));
  EXPECT_FALSE(idx.remove_document(99));
  EXPECT_EQ(idx.doc_count(), 4u);
  EXPECT_DOUBLE_EQ(idx.avg_length(), 17.0 / 4);
  EXPECT_EQ(idx.df("cat"), 2u);
  EXPECT_EQ(idx.df("toy"), 0u);
  EXPECT_EQ(ids(run(idx, "cat")), (std::vector<uint64_t>{3, 1}));
  for (uint64_t id : {1, 2, 3, 5})
    idx.remove_document(id);
  EXPECT_EQ(idx.doc_count(), 0u);
  EXPECT_EQ(idx.avg_length(), 0.0);
  EXPECT_TRUE(run(idx, "cat").empty());
}

TEST(CrawlerBm25, PositiveTermsAreSortedAndDistinct) {
  auto q = query::parse("dog cat OR dog bird -fish");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(positive_terms(*q),
            (std::vector<std::string>{"bird", "cat", "dog"}));
}

TEST(CrawlerBm25, StatsCountDocumentsLengthAndDf) {
  auto idx = corpus_index();
  auto stats = idx.stats({"cat", "zebra", "the"});
  EXPECT_EQ(stats.docs, 5u);
  EXPECT_EQ(stats.total_length, 23u);
  EXPECT_EQ(stats.df, (std::vector<uint64_t>{3, 0, 3}));
}

TEST(CrawlerBm25, AddStatsSumsElementWise) {
  corpus_stats a{2, 10, {1, 0}};
  add_stats(a, corpus_stats{3, 7, {2, 5}});
  EXPECT_EQ(a.docs, 5u);
  EXPECT_EQ(a.total_length, 17u);
  EXPECT_EQ(a.df, (std::vector<uint64_t>{3, 5}));
  corpus_stats empty;
  add_stats(empty, a);
  EXPECT_EQ(empty.df, a.df);
}

TEST(CrawlerBm25, ShardedSearchWithGlobalStatsMatchesOneIndex) {
  auto whole = corpus_index();
  bm25_index shards[3];
  for (const auto& [id, text] : corpus)
    shards[id % 3].add_document(id, terms_of(text));
  for (auto text : {"cat", "cat OR dog", "the sat", "cat -toy", "birds"}) {
    auto q = query::parse(text);
    ASSERT_TRUE(q.has_value());
    auto terms = positive_terms(*q);
    corpus_stats global;
    for (const auto& shard : shards)
      add_stats(global, shard.stats(terms));
    std::map<uint64_t, double> sharded;
    for (const auto& shard : shards)
      for (const auto& [id, score] : shard.search(*q, 10, global))
        sharded[id] = score;
    auto expected = whole.search(*q, 10);
    ASSERT_EQ(sharded.size(), expected.size()) << text;
    for (const auto& [id, score] : expected) {
      ASSERT_EQ(sharded.count(id), 1u) << text << " doc " << id;
      EXPECT_NEAR(sharded[id], score, 1e-12) << text << " doc " << id;
    }
  }
}

TEST(CrawlerBm25, LocalStatsDifferFromGlobal) {
  // Without the global statistics a shard scores differently: the reason
  // for the two-round search.
  bm25_index shard;
  shard.add_document(1, terms_of(corpus.at(1)));
  shard.add_document(4, terms_of(corpus.at(4)));
  auto whole = corpus_index();
  auto q = query::parse("cat");
  auto local = shard.search(*q, 10);
  auto global = shard.search(*q, 10, whole.stats(positive_terms(*q)));
  ASSERT_EQ(local.size(), 2u);
  ASSERT_EQ(global.size(), 2u);
  EXPECT_GT(std::abs(local[0].second - global[0].second), 1e-3);
  EXPECT_NEAR(global[0].second, by_hand(2, 3, 6), 1e-9);
}

TEST(CrawlerBm25, InconsistentGlobalStatsStayFinite) {
  auto idx = corpus_index();
  auto q = query::parse("cat");
  // Stale or short stats (a document added between the rounds, a df list
  // of the wrong size) are raised to the local counts.
  for (const auto& global :
       {corpus_stats{}, corpus_stats{1, 1, {}}, corpus_stats{2, 3, {9, 9}}}) {
    auto hits = idx.search(*q, 10, global);
    ASSERT_EQ(hits.size(), 3u);
    for (const auto& hit : hits) {
      EXPECT_TRUE(std::isfinite(hit.second));
      EXPECT_GE(hit.second, 0.0);
    }
  }
}

TEST(CrawlerBm25, MemoryEstimateGrowsAndReturnsToZero) {
  bm25_index idx;
  EXPECT_EQ(idx.memory_bytes(), 0u);
  idx.add_document(1, terms_of("alpha beta beta gamma"));
  auto one = idx.memory_bytes();
  EXPECT_GT(one, 0u);
  idx.add_document(2, terms_of("alpha delta"));
  EXPECT_GT(idx.memory_bytes(), one);
  idx.add_document(1, terms_of("alpha beta beta gamma"));
  idx.remove_document(2);
  EXPECT_EQ(idx.memory_bytes(), one);
  idx.remove_document(1);
  EXPECT_EQ(idx.memory_bytes(), 0u);
}
