// End-to-end tests of the crawler (/crawler/api/v1/*) and the search over
// what it indexed (/search/api/v1/search) against a real `troupe run`
// process and a real nginx (tests/e2e/doc_site.hpp) serving the PostgreSQL
// 15 documentation under three ports, i.e. three crawler hosts:
//  - A: the documentation, a robots.txt disallowing /app-* (the 29 client
//    application pages), /start.html (the seed, linking A's index.html and
//    sql-select.html, a byte copy of sql-select.html, and the other two
//    sites) and /copy-of-sql-select.html;
//  - B: the documentation again, without robots.txt: every page a duplicate
//    of A's (and B's /app-* pages the only copies of those);
//  - C: five generated pages with words found nowhere else (quokka, wombat,
//    numbat), a missing page, a text file, a robots-disallowed /private/
//    page and a link back to A.
// nginx logs every request, so the tests count fetches per host and path
// and compare them with the pages a breadth-first walk over the served
// files reaches (`doc_site::plan`).
//
// Tests skip when nginx or the documentation is not installed
// (scripts/install-deps.sh installs both).
#include "doc_site.hpp"
#include "harness.hpp"
#include "shared_node.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

using namespace troupe_e2e;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

const std::string seeds_path = "/crawler/api/v1/seeds";
const std::string status_path = "/crawler/api/v1/status";
const std::string search_path = "/search/api/v1/search";

/// Site indexes in `test_sites()`.
constexpr size_t site_a = 0;
constexpr size_t site_b = 1;
constexpr size_t site_c = 2;

/// One crawl connection per host, no politeness delay unless `delay_ms`
/// says otherwise, 4 frontier and 4 index shards, no refresh during a
/// test.
std::string crawler_config(int delay_ms = 0) {
  return R"(
[[nodes]]
name = "n1"
actor = "127.0.0.1:{ACTOR_PORT}"
http = "127.0.0.1:{PORT}"
data_dir = "{DATA_DIR}"

[crawler]
shards = 4
per_host_connections = 1
per_host_delay_ms = )" +
         std::to_string(delay_ms) + R"(
refresh_after_s = 86400
max_pages = 100000
max_depth = 64

[search]
shards = 4
cache_ttl_s = 300
)";
}

/// A page of C: a title and a paragraph, with links.
std::string page(const std::string& title, const std::string& text,
                 const std::vector<std::string>& hrefs) {
  std::string html = "<!DOCTYPE html>\n<html><head><title>" + title +
                     "</title></head><body><h1>" + title + "</h1><p>" + text +
                     "</p><ul>\n";
  for (auto& href : hrefs)
    html += "<li><a href=\"" + href + "\">" + href + "</a></li>\n";
  return html + "</ul></body></html>\n";
}

/// The three sites described at the top of this file.
std::vector<site_spec> test_sites() {
  site_spec a;
  a.doc = true;
  a.disallow = {"/app-"};
  a.files["/copy-of-sql-select.html"] =
      read_file(doc_site::doc_dir() + "/sql-select.html");
  a.files["/start.html"] =
      page("Crawler start page",
           "The seed of the crawler tests: the documentation on this host, a "
           "copy of one of its pages, and two more hosts.",
           {"index.html", "sql-select.html", "copy-of-sql-select.html",
            "http://{SITE1}/index.html", "http://{SITE2}/index.html"});

  site_spec b;
  b.doc = true;

  site_spec c;
  c.disallow = {"/private/"};
  c.files["/index.html"] = page(
      "Field almanac",
      "An almanac of small marsupials kept by a field station in the hills, "
      "with weekly observations, weather records and a map of the burrows "
      "the volunteers counted during the dry season.",
      {"a.html", "b.html", "missing.html", "notes.txt",
       "http://{SITE0}/sql-select.html"});
  c.files["/a.html"] = page(
      "Quokka habits",
      "The quokka forages at night on grasses and leaves, climbs low shrubs, "
      "and rests in dense thickets during the heat of the day. Quokka "
      "families share feeding grounds near fresh water on the island.",
      {"b.html", "index.html", "a.html#top", "/private/secret.html",
       "./a.html"});
  c.files["/b.html"] =
      page("Wombat burrows",
           "A wombat digs long tunnels with strong claws; an abandoned wombat "
           "burrow often shelters a numbat or a lizard through winter frosts, "
           "while rangers measure entrance width with wooden rulers.",
           {"a.html", "index.html", "?page=b"});
  c.files["/private/secret.html"] =
      page("Secret", "Nobody may crawl this page.", {"../index.html"});
  c.files["/notes.txt"] = "plain text notes, not a page\n";
  return {a, b, c};
}

/// GET /crawler/api/v1/status as JSON (discarded on failure).
json crawl_status(uint16_t port) {
  try {
    auto r = request(port, "GET", status_path);
    return r.status == 200 ? r.body_json() : json{};
  } catch (const io_error&) {
    return json{};
  }
}

/// An integer field of a status, or -1.
int64_t field(const json& status, const char* name) {
  return status.is_object() && status.contains(name) &&
                 status[name].is_number_integer()
             ? status[name].get<int64_t>()
             : -1;
}

/// Polls the status until nothing is queued or in flight and something was
/// crawled (twice in a row, 100 ms apart), at most `timeout`; returns the
/// last status, or a discarded value on timeout.
json wait_crawl_done(uint16_t port, std::chrono::milliseconds timeout,
                     bool need_crawled = true) {
  auto deadline = steady::now() + timeout;
  int settled = 0;
  json last;
  while (steady::now() < deadline) {
    last = crawl_status(port);
    bool done = field(last, "queued") == 0 && field(last, "in_flight") == 0 &&
                (field(last, "crawled") > 0 ||
                 (!need_crawled && field(last, "failed") > 0));
    settled = done ? settled + 1 : 0;
    if (settled >= 2)
      return last;
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "crawl did not finish within " << timeout.count()
                << " ms; last status " << last.dump();
  return json{};
}

/// POST /crawler/api/v1/seeds of `seeds` within `allowed` sites.
http_response post_seeds(uint16_t port, const doc_site& site,
                         const std::vector<std::string>& seeds,
                         const std::set<size_t>& allowed, int max_depth) {
  json body{{"urls", seeds}, {"max_depth", max_depth}};
  body["allowed_hosts"] = json::array();
  for (auto i : allowed)
    body["allowed_hosts"].push_back(site.authority(i));
  return post_json(port, seeds_path, body.dump());
}

/// GET /search/api/v1/search?query=..[&limit=..].
http_response search(uint16_t port, const std::string& query, int limit = -1) {
  std::string target = search_path + "?query=" + url_encode(query);
  if (limit >= 0)
    target += "&limit=" + std::to_string(limit);
  return request(port, "GET", target);
}

/// The links of a search answer, best first (empty when not an array).
std::vector<std::string> result_links(const http_response& r) {
  std::vector<std::string> out;
  auto j = r.body_json();
  if (!j.is_array())
    return out;
  for (auto& hit : j)
    if (hit.is_object() && hit.contains("link") && hit["link"].is_string())
      out.push_back(hit["link"].get<std::string>());
  return out;
}

/// The paths fetched by every site (robots.txt left out): (site, path) ->
/// number of requests.
std::map<site_path, int> page_fetches(const doc_site& site) {
  std::map<site_path, int> out;
  for (size_t i = 0; i < site.size(); ++i)
    for (auto& [path, count] : site.fetches(i))
      if (path != "/robots.txt")
        out[site_path{i, path}] = count;
  return out;
}

/// The sum of the terminal counters of a status: every URL ends in exactly
/// one of them.
int64_t settled_pages(const json& status) {
  return field(status, "crawled") + field(status, "duplicates") +
         field(status, "failed") + field(status, "skipped_robots") +
         field(status, "skipped_limit");
}

// -- one crawl of the three sites, shared by the tests that read it ----------

/// Crawls the three sites from A's /start.html once for the suite and keeps
/// the node running for the search tests.
class e2eCrawlerSite : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    skip_ = doc_site::unavailable();
    if (!skip_.empty())
      return;
    site_ = new doc_site(test_sites());
    if (!site_->error().empty()) {
      setup_error_ = "doc site: " + site_->error();
      return;
    }
    node_ = new node_process(crawler_config());
    node_->start();
    if (!node_->wait_ready()) {
      setup_error_ = "node did not start";
      return;
    }
    auto r =
        post_seeds(node_->port(), *site_, {site_->url(site_a, "/start.html")},
                   {site_a, site_b, site_c}, 64);
    if (r.status != 202) {
      setup_error_ = "seeds: " + std::to_string(r.status) + " " + r.body;
      return;
    }
    accepted_ = r.body_json();
    final_ = wait_crawl_done(node_->port(), 90s);
    if (final_.is_discarded() || final_.is_null()) {
      setup_error_ = "the crawl did not finish";
      // A failure in SetUpTestSuite skips the tests: show the log here.
      ADD_FAILURE() << "node log:\n" << tail_lines(node_->log(), 60);
    }
  }

  static void TearDownTestSuite() {
    if (node_ && node_->running())
      stop_cleanly(*node_);
    delete node_;
    node_ = nullptr;
    delete site_;
    site_ = nullptr;
  }

  void SetUp() override {
    if (!skip_.empty())
      GTEST_SKIP() << skip_;
    ASSERT_TRUE(setup_error_.empty())
        << setup_error_ << "\n"
        << (node_ ? tail_lines(node_->log(), 40) : "");
  }

  static uint16_t port() { return node_->port(); }

  /// The walk the crawl should have made.
  static crawl_plan expected() {
    return site_->plan({site_->url(site_a, "/start.html")},
                       {site_a, site_b, site_c}, 64);
  }

  static inline std::string skip_;
  static inline std::string setup_error_;
  static inline doc_site* site_ = nullptr;
  static inline node_process* node_ = nullptr;
  static inline json accepted_;
  static inline json final_;
};

TEST_F(e2eCrawlerSite, SeedsAnswer202WithCrawlId) {
  ASSERT_TRUE(accepted_.is_object()) << accepted_.dump();
  EXPECT_TRUE(accepted_.contains("crawl_id")) << accepted_.dump();
  EXPECT_EQ(field(accepted_, "queued"), 1) << accepted_.dump();
  EXPECT_EQ(field(accepted_, "known"), 0) << accepted_.dump();
}

TEST_F(e2eCrawlerSite, FetchesEveryReachablePageExactlyOnce) {
  auto plan = expected();
  // Sanity of the walk itself: it reaches (most of) the documentation on
  // A and B and everything of C, well within max_depth.
  ASSERT_GT(plan.fetched.size(), 2000u);
  ASSERT_LT(plan.deepest, 64);
  for (size_t i = 0; i < site_->size(); ++i) {
    auto counts = site_->fetches(i);
    EXPECT_EQ(counts["/robots.txt"], 1) << "site " << i;
    for (auto& [path, count] : counts) {
      EXPECT_EQ(count, 1) << "site " << i << " fetched " << path << " " << count
                          << " times";
      if (path == "/robots.txt")
        continue;
      // Only links of <a> tags lead to pages; a crawler following <link>
      // or <img> may fetch a stylesheet or an image, but no other page.
      if (path.size() > 5 && path.substr(path.size() - 5) == ".html") {
        EXPECT_EQ(plan.fetched.count(site_path{i, path}), 1u)
            << "site " << i << " fetched an unreachable page " << path;
      }
    }
  }
  size_t missing = 0;
  for (auto& [at, depth] : plan.fetched)
    if (site_->fetches(at.site).count(at.path) == 0 && ++missing <= 10)
      ADD_FAILURE() << "site " << at.site << " never fetched " << at.path
                    << " (depth " << depth << ")";
  EXPECT_EQ(missing, 0u);
}

TEST_F(e2eCrawlerSite, NeverFetchesWhatRobotsDisallow) {
  auto plan = expected();
  ASSERT_GT(plan.disallowed.size(), 20u); // A's /app-* pages, C's /private/
  auto a = site_->fetches(site_a);
  auto c = site_->fetches(site_c);
  for (auto& [path, count] : a)
    EXPECT_NE(path.rfind("/app-", 0), 0u) << "A fetched " << path;
  EXPECT_EQ(c.count("/private/secret.html"), 0u);
  // B has no robots.txt (404: everything allowed): its /app-* pages are
  // crawled.
  EXPECT_EQ(site_->fetches(site_b)["/app-pgdump.html"], 1);
  EXPECT_EQ(field(final_, "skipped_robots"),
            static_cast<int64_t>(plan.disallowed.size()))
      << final_.dump();
}

TEST_F(e2eCrawlerSite, StatusCountsAddUp) {
  // Taken as the crawl ended: pages finished within the rate window.
  ASSERT_TRUE(final_["pages_per_second"].is_number()) << final_.dump();
  EXPECT_GT(final_["pages_per_second"].get<double>(), 0) << final_.dump();
  auto plan = expected();
  auto fetched = page_fetches(*site_);
  auto s = crawl_status(port());
  EXPECT_EQ(field(s, "queued"), 0) << s.dump();
  EXPECT_EQ(field(s, "in_flight"), 0) << s.dump();
  EXPECT_EQ(field(s, "skipped_limit"), 0) << s.dump();
  // Every fetched URL is crawled, a duplicate or failed; every discovered
  // URL one of those or skipped.
  EXPECT_EQ(field(s, "crawled") + field(s, "duplicates") + field(s, "failed"),
            static_cast<int64_t>(fetched.size()))
      << s.dump();
  EXPECT_EQ(settled_pages(s),
            static_cast<int64_t>(fetched.size() + plan.disallowed.size()))
      << s.dump();
  // C's missing.html (404) and notes.txt (not HTML) fail.
  EXPECT_GE(field(s, "failed"), 2) << s.dump();
  auto reasons = s.value("failed_by_reason", json::object());
  EXPECT_GE(reasons.value("http_404", 0), 1) << s.dump();
  EXPECT_GE(reasons.value("not_html", 0), 1) << s.dump();
  // Every page of B whose twin A crawled is a duplicate of one of the
  // two (whichever came second), and so is the copy of sql-select.html.
  int64_t twins = 0;
  for (auto& [at, count] : fetched)
    if (at.site == site_b && fetched.count(site_path{site_a, at.path}) &&
        at.path.size() > 5 && at.path.substr(at.path.size() - 5) == ".html")
      ++twins;
  EXPECT_GE(field(s, "duplicates"), twins + 1) << s.dump();
  EXPECT_GE(field(s, "hosts"), 3) << s.dump();
  EXPECT_LE(field(s, "indexed"), field(s, "crawled")) << s.dump();
  EXPECT_GT(field(s, "indexed"), 800) << s.dump();
}

/// The node logs its progress every `crawler.progress_every` (500) pages:
/// the count, the rate, what is queued and the time left at that rate.
TEST_F(e2eCrawlerSite, LogsProgress) {
  auto log = node_->log();
  auto at = log.find(" crawler: ");
  ASSERT_NE(at, std::string::npos) << tail_lines(log, 40);
  auto line = log.substr(at, log.find('\n', at) - at);
  EXPECT_NE(line.find(" pages ("), std::string::npos) << line;
  EXPECT_NE(line.find(" pages/s), "), std::string::npos) << line;
  EXPECT_NE(line.find(" queued, about "), std::string::npos) << line;
  EXPECT_NE(line.find(" s left"), std::string::npos) << line;
}

TEST_F(e2eCrawlerSite, CopiesOfAPageAreIndexedOnce) {
  // Only sql-select.html, bookindex.html and sql-keywords-appendix.html
  // contain all four words; its copies are A's copy-of-sql-select.html and
  // B's sql-select.html.
  auto r = search(port(), "select distinct having tablesample", 100);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<site_path> copies;
  for (auto& link : result_links(r))
    if (auto at = site_->locate(link);
        at && (at->path == "/sql-select.html" ||
               at->path == "/copy-of-sql-select.html"))
      copies.push_back(*at);
  ASSERT_EQ(copies.size(), 1u) << r.body;
  // start.html links sql-select.html before the copy, and B is reached
  // later: the first copy seen (the indexed one) is A's original.
  EXPECT_EQ(copies[0], (site_path{site_a, "/sql-select.html"})) << r.body;
}

TEST_F(e2eCrawlerSite, SearchFindsKnownPagesOnTop) {
  struct known {
    std::string query;
    std::string path;
  };
  std::vector<known> cases{{"vacuum", "/sql-vacuum.html"},
                           {"create index", "/sql-createindex.html"},
                           {"savepoint", "/sql-savepoint.html"},
                           {"truncate", "/sql-truncate.html"},
                           {"pg_dump", "/app-pgdump.html"}};
  for (auto& k : cases) {
    auto r = search(port(), k.query, 3);
    ASSERT_EQ(r.status, 200) << k.query << ": " << r.body;
    auto links = result_links(r);
    EXPECT_LE(links.size(), 3u) << r.body;
    bool found = false;
    for (auto& link : links)
      if (auto at = site_->locate(link); at && at->path == k.path) {
        found = true;
        // A's /app-* pages are disallowed: pg_dump's page is B's.
        if (k.path.rfind("/app-", 0) == 0) {
          EXPECT_EQ(at->site, site_b) << link;
        }
      }
    EXPECT_TRUE(found) << k.query << " -> " << r.body;
  }
}

TEST_F(e2eCrawlerSite, SearchAnswersTitleSnippetLink) {
  auto r = search(port(), "vacuum analyze");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.header("content-type").find("application/json"),
            std::string::npos);
  auto j = r.body_json();
  ASSERT_TRUE(j.is_array()) << r.body;
  ASSERT_FALSE(j.empty());
  EXPECT_LE(j.size(), 10u); // the default limit
  for (auto& hit : j) {
    ASSERT_TRUE(hit.is_object()) << hit.dump();
    EXPECT_EQ(hit.size(), 3u) << hit.dump();
    for (auto key : {"title", "snippet", "link"})
      EXPECT_TRUE(hit.contains(key) && hit[key].is_string()) << hit.dump();
    auto link = hit.value("link", "");
    EXPECT_TRUE(site_->locate(link).has_value()) << link;
    auto snippet = visible_text(hit.value("snippet", ""));
    EXPECT_TRUE(has_word(snippet, "vacuum") || has_word(snippet, "analyze"))
        << hit.dump();
  }
  // The title is the page's <title>.
  auto top = search(port(), "savepoint", 1).body_json();
  ASSERT_TRUE(top.is_array() && top.size() == 1) << top.dump();
  EXPECT_EQ(top[0].value("title", ""), "SAVEPOINT") << top.dump();
}

TEST_F(e2eCrawlerSite, SearchCachesAnswers) {
  auto first = search(port(), "tablespace");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("x-cache"), "MISS");
  auto second = search(port(), "tablespace");
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.header("x-cache"), "HIT");
  EXPECT_EQ(first.body, second.body);
  // Another limit is another answer.
  auto other = search(port(), "tablespace", 2);
  EXPECT_EQ(other.header("x-cache"), "MISS");
  EXPECT_EQ(result_links(other).size(), 2u) << other.body;
}

TEST_F(e2eCrawlerSite, SearchOperators) {
  auto a = site_->url(site_c, "/a.html");
  auto b = site_->url(site_c, "/b.html");
  using links = std::vector<std::string>;
  EXPECT_EQ(result_links(search(port(), "quokka")), links{a});
  EXPECT_EQ(result_links(search(port(), "wombat")), links{b});
  // AND: no page has both.
  auto both = search(port(), "quokka wombat");
  EXPECT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(result_links(both), links{}) << both.body;
  auto either = result_links(search(port(), "quokka OR wombat"));
  std::sort(either.begin(), either.end());
  auto ab = links{a, b};
  std::sort(ab.begin(), ab.end());
  EXPECT_EQ(either, ab);
  EXPECT_EQ(result_links(search(port(), "quokka OR wombat -numbat")), links{a});
  // On the documentation: an excluded word is on no result page, and
  // excluding it changes the answer.
  auto all = result_links(search(port(), "vacuum", 20));
  auto without = result_links(search(port(), "vacuum -autovacuum", 20));
  EXPECT_FALSE(without.empty());
  EXPECT_NE(all, without);
  for (auto& link : without) {
    auto at = site_->locate(link);
    ASSERT_TRUE(at) << link;
    auto text = visible_text(site_->body(at->site, at->path).value_or(""));
    EXPECT_TRUE(has_word(text, "vacuum")) << link;
    EXPECT_FALSE(has_word(text, "autovacuum")) << link;
  }
}

// -- bad input
// -----------------------------------------------------------------

/// A node of its own that only ever sees bad requests.
class e2eCrawlerBadInput : public shared_node_test<e2eCrawlerBadInput> {
public:
  static std::string config_text() { return crawler_config(); }
};

TEST_F(e2eCrawlerBadInput, BadSeedsAre400AndQueueNothing) {
  auto before = crawl_status(port());
  ASSERT_TRUE(before.is_object()) << before.dump();
  std::string url = "\"http://127.0.0.1:1/\"";
  std::vector<std::string> many;
  for (int i = 0; i < 1001; ++i)
    many.push_back("\"http://127.0.0.1:1/" + std::to_string(i) + "\"");
  std::string over_limit = "{\"urls\":[";
  for (size_t i = 0; i < many.size(); ++i)
    over_limit += (i ? "," : "") + many[i];
  over_limit += "]}";
  std::vector<std::string> bodies{
      "{not json",
      "",
      "[]",
      "{}",
      "{\"urls\":" + url + "}",
      "{\"urls\":[1]}",
      "{\"urls\":[\"ftp://127.0.0.1:1/x\"]}",
      "{\"urls\":[\"javascript:alert(1)\"]}",
      "{\"urls\":[\"not a url\"]}",
      "{\"urls\":[" + url + "],\"max_depth\":-1}",
      "{\"urls\":[" + url + "],\"max_depth\":\"x\"}",
      "{\"urls\":[" + url + "],\"max_depth\":65}",
      "{\"urls\":[" + url + "],\"max_pages\":0}",
      "{\"urls\":[" + url + "],\"max_pages\":10000001}",
      "{\"urls\":[" + url + "],\"allowed_hosts\":\"127.0.0.1:1\"}",
      "{\"urls\":[" + url + "],\"allowed_hosts\":[5]}",
      over_limit,
  };
  for (auto& body : bodies) {
    auto r = post_json(port(), seeds_path, body);
    EXPECT_EQ(r.status, 400) << body.substr(0, 200) << " -> " << r.body;
    EXPECT_FALSE(r.error_code().empty())
        << body.substr(0, 200) << " -> " << r.body;
  }
  // Over http.max_body_bytes (2 MiB by default).
  auto huge = post_json(port(), seeds_path,
                        "{\"urls\":[" + url + "],\"pad\":\"" +
                            std::string(2100 * 1024, 'x') + "\"}");
  EXPECT_EQ(huge.status, 413) << huge.body;
  std::this_thread::sleep_for(200ms);
  auto after = crawl_status(port());
  EXPECT_EQ(after, before) << before.dump() << "\n" << after.dump();
}

TEST_F(e2eCrawlerBadInput, BadSearchesAre400) {
  std::vector<std::string> targets{
      search_path,
      search_path + "?query=",
      search_path + "?limit=5",
      search_path + "?query=" + url_encode("-vacuum"),
      search_path + "?query=" + url_encode("  ,;  "),
      search_path + "?query=" + std::string(1025, 'a'),
      search_path + "?query=" +
          url_encode(std::string(600, 'a') + " " + std::string(424, 'b')),
      search_path + "?query=vacuum&limit=0",
      search_path + "?query=vacuum&limit=101",
      search_path + "?query=vacuum&limit=1000",
      search_path + "?query=vacuum&limit=-1",
      search_path + "?query=vacuum&limit=x",
  };
  for (auto& target : targets) {
    auto r = request(port(), "GET", target);
    EXPECT_EQ(r.status, 400) << target.substr(0, 120) << " -> " << r.body;
    EXPECT_FALSE(r.error_code().empty())
        << target.substr(0, 120) << " -> " << r.body;
  }
  // The limits themselves are fine (and an empty index answers []).
  for (auto limit : {1, 100}) {
    auto r = search(port(), "vacuum", limit);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.body_json().is_array()) << r.body;
  }
  std::string longest_query;
  while (longest_query.size() + 3 <= 1024)
    longest_query += "ab ";
  longest_query += std::string(1024 - longest_query.size(), 'a');
  auto longest = search(port(), longest_query);
  EXPECT_EQ(longest.status, 200) << longest.body;
}

// -- kill -9 mid-crawl
// -----------------------------------------------------------

namespace {

/// Sums the frontier shards' "N pages were in flight at the last stop" log
/// lines (written when a shard loads after a crash).
size_t in_flight_at_last_stop(const std::string& log) {
  static const std::string marker = " pages were in flight at the last stop";
  size_t sum = 0;
  for (auto at = log.find(marker); at != std::string::npos;
       at = log.find(marker, at + 1)) {
    auto begin = log.rfind(' ', at - 1) + 1;
    sum += std::stoul(log.substr(begin, at - begin));
  }
  return sum;
}

} // namespace

TEST(e2eCrawlerRestart, ResumesAfterKill9) {
  if (auto why = doc_site::unavailable(); !why.empty())
    GTEST_SKIP() << why;
  doc_site site{test_sites()};
  ASSERT_TRUE(site.error().empty()) << site.error();
  // 5 ms between the fetches of a host: B alone takes more than 6 s.
  node_process node{crawler_config(5)};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  std::set<size_t> all{site_a, site_b, site_c};
  auto seed = site.url(site_a, "/start.html");
  auto r = post_seeds(node.port(), site, {seed}, all, 64);
  ASSERT_EQ(r.status, 202) << r.body;

  auto deadline = steady::now() + 60s;
  while (field(crawl_status(node.port()), "crawled") < 300 &&
         steady::now() < deadline)
    std::this_thread::sleep_for(20ms);
  auto at_kill = crawl_status(node.port());
  ASSERT_GE(field(at_kill, "crawled"), 300) << at_kill.dump();
  node.kill9();
  auto fetched_before = page_fetches(site);
  auto plan = site.plan({seed}, all, 64);
  ASSERT_LT(fetched_before.size(), plan.fetched.size() / 2)
      << "the crawl was nearly done at the kill; nothing left to resume";

  ASSERT_TRUE(node.restart()) << node.log();
  auto done = wait_crawl_done(node.port(), 180s);
  ASSERT_TRUE(done.is_object()) << tail_lines(node.log(), 40);

  auto fetched = page_fetches(site);
  size_t missing = 0;
  for (auto& [at, depth] : plan.fetched)
    if (fetched.count(at) == 0 && ++missing <= 10)
      ADD_FAILURE() << "site " << at.site << " never fetched " << at.path;
  EXPECT_EQ(missing, 0u);
  // Only the fetches in flight at the kill run again: a page's `fetching`
  // record is durable before its fetch starts, and each shard logs at the
  // restart how many such records it found.
  size_t twice = 0;
  for (auto& [at, count] : fetched) {
    EXPECT_LE(count, 2) << "site " << at.site << " " << at.path;
    if (count == 2)
      ++twice;
  }
  auto in_flight = in_flight_at_last_stop(node.log());
  std::cout << twice << " pages fetched twice, " << in_flight
            << " in flight at the kill\n";
  EXPECT_LE(twice, in_flight) << "pages fetched twice";
  for (size_t i = 0; i < site.size(); ++i) {
    auto robots = site.fetches(i)["/robots.txt"];
    EXPECT_GE(robots, 1) << "site " << i;
    EXPECT_LE(robots, 2) << "site " << i;
    for (auto& path : plan.disallowed)
      if (path.site == i) {
        EXPECT_EQ(site.fetches(i).count(path.path), 0u) << path.path;
      }
  }
  // Each URL counted once, across the restart.
  EXPECT_EQ(field(done, "crawled") + field(done, "duplicates") +
                field(done, "failed"),
            static_cast<int64_t>(fetched.size()))
      << done.dump();
  EXPECT_EQ(settled_pages(done),
            static_cast<int64_t>(fetched.size() + plan.disallowed.size()))
      << done.dump();
  // The search works on what was indexed before and after the kill.
  auto found = search(node.port(), "quokka");
  EXPECT_EQ(result_links(found),
            std::vector<std::string>{site.url(site_c, "/a.html")})
      << found.body;
  stop_cleanly(node);
}

// -- refresh and the cache
// ------------------------------------------------------

/// Waits (at most `timeout`) until searching `query` answers `links`.
bool wait_for_links(uint16_t port, const std::string& query,
                    const std::vector<std::string>& links,
                    std::chrono::milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  while (steady::now() < deadline) {
    if (result_links(search(port, query)) == links)
      return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

/// Pages are fetched again once `refresh_after_s` old. A page that changed
/// drops the cached answers naming its old or new terms (a query cached
/// with no match finds it at once, not after the cache's TTL of 300 s); a
/// page fetched again unchanged leaves the cached answers of its terms
/// alone.
TEST(e2eCrawlerRefresh, ReindexingDropsTheCachedAnswersItChanges) {
  if (auto why = doc_site::unavailable(); !why.empty())
    GTEST_SKIP() << why;
  site_spec s;
  s.files["/index.html"] =
      page("Zoo", "A small zoo.", {"one.html", "two.html"});
  s.files["/one.html"] = page("Zebra", "The zebra grazes.", {});
  s.files["/two.html"] = page("Heron", "The heron fishes.", {});
  doc_site site{{s}};
  ASSERT_TRUE(site.error().empty()) << site.error();
  auto config = crawler_config();
  std::string slow = "refresh_after_s = 86400";
  config.replace(config.find(slow), slow.size(),
                 "refresh_after_s = 1\nrefresh_check_interval_ms = 100");
  // Cached answers a refresh changes are dropped at once and again after
  // 2 x search.timeout_ms + 1 s (docs/api.md).
  config += "timeout_ms = 1000\n";
  node_process node{config};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  auto r = post_seeds(node.port(), site, {site.url(0, "/index.html")}, {0}, 4);
  ASSERT_EQ(r.status, 202) << r.body;
  auto zebra = site.url(0, "/one.html");
  auto heron = site.url(0, "/two.html");
  ASSERT_TRUE(wait_for_links(node.port(), "zebra", {zebra}, 30s));
  ASSERT_TRUE(wait_for_links(node.port(), "heron", {heron}, 30s));
  // Cached: a miss for a word no page has yet, and the heron's answer.
  EXPECT_EQ(search(node.port(), "okapi").header("X-Cache"), "MISS");
  EXPECT_EQ(search(node.port(), "okapi").header("X-Cache"), "HIT");
  EXPECT_EQ(search(node.port(), "heron").header("X-Cache"), "HIT");

  // The zebra page turns into an okapi page; its refresh must drop the
  // cached answers of "okapi" (new term) and "zebra" (old term).
  ASSERT_TRUE(
      site.set_file(0, "/one.html", page("Okapi", "The okapi browses.", {})));
  EXPECT_TRUE(wait_for_links(node.port(), "okapi", {zebra}, 30s))
      << "the cached empty answer was not dropped";
  EXPECT_TRUE(wait_for_links(node.port(), "zebra", {}, 30s));

  // The heron page was fetched again meanwhile, unchanged: its answer is
  // still the cached one.
  auto fetched = site.fetches(0)["/two.html"];
  EXPECT_GE(fetched, 2) << "the heron page was not refreshed";
  auto again = search(node.port(), "heron");
  EXPECT_EQ(result_links(again), std::vector<std::string>{heron});
  EXPECT_EQ(again.header("X-Cache"), "HIT");
  stop_cleanly(node);
}

// -- limits, redirects, https
// ----------------------------------------------------

/// A chain of `n` pages on one site: /p0.html links /p1.html, and so on;
/// each also links `/elsewhere` on site 1 (when there is one).
site_spec chain_site(int n) {
  site_spec s;
  for (int i = 0; i < n; ++i)
    s.files["/p" + std::to_string(i) + ".html"] =
        page("Page " + std::to_string(i),
             "Link number " + std::to_string(i) + " of a chain of pages.",
             {"p" + std::to_string(i + 1) + ".html",
              "http://{SITE1}/elsewhere.html"});
  return s;
}

site_spec elsewhere_site() {
  site_spec s;
  s.files["/elsewhere.html"] = page("Elsewhere", "Another host.", {});
  return s;
}

/// A node for one test, started (check with ASSERT_TRUE(node.running())).
struct crawl_node {
  explicit crawl_node(std::string config = crawler_config())
      : node(std::move(config)) {
    node.start();
    ready = node.wait_ready();
  }
  ~crawl_node() {
    if (node.running())
      stop_cleanly(node);
  }
  node_process node;
  bool ready = false;
};

std::set<std::string> fetched_paths(const doc_site& site, size_t i) {
  std::set<std::string> out;
  for (auto& [path, n] : site.fetches(i))
    if (path != "/robots.txt")
      out.insert(path);
  return out;
}

/// max_depth stops at that many links from the seed; by default a crawl
/// stays on its seeds' hosts.
TEST(e2eCrawlerLimits, MaxDepthAndTheSeedsHostsByDefault) {
  if (auto why = doc_site::unavailable(); !why.empty())
    GTEST_SKIP() << why;
  doc_site site{{chain_site(10), elsewhere_site()}};
  ASSERT_TRUE(site.error().empty()) << site.error();
  crawl_node n;
  ASSERT_TRUE(n.ready);
  json body{{"urls", {site.url(0, "/p0.html")}}, {"max_depth", 3}};
  auto r = post_json(n.node.port(), seeds_path, body.dump());
  ASSERT_EQ(r.status, 202) << r.body;
  auto done = wait_crawl_done(n.node.port(), 30s);
  ASSERT_TRUE(done.is_object()) << tail_lines(n.node.log(), 40);
  EXPECT_EQ(
      fetched_paths(site, 0),
      (std::set<std::string>{"/p0.html", "/p1.html", "/p2.html", "/p3.html"}));
  EXPECT_TRUE(site.fetches(1).empty()) << "another host than the seed's";
  EXPECT_EQ(field(done, "crawled"), 4) << done.dump();
}

/// max_pages admits that many pages of a crawl; the rest are counted as
/// skipped_limit and never fetched. allowed_hosts ["*"] allows any host.
TEST(e2eCrawlerLimits, MaxPagesAndAnyHost) {
  if (auto why = doc_site::unavailable(); !why.empty())
    GTEST_SKIP() << why;
  doc_site site{{chain_site(10), elsewhere_site()}};
  ASSERT_TRUE(site.error().empty()) << site.error();
  crawl_node n;
  ASSERT_TRUE(n.ready);
  json body{{"urls", {site.url(0, "/p0.html")}},
            {"max_pages", 3},
            {"allowed_hosts", {"*"}}};
  auto r = post_json(n.node.port(), seeds_path, body.dump());
  ASSERT_EQ(r.status, 202) << r.body;
  auto done = wait_crawl_done(n.node.port(), 30s);
  ASSERT_TRUE(done.is_object()) << tail_lines(n.node.log(), 40);
  auto pages = fetched_paths(site, 0).size() + fetched_paths(site, 1).size();
  EXPECT_EQ(pages, 3u);
  EXPECT_EQ(field(done, "crawled"), 3) << done.dump();
  EXPECT_GE(field(done, "skipped_limit"), 1) << done.dump();
  EXPECT_EQ(fetched_paths(site, 1), std::set<std::string>{"/elsewhere.html"})
      << "p0's second link, to another host, is within the first 3";
}

/// A redirect on the same host is followed (the page's links resolve
/// against where it landed); one to another host is queued there as a link.
TEST(e2eCrawlerRedirects, SameHostFollowedOtherHostQueued) {
  if (auto why = doc_site::unavailable(); !why.empty())
    GTEST_SKIP() << why;
  site_spec a;
  a.files["/index.html"] =
      page("Index", "Start.", {"old/moved.html", "away.html"});
  a.redirects["/old/moved.html"] = "/new/landing.html";
  a.files["/new/landing.html"] =
      page("Landing", "The moved page.", {"sibling.html"});
  a.files["/new/sibling.html"] = page("Sibling", "A sibling page.", {});
  a.redirects["/away.html"] = "http://{SITE1}/elsewhere.html";
  a.files["/index.html"] =
      page("Index", "Start.", {"old/moved.html", "away.html", "loop1.html"});
  a.redirects["/loop1.html"] = "/loop2.html";
  a.redirects["/loop2.html"] = "/loop1.html";
  doc_site site{{a, elsewhere_site()}};
  ASSERT_TRUE(site.error().empty()) << site.error();
  crawl_node n;
  ASSERT_TRUE(n.ready);
  auto r =
      post_seeds(n.node.port(), site, {site.url(0, "/index.html")}, {0, 1}, 5);
  ASSERT_EQ(r.status, 202) << r.body;
  auto done = wait_crawl_done(n.node.port(), 30s);
  ASSERT_TRUE(done.is_object()) << tail_lines(n.node.log(), 40);
  auto a_fetches = site.fetches(0);
  EXPECT_EQ(a_fetches["/new/landing.html"], 1);
  EXPECT_EQ(a_fetches["/new/sibling.html"], 1)
      << "links of a redirected page resolve against where it landed";
  EXPECT_EQ(site.fetches(1)["/elsewhere.html"], 1);
  EXPECT_EQ(field(done["failed_by_reason"], "redirect_elsewhere"), 1)
      << done.dump();
  // A loop is given up after crawler.max_redirects (5) hops: 6 requests.
  EXPECT_EQ(field(done["failed_by_reason"], "too_many_redirects"), 1)
      << done.dump();
  EXPECT_EQ(a_fetches["/loop1.html"] + a_fetches["/loop2.html"], 6);
  // Indexed under the URL that was queued (which redirects there).
  auto found = search(n.node.port(), "landing");
  EXPECT_EQ(result_links(found),
            std::vector<std::string>{site.url(0, "/old/moved.html")})
      << found.body;
}

/// A page over `crawler.max_page_bytes` fails as too_large and is not
/// indexed; a host's fetches are `per_host_delay_ms` apart (robots.txt
/// and four pages: at least four gaps).
TEST(e2eCrawlerLimits, PageSizeLimitAndPerHostDelay) {
  if (auto why = doc_site::unavailable(); !why.empty())
    GTEST_SKIP() << why;
  auto s = chain_site(3);
  s.files["/p3.html"] = page("Big", "Zebu " + std::string(8000, 'x'), {});
  doc_site site{{s}};
  ASSERT_TRUE(site.error().empty()) << site.error();
  auto config = crawler_config(200);
  config.insert(config.find("[search]"), "max_page_bytes = 4096\n");
  crawl_node n{config};
  ASSERT_TRUE(n.ready);
  auto start = steady::now();
  auto r = post_seeds(n.node.port(), site, {site.url(0, "/p0.html")}, {0}, 5);
  ASSERT_EQ(r.status, 202) << r.body;
  auto done = wait_crawl_done(n.node.port(), 30s);
  ASSERT_TRUE(done.is_object()) << tail_lines(n.node.log(), 40);
  EXPECT_GE(steady::now() - start, 800ms);
  EXPECT_EQ(field(done, "crawled"), 3) << done.dump();
  EXPECT_EQ(field(done["failed_by_reason"], "too_large"), 1) << done.dump();
  EXPECT_TRUE(result_links(search(n.node.port(), "zebu")).empty());
}

/// https hosts are crawled with the CA of `[crawler] ca_file`; without it
/// their certificate is not trusted and the pages fail as tls_failed.
TEST(e2eCrawlerHttps, CrawlsWithTheConfiguredCa) {
  if (auto why = doc_site::unavailable(); !why.empty())
    GTEST_SKIP() << why;
  site_spec s;
  s.tls = true;
  s.files["/index.html"] = page("Secure", "Pangolin over TLS.", {"b.html"});
  s.files["/b.html"] = page("Second", "Armadillo over TLS.", {});
  doc_site site{{s}};
  ASSERT_TRUE(site.error().empty()) << site.error();
  {
    // robots.txt is unreachable without the CA: asked 3 times, 50 ms apart.
    auto config = crawler_config();
    config.insert(config.find("[search]"), "robots_retry_ms = 50\n");
    crawl_node untrusting{config};
    ASSERT_TRUE(untrusting.ready);
    auto r = post_seeds(untrusting.node.port(), site,
                        {site.url(0, "/index.html")}, {0}, 5);
    ASSERT_EQ(r.status, 202) << r.body;
    auto done = wait_crawl_done(untrusting.node.port(), 30s, false);
    EXPECT_EQ(field(done, "crawled"), 0) << done.dump();
    EXPECT_EQ(field(done["failed_by_reason"], "robots_unreachable"), 1)
        << done.dump();
    EXPECT_TRUE(site.fetches(0).empty()) << "no TLS handshake completed";
  }
  auto config = crawler_config();
  config.insert(config.find("[search]"),
                "ca_file = \"" + site.ca_file() + "\"\n");
  crawl_node n{config};
  ASSERT_TRUE(n.ready);
  auto r =
      post_seeds(n.node.port(), site, {site.url(0, "/index.html")}, {0}, 5);
  ASSERT_EQ(r.status, 202) << r.body;
  auto done = wait_crawl_done(n.node.port(), 30s);
  ASSERT_TRUE(done.is_object()) << tail_lines(n.node.log(), 40);
  EXPECT_EQ(field(done, "crawled"), 2) << done.dump();
  EXPECT_EQ(result_links(search(n.node.port(), "armadillo")),
            std::vector<std::string>{site.url(0, "/b.html")});
}

// -- the fixture alone
// -------------------------------------------------------------

/// The doc site itself (no node): pages, generated files, robots, logs.
TEST(e2eCrawlerDocSite, ServesAndLogs) {
  if (auto why = doc_site::unavailable(); !why.empty())
    GTEST_SKIP() << why;
  doc_site site{test_sites()};
  ASSERT_TRUE(site.error().empty()) << site.error();
  auto page = request(site.port(site_a), "GET", "/sql-select.html");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html");
  EXPECT_EQ(page.body, site.body(site_a, "/sql-select.html").value_or("-"));
  auto copy = request(site.port(site_a), "GET", "/copy-of-sql-select.html");
  EXPECT_EQ(copy.body, page.body);
  auto robots = request(site.port(site_a), "GET", "/robots.txt");
  EXPECT_EQ(robots.status, 200);
  EXPECT_EQ(robots.body, "User-agent: *\nDisallow: /app-\n");
  EXPECT_EQ(request(site.port(site_b), "GET", "/robots.txt").status, 404);
  auto start = request(site.port(site_a), "GET", "/start.html");
  EXPECT_NE(start.body.find("http://" + site.authority(site_c) + "/index.html"),
            std::string::npos)
      << start.body;
  EXPECT_EQ(request(site.port(site_c), "GET", "/a.html").status, 200);
  EXPECT_EQ(request(site.port(site_c), "GET", "/sql-select.html").status, 404);
  EXPECT_EQ(
      request(site.port(site_c), "GET", "/notes.txt").header("content-type"),
      "text/plain");
  request(site.port(site_a), "GET", "/sql-select.html");
  // nginx logs a request just after it answered it.
  std::this_thread::sleep_for(200ms);
  auto a = site.fetches(site_a);
  EXPECT_EQ(a["/sql-select.html"], 2);
  EXPECT_EQ(a["/robots.txt"], 1);
  EXPECT_EQ(site.fetches(site_c)["/sql-select.html"], 1);
  EXPECT_EQ(site.total_fetches(), 9u);

  auto plan = site.plan({site.url(site_a, "/start.html")},
                        {site_a, site_b, site_c}, 64);
  EXPECT_EQ(plan.fetched.count(site_path{site_c, "/missing.html"}), 1u);
  EXPECT_EQ(plan.fetched.count(site_path{site_c, "/b.html?page=b"}), 1u);
  EXPECT_EQ(plan.disallowed.count(site_path{site_c, "/private/secret.html"}),
            1u);
  EXPECT_EQ(plan.disallowed.count(site_path{site_a, "/app-pgdump.html"}), 1u);
  EXPECT_EQ(plan.fetched.count(site_path{site_b, "/app-pgdump.html"}), 1u);
  EXPECT_EQ(plan.fetched.at(site_path{site_a, "/start.html"}), 0);
  EXPECT_EQ(plan.fetched.at(site_path{site_a, "/sql-select.html"}), 1);
  EXPECT_EQ(plan.fetched.at(site_path{site_c, "/a.html"}), 2);
  // A small depth stops the walk.
  auto shallow = site.plan({site.url(site_c, "/index.html")}, {site_c}, 1);
  EXPECT_EQ(shallow.fetched.size(), 5u); // index, a, b, missing, notes
  // b.html?page=b and /private/secret.html (beyond the depth before
  // robots.txt is asked).
  EXPECT_EQ(shallow.beyond_depth.size(), 2u);
  EXPECT_EQ(shallow.disallowed.size(), 0u);
  site.stop();
  EXPECT_TRUE(site.fetches(site_a).empty());
}

} // namespace
