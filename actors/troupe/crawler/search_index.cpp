#include "troupe/crawler/search_index.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace troupe::crawler {

namespace {

/// Estimated bookkeeping bytes per document beyond its strings: the node
/// of `ids_` (URL string, id, hash, next) and of `docs_` (id, document
/// with three strings and two integers), each with its bucket.
constexpr size_t per_document_bytes = 224;

/// The ellipsis marking cut text.
constexpr std::string_view ellipsis = "\xE2\x80\xA6";

/// The terms of `d` as the index sees them.
std::vector<std::string> terms_of_document(const document& d) {
  return terms_of(d.title + " " + d.text);
}

/// `terms` sorted, each once.
std::vector<std::string> distinct(std::vector<std::string> terms) {
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

/// The string bytes `d` stores (its URL counted twice: it is also a key).
size_t bytes_of(const document& d) {
  return 2 * d.url.size() + d.title.size() + d.text.size();
}

/// Whether `c` is ASCII whitespace.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

/// Whether `c` belongs to a word as `terms_of` cuts them.
bool is_word(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') ||
         (u >= 'A' && u <= 'Z');
}

/// Whether `c` continues a UTF-8 sequence (10xxxxxx).
bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

/// Whether `word` equals `term` with ASCII letters of `word` lower-cased.
bool equals_folded(std::string_view word, const std::string& term) {
  if (word.size() != term.size())
    return false;
  for (size_t i = 0; i < word.size(); ++i) {
    auto c = word[i];
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if (c != term[i])
      return false;
  }
  return true;
}

/// [begin, end) of the first word of `text` equal to one of `terms`.
std::optional<std::pair<size_t, size_t>>
first_match(std::string_view text, const std::vector<std::string>& terms) {
  size_t i = 0;
  while (i < text.size()) {
    if (!is_word(text[i])) {
      ++i;
      continue;
    }
    auto j = i;
    while (j < text.size() && is_word(text[j]))
      ++j;
    auto word = text.substr(i, j - i);
    for (const auto& term : terms)
      if (equals_folded(word, term))
        return std::make_pair(i, j);
    i = j;
  }
  return std::nullopt;
}

/// Where a window of `max_bytes` showing [begin, ...) of `text` starts:
/// a quarter of the window before `begin`, moved back when the text ends
/// early and forward to whitespace (or `begin`, a word start).
size_t window_start(std::string_view text, size_t begin, size_t max_bytes) {
  auto lead = max_bytes / 4;
  if (begin <= lead)
    return 0;
  auto start = std::min(begin - lead, text.size() - max_bytes);
  if (start == 0 || is_space(text[start - 1]))
    return start;
  while (start < begin && !is_space(text[start]))
    ++start;
  return start;
}

/// Where a window starting at `start` ends: at whitespace at most
/// `max_bytes` on and not before `keep` (the match's end), else at a UTF-8
/// character boundary.
size_t window_end(std::string_view text, size_t start, size_t keep,
                  size_t max_bytes) {
  auto end = start + max_bytes;
  if (end >= text.size())
    return text.size();
  for (auto i = end; i > start && i >= keep; --i)
    if (is_space(text[i]))
      return i;
  while (end > start && is_continuation(text[end]))
    --end;
  return end;
}

/// Appends `text` to `out` with runs of whitespace as one space and none
/// at either end.
void append_collapsed(std::string& out, std::string_view text) {
  bool gap = false;
  auto first = out.size();
  for (auto c : text) {
    if (is_space(c)) {
      gap = true;
      continue;
    }
    if (gap && out.size() > first)
      out += ' ';
    gap = false;
    out += c;
  }
}

/// Higher score first, then lower URL.
bool ranks_before(const search_hit& x, const search_hit& y) {
  if (x.score != y.score)
    return x.score > y.score;
  return x.url < y.url;
}

} // namespace

std::vector<std::string> search_index::put(document d) {
  auto terms = terms_of_document(d);
  std::vector<std::string> changed;
  uint64_t id = 0;
  if (auto found = ids_.find(d.url); found != ids_.end()) {
    id = found->second;
    const auto& old = docs_.at(id).doc;
    changed = terms_of_document(old);
    text_bytes_ -= bytes_of(old);
  } else {
    id = next_id_++;
    ids_.emplace(d.url, id);
  }
  index_.add_document(id, terms);
  changed.insert(changed.end(), terms.begin(), terms.end());
  text_bytes_ += bytes_of(d);
  docs_[id] = entry{id, std::move(d)};
  return distinct(std::move(changed));
}

std::vector<std::string> search_index::erase(const std::string& url) {
  auto found = ids_.find(url);
  if (found == ids_.end())
    return {};
  auto stored = docs_.find(found->second);
  auto terms = distinct(terms_of_document(stored->second.doc));
  text_bytes_ -= bytes_of(stored->second.doc);
  index_.remove_document(found->second);
  docs_.erase(stored);
  ids_.erase(found);
  return terms;
}

const document* search_index::find(const std::string& url) const {
  auto found = ids_.find(url);
  if (found == ids_.end())
    return nullptr;
  return &docs_.at(found->second).doc;
}

corpus_stats search_index::stats(const std::vector<std::string>& terms) const {
  return index_.stats(terms);
}

std::vector<search_hit> search_index::search(const query& q, size_t limit,
                                             const corpus_stats& global) const {
  if (limit == 0)
    return {};
  auto scored = index_.score_all(q, global);
  auto url_of = [this](uint64_t id) -> const std::string& {
    return docs_.at(id).doc.url;
  };
  auto before = [&](const bm25_index::hit& x, const bm25_index::hit& y) {
    if (x.second != y.second)
      return x.second > y.second;
    return url_of(x.first) < url_of(y.first);
  };
  auto keep = std::min(limit, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(),
                    before);
  auto terms = positive_terms(q);
  std::vector<search_hit> out;
  out.reserve(keep);
  for (size_t i = 0; i < keep; ++i)
    out.push_back(hit_of(docs_.at(scored[i].first), scored[i].second, terms));
  return out;
}

size_t search_index::memory_bytes() const noexcept {
  return text_bytes_ + per_document_bytes * docs_.size() +
         index_.memory_bytes();
}

search_hit search_index::hit_of(const entry& e, double score,
                                const std::vector<std::string>& terms) {
  search_hit out;
  out.url = e.doc.url;
  out.title = e.doc.title.empty() ? e.doc.url : e.doc.title;
  out.snippet = snippet(e.doc.text, terms);
  out.score = score;
  return out;
}

std::string snippet(std::string_view text,
                    const std::vector<std::string>& terms, size_t max_bytes) {
  std::string out;
  if (text.size() <= max_bytes) {
    append_collapsed(out, text);
    return out;
  }
  auto match =
      first_match(text, terms).value_or(std::pair<size_t, size_t>{0, 0});
  auto start = window_start(text, match.first, max_bytes);
  auto end = window_end(text, start, match.second, max_bytes);
  if (start > 0)
    out += ellipsis;
  append_collapsed(out, text.substr(start, end - start));
  if (end < text.size())
    out += ellipsis;
  return out;
}

std::vector<search_hit> merge_hits(std::vector<std::vector<search_hit>> lists,
                                   size_t limit) {
  std::vector<search_hit> all;
  for (auto& list : lists)
    std::move(list.begin(), list.end(), std::back_inserter(all));
  std::sort(all.begin(), all.end(), ranks_before);
  std::vector<search_hit> out;
  std::unordered_set<std::string> seen;
  for (auto& hit : all) {
    if (out.size() >= limit)
      break;
    if (seen.insert(hit.url).second)
      out.push_back(std::move(hit));
  }
  return out;
}

std::string doc_key(std::string_view url) {
  std::string out;
  out.reserve(url.size() + 1);
  out += 'd';
  out += url;
  return out;
}

std::optional<std::string> url_of_doc_key(std::string_view key) {
  if (key.size() < 2 || key.front() != 'd')
    return std::nullopt;
  return std::string{key.substr(1)};
}

} // namespace troupe::crawler
