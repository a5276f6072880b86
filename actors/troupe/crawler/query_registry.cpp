#include "troupe/crawler/query_registry.hpp"

#include <algorithm>

namespace troupe::crawler {

query_registry::query_registry(size_t capacity) : capacity_(capacity) {}

std::vector<std::string>
query_registry::add(const std::string& key,
                    const std::vector<std::string>& terms) {
  forget(key);
  registration reg;
  reg.age = order_.insert(order_.end(), key);
  for (const auto& term : terms)
    if (by_term_[term].insert(key).second)
      reg.terms.push_back(term);
  keys_.emplace(key, std::move(reg));
  std::vector<std::string> evicted;
  while (keys_.size() > capacity_) {
    auto oldest = order_.front();
    forget(oldest);
    evicted.push_back(std::move(oldest));
  }
  return evicted;
}

std::vector<std::string>
query_registry::take(const std::vector<std::string>& terms) {
  std::vector<std::string> out;
  for (const auto& term : terms)
    if (auto found = by_term_.find(term); found != by_term_.end())
      out.insert(out.end(), found->second.begin(), found->second.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  for (const auto& key : out)
    forget(key);
  return out;
}

bool query_registry::forget(const std::string& key) {
  auto found = keys_.find(key);
  if (found == keys_.end())
    return false;
  for (const auto& term : found->second.terms) {
    auto keys = by_term_.find(term);
    keys->second.erase(key);
    if (keys->second.empty())
      by_term_.erase(keys);
  }
  order_.erase(found->second.age);
  keys_.erase(found);
  return true;
}

} // namespace troupe::crawler
