// The category shard's pure state against an oracle: a million random sales
// over ten days, in categories of very different sizes (a few huge, many
// tiny), go through the line checks and the encoded batches into tables as
// the shards hold them; every category's top 10 and top 100 equal a plain
// aggregation over the same rows and the same window with the same
// tie-break, every (category, product) sum is exact, and the pairs held are
// exactly those with a sale in the window. The same again as the hour moves
// on (whole buckets expire, the next hour's early sales fold in, more sales
// arrive), until everything has left. Plus the ring's edges on their own:
// sparse to dense, slots reused around the ring, the next hour's slot, the
// window's ends.

#include "troupe/salesrank/rank_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "troupe/salesrank/sale_batch.hpp"
#include "troupe/salesrank/sale_line.hpp"
#include "troupe/salesrank/service.hpp"

using namespace troupe::salesrank;

namespace {

/// 2026-12-06T09:57:30Z: sales until 10:02:30 are accepted, those after
/// 10:00:00 are early for the next hour.
constexpr int64_t start_now = 1796551050;
constexpr uint32_t start_hour = start_now / 3600;
constexpr size_t shards = 8;

/// One accepted sale, by index into the data set's names.
struct row {
  uint32_t hour;
  uint32_t qty;
  uint32_t cat;
  uint32_t prod;
};

/// `YYYY-MM-DDTHH:MM:SS` of Unix time `t` (UTC).
std::string iso(int64_t t, char sep = 'T') {
  time_t tt = static_cast<time_t>(t);
  tm parts{};
  gmtime_r(&tt, &parts);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d%c%02d:%02d:%02d",
                parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, sep,
                parts.tm_hour, parts.tm_min, parts.tm_sec);
  return buf;
}

/// The oracle's view of the rows: sums per (category, product) over the
/// window ending at `cur`, and each category's ranking by a plain sort.
struct reference {
  /// category -> product -> sum over [cur - 167, cur]
  std::vector<std::unordered_map<uint32_t, uint64_t>> sums;
  /// (category, product) pairs with a sale in [cur - 167, cur + 1].
  size_t pairs = 0;

  reference(const std::vector<row>& rows, size_t categories, uint32_t cur)
      : sums(categories) {
    std::vector<std::unordered_map<uint32_t, bool>> held(categories);
    for (const auto& r : rows) {
      if (r.hour + (window_hours - 1) < cur || r.hour > cur + 1)
        continue;
      held[r.cat][r.prod] = true;
      if (r.hour <= cur)
        sums[r.cat][r.prod] += r.qty;
    }
    for (const auto& h : held)
      pairs += h.size();
  }

  /// The best `n` of category `c`: highest sum first, ties by product id
  /// ascending in byte order.
  std::vector<rank_row> top(uint32_t c, size_t n,
                            const std::vector<std::string>& names) const {
    std::vector<rank_row> all;
    for (const auto& [p, sum] : sums[c])
      all.push_back({names[p], sum});
    std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
      if (x.total != y.total)
        return x.total > y.total;
      return x.product.compare(y.product) < 0;
    });
    if (all.size() > n)
      all.resize(n);
    return all;
  }
};

bool same(const std::vector<rank_row>& x, const std::vector<rank_row>& y) {
  if (x.size() != y.size())
    return false;
  for (size_t k = 0; k < x.size(); ++k)
    if (x[k].product != y[k].product || x[k].total != y[k].total)
      return false;
  return true;
}

std::string show(const std::vector<rank_row>& rows) {
  std::string out;
  for (const auto& r : rows)
    out += r.product + "=" + std::to_string(r.total) + " ";
  return out;
}

/// A seeded world of categories and products, lines drawn from it, and the
/// tables of eight shards fed as the shards feed them.
class oracle : public ::testing::Test {
protected:
  oracle() : rng_(20261206) {
    // A few huge categories and a long tail (Zipf-like sizes), then many
    // tiny ones that see a handful of sales.
    for (uint32_t c = 0; c < 300; ++c) {
      categories_.push_back("cat-" + std::to_string(c));
      weights_.push_back(1.0 / std::pow(c + 1.0, 1.1));
      auto n = std::max<size_t>(3, static_cast<size_t>(6000.0 / (c + 1)));
      products_.emplace_back();
      std::vector<double> cdf;
      double sum = 0;
      for (size_t k = 0; k < n; ++k) {
        products_.back().push_back(product_name(k));
        sum += 1.0 / std::pow(k + 1.0, 0.8);
        cdf.push_back(sum);
      }
      product_cdf_.push_back(std::move(cdf));
    }
    big_ = categories_.size();
    for (uint32_t c = 0; c < 3000; ++c) {
      categories_.push_back("tiny." + std::to_string(c));
      // Few products with names that only differ in case and punctuation:
      // ties are the rule and byte order decides.
      products_.push_back({"x", "X", "x-1", "x.1", "x_1", "x:1", "x1"});
    }
    std::partial_sum(weights_.begin(), weights_.end(), weights_.begin());
    for (size_t i = 0; i < shards; ++i)
      tables_.emplace_back(100);
  }

  /// Names that sort differently as numbers and as bytes ("p10" < "p9")
  /// and mix case and punctuation.
  static std::string product_name(size_t k) {
    static const char* prefixes[] = {"p", "P", "p-", "p.", "p_"};
    return prefixes[k % 5] + std::to_string(k / 5);
  }

  uint32_t draw_category() {
    // 0.3% of the sales go to the tiny categories.
    if (rng_() % 1000 < 3)
      return static_cast<uint32_t>(big_ + rng_() % (categories_.size() - big_));
    std::uniform_real_distribution<double> u{0, weights_.back()};
    auto x = u(rng_);
    return static_cast<uint32_t>(
        std::upper_bound(weights_.begin(), weights_.end(), x) -
        weights_.begin());
  }

  uint32_t draw_product(uint32_t c) {
    if (c >= big_)
      return static_cast<uint32_t>(rng_() % products_[c].size());
    const auto& cdf = product_cdf_[c];
    std::uniform_real_distribution<double> u{0, cdf.back()};
    auto x = u(rng_);
    auto k = std::upper_bound(cdf.begin(), cdf.end(), x) - cdf.begin();
    return static_cast<uint32_t>(std::min<size_t>(k, cdf.size() - 1));
  }

  uint32_t draw_qty() {
    auto x = rng_() % 1000;
    if (x < 850)
      return 1;
    if (x < 950)
      return 2 + rng_() % 4;
    if (x < 999)
      return 6 + rng_() % 95;
    return 101 + rng_() % 9900;
  }

  /// The timestamp field of Unix time `t`, in one of the accepted forms.
  std::string stamp(int64_t t) {
    auto form = rng_() % 20;
    if (form < 14)
      return std::to_string(t);
    if (form < 17)
      return iso(t) + "Z";
    if (form == 17)
      return iso(t, ' ') + ".25";
    // An offset: the local time east or west of UTC.
    int minutes =
        static_cast<int>(rng_() % (14 * 60)) * (rng_() % 2 == 0 ? 1 : -1);
    char zone[16];
    std::snprintf(zone, sizeof zone, "%c%02d%s%02d", minutes < 0 ? '-' : '+',
                  std::abs(minutes) / 60, form == 18 ? ":" : "",
                  std::abs(minutes) % 60);
    return iso(t + minutes * 60) + zone;
  }

  /// Sends `count` random lines with timestamps in [now - span, now + 600]
  /// through the line checks and the shards' batches at `now`, in rounds
  /// as the edge sends them. One line in a hundred is malformed.
  void ingest(size_t count, int64_t now, int64_t span) {
    const uint32_t now_hour = static_cast<uint32_t>(now / 3600);
    std::vector<sale_batch> batches(shards);
    sale_batch all;
    size_t pending = 0;
    auto flush = [&] {
      pending = 0;
      for (size_t i = 0; i < shards; ++i) {
        auto bytes = batches[i].take();
        // The shard moves to the hour of its clock, then adds the batch.
        tables_[i].advance(now_hour);
        ASSERT_TRUE(sale_batch::for_each(bytes, [&](const sale& s) {
          EXPECT_TRUE(tables_[i].add(s.hour, s.quantity, s.category, s.product))
              << s.hour << " at " << now_hour;
        }));
      }
      auto bytes = all.take();
      top10_.advance(now_hour);
      ASSERT_TRUE(sale_batch::for_each(bytes, [&](const sale& s) {
        top10_.add(s.hour, s.quantity, s.category, s.product);
      }));
    };
    for (size_t n = 0; n < count; ++n) {
      auto c = draw_category();
      auto p = draw_product(c);
      auto q = draw_qty();
      std::uniform_int_distribution<int64_t> when{now - span, now + 600};
      auto t = when(rng_);
      std::string fields[7] = {stamp(t),
                               products_[c][p],
                               categories_[c],
                               std::to_string(q),
                               std::to_string(rng_() % 100000) + "." +
                                   std::to_string(10 + rng_() % 90),
                               "seller-" + std::to_string(rng_() % 5000),
                               "buyer#" + std::to_string(rng_() % 90000)};
      auto want = t / 3600 + (window_hours - 1) < now_hour ? sale_error::too_old
                  : t > now + max_future_seconds ? sale_error::in_the_future
                                                 : sale_error::none;
      if (rng_() % 100 == 0) {
        // Break one field.
        static const char* bad[] = {
            "2026-02-30T00:00:00Z", "p q", "", "0", "1.234", "", ""};
        static const sale_error bad_why[] = {
            sale_error::bad_timestamp,   sale_error::bad_product_id,
            sale_error::bad_category_id, sale_error::bad_quantity,
            sale_error::bad_total_price, sale_error::bad_seller_id,
            sale_error::bad_buyer_id};
        auto f = rng_() % 7;
        fields[f] = bad[f];
        want = bad_why[f];
      }
      std::string line = fields[0];
      for (int k = 1; k < 7; ++k)
        line += "\t" + fields[k];
      sale_fields out;
      auto got = parse_sale_line(line, now, out);
      ASSERT_EQ(got, want) << line << " at " << now;
      if (got != sale_error::none) {
        ++rejected_;
        continue;
      }
      ASSERT_EQ(out.time, t) << line;
      ASSERT_EQ(out.quantity, q) << line;
      auto hour = static_cast<uint32_t>(out.time / 3600);
      auto idx = shard_of_category(out.category, shards);
      batches[idx].add(hour, out.quantity, out.category, out.product);
      all.add(hour, out.quantity, out.category, out.product);
      rows_.push_back({hour, q, c, p});
      // A round of the edge: 65,536 sales, one batch per shard.
      if (++pending == 65536)
        flush();
    }
    flush();
  }

  /// Refreshes every table and compares each category's ranking, every
  /// sum, and the pairs held with the reference at hour `cur`.
  void check(uint32_t cur, const std::string& when) {
    SCOPED_TRACE(when);
    for (auto& t : tables_)
      t.advance(cur);
    top10_.advance(cur);
    // Rankings are as of the last refresh: neither moving on nor new sales
    // change them before the next.
    for (const auto& [name, rows] : previous_)
      EXPECT_TRUE(
          same(tables_[shard_of_category(name, shards)].ranking(name), rows))
          << name << " changed before the refresh";
    for (auto& t : tables_)
      t.refresh();
    top10_.refresh();
    reference ref{rows_, categories_.size(), cur};
    size_t held = 0;
    for (const auto& t : tables_)
      held += t.pairs();
    EXPECT_EQ(held, ref.pairs);
    EXPECT_EQ(top10_.pairs(), ref.pairs);
    size_t ranked = 0;
    size_t ties = 0;
    size_t wrong = 0;
    for (uint32_t c = 0; c < categories_.size() && wrong < 10; ++c) {
      const auto& name = categories_[c];
      auto want100 = ref.top(c, 100, products_[c]);
      const auto& shard = tables_[shard_of_category(name, shards)];
      const auto& got100 = shard.ranking(name);
      const auto& got10 = top10_.ranking(name);
      auto want10 = ref.top(c, 10, products_[c]);
      bool ok =
          got100.size() == want100.size() && got10.size() == want10.size();
      for (size_t k = 0; ok && k < want100.size(); ++k)
        ok = got100[k].product == want100[k].product &&
             got100[k].total == want100[k].total;
      for (size_t k = 0; ok && k < want10.size(); ++k)
        ok = got10[k].product == want10[k].product &&
             got10[k].total == want10[k].total;
      if (!ok) {
        ++wrong;
        ADD_FAILURE() << name << " at hour " << cur << "\nwant " << show(want10)
                      << "\ngot  " << show(got10) << "\nwant100 "
                      << show(want100) << "\ngot100  " << show(got100);
      }
      ranked += want100.empty() ? 0 : 1;
      for (size_t k = 1; k < want10.size(); ++k)
        ties += want10[k].total == want10[k - 1].total;
      // Every sum, not only the ranked ones.
      for (const auto& [p, sum] : ref.sums[c]) {
        if (shard.total(name, products_[c][p]) != sum && wrong++ < 10)
          ADD_FAILURE() << name << "/" << products_[c][p] << ": "
                        << shard.total(name, products_[c][p]) << " != " << sum;
      }
    }
    std::printf("[ oracle ] %s: hour %u, %zu rows, %zu categories ranked, "
                "%zu pairs held, %zu ties in top 10s\n",
                when.c_str(), cur, rows_.size(), ranked, ref.pairs, ties);
    last_ties_ = ties;
    last_ranked_ = ranked;
    previous_.clear();
    for (size_t c : {size_t{0}, size_t{1}, size_t{17}, big_ - 1, big_ + 3})
      previous_[categories_[c]] =
          tables_[shard_of_category(categories_[c], shards)].ranking(
              categories_[c]);
  }

  std::mt19937_64 rng_;
  std::vector<std::string> categories_;
  std::vector<double> weights_;
  std::vector<std::vector<std::string>> products_;
  std::vector<std::vector<double>> product_cdf_;
  size_t big_ = 0;
  std::vector<rank_table> tables_;
  /// All categories in one table that keeps only the best 10.
  rank_table top10_{10};
  std::vector<row> rows_;
  size_t rejected_ = 0;
  size_t last_ties_ = 0;
  size_t last_ranked_ = 0;
  /// Some categories' rankings at the last check.
  std::map<std::string, std::vector<rank_row>> previous_;
};

} // namespace

TEST_F(oracle, a_million_sales_over_ten_days_rank_as_a_plain_aggregation) {
  // Ten days before the clock and up to 10 minutes after it.
  ingest(1000000, start_now, 10 * 24 * 3600);
  auto accepted = rows_.size();
  std::printf("[ oracle ] %zu lines: %zu accepted, %zu rejected\n",
              accepted + rejected_, accepted, rejected_);
  ASSERT_GT(accepted, 650000u);
  ASSERT_GT(rejected_, 250000u);
  size_t early = 0;
  for (const auto& r : rows_)
    early += r.hour == start_hour + 1;
  ASSERT_GT(early, 100u) << "no sales early for the next hour";

  check(start_hour, "after the ingest");
  EXPECT_GT(last_ties_, 300u) << "too few ties to test the tie-break";
  EXPECT_GT(last_ranked_, 1500u);

  // The hour moves on: the early sales count from their hour on, whole
  // buckets leave, and more sales arrive on the way.
  uint32_t cur = start_hour;
  for (uint32_t step : {1u, 1u, 4u, 24u, 0u, 60u, 77u, 0u, 1u, 1u, 1u}) {
    if (step == 0) {
      // New sales at the current hour's 58th minute: some early for the
      // next hour, some older than the window.
      auto now = int64_t{cur} * 3600 + 3480;
      ingest(50000, now, 8 * 24 * 3600);
      check(cur, "more sales at hour +" + std::to_string(cur - start_hour));
      continue;
    }
    cur += step;
    check(cur, "hour +" + std::to_string(cur - start_hour));
  }
  // Far on: everything has left; no pair is held, no category ranked.
  cur += window_hours + 1;
  check(cur, "a week later");
  EXPECT_EQ(last_ranked_, 0u);
  for (const auto& t : tables_)
    EXPECT_EQ(t.pairs(), 0u);
  EXPECT_TRUE(top10_.ranking(categories_[0]).empty());
}

// -- the ring's edges on their own -------------------------------------------

namespace {

/// A product's sales by hour, summed over a window like the table's.
struct hours_ref {
  std::map<uint32_t, uint64_t> by_hour;
  uint64_t sum(uint32_t cur) const {
    uint64_t s = 0;
    for (const auto& [h, q] : by_hour)
      if (h <= cur && h + (window_hours - 1) >= cur)
        s += q;
    return s;
  }
};

} // namespace

TEST(rank_table, add_accepts_the_window_and_the_next_hour_only) {
  rank_table t{10};
  // Before the first move nothing is accepted.
  EXPECT_FALSE(t.add(500000, 1, "c", "p"));
  EXPECT_EQ(t.pairs(), 0u);
  t.advance(500000);
  EXPECT_EQ(t.hour(), 500000u);
  EXPECT_TRUE(t.add(500000, 1, "c", "now"));
  EXPECT_TRUE(t.add(500000 - 167, 2, "c", "oldest"));
  EXPECT_TRUE(t.add(500001, 4, "c", "next"));
  EXPECT_FALSE(t.add(500000 - 168, 8, "c", "too-old"));
  EXPECT_FALSE(t.add(500002, 16, "c", "too-new"));
  EXPECT_FALSE(t.add(0, 16, "c", "epoch"));
  EXPECT_EQ(t.pairs(), 3u);
  EXPECT_EQ(t.total("c", "next"), 0u); // not yet
  EXPECT_EQ(t.total("c", "too-old"), 0u);
  t.refresh();
  ASSERT_EQ(t.ranking("c").size(), 2u); // "next" has nothing in the window
  EXPECT_EQ(t.ranking("c")[0].product, "oldest");
  EXPECT_EQ(t.ranking("c")[1].product, "now");
  // The window never moves back.
  t.advance(499000);
  EXPECT_EQ(t.hour(), 500000u);
  EXPECT_EQ(t.total("c", "oldest"), 2u);
  // One hour on: the oldest hour leaves, the next hour counts.
  t.advance(500001);
  EXPECT_EQ(t.total("c", "oldest"), 0u);
  EXPECT_EQ(t.total("c", "next"), 4u);
  EXPECT_EQ(t.pairs(), 2u);
  // Still the old ranking until the refresh.
  EXPECT_EQ(t.ranking("c")[0].product, "oldest");
  t.refresh();
  ASSERT_EQ(t.ranking("c").size(), 2u);
  EXPECT_EQ(t.ranking("c")[0].product, "next");
  EXPECT_EQ(t.ranking("c")[1].product, "now");
  EXPECT_TRUE(t.ranking("unknown").empty());
}

TEST(rank_table, the_next_hour_survives_a_jump_of_a_week_but_not_more) {
  for (uint32_t jump : {1u, 2u, 100u, 167u, 168u, 169u, 170u, 1000u}) {
    rank_table t{10};
    t.advance(600000);
    t.add(600001, 7, "c", "early");
    t.add(600001, 5, "c", "early");
    t.add(600000, 3, "c", "now");
    t.advance(600000 + jump);
    // The early sales belong to hour 600001: in the window until 600168.
    uint64_t early = 600001 + (window_hours - 1) >= 600000 + jump ? 12 : 0;
    uint64_t now = 600000 + (window_hours - 1) >= 600000 + jump ? 3 : 0;
    EXPECT_EQ(t.total("c", "early"), early) << jump;
    EXPECT_EQ(t.total("c", "now"), now) << jump;
    EXPECT_EQ(t.pairs(), (early > 0 ? 1u : 0u) + (now > 0 ? 1u : 0u)) << jump;
    t.refresh();
    EXPECT_EQ(t.ranking("c").size(), t.pairs()) << jump;
  }
}

TEST(rank_table, sparse_and_dense_rings_stay_exact_around_the_window) {
  // "sparse" starts with 16 hours (the most a sparse ring holds), "dense"
  // with 40 (the full array), "flip" with 17 (just past sparse). Then the
  // window moves by varying steps (hours leave, a sparse ring's slots are
  // freed) and more sales arrive in random hours of the window (reusing
  // slots of hours that left), "new" starting from nothing.
  rank_table t{100};
  std::mt19937_64 rng{7};
  std::map<std::string, hours_ref> ref;
  uint32_t cur = 700000;
  t.advance(cur);
  auto add = [&](uint32_t hour, uint32_t q, const std::string& p) {
    ASSERT_TRUE(t.add(hour, q, "c", p)) << hour << " at " << cur;
    ref[p].by_hour[hour] += q;
  };
  for (uint32_t k = 0; k < 16; ++k)
    add(cur - k * 10, 1000 + k, "sparse");
  for (uint32_t k = 0; k < 40; ++k) {
    add(cur - k * 4, k + 1, "dense");
    add(cur - k * 4, 1, "dense"); // the same slot again
  }
  for (uint32_t k = 0; k < 17; ++k)
    add(cur - k, 3, "flip"); // 17 hours: just dense
  auto verify = [&](const std::string& when) {
    size_t held = 0;
    for (const auto& [p, r] : ref) {
      EXPECT_EQ(t.total("c", p), r.sum(cur)) << p << " " << when;
      held += r.sum(cur) > 0 ? 1 : 0;
    }
    EXPECT_EQ(t.pairs(), held) << when;
  };
  verify("start");
  for (int round = 0; round < 300; ++round) {
    auto step = static_cast<uint32_t>(rng() % 9);
    cur += step;
    t.advance(cur);
    for (const char* p : {"sparse", "dense", "flip", "new"}) {
      auto n = rng() % (std::string{p} == "dense" ? 12 : 2);
      for (uint64_t k = 0; k < n; ++k)
        add(cur - static_cast<uint32_t>(rng() % window_hours),
            static_cast<uint32_t>(1 + rng() % 1000), p);
    }
    verify("round " + std::to_string(round) + ", hour " + std::to_string(cur));
    if (HasFailure())
      break;
  }
  t.refresh();
  auto ranking = t.ranking("c");
  for (size_t k = 1; k < ranking.size(); ++k)
    EXPECT_GE(ranking[k - 1].total, ranking[k].total);
  // A week and an hour later nothing is left.
  cur += window_hours;
  t.advance(cur);
  EXPECT_EQ(t.pairs(), 0u);
  EXPECT_FALSE(t.ranking("c").empty()); // until the refresh
  t.refresh();
  EXPECT_TRUE(t.ranking("c").empty());
}

TEST(rank_table, ties_break_by_product_id_in_byte_order) {
  rank_table t{100};
  t.advance(800000);
  std::vector<std::string> ids{"b",  "a",  "B",  "A",   "a-", "a.", "a:",
                               "a_", "a0", "a9", "a10", "_",  "-",  "."};
  for (const auto& id : ids)
    t.add(800000, 5, "c", id);
  t.add(800000 - 100, 6, "c", "zz"); // more in total, from an older hour
  t.add(800000, 1, "c", "zz-less");
  t.refresh();
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> want{"zz"};
  want.insert(want.end(), ids.begin(), ids.end());
  want.push_back("zz-less");
  const auto& got = t.ranking("c");
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k)
    EXPECT_EQ(got[k].product, want[k]) << k;
  // Only top_size rows are kept.
  rank_table small{3};
  small.advance(800000);
  for (const auto& id : ids)
    small.add(800000, 5, "c", id);
  small.refresh();
  ASSERT_EQ(small.ranking("c").size(), 3u);
  EXPECT_EQ(small.ranking("c")[0].product, "-");
  EXPECT_EQ(small.ranking("c")[2].product, "A");
}

TEST(rank_table, categories_rank_separately) {
  rank_table t{10};
  t.advance(900000);
  t.add(900000, 1, "a", "p");
  t.add(900000, 9, "b", "p");
  t.add(900000, 2, "a", "q");
  t.refresh();
  ASSERT_EQ(t.ranking("a").size(), 2u);
  EXPECT_EQ(t.ranking("a")[0].product, "q");
  EXPECT_EQ(t.ranking("b")[0].total, 9u);
  EXPECT_EQ(t.pairs(), 3u);
  // Only changed categories are recomputed, and the others stay.
  t.add(900000, 5, "b", "r");
  t.refresh();
  EXPECT_EQ(t.ranking("a")[0].product, "q");
  ASSERT_EQ(t.ranking("b").size(), 2u);
  EXPECT_EQ(t.ranking("b")[1].product, "r");
}

// The API promises quantities up to 1e9 per sale and `total_sold` as their
// sum, but a product's bucket of one hour is 32 bits and saturates: five
// sales of 1e9 in one hour count as 4294967295. Disabled until decided (see
// the report); enable to reproduce.
// Documented in docs/api.md: one product's quantity in one hour is counted
// up to 4,294,967,295 (a bucket is 32 bits); the week's sum is 64 bits.
TEST(rank_table, one_hour_saturates_at_32_bits_and_the_week_adds_up) {
  rank_table t{10};
  t.advance(900000);
  for (int k = 0; k < 5; ++k) {
    t.add(900000, 1000000000, "c", "p");
    t.add(899999, 1000000000, "c", "p");
    t.add(900001, 1000000000, "c", "early");
  }
  EXPECT_EQ(t.total("c", "p"), 2 * uint64_t{UINT32_MAX});
  t.advance(900001);
  EXPECT_EQ(t.total("c", "early"), uint64_t{UINT32_MAX});
}
