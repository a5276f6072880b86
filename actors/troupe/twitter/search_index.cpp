#include "troupe/twitter/search_index.hpp"

#include <algorithm>

namespace troupe::twitter {

void search_index::add(uint64_t tweet_id,
                       const std::vector<std::string>& terms) {
  for (const auto& term : terms) {
    auto& ids = postings_[term];
    if (ids.empty() || ids.back() < tweet_id) {
      ids.push_back(tweet_id);
    } else {
      auto pos = std::lower_bound(ids.begin(), ids.end(), tweet_id);
      if (pos != ids.end() && *pos == tweet_id)
        continue;
      ids.insert(pos, tweet_id);
    }
    ++postings_total_;
  }
}

std::vector<uint64_t> search_index::query(const std::vector<std::string>& terms,
                                          size_t limit, uint64_t max_id) const {
  std::vector<const std::vector<uint64_t>*> lists;
  for (const auto& term : terms) {
    auto i = postings_.find(term);
    if (i == postings_.end())
      return {}; // a term no tweet has: no tweet has them all
    lists.push_back(&i->second);
  }
  std::vector<uint64_t> out;
  if (lists.empty() || limit == 0)
    return out;
  // Walk the shortest list from the newest end; check the others by
  // binary search.
  std::sort(lists.begin(), lists.end(),
            [](auto* x, auto* y) { return x->size() < y->size(); });
  const auto& shortest = *lists.front();
  auto end = max_id == 0
                 ? shortest.end()
                 : std::lower_bound(shortest.begin(), shortest.end(), max_id);
  for (auto i = end; i != shortest.begin() && out.size() < limit;) {
    auto id = *--i;
    bool all = std::all_of(lists.begin() + 1, lists.end(), [id](auto* list) {
      return std::binary_search(list->begin(), list->end(), id);
    });
    if (all)
      out.push_back(id);
  }
  return out;
}

} // namespace troupe::twitter
