#include "troupe/crawler/bm25.hpp"

#include <algorithm>
#include <cmath>

namespace troupe::crawler {

namespace {

/// Estimated bytes of one posting: an unordered_map node (next pointer,
/// doc id, count; 32 bytes after malloc rounding) plus its bucket, plus
/// the document's pointer back to the term.
constexpr size_t posting_bytes = 48;

/// Estimated bytes of one document entry without its postings.
constexpr size_t document_bytes = 64;

/// Estimated bytes of one distinct term without its postings: the node of
/// `terms_` (key, an empty unordered_map, hash, next) and its bucket.
constexpr size_t term_node_bytes = 128;

/// Heap bytes of `s` beyond its inline buffer (libstdc++ keeps 15 inline).
size_t heap_bytes(const std::string& s) {
  return s.size() > 15 ? s.size() + 1 : 0;
}

/// Higher score first, then lower doc id.
bool ranks_before(const bm25_index::hit& x, const bm25_index::hit& y) {
  if (x.second != y.second)
    return x.second > y.second;
  return x.first < y.first;
}

/// The BM25 idf for `df` documents out of `n`.
double idf_of(double n, double df) {
  return std::log(1.0 + (n - df + 0.5) / (df + 0.5));
}

} // namespace

std::vector<std::string> positive_terms(const query& q) {
  std::vector<std::string> out;
  for (const auto& group : q.all_of_any)
    out.insert(out.end(), group.begin(), group.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void add_stats(corpus_stats& a, const corpus_stats& b) {
  a.docs += b.docs;
  a.total_length += b.total_length;
  if (a.df.size() < b.df.size())
    a.df.resize(b.df.size(), 0);
  for (size_t i = 0; i < b.df.size(); ++i)
    a.df[i] += b.df[i];
}

void bm25_index::add_document(uint64_t doc_id,
                              const std::vector<std::string>& terms) {
  remove_document(doc_id);
  document doc;
  doc.length = terms.size();
  index_terms(doc_id, terms, doc);
  total_length_ += doc.length;
  bytes_ += document_bytes;
  docs_.emplace(doc_id, std::move(doc));
}

void bm25_index::index_terms(uint64_t doc_id,
                             const std::vector<std::string>& terms,
                             document& doc) {
  for (const auto& term : terms) {
    auto [entry, inserted] = terms_.try_emplace(term);
    if (inserted)
      bytes_ += term_node_bytes + heap_bytes(term);
    if (entry->second[doc_id]++ == 0) {
      doc.terms.push_back(&entry->first);
      bytes_ += posting_bytes;
    }
  }
}

bool bm25_index::remove_document(uint64_t doc_id) {
  auto found = docs_.find(doc_id);
  if (found == docs_.end())
    return false;
  for (const auto* term : found->second.terms) {
    // `term` points into the node erased below: not used after the erase.
    auto posting = terms_.find(*term);
    posting->second.erase(doc_id);
    if (posting->second.empty()) {
      bytes_ -= term_node_bytes + heap_bytes(posting->first);
      terms_.erase(posting);
    }
  }
  bytes_ -= document_bytes + posting_bytes * found->second.terms.size();
  total_length_ -= found->second.length;
  docs_.erase(found);
  return true;
}

std::vector<bm25_index::hit> bm25_index::search(const query& q,
                                                size_t limit) const {
  return search(q, limit, stats(positive_terms(q)));
}

std::vector<bm25_index::hit>
bm25_index::search(const query& q, size_t limit,
                   const corpus_stats& global) const {
  if (limit == 0)
    return {};
  auto hits = score_all(q, global);
  auto keep = std::min(limit, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + keep, hits.end(),
                    ranks_before);
  hits.resize(keep);
  return hits;
}

std::vector<bm25_index::hit>
bm25_index::score_all(const query& q, const corpus_stats& global) const {
  if (q.all_of_any.empty())
    return {};
  auto terms = positive_terms(q);
  auto params = resolve(terms, global);
  std::vector<hit> hits;
  for (auto doc_id : union_of(q.all_of_any.front()))
    if (matches(doc_id, q))
      hits.emplace_back(doc_id, score(doc_id, terms, params));
  return hits;
}

corpus_stats bm25_index::stats(const std::vector<std::string>& terms) const {
  corpus_stats out;
  out.docs = docs_.size();
  out.total_length = total_length_;
  out.df.reserve(terms.size());
  for (const auto& term : terms)
    out.df.push_back(df(term));
  return out;
}

double bm25_index::avg_length() const noexcept {
  if (docs_.empty())
    return 0;
  return static_cast<double>(total_length_) / docs_.size();
}

size_t bm25_index::df(const std::string& term) const {
  auto posting = find(term);
  return posting ? posting->size() : 0;
}

double bm25_index::idf(const std::string& term) const {
  return idf_of(static_cast<double>(docs_.size()),
                static_cast<double>(df(term)));
}

bm25_index::scoring bm25_index::resolve(const std::vector<std::string>& terms,
                                        const corpus_stats& global) const {
  scoring out;
  auto docs = std::max<uint64_t>(global.docs, docs_.size());
  auto total = std::max<uint64_t>(global.total_length, total_length_);
  out.docs = static_cast<double>(docs);
  out.avg_length = docs == 0 ? 0.0 : static_cast<double>(total) / docs;
  out.idf.reserve(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) {
    uint64_t given = i < global.df.size() ? global.df[i] : 0;
    auto d = static_cast<double>(std::max<uint64_t>(given, df(terms[i])));
    out.idf.push_back(idf_of(std::max(out.docs, d), d));
  }
  return out;
}

const bm25_index::postings* bm25_index::find(const std::string& term) const {
  auto found = terms_.find(term);
  return found == terms_.end() ? nullptr : &found->second;
}

uint32_t bm25_index::tf(uint64_t doc_id, const std::string& term) const {
  auto posting = find(term);
  if (!posting)
    return 0;
  auto found = posting->find(doc_id);
  return found == posting->end() ? 0 : found->second;
}

bool bm25_index::matches(uint64_t doc_id, const query& q) const {
  auto has = [&](const std::string& t) { return tf(doc_id, t) > 0; };
  for (const auto& group : q.all_of_any)
    if (std::none_of(group.begin(), group.end(), has))
      return false;
  return std::none_of(q.excluded.begin(), q.excluded.end(), has);
}

std::vector<uint64_t>
bm25_index::union_of(const std::vector<std::string>& group) const {
  std::vector<uint64_t> out;
  for (const auto& term : group)
    if (auto posting = find(term))
      for (const auto& entry : *posting)
        out.push_back(entry.first);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double bm25_index::score(uint64_t doc_id, const std::vector<std::string>& terms,
                         const scoring& params) const {
  auto dl = static_cast<double>(docs_.at(doc_id).length);
  auto ratio = params.avg_length > 0 ? dl / params.avg_length : 1.0;
  auto norm = bm25_k1 * (1 - bm25_b + bm25_b * ratio);
  double sum = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (auto count = static_cast<double>(tf(doc_id, terms[i])); count > 0)
      sum += params.idf[i] * count * (bm25_k1 + 1) / (count + norm);
  }
  return sum;
}

} // namespace troupe::crawler
