#include "troupe/salesrank/rank_table.hpp"

#include <algorithm>
#include <utility>

namespace troupe::salesrank {

uint32_t rank_table::hour_ring::add(uint32_t slot, uint32_t q) {
  auto grow = [q](uint32_t& x) {
    auto added = std::min(q, UINT32_MAX - x);
    x += added;
    return added;
  };
  if (dense_)
    return grow((*dense_)[slot]);
  for (auto& [s, x] : sparse_)
    if (s == slot)
      return grow(x);
  if (sparse_.size() < sparse_max) {
    sparse_.emplace_back(static_cast<uint8_t>(slot), q);
    return q;
  }
  dense_ = std::make_unique<std::array<uint32_t, window_hours>>();
  dense_->fill(0);
  for (auto [s, x] : sparse_)
    (*dense_)[s] = x;
  sparse_.clear();
  sparse_.shrink_to_fit();
  return grow((*dense_)[slot]);
}

uint32_t rank_table::hour_ring::clear(uint32_t slot) {
  if (dense_)
    return std::exchange((*dense_)[slot], 0u);
  for (size_t i = 0; i < sparse_.size(); ++i)
    if (sparse_[i].first == slot) {
      auto x = sparse_[i].second;
      sparse_[i] = sparse_.back();
      sparse_.pop_back();
      return x;
    }
  return 0;
}

void rank_table::advance(uint32_t hour) {
  if (hour <= hour_)
    return;
  if (hour_ == 0) {
    hour_ = hour;
    return;
  }
  auto steps = std::min(hour - hour_, window_hours + 1);
  for (auto i = categories_.begin(); i != categories_.end();) {
    shift(i->second, hour_, steps);
    if (i->second.products.empty() && i->second.top.empty())
      i = categories_.erase(i);
    else
      ++i;
  }
  hour_ = hour;
}

void rank_table::shift(category_data& cat, uint32_t from, uint32_t steps) {
  for (auto i = cat.products.begin(); i != cat.products.end();) {
    auto& p = i->second;
    for (uint32_t s = 1; s <= steps; ++s) {
      auto slot = (from + s) % window_hours;
      p.total -= p.ring.clear(slot);
      // The first new hour receives what was sold early for it.
      if (s == 1 && p.next > 0)
        p.total += p.ring.add(slot, static_cast<uint32_t>(std::min<uint64_t>(
                                        p.next, UINT32_MAX)));
    }
    p.next = 0;
    cat.dirty = true;
    if (p.total == 0 && p.next == 0) {
      i = cat.products.erase(i);
      --pairs_;
    } else {
      ++i;
    }
  }
  if (cat.products.empty())
    cat.dirty = true;
}

bool rank_table::add(uint32_t hour, uint32_t quantity,
                     std::string_view category, std::string_view product) {
  bool next = hour == hour_ + 1;
  if (!next && (hour > hour_ || hour + (window_hours - 1) < hour_))
    return false;
  auto& cat = categories_[std::string{category}];
  auto [pos, added] = cat.products.try_emplace(std::string{product});
  pairs_ += added ? 1 : 0;
  auto& p = pos->second;
  if (next) {
    p.next += quantity;
  } else {
    p.total += p.ring.add(hour % window_hours, quantity);
    cat.dirty = true;
  }
  return true;
}

void rank_table::refresh() {
  for (auto i = categories_.begin(); i != categories_.end();) {
    auto& cat = i->second;
    if (cat.dirty) {
      cat.dirty = false;
      std::vector<const std::pair<const std::string, product_sales>*> all;
      all.reserve(cat.products.size());
      for (const auto& kvp : cat.products)
        if (kvp.second.total > 0)
          all.push_back(&kvp);
      auto better = [](auto* x, auto* y) {
        return x->second.total != y->second.total
                   ? x->second.total > y->second.total
                   : x->first < y->first;
      };
      auto n = std::min(top_size_, all.size());
      std::partial_sort(all.begin(), all.begin() + static_cast<long>(n),
                        all.end(), better);
      cat.top.clear();
      for (size_t k = 0; k < n; ++k)
        cat.top.push_back({all[k]->first, all[k]->second.total});
    }
    if (cat.products.empty() && cat.top.empty())
      i = categories_.erase(i);
    else
      ++i;
  }
}

const std::vector<rank_row>&
rank_table::ranking(std::string_view category) const {
  static const std::vector<rank_row> none;
  auto i = categories_.find(std::string{category});
  return i == categories_.end() ? none : i->second.top;
}

uint64_t rank_table::total(std::string_view category,
                           std::string_view product) const {
  auto i = categories_.find(std::string{category});
  if (i == categories_.end())
    return 0;
  auto j = i->second.products.find(std::string{product});
  return j == i->second.products.end() ? 0 : j->second.total;
}

} // namespace troupe::salesrank
