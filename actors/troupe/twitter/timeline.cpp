#include "troupe/twitter/timeline.hpp"

#include <algorithm>
#include <queue>
#include <tuple>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace troupe::twitter {

uint32_t author_key(const char* user_id, size_t size) {
  return static_cast<uint32_t>(XXH64(user_id, size, 0));
}

home_timeline::home_timeline(size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)) {
  // nop
}

void home_timeline::straighten() {
  std::rotate(slots_.begin(), slots_.begin() + static_cast<long>(start_),
              slots_.end());
  start_ = 0;
}

bool home_timeline::add(timeline_entry e) {
  // Tweets of different authors arrive a little out of order: count the
  // few newest entries that are newer than `e` and move `e` past them
  // within the ring. Further back, straighten and insert.
  size_t newer = 0;
  while (newer < size_ && newer < max_shift &&
         at(size_ - 1 - newer).tweet_id > e.tweet_id)
    ++newer;
  if (newer == size_ || newer == max_shift)
    return add_far(e);
  if (at(size_ - 1 - newer).tweet_id == e.tweet_id)
    return false;
  if (size_ < capacity_) {
    if (start_ != 0)
      straighten();
    grow();
    slots_.push_back(e);
    ++size_;
  } else {
    slots_[start_] = e; // overwrite the oldest
    start_ = (start_ + 1) % slots_.size();
  }
  for (size_t i = size_ - 1; i > size_ - 1 - newer; --i)
    std::swap(at(i), at(i - 1));
  return true;
}

bool home_timeline::add_far(timeline_entry e) {
  if (size_ == capacity_ && e.tweet_id < at(0).tweet_id)
    return false; // older than everything a full timeline keeps
  straighten();
  auto pos = std::lower_bound(
      slots_.begin(), slots_.end(), e.tweet_id,
      [](const timeline_entry& x, uint64_t id) { return x.tweet_id < id; });
  if (pos != slots_.end() && pos->tweet_id == e.tweet_id)
    return false;
  auto index = pos - slots_.begin();
  if (size_ == capacity_) {
    slots_.erase(slots_.begin()); // drop the oldest (index > 0 here)
    --index;
  } else {
    ++size_;
    grow();
  }
  slots_.insert(slots_.begin() + index, e);
  return true;
}

void home_timeline::grow() {
  // Geometric growth, capped at the capacity: a full timeline holds no
  // spare slots.
  if (slots_.size() == slots_.capacity())
    slots_.reserve(std::min(capacity_, std::max<size_t>(8, slots_.size() * 2)));
}

std::vector<timeline_entry> home_timeline::page(size_t count,
                                                uint64_t max_id) const {
  std::vector<timeline_entry> out;
  for (size_t i = size_; i > 0 && out.size() < count; --i) {
    const auto& e = at(i - 1);
    if (max_id == 0 || e.tweet_id < max_id)
      out.push_back(e);
  }
  return out;
}

size_t home_timeline::remove_author(uint32_t author) {
  straighten();
  auto end = std::remove_if(
      slots_.begin(), slots_.end(),
      [author](const timeline_entry& e) { return e.author == author; });
  auto removed = static_cast<size_t>(slots_.end() - end);
  slots_.erase(end, slots_.end());
  size_ -= removed;
  return removed;
}

std::vector<timeline_entry>
merge_newest_first(const std::vector<std::vector<timeline_entry>>& sources,
                   size_t count, uint64_t max_id) {
  // (tweet id, source, index): a max-heap over the heads of the sources.
  using head = std::tuple<uint64_t, size_t, size_t>;
  std::priority_queue<head> heads;
  auto push_from = [&](size_t s, size_t i) {
    const auto& src = sources[s];
    while (i < src.size() && max_id != 0 && src[i].tweet_id >= max_id)
      ++i;
    if (i < src.size())
      heads.emplace(src[i].tweet_id, s, i);
  };
  for (size_t s = 0; s < sources.size(); ++s)
    push_from(s, 0);
  std::vector<timeline_entry> out;
  while (!heads.empty() && out.size() < count) {
    auto [id, s, i] = heads.top();
    heads.pop();
    if (out.empty() || out.back().tweet_id != id)
      out.push_back(sources[s][i]);
    push_from(s, i + 1);
  }
  return out;
}

} // namespace troupe::twitter
