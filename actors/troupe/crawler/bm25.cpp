#include "troupe/crawler/bm25.hpp"

#include <algorithm>
#include <cmath>

namespace troupe::crawler {

namespace {

/// The distinct positive terms of `q`, in first-seen order.
std::vector<std::string> positive_terms(const query& q) {
  std::vector<std::string> out;
  for (const auto& group : q.all_of_any)
    for (const auto& term : group)
      if (std::find(out.begin(), out.end(), term) == out.end())
        out.push_back(term);
  return out;
}

/// Higher score first, then lower doc id.
bool ranks_before(const bm25_index::hit& x, const bm25_index::hit& y) {
  if (x.second != y.second)
    return x.second > y.second;
  return x.first < y.first;
}

} // namespace

void bm25_index::add_document(uint64_t doc_id,
                              const std::vector<std::string>& terms) {
  remove_document(doc_id);
  document doc;
  doc.length = terms.size();
  for (const auto& term : terms) {
    auto& count = terms_[term][doc_id];
    if (count++ == 0)
      doc.terms.push_back(term);
  }
  total_length_ += doc.length;
  docs_.emplace(doc_id, std::move(doc));
}

bool bm25_index::remove_document(uint64_t doc_id) {
  auto found = docs_.find(doc_id);
  if (found == docs_.end())
    return false;
  for (const auto& term : found->second.terms) {
    auto posting = terms_.find(term);
    posting->second.erase(doc_id);
    if (posting->second.empty())
      terms_.erase(posting);
  }
  total_length_ -= found->second.length;
  docs_.erase(found);
  return true;
}

std::vector<bm25_index::hit> bm25_index::search(const query& q,
                                                size_t limit) const {
  if (q.all_of_any.empty() || limit == 0)
    return {};
  auto terms = positive_terms(q);
  std::vector<hit> hits;
  for (auto doc_id : union_of(q.all_of_any.front()))
    if (matches(doc_id, q))
      hits.emplace_back(doc_id, score(doc_id, terms));
  auto keep = std::min(limit, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + keep, hits.end(),
                    ranks_before);
  hits.resize(keep);
  return hits;
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
  auto n = static_cast<double>(docs_.size());
  auto d = static_cast<double>(df(term));
  return std::log(1.0 + (n - d + 0.5) / (d + 0.5));
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

double bm25_index::score(uint64_t doc_id,
                         const std::vector<std::string>& terms) const {
  auto dl = static_cast<double>(docs_.at(doc_id).length);
  auto norm = bm25_k1 * (1 - bm25_b + bm25_b * dl / avg_length());
  double sum = 0;
  for (const auto& term : terms) {
    if (auto count = static_cast<double>(tf(doc_id, term)); count > 0)
      sum += idf(term) * count * (bm25_k1 + 1) / (count + norm);
  }
  return sum;
}

} // namespace troupe::crawler
