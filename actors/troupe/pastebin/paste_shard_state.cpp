#include "troupe/pastebin/paste_shard_state.hpp"

#include <algorithm>
#include <ctime>

#include "troupe/log.hpp"
#include "troupe/persistence/codec.hpp"

namespace troupe::pastebin {

namespace {

constexpr std::string_view paste_prefix = "p:";
constexpr std::string_view visit_prefix = "v:";

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string visit_key(const std::string& month, const std::string& link) {
  std::string key{visit_prefix};
  key += month;
  key += ':';
  key += link;
  return key;
}

} // namespace

std::string month_of(int64_t t) {
  auto secs = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d", tm.tm_year + 1900,
                tm.tm_mon + 1);
  return buf;
}

void paste_shard_state::restore(const persistence::shard_image& image) {
  pastes_.clear();
  expiry_.clear();
  hits_.clear();
  dirty_.clear();
  for (const auto& [key, value] : image.records)
    apply(op{op::put, key, value});
}

void paste_shard_state::apply(const op& x) {
  if (starts_with(x.key, paste_prefix)) {
    auto link = x.key.substr(paste_prefix.size());
    if (x.kind == op::erase) {
      erase_paste(link);
      return;
    }
    paste_record rec;
    std::string err;
    if (!persistence::decode(x.value, rec, &err)) {
      log::error("pastebin", "skipping undecodable paste ", link, ": ", err);
      return;
    }
    put_paste(link, std::move(rec));
  } else if (starts_with(x.key, visit_prefix)) {
    // v:YYYY-MM:<link>
    auto rest = x.key.substr(visit_prefix.size());
    auto colon = rest.find(':');
    if (colon == std::string::npos)
      return;
    auto month = rest.substr(0, colon);
    auto link = rest.substr(colon + 1);
    if (x.kind == op::erase) {
      hits_[month].erase(link);
      return;
    }
    visit_record rec;
    if (persistence::decode(x.value, rec))
      hits_[month][link] = rec.hits;
  }
}

void paste_shard_state::put_paste(const std::string& link, paste_record rec) {
  erase_paste(link);
  if (rec.expiration_minutes != 0)
    expiry_.emplace(rec.expires_at(), link);
  pastes_.emplace(link, std::move(rec));
}

void paste_shard_state::erase_paste(const std::string& link) {
  auto i = pastes_.find(link);
  if (i == pastes_.end())
    return;
  if (i->second.expiration_minutes != 0) {
    auto [first, last] = expiry_.equal_range(i->second.expires_at());
    for (auto j = first; j != last; ++j) {
      if (j->second == link) {
        expiry_.erase(j);
        break;
      }
    }
  }
  pastes_.erase(i);
}

std::optional<std::vector<paste_shard_state::op>>
paste_shard_state::plan_create(const std::string& link, const paste_input& in,
                               int64_t now) const {
  auto i = pastes_.find(link);
  if (i != pastes_.end() && !i->second.expired(now))
    return std::nullopt;
  paste_record rec{in.contents, in.created_at, in.expiration_minutes, in.kind};
  std::vector<op> ops;
  ops.push_back(
      op{op::put, std::string{paste_prefix} + link, persistence::encode(rec)});
  return ops;
}

std::optional<paste_view> paste_shard_state::visit(const std::string& link,
                                                   uint8_t kind, int64_t now) {
  auto i = pastes_.find(link);
  if (i == pastes_.end() || i->second.kind != kind || i->second.expired(now))
    return std::nullopt;
  if (now != month_second_) {
    month_second_ = now;
    month_ = month_of(now);
  }
  ++hits_[month_][link];
  dirty_.emplace(month_, link);
  const auto& rec = i->second;
  return paste_view{link, rec.contents, rec.created_at, rec.expiration_minutes,
                    rec.kind};
}

std::vector<paste_shard_state::op> paste_shard_state::dirty_visit_ops() const {
  std::vector<op> ops;
  ops.reserve(dirty_.size());
  for (const auto& [month, link] : dirty_) {
    auto hits = hits_.at(month).at(link);
    ops.push_back(op{op::put, visit_key(month, link),
                     persistence::encode(visit_record{hits})});
  }
  return ops;
}

std::vector<paste_shard_state::op>
paste_shard_state::plan_sweep(int64_t now, size_t max) const {
  std::vector<op> ops;
  for (auto i = expiry_.begin();
       i != expiry_.end() && i->first <= now && ops.size() < max; ++i)
    ops.push_back(op{op::erase, std::string{paste_prefix} + i->second, {}});
  return ops;
}

std::vector<stats_row> paste_shard_state::stats(const std::string& month,
                                                const std::string& link,
                                                size_t limit) const {
  std::vector<stats_row> rows;
  auto m = hits_.find(month);
  if (m == hits_.end())
    return rows;
  if (!link.empty()) {
    if (auto i = m->second.find(link); i != m->second.end())
      rows.push_back(stats_row{link, month, i->second});
    return rows;
  }
  rows.reserve(m->second.size());
  for (const auto& [l, hits] : m->second)
    rows.push_back(stats_row{l, month, hits});
  rank_stats(rows, limit);
  return rows;
}

void rank_stats(std::vector<stats_row>& rows, size_t limit) {
  auto by_rank = [](const stats_row& x, const stats_row& y) {
    return x.hits != y.hits ? x.hits > y.hits : x.shortlink < y.shortlink;
  };
  if (rows.size() > limit) {
    std::partial_sort(rows.begin(),
                      rows.begin() + static_cast<ptrdiff_t>(limit), rows.end(),
                      by_rank);
    rows.resize(limit);
  } else {
    std::sort(rows.begin(), rows.end(), by_rank);
  }
}

} // namespace troupe::pastebin
