// The crawler and search on a cluster of three: a crawl seeded through one
// node fetches every reachable page of two hosts exactly once (each host's
// frontier shard lives on one node, whichever that is), the status through
// every node sums the whole cluster, and searches through every node give
// the same answers, the first computed and cached, the others cache hits.
//
// The cluster harness has no [crawler] settings: the test appends its own
// (no politeness delay) to each node's config before the nodes start.
#include "cluster.hpp"

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "doc_site.hpp"

using namespace troupe_cluster;
using namespace std::chrono_literals;
using troupe_e2e::doc_site;
using troupe_e2e::site_path;
using troupe_e2e::site_spec;

namespace {

// A search timeout of 1 s: cached answers touched by the last pages
// indexed are dropped a second time 2 x 1 s + 1 s later (docs/api.md).
const char* crawler_section = "\n[crawler]\n"
                              "per_host_delay_ms = 0\n"
                              "max_pages = 100000\n"
                              "\n[search]\n"
                              "timeout_ms = 1000\n";
constexpr auto redrop_after = std::chrono::milliseconds(2 * 1000 + 1000);

/// A small page with a title, a paragraph and links.
std::string page(const std::string& title, const std::string& text,
                 const std::vector<std::string>& hrefs) {
  std::string html = "<html><head><title>" + title +
                     "</title></head><body><p>" + text + "</p>";
  for (const auto& href : hrefs)
    html += "<a href=\"" + href + "\">" + href + "</a> ";
  return html + "</body></html>";
}

/// Site 0: the documentation with a start page linking to site 1, whose
/// three pages are about words the documentation never uses.
std::vector<site_spec> sites() {
  site_spec docs;
  docs.doc = true;
  docs.files["/start.html"] =
      page("Start", "The documentation and a small almanac elsewhere.",
           {"index.html", "http://{SITE1}/index.html"});
  site_spec almanac;
  almanac.files["/index.html"] =
      page("Field almanac", "Observations of small marsupials in the hills.",
           {"quokka.html", "wombat.html"});
  almanac.files["/quokka.html"] = page(
      "Quokka habits", "The quokka forages at night on grasses near water.",
      {"index.html", "wombat.html"});
  almanac.files["/wombat.html"] =
      page("Wombat burrows", "A wombat digs long tunnels with strong claws.",
           {"index.html", "quokka.html"});
  return {docs, almanac};
}

json status_via(uint16_t port) {
  auto r = send(port, "GET", "/crawler/api/v1/status");
  if (r.status != 200)
    return json{};
  try {
    return json::parse(r.body);
  } catch (const json::exception&) {
    return json{};
  }
}

bool crawl_done(const json& s) {
  return s.is_object() && s.value("queued", -1) == 0 &&
         s.value("in_flight", -1) == 0 && s.value("crawled", 0) > 0 &&
         !s.value("partial", true);
}

std::vector<std::string> links_of(const http_response& r) {
  std::vector<std::string> out;
  try {
    for (const auto& hit : json::parse(r.body))
      out.push_back(hit.at("link").get<std::string>());
  } catch (const json::exception&) {
  }
  return out;
}

class clusterCrawler : public ::testing::Test {
protected:
  void SetUp() override {
    if (auto why = doc_site::unavailable(); !why.empty())
      GTEST_SKIP() << why;
    cluster_ = std::make_unique<cluster>();
    for (size_t i = 0; i < c().size(); ++i) {
      const auto& path = c().node(i).config_path();
      auto text = troupe_e2e::read_file(path);
      ASSERT_EQ(text.find("[crawler]"), std::string::npos);
      ASSERT_EQ(text.find("[search]"), std::string::npos);
      troupe_e2e::write_file(path, text + crawler_section);
    }
    ASSERT_TRUE(c().start()) << "cluster did not form";
  }

  void TearDown() override {
    if (HasFailure() && cluster_)
      std::cerr << cluster_->logs();
  }

  cluster& c() { return *cluster_; }

  std::unique_ptr<cluster> cluster_;
};

TEST_F(clusterCrawler, CrawlThroughOneNodeSearchThroughEvery) {
  doc_site site{sites()};
  ASSERT_TRUE(site.error().empty()) << site.error();
  auto seed = site.url(0, "/start.html");
  json body = {{"urls", {seed}},
               {"allowed_hosts", {site.authority(0), site.authority(1)}}};
  auto r = send(c().port(0), "POST", "/crawler/api/v1/seeds", body.dump());
  ASSERT_EQ(r.status, 202) << r.body;

  json last;
  ASSERT_TRUE(eventually(
      [&] {
        last = status_via(c().port(1));
        return crawl_done(last);
      },
      120s))
      << "crawl not done: " << last.dump();

  // Every reachable page was requested exactly once, whichever node's
  // frontier shard owned its host.
  auto plan = site.plan({seed}, {0, 1}, 64);
  ASSERT_GT(plan.fetched.size(), 1000u);
  size_t fetched = 0;
  for (size_t s = 0; s < site.size(); ++s) {
    for (const auto& [path, n] : site.fetches(s)) {
      if (path == "/robots.txt")
        continue;
      EXPECT_EQ(n, 1) << "site " << s << " " << path;
      ++fetched;
    }
  }
  EXPECT_EQ(fetched, plan.fetched.size());

  // Every node reports the same cluster-wide figures.
  for (size_t i = 0; i < c().size(); ++i) {
    auto s = status_via(c().port(i));
    EXPECT_EQ(s.value("crawled", -1), last.value("crawled", -2)) << i;
    EXPECT_EQ(s.value("indexed", -1), last.value("indexed", -2)) << i;
  }

  // The same answers through every node; the first computes and caches.
  // Wait until the last indexed pages dropped their cached answers a second
  // time: such a drop between two of these searches would turn a HIT into
  // a MISS.
  std::this_thread::sleep_for(redrop_after);
  for (const auto& [query, expected] :
       std::vector<std::pair<std::string, std::string>>{
           {"quokka", site.url(1, "/quokka.html")},
           {"wombat+claws", site.url(1, "/wombat.html")},
           {"marsupials", site.url(1, "/index.html")}}) {
    std::vector<std::string> first;
    for (size_t i = 0; i < c().size(); ++i) {
      auto res =
          send(c().port(i), "GET", "/search/api/v1/search?query=" + query);
      ASSERT_EQ(res.status, 200) << res.body;
      auto links = links_of(res);
      ASSERT_FALSE(links.empty()) << query << " via " << i;
      EXPECT_EQ(links.front(), expected) << query << " via " << i;
      EXPECT_EQ(res.header("X-Cache"), i == 0 ? "MISS" : "HIT")
          << query << " via " << i;
      if (i == 0)
        first = links;
      else
        EXPECT_EQ(links, first) << query << " via " << i;
    }
  }
}

} // namespace
