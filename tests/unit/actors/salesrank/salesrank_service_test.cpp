// The sales rank on a real node (real actors, real LMDB, four category
// shards) with a clock the test moves: batches through the region by shard
// index, rankings only after a refresh and rendered as the API's JSON,
// the same rankings after a restart (the journaled batches are replayed,
// and new batches after it do not overwrite old ones), the window moving
// on (old sales leave the rankings, their batches leave the disk), the
// next hour's early sales, and malformed batches storing nothing.

#include "troupe/salesrank/service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include <caf/all.hpp>

#include "../../runtime/test_node.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/salesrank/messages.hpp"
#include "troupe/salesrank/render.hpp"
#include "troupe/salesrank/sale_batch.hpp"
#include "troupe/salesrank/sale_line.hpp"
#include "troupe/services.hpp"

using namespace troupe;
using namespace troupe::salesrank;
using troupe::test::ask;

namespace {

constexpr size_t shards = 4;
/// 2026-12-06T09:30:00Z.
constexpr int64_t start_time = 1796549400;
constexpr int64_t hour_secs = 3600;

config::node_config quick_config() {
  auto cfg = test::test_node::small_config();
  cfg.salesrank.shards = shards;
  // The test refreshes by itself; no tick comes within a test.
  cfg.salesrank.refresh_interval = std::chrono::hours(1);
  return cfg;
}

runtime::errc code_of(const caf::error& err) {
  return static_cast<runtime::errc>(err.code());
}

/// One line of the ingest format.
std::string line(int64_t t, const std::string& product,
                 const std::string& category, uint32_t qty) {
  return std::to_string(t) + "\t" + product + "\t" + category + "\t" +
         std::to_string(qty) + "\t9.99\tseller\tbuyer";
}

/// The sales the test sent, and the rankings they make at a clock.
struct ledger {
  struct entry {
    uint32_t hour;
    uint32_t qty;
    std::string category;
    std::string product;
  };
  std::vector<entry> sales;

  /// The API's JSON of `category` at hour `cur`, best `limit` first.
  std::string expected(const std::string& category, uint32_t cur,
                       uint32_t limit = 100) const {
    std::map<std::string, uint64_t> sums;
    for (const auto& s : sales)
      if (s.category == category && s.hour <= cur &&
          s.hour + (window_hours - 1) >= cur)
        sums[s.product] += s.qty;
    std::vector<std::pair<std::string, uint64_t>> rows(sums.begin(),
                                                       sums.end());
    std::stable_sort(rows.begin(), rows.end(), [](auto& x, auto& y) {
      return x.second > y.second; // ties stay in byte order (map order)
    });
    std::string out = "[";
    for (size_t k = 0; k < rows.size() && k < limit; ++k)
      out += std::string(k > 0 ? "," : "") +
             "{\"id\":" + std::to_string(k + 1) + ",\"category_id\":\"" +
             category + "\",\"total_sold\":" + std::to_string(rows[k].second) +
             ",\"product_id\":\"" + rows[k].first + "\"}";
    return out + "]";
  }

  /// (category, product) pairs with a sale in the window at `cur` (or in
  /// the next hour).
  size_t pairs(uint32_t cur) const {
    std::set<std::pair<std::string, std::string>> held;
    for (const auto& s : sales)
      if (s.hour <= cur + 1 && s.hour + (window_hours - 1) >= cur)
        held.emplace(s.category, s.product);
    return held.size();
  }
};

struct salesrank_service : ::testing::Test {
  salesrank_service() : node(quick_config(), services::register_types) {
    start();
  }

  /// Starts the service and waits until every shard has loaded (shards
  /// load asynchronously; requests wait meanwhile, but the board's counts
  /// are only right once all have).
  void start() {
    svc = salesrank::start(*node, [clock = clock] { return clock->load(); });
    for (uint16_t idx = 0; idx < shards; ++idx) {
      auto r = ask<std::string>(
          *node, svc.region, runtime::to_shard_atom::value, idx,
          caf::make_message(popular_atom::value, std::string{"-"},
                            uint32_t{1}));
      ASSERT_TRUE(r) << "shard " << idx << ": " << to_string(r.error());
    }
  }

  void set_clock(int64_t t) { clock->store(t); }
  uint32_t hour() const { return static_cast<uint32_t>(clock->load() / 3600); }

  /// Checks `lines` at the clock as the edge does and sends one batch per
  /// shard as `(to_shard, idx, (sr_ingest, bytes))` to the region; returns
  /// the sum of the shards' answers (sales in the window).
  uint64_t ingest(const std::vector<std::string>& lines) {
    std::vector<sale_batch> batches(shards);
    for (const auto& l : lines) {
      sale_fields f;
      auto err = parse_sale_line(l, clock->load(), f);
      EXPECT_EQ(err, sale_error::none) << l;
      if (err != sale_error::none)
        continue;
      auto hour = static_cast<uint32_t>(f.time / 3600);
      batches[shard_of_category(f.category, shards)].add(hour, f.quantity,
                                                         f.category, f.product);
      book.sales.push_back(
          {hour, f.quantity, std::string{f.category}, std::string{f.product}});
    }
    uint64_t stored = 0;
    for (uint16_t idx = 0; idx < shards; ++idx) {
      if (batches[idx].empty())
        continue;
      auto n = ask<uint64_t>(
          *node, svc.region, runtime::to_shard_atom::value, idx,
          caf::make_message(ingest_atom::value, batches[idx].take()));
      EXPECT_TRUE(n) << "shard " << idx << ": " << to_string(n.error());
      if (n)
        stored += *n;
    }
    return stored;
  }

  /// `(sr_refresh)` to every shard.
  void refresh() {
    for (uint16_t idx = 0; idx < shards; ++idx) {
      auto r = ask<refresh_atom>(*node, svc.shard_or_region(idx),
                                 refresh_atom::value);
      ASSERT_TRUE(r) << "shard " << idx << ": " << to_string(r.error());
    }
  }

  std::string popular(const std::string& category, uint32_t limit = 100) {
    auto r = ask<std::string>(*node, svc.route(category), popular_atom::value,
                              category, limit);
    EXPECT_TRUE(r) << category << ": " << to_string(r.error());
    return r ? *r : std::string{"(error)"};
  }

  /// Expects every category of the ledger (and `more`) to rank as the
  /// ledger says at the clock.
  void expect_rankings(const std::string& when,
                       std::set<std::string> more = {}) {
    for (const auto& s : book.sales)
      more.insert(s.category);
    for (const auto& c : more)
      EXPECT_EQ(popular(c), book.expected(c, hour())) << c << ", " << when;
  }

  int64_t pairs() const { return svc.board->pairs.load(); }

  /// Sends one sale at `t` to a category `tag-k` on every shard and waits
  /// for the answers: every shard's earlier journal writes (the erasures
  /// of a refresh) are then ordered before anything that follows.
  void sale_on_every_shard(const std::string& tag, int64_t t) {
    std::set<uint16_t> covered;
    std::vector<std::string> lines;
    for (int k = 0; covered.size() < shards; ++k) {
      auto category = tag + "-" + std::to_string(k);
      if (covered.insert(shard_of_category(category, shards)).second)
        lines.push_back(line(t, "f", category, 2));
    }
    EXPECT_EQ(ingest(lines), lines.size());
  }

  std::shared_ptr<std::atomic<int64_t>> clock =
      std::make_shared<std::atomic<int64_t>>(start_time);
  test::test_node node;
  salesrank::service svc;
  ledger book;
};

} // namespace

TEST_F(salesrank_service, sales_rank_after_a_refresh_as_the_api_renders_them) {
  auto t = start_time;
  std::vector<std::string> lines{line(t - 60, "boot-1", "shoes", 3),
                                 line(t - 7200, "boot-2", "shoes", 5),
                                 line(t - 100 * 3600, "Boot", "shoes", 2),
                                 line(t, "boot-1", "shoes", 2),
                                 line(t - 5, "sandal", "shoes", 1),
                                 line(t - 5, "Sandal", "shoes", 1),
                                 line(t - 30, "novel", "books", 7),
                                 line(t - 3600, "atlas", "books", 1),
                                 line(t - 3600, "boot-1", "books", 4)};
  EXPECT_EQ(ingest(lines), lines.size());
  // Not ranked before the refresh.
  EXPECT_EQ(popular("shoes"), "[]");
  refresh();
  EXPECT_EQ(popular("shoes"),
            "[{\"id\":1,\"category_id\":\"shoes\",\"total_sold\":5,"
            "\"product_id\":\"boot-1\"},"
            "{\"id\":2,\"category_id\":\"shoes\",\"total_sold\":5,"
            "\"product_id\":\"boot-2\"},"
            "{\"id\":3,\"category_id\":\"shoes\",\"total_sold\":2,"
            "\"product_id\":\"Boot\"},"
            "{\"id\":4,\"category_id\":\"shoes\",\"total_sold\":1,"
            "\"product_id\":\"Sandal\"},"
            "{\"id\":5,\"category_id\":\"shoes\",\"total_sold\":1,"
            "\"product_id\":\"sandal\"}]");
  expect_rankings("after the refresh", {"unknown", "Shoes"});
  EXPECT_EQ(popular("unknown"), "[]");
  EXPECT_EQ(popular("books", 1),
            "[{\"id\":1,\"category_id\":\"books\",\"total_sold\":7,"
            "\"product_id\":\"novel\"}]");
  EXPECT_EQ(popular("shoes", 2), book.expected("shoes", hour(), 2));
  // Keyed by the category through the region as well.
  auto via_region = ask<std::string>(*node, svc.region, popular_atom::value,
                                     std::string{"books"}, uint32_t{10});
  ASSERT_TRUE(via_region) << to_string(via_region.error());
  EXPECT_EQ(*via_region, book.expected("books", hour()));
  EXPECT_EQ(pairs(), 8);
  EXPECT_EQ(svc.board->sales.load(), lines.size());

  // More sales: seen at the next refresh only.
  auto before = popular("books");
  EXPECT_EQ(ingest({line(t - 1, "atlas", "books", 10)}), 1u);
  EXPECT_EQ(popular("books"), before);
  refresh();
  EXPECT_EQ(popular("books", 1),
            "[{\"id\":1,\"category_id\":\"books\",\"total_sold\":11,"
            "\"product_id\":\"atlas\"}]");
  expect_rankings("after more sales");
}

TEST_F(salesrank_service, malformed_batches_are_refused_and_store_nothing) {
  auto t = start_time;
  EXPECT_EQ(ingest({line(t, "p", "c", 1)}), 1u);
  refresh();
  auto before = popular("c");
  auto idx = shard_of_category("c", shards);
  sale_batch good;
  good.add(hour(), 5, "c", "p");
  auto bytes = good.take();
  std::vector<std::string> bad{
      bytes + "x",                       // truncated second sale
      bytes.substr(0, bytes.size() - 1), // truncated product
      std::string(9, '\0'),              // quantity 0, empty ids
      bytes + bytes.substr(0, 8) +
          "\x01"
          "c"
          "\x01"
          "/", // a bad product id
  };
  for (const auto& b : bad) {
    auto r = ask<uint64_t>(*node, svc.region, runtime::to_shard_atom::value,
                           idx, caf::make_message(ingest_atom::value, b));
    ASSERT_FALSE(r);
    EXPECT_EQ(code_of(r.error()), runtime::errc::invalid_argument);
  }
  // An empty batch is fine and stores nothing.
  auto empty =
      ask<uint64_t>(*node, svc.region, runtime::to_shard_atom::value, idx,
                    caf::make_message(ingest_atom::value, std::string{}));
  ASSERT_TRUE(empty) << to_string(empty.error());
  EXPECT_EQ(*empty, 0u);
  refresh();
  EXPECT_EQ(popular("c"), before);
  EXPECT_EQ(pairs(), 1);
  // Nor does any of it come back from the journal.
  node.restart();
  start();
  EXPECT_EQ(popular("c"), before);
  EXPECT_EQ(pairs(), 1);
}

TEST_F(salesrank_service, rankings_are_the_same_after_a_restart) {
  // Sales over the past week in several batches (hours apart), some
  // categories on every shard.
  std::set<uint16_t> used;
  std::vector<std::string> categories;
  for (int c = 0; c < 12; ++c) {
    categories.push_back("cat:" + std::to_string(c));
    used.insert(shard_of_category(categories.back(), shards));
  }
  ASSERT_EQ(used.size(), shards);
  for (int batch = 0; batch < 8; ++batch) {
    std::vector<std::string> lines;
    for (int k = 0; k < 300; ++k) {
      auto c = (batch * 7 + k * k) % categories.size();
      auto age = ((k * 37 + batch * 11) % (167 * 60)) * 60;
      lines.push_back(line(start_time - age, "p" + std::to_string(k % 23),
                           categories[c], 1 + k % 4));
    }
    EXPECT_EQ(ingest(lines), lines.size());
  }
  refresh();
  std::map<std::string, std::string> before;
  for (const auto& c : categories) {
    before[c] = popular(c);
    EXPECT_EQ(before[c], book.expected(c, hour())) << c;
    EXPECT_NE(before[c], "[]") << c;
  }
  auto pairs_before = pairs();
  EXPECT_EQ(pairs_before, static_cast<int64_t>(book.pairs(hour())));

  node.restart();
  start();
  // Ranked on load: no refresh needed.
  for (const auto& c : categories)
    EXPECT_EQ(popular(c), before[c]) << c;
  EXPECT_EQ(pairs(), pairs_before);

  // New batches after the restart take new keys: nothing is overwritten.
  EXPECT_EQ(ingest({line(start_time, "after", categories[0], 100),
                    line(start_time, "after", categories[5], 100)}),
            2u);
  node.restart();
  start();
  expect_rankings("after a second restart");
  EXPECT_EQ(pairs(), static_cast<int64_t>(book.pairs(hour())));
}

TEST_F(salesrank_service, old_sales_leave_the_rankings_and_the_disk) {
  const auto t = start_time;
  const auto h = hour();
  // "old" only has sales 150 hours ago; "mixed" then and recently.
  EXPECT_EQ(ingest({line(t - 150 * hour_secs, "a", "old", 5),
                    line(t - 150 * hour_secs, "b", "mixed", 9)}),
            2u);
  EXPECT_EQ(ingest({line(t - 10 * hour_secs, "c", "mixed", 4),
                    line(t, "d", "recent", 1)}),
            2u);
  refresh();
  expect_rankings("at the start");
  EXPECT_EQ(pairs(), 4);

  // 20 hours on: the hour 150 hours back left the window.
  set_clock(t + 20 * hour_secs);
  ASSERT_EQ(hour(), h + 20);
  refresh();
  EXPECT_EQ(popular("old"), "[]");
  EXPECT_EQ(popular("mixed"),
            "[{\"id\":1,\"category_id\":\"mixed\",\"total_sold\":4,"
            "\"product_id\":\"c\"}]");
  expect_rankings("20 hours on");
  EXPECT_EQ(pairs(), 2);
  // The first batch left the disk: with the clock set back, only the
  // second comes back. (A batch acknowledged after the erase orders it
  // before the restart.)
  sale_on_every_shard("late", t + 20 * hour_secs);
  node.restart();
  set_clock(t);
  start();
  EXPECT_EQ(popular("old"), "[]");
  EXPECT_EQ(popular("mixed"),
            "[{\"id\":1,\"category_id\":\"mixed\",\"total_sold\":4,"
            "\"product_id\":\"c\"}]");
  EXPECT_EQ(popular("late-0"), "[]"); // 20 hours after this clock
  EXPECT_EQ(pairs(), 2);

  // A week and more on: nothing left, in memory or on disk.
  set_clock(t + 200 * hour_secs);
  refresh();
  for (const char* c : {"old", "mixed", "recent", "late-0"})
    EXPECT_EQ(popular(c), "[]") << c;
  EXPECT_EQ(pairs(), 0);
  sale_on_every_shard("newest", t + 200 * hour_secs);
  node.restart();
  set_clock(t + 20 * hour_secs);
  start();
  for (const char* c : {"old", "mixed", "recent", "late-0", "newest-0"})
    EXPECT_EQ(popular(c), "[]") << c;
  EXPECT_EQ(pairs(), 0);
  // Back at its own time, the newest batches are there.
  node.restart();
  set_clock(t + 200 * hour_secs);
  start();
  EXPECT_EQ(popular("newest-0"),
            "[{\"id\":1,\"category_id\":\"newest-0\",\"total_sold\":2,"
            "\"product_id\":\"f\"}]");
  EXPECT_EQ(pairs(), static_cast<int64_t>(shards));
}

TEST_F(salesrank_service, early_sales_count_from_the_start_of_their_hour) {
  // 09:58:20: five minutes ahead is 10:03:20.
  const auto h = hour();
  set_clock(int64_t{h} * hour_secs + 3500);
  auto next = int64_t{h + 1} * hour_secs;
  EXPECT_EQ(ingest({line(next + 100, "early", "clocks", 6),
                    line(next - 100, "late", "clocks", 1)}),
            2u);
  refresh();
  EXPECT_EQ(popular("clocks"),
            "[{\"id\":1,\"category_id\":\"clocks\",\"total_sold\":1,"
            "\"product_id\":\"late\"}]");
  EXPECT_EQ(pairs(), 2);
  // Held across a restart before its hour.
  EXPECT_EQ(ingest({line(next + 200, "early", "clocks", 4)}), 1u);
  node.restart();
  start();
  EXPECT_EQ(pairs(), 2);
  EXPECT_EQ(popular("clocks"), book.expected("clocks", h));
  // Its hour starts.
  set_clock(next + 1);
  refresh();
  EXPECT_EQ(popular("clocks"),
            "[{\"id\":1,\"category_id\":\"clocks\",\"total_sold\":10,"
            "\"product_id\":\"early\"},"
            "{\"id\":2,\"category_id\":\"clocks\",\"total_sold\":1,"
            "\"product_id\":\"late\"}]");
  EXPECT_EQ(pairs(), 2);
}
