#include "troupe/twitter/home_state.hpp"

#include <algorithm>

namespace troupe::twitter {

namespace {

timeline_entry entry_of(const tweet& t) {
  return {t.id, author_key(t.user_id.data(), t.user_id.size()), 0};
}

/// `max_id` inclusive (the API's) as the exclusive bound of timeline.hpp.
uint64_t exclusive(uint64_t max_id) {
  return max_id == 0 ? 0 : max_id + 1;
}

} // namespace

home_state::home_state(size_t home_size, size_t notes_per_user)
    : home_size_(home_size), notes_per_user_(notes_per_user) {
  // nop
}

home_state::home* home_state::find(const std::string& user) {
  auto i = homes_.find(user);
  return i == homes_.end() ? nullptr : &i->second;
}

home_state::home& home_state::begin_build(const std::string& user) {
  drop(user);
  return homes_.emplace(user, home{home_size_}).first->second;
}

void home_state::finish_build(const std::string& user,
                              const tweet_list& fetched) {
  auto h = find(user);
  if (h == nullptr || h->state != phase::building)
    return;
  // Oldest first, so that each entry is the newest so far (cheap to add).
  std::vector<const tweet*> order;
  order.reserve(fetched.size());
  for (const auto& t : fetched)
    order.push_back(&t);
  std::sort(order.begin(), order.end(),
            [](const tweet* x, const tweet* y) { return x->id < y->id; });
  for (const auto* t : order)
    add_entry(*h, intern(std::make_shared<tweet>(*t)));
  for (const auto& t : h->arrived)
    add_entry(*h, intern(t));
  h->arrived.clear();
  h->arrived.shrink_to_fit();
  h->state = phase::built;
}

bool home_state::deliver(const std::string& user, const tweet_ptr& t) {
  auto h = find(user);
  if (h == nullptr)
    return false;
  if (h->state == phase::building) {
    h->arrived.push_back(t);
    return false;
  }
  return add_entry(*h, intern(t));
}

bool home_state::add_entry(home& h, const tweet_ptr& t) {
  auto before = h.ring.size();
  bool added = h.ring.add(entry_of(*t));
  entries_ += h.ring.size() - before;
  return added;
}

void home_state::drop(const std::string& user) {
  auto i = homes_.find(user);
  if (i == homes_.end())
    return;
  entries_ -= i->second.ring.size();
  homes_.erase(i);
}

size_t
home_state::drop_if(const std::function<bool(const std::string& user)>& idle) {
  size_t dropped = 0;
  for (auto i = homes_.begin(); i != homes_.end();) {
    if (i->second.state == phase::built && idle(i->first)) {
      entries_ -= i->second.ring.size();
      i = homes_.erase(i);
      ++dropped;
    } else {
      ++i;
    }
  }
  return dropped;
}

void home_state::remove_author(const std::string& user,
                               const std::string& author) {
  auto h = find(user);
  if (h == nullptr)
    return;
  entries_ -= h->ring.remove_author(author_key(author.data(), author.size()));
  auto& arrived = h->arrived;
  arrived.erase(
      std::remove_if(arrived.begin(), arrived.end(),
                     [&](const tweet_ptr& t) { return t->user_id == author; }),
      arrived.end());
}

void home_state::add_celebrity_tweet(const tweet_ptr& t) {
  auto& recent = celebrities_[t->user_id];
  auto pos = std::upper_bound(
      recent.begin(), recent.end(), t->id,
      [](uint64_t x, const tweet_ptr& y) { return x < y->id; });
  if (pos != recent.begin() && (*std::prev(pos))->id == t->id)
    return;
  recent.insert(pos, t);
  while (recent.size() > home_size_)
    recent.pop_front();
}

std::vector<tweet_ptr> home_state::read(const home& h, size_t count,
                                        uint64_t max_id,
                                        const follows_fn& follows) const {
  auto page = h.ring.page(count, exclusive(max_id));
  // The recent tweets of followed celebrities, as more sources to merge.
  std::vector<std::vector<timeline_entry>> sources;
  std::unordered_map<uint64_t, tweet_ptr> merged;
  for (const auto& [author, recent] : celebrities_) {
    if (!follows(author))
      continue;
    std::vector<timeline_entry> src;
    for (auto i = recent.rbegin(); i != recent.rend() && src.size() < count;
         ++i) {
      if (max_id != 0 && (*i)->id > max_id)
        continue;
      src.push_back(entry_of(**i));
      merged.emplace((*i)->id, *i);
    }
    sources.push_back(std::move(src));
  }
  if (!sources.empty()) {
    sources.push_back(std::move(page));
    page = merge_newest_first(sources, count);
  }
  std::vector<tweet_ptr> out;
  out.reserve(page.size());
  for (const auto& e : page) {
    auto i = merged.find(e.tweet_id);
    auto t = i != merged.end() ? i->second : lookup(e.tweet_id);
    if (t)
      out.push_back(std::move(t));
  }
  return out;
}

void home_state::notify(const std::string& user, notification n) {
  auto& box = notes_[user];
  box.push_back(std::move(n));
  while (box.size() > notes_per_user_)
    box.pop_front();
}

std::vector<notification> home_state::notifications(const std::string& user,
                                                    size_t limit) const {
  std::vector<notification> out;
  auto i = notes_.find(user);
  if (i == notes_.end())
    return out;
  for (auto j = i->second.rbegin(); j != i->second.rend() && out.size() < limit;
       ++j)
    out.push_back(*j);
  return out;
}

tweet_ptr home_state::intern(const tweet_ptr& t) {
  if (auto held = lookup(t->id))
    return held;
  collect_garbage();
  tweets_.emplace(t->id, t);
  return t;
}

tweet_ptr home_state::lookup(uint64_t id) const {
  auto i = tweets_.find(id);
  return i == tweets_.end() ? nullptr : i->second;
}

void home_state::collect_garbage(bool force) {
  if (!force && tweets_.size() <= 2 * live_after_gc_ + 4096)
    return;
  std::unordered_map<uint64_t, tweet_ptr> live;
  live.reserve(tweets_.size());
  auto keep = [&](uint64_t id) {
    if (auto t = lookup(id))
      live.emplace(id, std::move(t));
  };
  for (const auto& [user, h] : homes_) {
    h.ring.for_each([&](const timeline_entry& e) { keep(e.tweet_id); });
    for (const auto& t : h.arrived)
      keep(t->id);
  }
  tweets_.swap(live);
  live_after_gc_ = tweets_.size();
}

} // namespace troupe::twitter
