#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "troupe/salesrank/sale_line.hpp"

namespace troupe::salesrank {

/// One row of a category's ranking.
struct rank_row {
  std::string product;
  uint64_t total = 0;
};

/// The pure logic of one category shard: per (category, product) the
/// quantities sold in each hour of the window, in a ring of 168 buckets
/// (bucket `hour % 168`), and each category's ranking as of the last
/// refresh.
///
/// Adding a sale is O(1). Moving to a new hour empties the buckets that
/// left the window, so expiry drops whole buckets, and forgets products
/// without a sale in the window (memory stays bounded by the window). A
/// sale of the next hour (allowed 5 minutes early) waits in a per-product
/// slot until that hour starts. Rankings are recomputed only by `refresh`:
/// reads never scan buckets.
class rank_table {
public:
  /// Rankings keep the best `top_size` products of each category.
  explicit rank_table(size_t top_size) : top_size_(top_size) {
    // nop
  }

  /// The current hour (hours since the epoch); 0 before the first move.
  uint32_t hour() const { return hour_; }

  /// Moves the window so that `hour` is its newest hour (never back).
  void advance(uint32_t hour);

  /// Adds `quantity` sold in `hour`; returns false (and changes nothing)
  /// if that hour is outside the window and not the next hour (always
  /// before the first `advance`).
  bool add(uint32_t hour, uint32_t quantity, std::string_view category,
           std::string_view product);

  /// Recomputes the ranking of every category that changed since the last
  /// refresh: highest total first, ties by product id ascending.
  void refresh();

  /// Returns the ranking of `category` as of the last refresh (empty if
  /// unknown), best first.
  const std::vector<rank_row>& ranking(std::string_view category) const;

  /// Products with sales in the window (or the next hour), all categories.
  size_t pairs() const { return pairs_; }

  /// The sum over the window of `product` in `category` (tests).
  uint64_t total(std::string_view category, std::string_view product) const;

private:
  /// The ring of one (category, product): 168 slots, bucket `hour % 168`.
  /// Most products sell in a few hours of a week, so the ring starts
  /// sparse (the non-empty slots as (slot, quantity), at most
  /// `sparse_max`) and becomes a full array of 168 once more hours have
  /// sales: O(1) per sale either way, and cold products stay small.
  class hour_ring {
  public:
    static constexpr size_t sparse_max = 16;

    /// Adds `q` to `slot`, saturating; returns what was added.
    uint32_t add(uint32_t slot, uint32_t q);

    /// Empties `slot`; returns what it held.
    uint32_t clear(uint32_t slot);

  private:
    std::vector<std::pair<uint8_t, uint32_t>> sparse_;
    std::unique_ptr<std::array<uint32_t, window_hours>> dense_;
  };

  struct product_sales {
    hour_ring ring;
    uint64_t total = 0;
    /// Sold in the hour after `hour_`.
    uint64_t next = 0;
  };

  struct category_data {
    std::unordered_map<std::string, product_sales> products;
    std::vector<rank_row> top;
    bool dirty = false;
  };

  /// Moves one category forward by `steps` hours (at most a window).
  void shift(category_data& cat, uint32_t from, uint32_t steps);

  size_t top_size_;
  uint32_t hour_ = 0;
  size_t pairs_ = 0;
  std::unordered_map<std::string, category_data> categories_;
};

} // namespace troupe::salesrank
