#include "troupe/social/person_table.hpp"

#include <algorithm>
#include <iterator>

namespace troupe::social {

namespace {

constexpr char name_tag = 'n';
constexpr char friend_tag = 'f';

void put_be32(std::string& out, person_id x) {
  out += static_cast<char>(x >> 24);
  out += static_cast<char>(x >> 16);
  out += static_cast<char>(x >> 8);
  out += static_cast<char>(x);
}

person_id get_be32(std::string_view in) {
  auto b = [&](size_t i) { return static_cast<uint8_t>(in[i]); };
  return (person_id{b(0)} << 24) | (person_id{b(1)} << 16) |
         (person_id{b(2)} << 8) | person_id{b(3)};
}

bool is_name_key(std::string_view key) {
  return key.size() == 5 && key[0] == name_tag;
}

bool is_friend_key(std::string_view key) {
  return key.size() == 9 && key[0] == friend_tag;
}

persistence::journal_op put_op(std::string key, std::string value = {}) {
  return {persistence::journal_op::put, std::move(key), std::move(value)};
}

} // namespace

std::string person_table::name_key(person_id id) {
  std::string key;
  key += name_tag;
  put_be32(key, id);
  return key;
}

std::string person_table::friend_key(person_id id, person_id friend_id) {
  std::string key;
  key += friend_tag;
  put_be32(key, id);
  put_be32(key, friend_id);
  return key;
}

void person_table::restore(const persistence::shard_image& image) {
  people_.clear();
  halves_ = 0;
  for (const auto& [key, value] : image.records) {
    if (is_name_key(key)) {
      people_[get_be32(std::string_view{key}.substr(1))].name = value;
    } else if (is_friend_key(key)) {
      // Records come sorted by key: each friend list in ascending order.
      std::string_view k{key};
      people_[get_be32(k.substr(1))].friends.push_back(get_be32(k.substr(5)));
      ++halves_;
    }
  }
  for (auto& entry : people_)
    entry.second.friends.shrink_to_fit();
}

void person_table::apply(const std::vector<op>& ops) {
  // Consecutive friend puts of one person (an import's) merge at once.
  std::vector<person_id> run;
  person_id run_owner = 0;
  auto flush = [&] {
    if (!run.empty())
      add_friends(run_owner, run.data(), run.data() + run.size());
    run.clear();
  };
  for (const auto& x : ops) {
    std::string_view key{x.key};
    if (is_friend_key(key)) {
      auto owner = get_be32(key.substr(1));
      auto other = get_be32(key.substr(5));
      if (x.kind != op::put) {
        flush();
        remove_friend(owner, other);
        continue;
      }
      if (owner != run_owner || (!run.empty() && run.back() >= other)) {
        flush();
        run_owner = owner;
      }
      run.push_back(other);
    } else if (is_name_key(key) && x.kind == op::put) {
      flush();
      people_[get_be32(key.substr(1))].name = x.value;
    }
  }
  flush();
}

void person_table::add_friends(person_id id, const person_id* first,
                               const person_id* last) {
  auto& mine = people_[id].friends;
  std::vector<person_id> merged;
  merged.reserve(mine.size() + static_cast<size_t>(last - first));
  std::set_union(mine.begin(), mine.end(), first, last,
                 std::back_inserter(merged));
  halves_ += merged.size() - mine.size();
  mine.swap(merged);
}

void person_table::remove_friend(person_id id, person_id friend_id) {
  auto i = people_.find(id);
  if (i == people_.end())
    return;
  auto& mine = i->second.friends;
  auto pos = std::lower_bound(mine.begin(), mine.end(), friend_id);
  if (pos == mine.end() || *pos != friend_id)
    return;
  std::vector<person_id> rest;
  rest.reserve(mine.size() - 1);
  rest.insert(rest.end(), mine.begin(), pos);
  rest.insert(rest.end(), pos + 1, mine.end());
  mine.swap(rest);
  --halves_;
}

std::optional<std::vector<person_table::op>>
person_table::plan_create(person_id id, const std::string& name) const {
  auto i = people_.find(id);
  if (i != people_.end() && !i->second.name.empty())
    return std::nullopt;
  return std::vector<op>{put_op(name_key(id), name)};
}

std::optional<std::vector<person_table::op>>
person_table::plan_link(person_id id, person_id friend_id) const {
  if (people_.count(id) == 0)
    return std::nullopt;
  if (are_friends(id, friend_id))
    return std::vector<op>{};
  return std::vector<op>{put_op(friend_key(id, friend_id))};
}

std::optional<std::vector<person_table::op>>
person_table::plan_unlink(person_id id, person_id friend_id) const {
  if (people_.count(id) == 0)
    return std::nullopt;
  if (!are_friends(id, friend_id))
    return std::vector<op>{};
  return std::vector<op>{{op::erase, friend_key(id, friend_id), {}}};
}

person_table::import_plan
person_table::plan_import(std::vector<person_id> pairs) const {
  struct half {
    person_id owner;
    person_id other;
    bool operator<(const half& x) const {
      return owner != x.owner ? owner < x.owner : other < x.other;
    }
    bool operator==(const half& x) const {
      return owner == x.owner && other == x.other;
    }
  };
  std::vector<half> halves;
  halves.reserve(pairs.size() / 2);
  for (size_t i = 0; i + 1 < pairs.size(); i += 2)
    if (pairs[i] != 0 && pairs[i + 1] != 0 && pairs[i] != pairs[i + 1])
      halves.push_back({pairs[i], pairs[i + 1]});
  std::sort(halves.begin(), halves.end());
  halves.erase(std::unique(halves.begin(), halves.end()), halves.end());
  import_plan plan;
  plan.ops.reserve(halves.size());
  person_id last_owner = 0;
  for (const auto& h : halves) {
    if (h.owner != last_owner) {
      last_owner = h.owner;
      if (people_.count(h.owner) == 0) {
        plan.ops.push_back(put_op(name_key(h.owner)));
        ++plan.new_people;
      }
    }
    if (!are_friends(h.owner, h.other)) {
      plan.ops.push_back(put_op(friend_key(h.owner, h.other)));
      ++plan.new_halves;
    }
  }
  return plan;
}

std::vector<person_table::op>
person_table::plan_people(std::vector<person_id> ids, uint64_t& created) const {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<op> ops;
  for (auto id : ids)
    if (id != 0 && people_.count(id) == 0)
      ops.push_back(put_op(name_key(id)));
  created = ops.size();
  return ops;
}

std::optional<person_view> person_table::view(person_id id) const {
  auto i = people_.find(id);
  if (i == people_.end())
    return std::nullopt;
  return person_view{id, i->second.name,
                     static_cast<uint32_t>(i->second.friends.size())};
}

void person_table::neighbors(const std::vector<person_id>& ids,
                             std::vector<uint32_t>& counts,
                             std::vector<person_id>& friends) const {
  counts.reserve(counts.size() + ids.size());
  for (auto id : ids) {
    auto i = people_.find(id);
    if (i == people_.end()) {
      counts.push_back(0);
      continue;
    }
    const auto& xs = i->second.friends;
    counts.push_back(static_cast<uint32_t>(xs.size()));
    friends.insert(friends.end(), xs.begin(), xs.end());
  }
}

bool person_table::are_friends(person_id id, person_id friend_id) const {
  auto i = people_.find(id);
  if (i == people_.end())
    return false;
  const auto& xs = i->second.friends;
  return std::binary_search(xs.begin(), xs.end(), friend_id);
}

} // namespace troupe::social
