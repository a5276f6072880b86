#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace troupe::twitter {

/// The inverted index of one search shard: for each term, the ids of the
/// tweets containing it, in ascending id order (tweets arrive mostly in
/// id order, so adding is an append).
class search_index {
public:
  /// Indexes `tweet_id` under every term of `terms` (see `tokenize`).
  /// Adding a tweet twice has no effect.
  void add(uint64_t tweet_id, const std::vector<std::string>& terms);

  /// Ids of the tweets that contain every one of `terms`, newest first,
  /// at most `limit`, only `tweet_id < max_id` (0: no bound). No terms:
  /// no results.
  std::vector<uint64_t> query(const std::vector<std::string>& terms,
                              size_t limit, uint64_t max_id = 0) const;

  /// Distinct terms, and (term, tweet) pairs held.
  size_t term_count() const noexcept { return postings_.size(); }
  size_t posting_count() const noexcept { return postings_total_; }

private:
  std::unordered_map<std::string, std::vector<uint64_t>> postings_;
  size_t postings_total_ = 0;
};

} // namespace troupe::twitter
