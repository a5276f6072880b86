#include "troupe/twitter/user_state.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "troupe/log.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/twitter/text.hpp"
#include "troupe/twitter/timeline.hpp"

namespace troupe::twitter {

namespace {

constexpr std::string_view user_prefix = "u:";
constexpr std::string_view followee_prefix = "g:";
constexpr std::string_view follower_prefix = "r:";
constexpr std::string_view tweet_prefix = "t:";

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string pair_key(std::string_view prefix, const std::string& a,
                     const std::string& b) {
  std::string key{prefix};
  key += a;
  key += ':';
  key += b;
  return key;
}

std::string id_hex(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(id));
  return std::string(buf, 16);
}

template <class T>
bool decode_or_log(const persistence::journal_op& x, T& out) {
  std::string err;
  if (persistence::decode(x.value, out, &err))
    return true;
  log::error("twitter", "skipping undecodable record ", x.key, ": ", err);
  return false;
}

/// Sets or clears one side of a follow in `edges`, keeping `notify_count`.
void set_edge(std::unordered_map<std::string, bool>& edges,
              size_t* notify_count, const std::string& other, bool present,
              bool notify) {
  auto i = edges.find(other);
  if (i != edges.end()) {
    if (notify_count && i->second)
      --*notify_count;
    edges.erase(i);
  }
  if (!present)
    return;
  edges.emplace(other, notify);
  if (notify_count && notify)
    ++*notify_count;
}

} // namespace

bool split_pair(const std::string& key, size_t prefix_len, std::string& a,
                std::string& b) {
  auto colon = key.rfind(':');
  if (colon == std::string::npos || colon < prefix_len)
    return false;
  a = key.substr(prefix_len, colon - prefix_len);
  b = key.substr(colon + 1);
  return !a.empty() && !b.empty();
}

void user_state::restore(const persistence::shard_image& image) {
  users_.clear();
  by_id_.clear();
  index_ = search_index{};
  for (const auto& [key, value] : image.records)
    apply(op{op::put, key, value});
}

void user_state::apply(const op& x) {
  bool put = x.kind == op::put;
  std::string a, b;
  if (starts_with(x.key, user_prefix)) {
    user_record rec;
    if (!put || !decode_or_log(x, rec))
      return;
    auto& u = users_[x.key.substr(user_prefix.size())];
    u.active_ms = std::max(u.active_ms, rec.last_active_ms);
    u.rec = std::move(rec);
  } else if (starts_with(x.key, followee_prefix) &&
             split_pair(x.key, followee_prefix.size(), a, b)) {
    edge_record rec;
    if (put && !decode_or_log(x, rec))
      return;
    set_edge(users_[a].followees, nullptr, b, put, rec.notify);
  } else if (starts_with(x.key, follower_prefix) &&
             split_pair(x.key, follower_prefix.size(), a, b)) {
    edge_record rec;
    if (put && !decode_or_log(x, rec))
      return;
    auto& u = users_[a];
    set_edge(u.followers, &u.notify_followers, b, put, rec.notify);
  } else if (starts_with(x.key, tweet_prefix) &&
             split_pair(x.key, tweet_prefix.size(), a, b)) {
    tweet_record rec;
    if (!put || !decode_or_log(x, rec))
      return;
    add_tweet(a, std::strtoull(b.c_str(), nullptr, 16), std::move(rec));
  }
}

void user_state::add_tweet(const std::string& user, uint64_t id,
                           tweet_record rec) {
  if (id == 0 || by_id_.count(id) != 0)
    return;
  auto t = std::make_shared<tweet>(
      tweet{id, user, std::move(rec.status), std::move(rec.media_ids)});
  index_.add(id, tokenize(t->status));
  auto& list = users_[user].tweets;
  auto pos = std::upper_bound(
      list.begin(), list.end(), id,
      [](uint64_t x, const tweet_ptr& y) { return x < y->id; });
  list.insert(pos, t);
  by_id_.emplace(id, std::move(t));
}

const user_entry* user_state::find(const std::string& user) const {
  auto i = users_.find(user);
  if (i == users_.end() || i->second.rec.token_hash.empty())
    return nullptr;
  return &i->second;
}

user_state::op user_state::put_user(const std::string& user,
                                    const user_record& rec) {
  return op{op::put, std::string{user_prefix} + user, persistence::encode(rec)};
}

user_state::op user_state::put_followee(const std::string& follower,
                                        const std::string& followee,
                                        bool notify) {
  return op{op::put, pair_key(followee_prefix, follower, followee),
            persistence::encode(edge_record{notify})};
}

user_state::op user_state::erase_followee(const std::string& follower,
                                          const std::string& followee) {
  return op{op::erase, pair_key(followee_prefix, follower, followee), {}};
}

user_state::op user_state::put_follower(const std::string& followee,
                                        const std::string& follower,
                                        bool notify) {
  return op{op::put, pair_key(follower_prefix, followee, follower),
            persistence::encode(edge_record{notify})};
}

user_state::op user_state::erase_follower(const std::string& followee,
                                          const std::string& follower) {
  return op{op::erase, pair_key(follower_prefix, followee, follower), {}};
}

user_state::op user_state::put_tweet(const tweet& t) {
  return op{op::put, pair_key(tweet_prefix, t.user_id, id_hex(t.id)),
            persistence::encode(tweet_record{t.status, t.media_ids})};
}

std::optional<user_state::op> user_state::touch(const std::string& user,
                                                int64_t now_ms) {
  auto i = users_.find(user);
  if (i == users_.end())
    return std::nullopt;
  auto& u = i->second;
  u.active_ms = std::max(u.active_ms, now_ms);
  if (u.active_ms - u.rec.last_active_ms < active_persist_ms)
    return std::nullopt;
  auto rec = u.rec;
  rec.last_active_ms = u.active_ms;
  return put_user(user, rec);
}

std::vector<tweet_ptr> user_state::user_timeline(const std::string& user,
                                                 size_t count,
                                                 uint64_t max_id) const {
  std::vector<tweet_ptr> out;
  auto i = users_.find(user);
  if (i == users_.end())
    return out;
  const auto& list = i->second.tweets;
  auto end = max_id == 0 ? list.end()
                         : std::upper_bound(list.begin(), list.end(), max_id,
                                            [](uint64_t x, const tweet_ptr& y) {
                                              return x < y->id;
                                            });
  for (auto j = end; j != list.begin() && out.size() < count;)
    out.push_back(*--j);
  return out;
}

tweet_list user_state::recent(const std::vector<std::string>& authors,
                              size_t count) const {
  std::vector<std::vector<timeline_entry>> sources;
  for (const auto& a : authors) {
    std::vector<timeline_entry> src;
    for (const auto& t : user_timeline(a, count, 0))
      src.push_back(timeline_entry{t->id, 0, 0});
    sources.push_back(std::move(src));
  }
  tweet_list out;
  for (const auto& e : merge_newest_first(sources, count))
    out.push_back(*by_id_.at(e.tweet_id));
  return out;
}

tweet_list user_state::search(const std::vector<std::string>& terms,
                              size_t limit) const {
  tweet_list out;
  for (auto id : index_.query(terms, limit))
    out.push_back(*by_id_.at(id));
  return out;
}

} // namespace troupe::twitter
