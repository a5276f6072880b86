#pragma once

// The documents of one search index shard, without actors.
//
// Documents are keyed by URL and spread over the shards by it, so a search
// asks every shard twice: first `stats` for the query's positive terms
// (summed at the edge with `add_stats`), then `search` scored with the sum,
// so a page's score does not depend on which shard holds it. The per-shard
// answers are merged with `merge_hits`.
//
// Memory: the stored url, title and text, the bm25 postings (about 48 bytes
// per distinct term of a page) and a few hundred bytes of per-page
// bookkeeping; `memory_bytes` adds these up for the "index size per page"
// figure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <msgpack.hpp>

#include "troupe/crawler/bm25.hpp"
#include "troupe/crawler/text.hpp"

namespace troupe::crawler {

/// One indexed page.
struct document {
  /// The page's normalized URL (the key).
  std::string url;

  /// The page's title, as text.
  std::string title;

  /// The page's visible text.
  std::string text;

  /// The simhash of the page's terms.
  uint64_t simhash = 0;

  /// When the page was fetched (Unix milliseconds).
  int64_t fetched_ms = 0;

  MSGPACK_DEFINE_MAP(url, title, text, simhash, fetched_ms)
};

/// One search result as a shard reports it.
struct search_hit {
  /// The page's URL.
  std::string url;

  /// The page's title, or its URL when it has none.
  std::string title;

  /// Text around the first query term in the page.
  std::string snippet;

  /// The BM25 score under the cluster-wide statistics.
  double score = 0;

  MSGPACK_DEFINE_MAP(url, title, snippet, score)
};

/// The documents of one shard with their BM25 index. Single-threaded.
class search_index {
public:
  /// Stores `d`, replacing the document with the same URL. Returns the
  /// distinct terms of the old and the new version together, sorted:
  /// cached answers of queries naming any of them may change. A page's
  /// terms are `terms_of(title + " " + text)`.
  std::vector<std::string> put(document d);

  /// Forgets the document of `url`; returns its distinct terms, sorted
  /// (empty if absent).
  std::vector<std::string> erase(const std::string& url);

  /// The document of `url`, or nullptr. Valid until the next put or erase.
  const document* find(const std::string& url) const;

  /// This shard's statistics for `terms` (see `bm25_index::stats`).
  corpus_stats stats(const std::vector<std::string>& terms) const;

  /// The best `limit` matches of `q` scored with `global` (df aligned with
  /// `positive_terms(q)`): best first, equal scores by URL. Each carries
  /// its title (the URL if the title is empty) and a snippet of its text
  /// around the query terms.
  std::vector<search_hit> search(const query& q, size_t limit,
                                 const corpus_stats& global) const;

  /// The number of stored documents.
  size_t size() const noexcept { return docs_.size(); }

  /// Bytes held, estimated: stored url, title and text, the postings and a
  /// fixed per-document overhead.
  size_t memory_bytes() const noexcept;

private:
  /// A stored document and its id in `index_`.
  struct entry {
    uint64_t id = 0;
    document doc;
  };

  /// The hit for `e` with score `score` and a snippet for `terms`.
  static search_hit hit_of(const entry& e, double score,
                           const std::vector<std::string>& terms);

  /// The doc id of each stored URL.
  std::unordered_map<std::string, uint64_t> ids_;

  /// The stored documents by doc id.
  std::unordered_map<uint64_t, entry> docs_;

  bm25_index index_;
  uint64_t next_id_ = 1;
  size_t text_bytes_ = 0;
};

/// A snippet of `text` around the first place one of `terms` occurs as a
/// whole word (words as `terms_of` cuts them; ASCII case-insensitive),
/// about `max_bytes` long: cut at whitespace (inside a run without any, at
/// a UTF-8 character boundary), with "…" where text was cut and runs of
/// ASCII whitespace shown as one space. The start of the text when no term
/// occurs.
std::string snippet(std::string_view text,
                    const std::vector<std::string>& terms,
                    size_t max_bytes = 200);

/// Merges per-shard hit lists: best score first, equal scores by URL, at
/// most `limit`. A URL reported twice (a shard moving) appears once.
std::vector<search_hit> merge_hits(std::vector<std::vector<search_hit>> lists,
                                   size_t limit);

/// The journal key of the document of `url`: "d" + url.
std::string doc_key(std::string_view url);

/// The URL of a `doc_key`, or nullopt for any other key.
std::optional<std::string> url_of_doc_key(std::string_view key);

} // namespace troupe::crawler
