#pragma once

// An in-memory inverted index ranked by Okapi BM25:
//
//   idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
//   score(d, q) = sum over distinct positive terms t of q found in d of
//                 idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl/avgdl))
//
// with k1 = 1.2 and b = 0.75, N the number of documents, df(t) the number
// containing t, tf the count of t in d, dl the length of d in terms and
// avgdl the mean length. This idf never goes negative, so a term present in
// most documents still adds a little rather than pushing matches down.
//
// Cluster-wide scoring: when documents are partitioned over shards, N,
// avgdl and df must be those of the whole corpus, or the same page scores
// differently depending on where it lives. A search then takes two rounds:
// every shard reports `stats(positive_terms(q))`, the caller sums them with
// `add_stats`, and every shard scores with the sum via
// `search(q, limit, global)`.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "troupe/crawler/text.hpp"

namespace troupe::crawler {

/// BM25 term-frequency saturation.
constexpr double bm25_k1 = 1.2;

/// BM25 document-length normalization.
constexpr double bm25_b = 0.75;

/// Corpus statistics for scoring: the number of documents, their total
/// length in terms, and df per term (aligned with a term list, normally
/// `positive_terms` of the query).
struct corpus_stats {
  /// The number of documents.
  uint64_t docs = 0;

  /// The sum of the documents' lengths in terms.
  uint64_t total_length = 0;

  /// The number of documents containing each term of the term list.
  std::vector<uint64_t> df;

  MSGPACK_DEFINE_MAP(docs, total_length, df)
};

/// The distinct positive terms of `q`, sorted (the order `corpus_stats::df`
/// follows).
std::vector<std::string> positive_terms(const query& q);

/// Adds `b`'s statistics to `a`, df element-wise. The sizes should match;
/// if they do not, `a.df` grows to the longer size (missing counts are 0).
void add_stats(corpus_stats& a, const corpus_stats& b);

/// Documents as bags of terms, searchable by `query` and ranked by BM25.
class bm25_index {
public:
  /// One scored search result: doc id and BM25 score.
  using hit = std::pair<uint64_t, double>;

  /// Indexes `terms` (see `terms_of`) as document `doc_id`, replacing any
  /// document already stored under that id.
  void add_document(uint64_t doc_id, const std::vector<std::string>& terms);

  /// Forgets document `doc_id`; returns whether it was stored.
  bool remove_document(uint64_t doc_id);

  /// The best `limit` documents that match every group of `q` by at least
  /// one term and contain no excluded term, by BM25 over the positive
  /// query terms they contain (highest first; equal scores by doc id).
  std::vector<hit> search(const query& q, size_t limit) const;

  /// Like `search`, but scored with `global` (df aligned with
  /// `positive_terms(q)`) instead of this index's own statistics. Global
  /// counts below this index's own (a document added between the rounds)
  /// are raised to them, so scores stay finite and non-negative.
  std::vector<hit> search(const query& q, size_t limit,
                          const corpus_stats& global) const;

  /// Every document matching `q` (as `search` defines it) with its score
  /// under `global`, in no particular order: for callers that rank ties
  /// their own way.
  std::vector<hit> score_all(const query& q, const corpus_stats& global) const;

  /// This index's statistics for `terms` (df aligned with `terms`).
  corpus_stats stats(const std::vector<std::string>& terms) const;

  /// The number of stored documents.
  size_t doc_count() const noexcept { return docs_.size(); }

  /// The mean document length in terms (0 when empty).
  double avg_length() const noexcept;

  /// The number of documents containing `term`.
  size_t df(const std::string& term) const;

  /// The inverse document frequency of `term` as BM25 uses it.
  double idf(const std::string& term) const;

  /// Bytes held, estimated from node and string sizes (an unordered_map
  /// node plus its bucket per posting, per term and per document).
  size_t memory_bytes() const noexcept { return bytes_; }

private:
  /// Term counts of one document.
  using postings = std::unordered_map<uint64_t, uint32_t>;

  /// What is kept per document: its distinct terms (pointing at the keys
  /// of `terms_`, which stay put until erased) and its length.
  struct document {
    std::vector<const std::string*> terms;
    size_t length = 0;
  };

  /// Scoring parameters resolved from a `corpus_stats` for one query.
  struct scoring {
    double docs = 0;
    double avg_length = 0;
    std::vector<double> idf; // aligned with the query's positive terms
  };

  /// The parameters for `terms` under `global`, raised to local counts.
  scoring resolve(const std::vector<std::string>& terms,
                  const corpus_stats& global) const;

  /// The counted postings of a newly indexed document (see add_document).
  void index_terms(uint64_t doc_id, const std::vector<std::string>& terms,
                   document& doc);

  /// The postings of `term`, or nullptr.
  const postings* find(const std::string& term) const;

  /// How often `doc_id` contains `term` (0 if not).
  uint32_t tf(uint64_t doc_id, const std::string& term) const;

  /// Whether `doc_id` passes every group and exclusion of `q`.
  bool matches(uint64_t doc_id, const query& q) const;

  /// Documents containing some term of `group`.
  std::vector<uint64_t> union_of(const std::vector<std::string>& group) const;

  /// The BM25 score of `doc_id` for `terms` (distinct) under `params`.
  double score(uint64_t doc_id, const std::vector<std::string>& terms,
               const scoring& params) const;

  std::unordered_map<uint64_t, document> docs_;
  std::unordered_map<std::string, postings> terms_;
  size_t total_length_ = 0;
  size_t bytes_ = 0;
};

} // namespace troupe::crawler
