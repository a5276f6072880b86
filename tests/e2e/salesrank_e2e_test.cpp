// End-to-end tests of the sales rank (/salesrank/api/v1/*) against a real
// `troupe run` process on the real clock: ingests with Content-Length and
// chunked bodies (every kind of bad line with its number, the header line,
// comments, blank lines, CRLF, the list of rejections capped at 1,000), the
// window's edges, rankings that appear with the next refresh (and not
// before, on a node that refreshes once a minute), ties and limits, the
// errors of GET popular, the body size limit, and the same rankings after
// kill -9 and a restart.
//
// Most tests share one node that refreshes every 200 ms and use categories
// of their own (see `fresh_category`).
#include "harness.hpp"
#include "shared_node.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

using namespace troupe_e2e;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

const std::string api = "/salesrank/api/v1/";
const std::string header_line =
    "timestamp\tproduct_id\tcategory_id\tqty\ttotal_price\tseller_id\tbuyer_"
    "id";

/// The window's length in hours, and how far ahead a sale may be.
constexpr int64_t window_hours = 168;

/// A node that refreshes its rankings every `refresh_ms`, with group
/// commit, 16 category shards and `extra` TOML appended.
std::string config(int refresh_ms, const std::string& extra = "") {
  return R"(
[[nodes]]
name = "n1"
actor = "127.0.0.1:{ACTOR_PORT}"
http = "127.0.0.1:{PORT}"
data_dir = "{DATA_DIR}"

[persistence]
durability = "group"

[salesrank]
shards = 16
refresh_interval_ms = )" +
         std::to_string(refresh_ms) + "\n" + extra;
}

/// A category id no other test of this process uses.
std::string fresh_category(const std::string& tag) {
  static int next = 0;
  return "e2e-" + tag + "-" + std::to_string(next++) + "-" +
         std::to_string(::time(nullptr));
}

int64_t now_s() {
  return static_cast<int64_t>(::time(nullptr));
}

/// Waits (at most ~12 s) until at least 10 s are left in the current hour,
/// so that the window does not move while a test checks its edges.
void away_from_the_hour_end() {
  while (now_s() % 3600 >= 3590)
    std::this_thread::sleep_for(200ms);
}

/// The first second of the oldest hour of the window now.
int64_t oldest_second() {
  return (now_s() / 3600 - (window_hours - 1)) * 3600;
}

std::string iso(int64_t t, const char* zone = "Z") {
  time_t tt = static_cast<time_t>(t);
  tm parts{};
  gmtime_r(&tt, &parts);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%s",
                parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                parts.tm_hour, parts.tm_min, parts.tm_sec, zone);
  return buf;
}

/// One line of the ingest format (without its line break).
std::string sale(const std::string& ts, const std::string& product,
                 const std::string& category, const std::string& qty,
                 const std::string& price = "19.99",
                 const std::string& seller = "seller-1",
                 const std::string& buyer = "buyer-1") {
  return ts + "\t" + product + "\t" + category + "\t" + qty + "\t" + price +
         "\t" + seller + "\t" + buyer;
}

std::string sale(int64_t t, const std::string& product,
                 const std::string& category, uint64_t qty) {
  return sale(std::to_string(t), product, category, std::to_string(qty));
}

http_response ingest(connection& c, const std::string& body) {
  return c.request("POST", api + "sales", body,
                   {{"Content-Type", "text/tab-separated-values"}});
}

/// The ingest as a chunked body, one HTTP chunk per element of `chunks`.
http_response ingest_chunked(connection& c,
                             const std::vector<std::string>& chunks) {
  return c.raw(
      chunked_post(api + "sales", "text/tab-separated-values", chunks));
}

http_response popular(connection& c, const std::string& query) {
  return c.request("GET", api + "popular?" + query);
}

/// GET popular with limit 100 on a fresh connection.
http_response popular(uint16_t port, const std::string& category) {
  return request(port, "GET",
                 api + "popular?limit=100&category_id=" + url_encode(category));
}

http_response popular(connection& c, const std::string& category, int limit) {
  auto q = "category_id=" + url_encode(category);
  if (limit > 0)
    q += "&limit=" + std::to_string(limit);
  return popular(c, q);
}

/// `error.message` of an error body ("" when absent).
std::string error_message_of(const http_response& r) {
  auto j = r.body_json();
  if (j.is_object() && j["error"].is_object() &&
      j["error"]["message"].is_string())
    return j["error"]["message"].get<std::string>();
  return {};
}

/// Expects an error answer `{"error":{"code","message"}}`.
void expect_error(const http_response& r, int status, const std::string& code,
                  const std::string& what) {
  EXPECT_EQ(r.status, status) << what << ": " << r.body;
  EXPECT_EQ(r.error_code(), code) << what << ": " << r.body;
  auto j = r.body_json();
  bool has_message = j.is_object() && j["error"].is_object() &&
                     j["error"]["message"].is_string() &&
                     !j["error"]["message"].get<std::string>().empty();
  EXPECT_TRUE(has_message) << what << ": " << r.body;
}

/// The API's ranking of `category` from (product, total) pairs: highest
/// total first, ties by product id in byte order, at most `limit`.
json ranking(const std::string& category,
             std::map<std::string, uint64_t> totals, size_t limit = 10) {
  std::vector<std::pair<std::string, uint64_t>> rows(totals.begin(),
                                                     totals.end());
  std::stable_sort(rows.begin(), rows.end(),
                   [](auto& x, auto& y) { return x.second > y.second; });
  json out = json::array();
  for (size_t k = 0; k < rows.size() && k < limit; ++k)
    out.push_back({{"id", k + 1},
                   {"category_id", category},
                   {"total_sold", rows[k].second},
                   {"product_id", rows[k].first}});
  return out;
}

/// Polls GET popular until it answers `want` or `timeout` passed; returns
/// the milliseconds it took, or -1 (with the last answer in `last`).
long long wait_ranking(connection& c, const std::string& category, int limit,
                       const json& want, std::string& last,
                       std::chrono::milliseconds timeout = 10s) {
  auto start = steady::now();
  for (;;) {
    auto r = popular(c, category, limit);
    last = std::to_string(r.status) + " " + r.body;
    if (r.status == 200 && r.body_json() == want)
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 steady::now() - start)
          .count();
    if (steady::now() - start > timeout)
      return -1;
    std::this_thread::sleep_for(20ms);
  }
}

double metric(uint16_t port, const std::string& series) {
  return metric_value(request(port, "GET", "/metrics").body, series);
}

/// A suite of tests sharing one node that refreshes every 200 ms.
class e2eSalesRank : public shared_node_test<e2eSalesRank> {
public:
  static std::string config_text() { return config(200); }
};

/// A body with every kind of line, and what the node answers to it.
struct sample_body {
  std::string category = fresh_category("sample");
  int64_t now = now_s();
  std::string text;

  sample_body() {
    auto old = oldest_second();
    std::vector<std::string> lines{
        header_line,                                              // 1
        sale(now - 60, "p-1", category, 2),                       // 2
        "# a comment\twith\ttabs",                                // 3
        "",                                                       // 4
        sale("1", "p", category, "1").substr(0, 20),              // 5
        sale("2026-02-30T10:00:00Z", "p-1", category, "1"),       // 6
        sale(std::to_string(now), "p 1", category, "1"),          // 7
        sale(std::to_string(now), "p-1", category + "/x", "1"),   // 8
        sale(std::to_string(now), "p-1", category, "0"),          // 9
        sale(std::to_string(now), "p-1", category, "1", "1.999"), // 10
        sale(std::to_string(now), "p-1", category, "1", "1", ""), // 11
        sale(std::to_string(now), "p-1", category, "1", "1", "s",
             std::string(65, 'b')),           // 12
        sale(old - 1, "p-1", category, 1),    // 13
        sale(now + 3600, "p-1", category, 1), // 14
        sale(std::to_string(now), "p-1", category, "1", "1", "s",
             std::string(600, 'b')),                                  // 15
        sale(iso(now + 3600, "+01:00"), "p.2", category, "3") + "\r", // 16
        header_line,                                                  // 17
        sale(old, "P-3", category, 1),                                // 18
        "\r",                                                         // 19
        sale(iso(now - 7200), "p-1", category, "4"),                  // 20
    };
    for (const auto& l : lines)
      text += l + "\n";
    text += sale(now, "p.2", category, 1); // 21, no line break
  }

  void check(const http_response& r) const {
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.body_json();
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["accepted"], 5) << r.body;
    EXPECT_EQ(j["rejected_count"], 12) << r.body;
    std::vector<std::pair<int, std::string>> want{
        {5, "field_count"},     {6, "bad_timestamp"},  {7, "bad_product_id"},
        {8, "bad_category_id"}, {9, "bad_quantity"},   {10, "bad_total_price"},
        {11, "bad_seller_id"},  {12, "bad_buyer_id"},  {13, "too_old"},
        {14, "in_the_future"},  {15, "line_too_long"}, {17, "bad_timestamp"}};
    json rejected = json::array();
    for (const auto& [line, why] : want)
      rejected.push_back({{"line", line}, {"reason", why}});
    EXPECT_EQ(j["rejected"], rejected) << r.body;
  }

  /// The ranking once refreshed: p-1 2 + 4, p.2 3 + 1, P-3 1.
  json expected() const {
    return ranking(category, {{"p-1", 6}, {"p.2", 4}, {"P-3", 1}});
  }
};

} // namespace

// -- ingest -------------------------------------------------------------------

TEST_F(e2eSalesRank, BadLinesAreReportedByNumberAndTheRestCounts) {
  away_from_the_hour_end();
  connection c{port()};
  sample_body s;
  auto r = ingest(c, s.text);
  s.check(r);
  std::string last;
  auto ms = wait_ranking(c, s.category, 0, s.expected(), last);
  EXPECT_GE(ms, 0) << "not ranked within 10 s; last answer: " << last;
  std::printf("[ salesrank ] ranked %lld ms after the ingest answered\n", ms);
}

TEST_F(e2eSalesRank, ChunkedBodiesGiveTheSameAnswer) {
  away_from_the_hour_end();
  connection c{port()};
  // Chunks split lines anywhere: inside fields, between \r and \n, one
  // byte at a time for a while, in the middle of the overlong line.
  sample_body s;
  std::vector<std::string> chunks;
  size_t at = 0;
  for (size_t len : {1, 1, 1, 9, 2, 30, 1, 3, 200, 7, 300}) {
    chunks.push_back(s.text.substr(at, len));
    at += len;
  }
  while (at < s.text.size()) {
    auto cr = s.text.find('\r', at);
    auto end = cr == std::string::npos ? s.text.size() : cr + 1;
    chunks.push_back(s.text.substr(at, end - at));
    at = end;
  }
  s.check(ingest_chunked(c, chunks));
  // One chunk, and a fresh category, the same.
  sample_body one;
  one.check(ingest_chunked(c, {one.text}));
  std::string last;
  EXPECT_GE(wait_ranking(c, s.category, 0, s.expected(), last), 0) << last;
  EXPECT_GE(wait_ranking(c, one.category, 0, one.expected(), last), 0) << last;
}

TEST_F(e2eSalesRank, EmptyBodiesAndOnlyCommentsAcceptNothing) {
  connection c{port()};
  for (const std::string& body :
       {std::string{}, std::string{"\n\n"}, header_line + "\n",
        std::string{"# only\r\n#\t1\t2\n"}}) {
    auto r = ingest(c, body);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body_json(), (json{{"accepted", 0},
                                   {"rejected", json::array()},
                                   {"rejected_count", 0}}))
        << r.body;
  }
  auto chunked = ingest_chunked(c, {});
  ASSERT_EQ(chunked.status, 200) << chunked.body;
  EXPECT_EQ(chunked.body_json()["accepted"], 0) << chunked.body;
}

TEST_F(e2eSalesRank, RejectionsAreListedUpToAThousandAndAllCounted) {
  connection c{port()};
  auto category = fresh_category("many");
  std::string body;
  for (int k = 0; k < 1500; ++k)
    body += sale(now_s(), "p", category, 0) + "\n"; // bad quantity
  body += sale(now_s(), "p", category, 7) + "\n";
  auto r = ingest(c, body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.body_json();
  EXPECT_EQ(j["accepted"], 1);
  EXPECT_EQ(j["rejected_count"], 1500);
  ASSERT_EQ(j["rejected"].size(), 1000u);
  EXPECT_EQ(j["rejected"][0], (json{{"line", 1}, {"reason", "bad_quantity"}}));
  EXPECT_EQ(j["rejected"][999],
            (json{{"line", 1000}, {"reason", "bad_quantity"}}));
  std::string last;
  EXPECT_GE(wait_ranking(c, category, 0, ranking(category, {{"p", 7}}), last),
            0)
      << last;
}

TEST_F(e2eSalesRank, TheWindowsEdgesOverHttp) {
  away_from_the_hour_end();
  connection c{port()};
  auto category = fresh_category("edges");
  auto now = now_s();
  auto old = oldest_second();
  std::string body = sale(old, "oldest-first", category, 1) + "\n" +
                     sale(old + 3599, "oldest-last", category, 2) + "\n" +
                     sale(old - 1, "too-old", category, 4) + "\n" +
                     sale(iso(old, "+02:00"), "too-old-iso", category, "8") +
                     "\n" + sale(now + 200, "soon", category, 16) + "\n" +
                     sale(now + 400, "later", category, 32) + "\n" +
                     sale(iso(now - 3, "-00:30"), "later-iso", category, "64") +
                     "\n";
  auto r = ingest(c, body);
  ASSERT_EQ(r.status, 200) << r.body;
  json rejected = json::array();
  for (auto [line, why] :
       std::vector<std::pair<int, const char*>>{{3, "too_old"},
                                                {4, "too_old"},
                                                {6, "in_the_future"},
                                                {7, "in_the_future"}})
    rejected.push_back({{"line", line}, {"reason", why}});
  EXPECT_EQ(
      r.body_json(),
      (json{{"accepted", 3}, {"rejected", rejected}, {"rejected_count", 4}}))
      << r.body;
  // "soon" may belong to the next hour (then it counts from there on).
  std::map<std::string, uint64_t> want{{"oldest-first", 1}, {"oldest-last", 2}};
  if ((now + 200) / 3600 == now / 3600)
    want["soon"] = 16;
  std::string last;
  EXPECT_GE(wait_ranking(c, category, 0, ranking(category, want), last), 0)
      << last;
}

// -- rankings -----------------------------------------------------------------

TEST_F(e2eSalesRank, NewSalesAppearWithTheNextRefreshInOrder) {
  connection c{port()};
  auto category = fresh_category("order");
  auto t = now_s() - 3600;
  // Twelve products, ties among them: byte order decides ("A10" < "A9",
  // upper case first).
  std::map<std::string, uint64_t> totals{
      {"b", 5}, {"a", 5}, {"B", 5}, {"A10", 5}, {"A9", 5}, {"top", 50},
      {"c", 3}, {"d", 2}, {"e", 2}, {"f", 1},   {"g", 1},  {"h", 1}};
  std::string body;
  for (const auto& [p, n] : totals)
    body += sale(t, p, category, n) + "\n";
  auto r = ingest(c, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body_json()["accepted"], totals.size());
  std::string last;
  auto ms = wait_ranking(c, category, 0, ranking(category, totals), last);
  ASSERT_GE(ms, 0) << last;
  // Limits: 1, 3, 100; the default is 10.
  for (int limit : {1, 3, 10, 12, 100}) {
    auto p = popular(c, category, limit);
    ASSERT_EQ(p.status, 200) << p.body;
    EXPECT_EQ(p.body_json(), ranking(category, totals, limit)) << limit;
  }
  auto first = popular(c, category, 1).body_json();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0], (json{{"id", 1},
                            {"category_id", category},
                            {"total_sold", 50},
                            {"product_id", "top"}}));
  // More sales change the order at a later refresh.
  r = ingest(c, sale(t, "h", category, 100) + "\n" +
                    sale(now_s(), "A9", category, 1));
  ASSERT_EQ(r.status, 200) << r.body;
  totals["h"] += 100;
  totals["A9"] += 1;
  auto again =
      wait_ranking(c, category, 100, ranking(category, totals, 100), last);
  EXPECT_GE(again, 0) << last;
  std::printf("[ salesrank ] visible after %lld ms and %lld ms\n", ms, again);
}

TEST_F(e2eSalesRank, CategoriesRankSeparatelyAndUnknownOnesAreEmpty) {
  connection c{port()};
  auto a = fresh_category("a");
  auto b = fresh_category("b");
  auto t = now_s() - 100;
  auto r = ingest(c, sale(t, "shared", a, 3) + "\n" + sale(t, "shared", b, 9) +
                         "\n" + sale(t, "only-a", a, 4) + "\n");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string last;
  EXPECT_GE(
      wait_ranking(c, a, 0, ranking(a, {{"shared", 3}, {"only-a", 4}}), last),
      0)
      << last;
  EXPECT_GE(wait_ranking(c, b, 0, ranking(b, {{"shared", 9}}), last), 0)
      << last;
  for (const auto& unknown : {fresh_category("none"), std::string{"Z"},
                              std::string(64, 'z'), a + "x"}) {
    auto p = popular(c, unknown, 0);
    EXPECT_EQ(p.status, 200) << unknown << ": " << p.body;
    EXPECT_EQ(p.body, "[]") << unknown;
  }
}

TEST_F(e2eSalesRank, BadPopularQueriesAre400) {
  connection c{port()};
  for (const std::string& q :
       {std::string{""}, std::string{"limit=5"}, std::string{"category_id="},
        std::string{"category_id=a%20b"}, std::string{"category_id=a/b"},
        std::string{"category_id=%C3%A9"},
        "category_id=" + std::string(65, 'c'),
        std::string{"category_id=c&limit=0"},
        std::string{"category_id=c&limit=101"},
        std::string{"category_id=c&limit=-1"},
        std::string{"category_id=c&limit=abc"},
        std::string{"category_id=c&limit="},
        std::string{"category_id=c&limit=1.5"},
        std::string{"category_id=c&limit=99999999999999999999999"},
        std::string{"category_id=c&limit=18446744073709551617"}})
    expect_error(popular(c, q), 400, "invalid_argument", q);
  // The edges of limit and of the id are fine.
  for (const std::string& q : {std::string{"category_id=c&limit=1"},
                               std::string{"category_id=c&limit=100"},
                               "category_id=" + std::string(64, 'c'),
                               std::string{"category_id=A-z_0.9:x"}}) {
    auto r = popular(c, q);
    EXPECT_EQ(r.status, 200) << q << ": " << r.body;
    EXPECT_TRUE(r.body_json().is_array()) << q << ": " << r.body;
  }
}

TEST_F(e2eSalesRank, SalesAreCountedInTheMetrics) {
  // Sales in the oldest hour (other tests') leave when the hour ends.
  away_from_the_hour_end();
  connection c{port()};
  auto category = fresh_category("metrics");
  auto sales = metric(port(), "troupe_salesrank_sales_total");
  auto pairs = metric(port(), "troupe_salesrank_pairs");
  ASSERT_GE(sales, 0);
  ASSERT_GE(pairs, 0);
  auto t = now_s() - 10;
  auto r =
      ingest(c, sale(t, "x", category, 5) + "\n" + sale(t, "y", category, 1) +
                    "\n" + sale(t, "x", category, 2) + "\n" +
                    sale(t, "z", category, 0) + "\n");
  ASSERT_EQ(r.status, 200) << r.body;
  // Sales, not quantities; pairs, not sales. Nothing else runs on this node
  // meanwhile (tests run one at a time).
  EXPECT_EQ(metric(port(), "troupe_salesrank_sales_total"), sales + 3);
  EXPECT_EQ(metric(port(), "troupe_salesrank_pairs"), pairs + 2);
}

// -- not before the refresh ---------------------------------------------------

// On a node that refreshes once a minute, a sale is not ranked right after
// it was stored, nor a second later; it is after a restart (shards rank on
// load), without waiting for the minute.
TEST(e2eSalesRankSlowRefresh, ASaleIsNotRankedBeforeTheRefresh) {
  node_process node{config(60000)};
  auto started = steady::now();
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  auto category = fresh_category("slow");
  auto r = ingest(c, sale(now_s() - 5, "p", category, 3));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.body_json()["accepted"], 1) << r.body;
  // The first refresh comes a minute after the shards started.
  ASSERT_LT(steady::now() - started, 50s) << "too slow to tell";
  EXPECT_EQ(popular(c, category, 0).body, "[]");
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(popular(c, category, 0).body, "[]");
  ASSERT_LT(steady::now() - started, 55s) << "too slow to tell";
  stop_cleanly(node);
  ASSERT_TRUE(node.restart());
  connection v{node.port()};
  auto p = popular(v, category, 0);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.body_json(), ranking(category, {{"p", 3}})) << p.body;
  node.terminate();
}

// -- the body size limit ------------------------------------------------------

namespace {

/// Sales of one category with a comment to pad the body to exactly
/// `bytes`; `lines` is set to the number of sales.
std::string sales_of_size(const std::string& category, size_t bytes,
                          size_t& lines) {
  std::string out;
  lines = 0;
  auto t = now_s() - 60;
  for (int k = 0;; ++k) {
    auto l = sale(t, "p" + std::to_string(k % 10), category, 1) + "\n";
    if (out.size() + l.size() + 2 > bytes)
      break;
    out += l;
    ++lines;
  }
  out += "#" + std::string(bytes - out.size() - 2, 'x') + "\n";
  return out;
}

uint64_t total_sold(const json& ranking) {
  uint64_t sum = 0;
  if (ranking.is_array())
    for (const auto& row : ranking)
      sum += row.value("total_sold", uint64_t{0});
  return sum;
}

std::string limits_config() {
  return config(200, "max_ingest_bytes = 1000\ningest_batch_lines = 3\n");
}

/// What a chunked body over the limit (3000 bytes in chunks of 100, sales
/// of one category, quantity 1 each) did.
struct cut_off {
  /// Sales the 413's message says were stored before.
  uint64_t said = 0;
  /// Sales of the body the node stored (its sales counter) and ranks.
  uint64_t counted = 0;
  uint64_t ranked = 0;
  /// Sales that fit in the first 1000 bytes.
  uint64_t fit = 0;
};

cut_off send_over_the_limit(node_process& node) {
  cut_off out;
  auto category = fresh_category("chunked");
  size_t lines = 0;
  auto body = sales_of_size(category, 3000, lines);
  out.fit = 1000 / (body.find('\n') + 1);
  auto before = metric(node.port(), "troupe_salesrank_sales_total");
  connection c{node.port()};
  std::vector<std::string> chunks;
  for (size_t at = 0; at < body.size(); at += 100)
    chunks.push_back(body.substr(at, 100));
  auto r = ingest_chunked(c, chunks);
  expect_error(r, 413, "payload_too_large", "chunked");
  auto message = error_message_of(r);
  EXPECT_NE(message.find("max_ingest_bytes"), std::string::npos) << message;
  auto at = message.find("; ");
  EXPECT_NE(at, std::string::npos) << message;
  if (at == std::string::npos)
    return out;
  out.said = std::strtoul(message.c_str() + at + 2, nullptr, 10);
  EXPECT_NE(message.find("; " + std::to_string(out.said) + " sales"),
            std::string::npos)
      << message;
  out.counted = static_cast<uint64_t>(
      metric(node.port(), "troupe_salesrank_sales_total") - before);
  // Ranked at the next refresh (the node closed the connection after the
  // 413): wait until the ranking holds what the counter says.
  auto deadline = steady::now() + 10s;
  json got;
  do {
    std::this_thread::sleep_for(50ms);
    got = popular(node.port(), category).body_json();
    out.ranked = total_sold(got);
  } while (out.ranked != out.counted && steady::now() < deadline);
  std::printf("[ salesrank ] chunked body over the limit: the 413 says %lu "
              "sales were stored, %lu were (%lu fit under the limit)\n",
              static_cast<unsigned long>(out.said),
              static_cast<unsigned long>(out.counted),
              static_cast<unsigned long>(out.fit));
  return out;
}

} // namespace

TEST(e2eSalesRankLimits, BodyLargerThanMaxIngestBytesIs413) {
  node_process node{limits_config()};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  auto sales = [&] {
    return metric(node.port(), "troupe_salesrank_sales_total");
  };
  size_t lines = 0;
  // Content-Length over the limit: refused before anything is stored.
  auto over_cat = fresh_category("over");
  auto over = sales_of_size(over_cat, 1001, lines);
  ASSERT_EQ(over.size(), 1001u);
  {
    connection c{node.port()};
    expect_error(ingest(c, over), 413, "payload_too_large", "Content-Length");
  }
  EXPECT_EQ(sales(), 0);
  // Exactly at the limit: accepted, both ways.
  auto exact_cat = fresh_category("exact");
  auto exact = sales_of_size(exact_cat, 1000, lines);
  ASSERT_EQ(exact.size(), 1000u);
  {
    connection c{node.port()};
    auto r = ingest(c, exact);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body_json()["accepted"], lines) << r.body;
    auto again = ingest_chunked(c, {exact.substr(0, 500), exact.substr(500)});
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.body_json()["accepted"], lines) << again.body;
  }
  EXPECT_EQ(sales(), 2.0 * static_cast<double>(lines));
  // Chunked over the limit: cut off there, after whole rounds of 3. The
  // 413 names every sale stored before it (the round being stored when the
  // limit was crossed included: a client may send the rest again), and
  // what was stored is ranked.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto cut = send_over_the_limit(node);
    EXPECT_EQ(cut.said, cut.counted) << "attempt " << attempt;
    EXPECT_EQ(cut.ranked, cut.counted) << "attempt " << attempt;
    EXPECT_EQ(cut.counted % 3, 0u) << "attempt " << attempt;
    EXPECT_LE(cut.counted, cut.fit) << "attempt " << attempt;
  }
  // Nothing of the refused Content-Length body was ranked.
  connection c{node.port()};
  EXPECT_EQ(popular(c, over_cat, 0).body, "[]");
  EXPECT_EQ(c.request("GET", "/readyz").status, 200);
  node.terminate();
}

// -- kill -9 ------------------------------------------------------------------

// Every acknowledged ingest is back after kill -9 (group commit: an answer
// means committed), and the rankings are the same the moment the node is
// ready again (shards rank on load).
TEST(e2eSalesRankDurability, RankingsAreTheSameAfterKill9) {
  node_process node{config(200)};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port(), 30s};
  // 24 categories of different sizes, sales over the past six days.
  std::vector<std::string> categories;
  std::map<std::string, std::map<std::string, uint64_t>> totals;
  for (int k = 0; k < 24; ++k)
    categories.push_back(fresh_category("kill" + std::to_string(k)));
  auto now = now_s();
  for (int round = 0; round < 4; ++round) {
    std::string body;
    size_t n = 0;
    for (int k = 0; k < 3000; ++k) {
      // Two big categories, 22 small ones.
      auto which = k % 97 < 50   ? 0
                   : k % 97 < 75 ? 1
                                 : 2 + (k * 31 + round) % 22;
      const auto& cat = categories[static_cast<size_t>(which)];
      auto product = "p" + std::to_string((k * 7 + round) % 37);
      uint64_t qty = 1 + (k * 13) % 5;
      auto t = now - ((k * 7919 + round * 104729) % (144 * 3600));
      body += sale(t, product, cat, qty) + "\n";
      totals[cat][product] += qty;
      ++n;
    }
    auto r = ingest(c, body);
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.body_json()["accepted"], n) << r.body;
  }
  std::map<std::string, json> before;
  for (const auto& cat : categories) {
    auto want = ranking(cat, totals[cat], 100);
    std::string last;
    ASSERT_GE(wait_ranking(c, cat, 100, want, last), 0) << cat << ": " << last;
    before[cat] = want;
  }
  auto pairs = metric(node.port(), "troupe_salesrank_pairs");
  node.kill9();
  ASSERT_TRUE(node.restart());
  connection v{node.port(), 30s};
  for (const auto& cat : categories) {
    auto r = popular(v, cat, 100);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body_json(), before[cat]) << cat;
    auto top = popular(v, cat, 0);
    EXPECT_EQ(top.body_json(), ranking(cat, totals[cat])) << cat;
  }
  EXPECT_EQ(metric(node.port(), "troupe_salesrank_pairs"), pairs);
  // The node goes on taking sales.
  auto r = ingest(v, sale(now_s(), "after", categories[0], 1000));
  ASSERT_EQ(r.status, 200) << r.body;
  totals[categories[0]]["after"] += 1000;
  std::string last;
  EXPECT_GE(wait_ranking(v, categories[0], 100,
                         ranking(categories[0], totals[categories[0]], 100),
                         last),
            0)
      << last;
  stop_cleanly(node);
}
