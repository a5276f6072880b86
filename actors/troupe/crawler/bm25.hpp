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

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "troupe/crawler/text.hpp"

namespace troupe::crawler {

/// BM25 term-frequency saturation.
constexpr double bm25_k1 = 1.2;

/// BM25 document-length normalization.
constexpr double bm25_b = 0.75;

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

  /// The number of stored documents.
  size_t doc_count() const noexcept { return docs_.size(); }

  /// The mean document length in terms (0 when empty).
  double avg_length() const noexcept;

  /// The number of documents containing `term`.
  size_t df(const std::string& term) const;

  /// The inverse document frequency of `term` as BM25 uses it.
  double idf(const std::string& term) const;

private:
  /// Term counts of one document.
  using postings = std::unordered_map<uint64_t, uint32_t>;

  /// What is kept per document: its distinct terms and its length.
  struct document {
    std::vector<std::string> terms;
    size_t length = 0;
  };

  /// The postings of `term`, or nullptr.
  const postings* find(const std::string& term) const;

  /// How often `doc_id` contains `term` (0 if not).
  uint32_t tf(uint64_t doc_id, const std::string& term) const;

  /// Whether `doc_id` passes every group and exclusion of `q`.
  bool matches(uint64_t doc_id, const query& q) const;

  /// Documents containing some term of `group`.
  std::vector<uint64_t> union_of(const std::vector<std::string>& group) const;

  /// The BM25 score of `doc_id` for `terms` (distinct).
  double score(uint64_t doc_id, const std::vector<std::string>& terms) const;

  std::unordered_map<uint64_t, document> docs_;
  std::unordered_map<std::string, postings> terms_;
  size_t total_length_ = 0;
};

} // namespace troupe::crawler
