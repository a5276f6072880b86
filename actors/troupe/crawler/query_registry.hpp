#pragma once

// Which cached search answers to drop when a page changes.
//
// A search answer is cached under a key derived from the query; the answer
// can change only when a page containing one of the query's terms is
// stored or removed (and, slightly, with the corpus statistics, which the
// cache's expiry covers). The shard that indexes a page registers each
// cache key under the query's terms, and when `put`/`erase` report a
// page's terms it takes the keys registered under them and deletes those
// answers from the cache.
//
// Bounded: at most `capacity` keys are remembered; registering one more
// evicts the oldest registered, which the caller deletes from the cache
// too (an answer nobody would invalidate must not stay cached).
// Cost: O(terms of the key) per add and per key taken.

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace troupe::crawler {

/// Cache keys of search answers by the terms their queries name.
class query_registry {
public:
  /// Remembers at most `capacity` keys (0 keeps none: every key added is
  /// evicted at once).
  explicit query_registry(size_t capacity = 65536);

  /// Remembers cache key `key` under each of `terms`; returns the keys
  /// evicted to stay within capacity, oldest registered first (the caller
  /// deletes those from the cache too). Registering a key again refreshes
  /// it: it becomes the newest and is filed under `terms` only.
  std::vector<std::string> add(const std::string& key,
                               const std::vector<std::string>& terms);

  /// The keys registered under any of `terms`, each once (sorted), all
  /// forgotten from every term.
  std::vector<std::string> take(const std::vector<std::string>& terms);

  /// The number of keys remembered.
  size_t size() const noexcept { return keys_.size(); }

private:
  /// What is kept per key: its place in `order_` and its terms.
  struct registration {
    std::list<std::string>::iterator age;
    std::vector<std::string> terms;
  };

  /// Forgets `key` from `keys_`, `order_` and every term; false if absent.
  bool forget(const std::string& key);

  size_t capacity_;

  /// Keys, oldest registered first.
  std::list<std::string> order_;

  std::unordered_map<std::string, registration> keys_;

  /// Keys by term; terms without keys are dropped.
  std::unordered_map<std::string, std::unordered_set<std::string>> by_term_;
};

} // namespace troupe::crawler
