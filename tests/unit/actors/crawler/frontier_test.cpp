// The crawler frontier: robots.txt before pages, robots verdicts and
// failures, politeness (connections, delays, Crawl-delay), priority,
// fairness across hosts, cycles and refresh, recovery, wake-up times; then
// a seeded random run checked step by step against a simple model, ending
// with a drain that proves nothing gets stuck.

#include "troupe/crawler/frontier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

using troupe::crawler::crawl_counts;
using troupe::crawler::fetch_task;
using troupe::crawler::frontier;
using troupe::crawler::is_done;
using troupe::crawler::url_key;
using troupe::crawler::url_of_key;
using troupe::crawler::url_record;
using troupe::crawler::url_state;

namespace {

using result = frontier::enqueue_result;

/// Settings with no delays (tests change what they need).
frontier::settings fast() {
  frontier::settings s;
  s.per_host_delay_ms = 0;
  s.refresh_after_ms = 100000;
  s.robots_ttl_ms = 50000;
  s.robots_retry_ms = 1000;
  s.robots_attempts = 3;
  return s;
}

/// The URLs of `tasks`, in order.
std::vector<std::string> urls_of(const std::vector<fetch_task>& tasks) {
  std::vector<std::string> out;
  for (auto& t : tasks)
    out.push_back(t.url);
  return out;
}

/// The state of `url` in `f` (fails the test when unknown).
url_state state_of(const frontier& f, const std::string& url) {
  auto* rec = f.find(url);
  EXPECT_NE(rec, nullptr) << url;
  return rec == nullptr ? url_state::queued
                        : static_cast<url_state>(rec->state);
}

/// Takes the robots.txt fetch of the (single) waiting host and answers it.
void answer_robots(frontier& f, const std::string& host, unsigned status,
                   const std::string& body, int64_t now) {
  auto r = f.take_ready(now, 100);
  ASSERT_EQ(r.fetch.size(), 1u);
  ASSERT_TRUE(r.fetch[0].robots);
  ASSERT_EQ(r.fetch[0].host, host);
  f.robots_fetched(host, status, body, now);
}

} // namespace

TEST(CrawlerFrontier, KeysRoundTrip) {
  EXPECT_EQ(url_key("http://a/x"), "uhttp://a/x");
  EXPECT_EQ(url_of_key("uhttp://a/x"), "http://a/x");
  EXPECT_EQ(url_of_key("dup/1"), std::nullopt);
  EXPECT_EQ(url_of_key(""), std::nullopt);
}

TEST(CrawlerFrontier, RobotsFirstThenPages) {
  frontier f{fast()};
  EXPECT_EQ(f.enqueue("http://a.com/1", "c", 0, 0, 0), result::added);
  EXPECT_EQ(f.enqueue("http://a.com/2", "c", 0, 0, 0), result::added);
  auto r = f.take_ready(0, 10);
  ASSERT_EQ(r.fetch.size(), 1u);
  EXPECT_TRUE(r.fetch[0].robots);
  EXPECT_EQ(r.fetch[0].url, "http://a.com/robots.txt");
  EXPECT_EQ(r.fetch[0].host, "a.com");
  // Pages wait while robots.txt is in flight.
  EXPECT_TRUE(f.take_ready(1, 10).fetch.empty());
  EXPECT_EQ(f.next_wakeup(1), std::nullopt);
  f.robots_fetched("a.com", 200, "User-agent: *\nDisallow:\n", 5);
  r = f.take_ready(5, 10);
  EXPECT_EQ(urls_of(r.fetch), std::vector<std::string>{"http://a.com/1"});
  EXPECT_FALSE(r.fetch[0].robots);
  EXPECT_EQ(state_of(f, "http://a.com/1"), url_state::fetching);
  EXPECT_EQ(f.find("http://a.com/1")->at_ms, 5);
  EXPECT_TRUE(f.finish("http://a.com/1", url_state::crawled, "", 7));
  EXPECT_EQ(urls_of(f.take_ready(7, 10).fetch),
            std::vector<std::string>{"http://a.com/2"});
}

TEST(CrawlerFrontier, RobotsUrlKeepsSchemeAndPort) {
  frontier f{fast()};
  f.enqueue("https://b.org:8443/x", "c", 0, 0, 0);
  auto r = f.take_ready(0, 10);
  ASSERT_EQ(r.fetch.size(), 1u);
  EXPECT_EQ(r.fetch[0].url, "https://b.org:8443/robots.txt");
  EXPECT_EQ(r.fetch[0].host, "b.org:8443");
}

TEST(CrawlerFrontier, DisallowedPageFinishesAsRobots) {
  frontier f{fast()};
  f.enqueue("http://a.com/private/x", "c", 0, 0, 0);
  f.enqueue("http://a.com/private/y?q=1", "c", 0, 1, 0);
  f.enqueue("http://a.com/ok?private", "c", 0, 2, 0);
  answer_robots(f, "a.com", 200, "User-agent: troupe\nDisallow: /private\n", 0);
  auto r = f.take_ready(1, 10);
  EXPECT_EQ(urls_of(r.fetch),
            std::vector<std::string>{"http://a.com/ok?private"});
  EXPECT_EQ(r.finished,
            (std::vector<std::string>{"http://a.com/private/x",
                                      "http://a.com/private/y?q=1"}));
  EXPECT_EQ(state_of(f, "http://a.com/private/x"), url_state::robots);
  EXPECT_EQ(f.find("http://a.com/private/x")->at_ms, 1);
  auto c = f.counts();
  EXPECT_EQ(c.skipped_robots, 2u);
  EXPECT_EQ(c.in_flight, 1u);
  EXPECT_EQ(c.queued, 0u);
}

TEST(CrawlerFrontier, Robots4xxAllowsAll) {
  frontier f{fast()};
  f.enqueue("http://a.com/private", "c", 0, 0, 0);
  answer_robots(f, "a.com", 404, "User-agent: *\nDisallow: /\n", 0);
  EXPECT_EQ(urls_of(f.take_ready(0, 10).fetch),
            std::vector<std::string>{"http://a.com/private"});
}

TEST(CrawlerFrontier, UnreachableRobotsRetriesThenFailsPages) {
  frontier f{fast()}; // retry 1000 ms, 3 attempts
  f.enqueue("http://a.com/1", "c", 0, 0, 0);
  f.enqueue("http://a.com/2", "c", 0, 0, 0);
  answer_robots(f, "a.com", 0, "", 10);
  EXPECT_TRUE(f.take_ready(10, 10).fetch.empty());
  EXPECT_EQ(f.next_wakeup(10), 1010);
  EXPECT_TRUE(f.take_ready(1009, 10).fetch.empty());
  answer_robots(f, "a.com", 503, "", 1010);
  EXPECT_EQ(f.next_wakeup(1010), 2010);
  EXPECT_EQ(f.counts().queued, 2u);
  answer_robots(f, "a.com", 500, "", 2010);
  // Third unreachable answer in a row: the queued pages fail.
  EXPECT_EQ(f.next_wakeup(2010), std::nullopt);
  auto r = f.take_ready(2010, 10);
  EXPECT_TRUE(r.fetch.empty());
  EXPECT_EQ(r.finished,
            (std::vector<std::string>{"http://a.com/1", "http://a.com/2"}));
  EXPECT_EQ(f.find("http://a.com/1")->reason, "robots_unreachable");
  auto c = f.counts();
  EXPECT_EQ(c.failed, 2u);
  EXPECT_EQ(c.failed_by_reason.at("robots_unreachable"), 2u);
  // Pages queued while given up fail too, without a fetch.
  f.enqueue("http://a.com/3", "c", 0, 0, 2500);
  r = f.take_ready(2500, 10);
  EXPECT_TRUE(r.fetch.empty());
  EXPECT_EQ(r.finished, std::vector<std::string>{"http://a.com/3"});
  // After the retry time one more attempt; success resets everything.
  f.enqueue("http://a.com/4", "c", 0, 0, 3010);
  answer_robots(f, "a.com", 200, "", 3010);
  EXPECT_EQ(urls_of(f.take_ready(3010, 10).fetch),
            std::vector<std::string>{"http://a.com/4"});
}

TEST(CrawlerFrontier, RobotsRefetchedAfterTtl) {
  frontier f{fast()}; // ttl 50000
  f.enqueue("http://a.com/1", "c", 0, 0, 0);
  answer_robots(f, "a.com", 200, "", 0);
  f.take_ready(0, 10);
  f.finish("http://a.com/1", url_state::crawled, "", 10);
  f.enqueue("http://a.com/2", "c", 0, 0, 60000);
  auto r = f.take_ready(60000, 10);
  ASSERT_EQ(r.fetch.size(), 1u);
  EXPECT_TRUE(r.fetch[0].robots);
  f.robots_fetched("a.com", 200, "User-agent: *\nDisallow: /2\n", 60001);
  r = f.take_ready(60001, 10);
  EXPECT_EQ(r.finished, std::vector<std::string>{"http://a.com/2"});
}

TEST(CrawlerFrontier, CrawlDelayHonoredAndCapped) {
  auto s = fast();
  s.per_host_delay_ms = 500;
  s.max_crawl_delay_ms = 5000;
  frontier f{s};
  for (auto p : {"/1", "/2", "/3"})
    f.enqueue(std::string{"http://a.com"} + p, "c", 0, 0, 0);
  answer_robots(f, "a.com", 200, "User-agent: *\nCrawl-delay: 2\n", 0);
  // The gap after robots.txt already uses the new Crawl-delay.
  EXPECT_TRUE(f.take_ready(1999, 10).fetch.empty());
  EXPECT_EQ(f.next_wakeup(1999), 2000);
  EXPECT_EQ(f.take_ready(2000, 10).fetch.size(), 1u);
  f.finish("http://a.com/1", url_state::crawled, "", 2100);
  EXPECT_EQ(f.next_wakeup(2100), 4100);
  EXPECT_TRUE(f.take_ready(2100, 10).fetch.empty());
  EXPECT_TRUE(f.take_ready(4099, 10).fetch.empty());
  EXPECT_EQ(f.take_ready(4100, 10).fetch.size(), 1u);

  frontier g{s};
  g.enqueue("http://b.com/1", "c", 0, 0, 0);
  g.enqueue("http://b.com/2", "c", 0, 0, 0);
  answer_robots(g, "b.com", 200, "User-agent: *\nCrawl-delay: 1000\n", 0);
  g.take_ready(0, 10);
  EXPECT_EQ(g.next_wakeup(0), 5000); // capped
}

TEST(CrawlerFrontier, PerHostConnections) {
  for (size_t conns : {size_t{1}, size_t{2}}) {
    auto s = fast();
    s.per_host_connections = conns;
    frontier f{s};
    for (int i = 0; i < 5; ++i)
      f.enqueue("http://a.com/" + std::to_string(i), "c", 0, 0, 0);
    answer_robots(f, "a.com", 200, "", 0);
    auto r = f.take_ready(0, 10);
    EXPECT_EQ(r.fetch.size(), conns);
    EXPECT_TRUE(f.take_ready(0, 10).fetch.empty());
    EXPECT_EQ(f.counts().in_flight, conns);
    f.finish(r.fetch[0].url, url_state::crawled, "", 1);
    auto next = f.take_ready(1, 10);
    ASSERT_EQ(next.fetch.size(), 1u);
    EXPECT_EQ(next.fetch[0].url, "http://a.com/" + std::to_string(conns));
    // A requeued page frees its slot and comes back first.
    EXPECT_TRUE(f.requeue(next.fetch[0].url));
    r = f.take_ready(1, 10);
    ASSERT_EQ(r.fetch.size(), 1u);
    EXPECT_EQ(r.fetch[0].url, next.fetch[0].url);
  }
}

TEST(CrawlerFrontier, RobotsFetchUsesASlot) {
  auto s = fast();
  s.per_host_connections = 2;
  s.robots_ttl_ms = 1000;
  frontier f{s};
  f.enqueue("http://a.com/1", "c", 0, 0, 0);
  f.enqueue("http://a.com/2", "c", 0, 0, 0);
  f.enqueue("http://a.com/3", "c", 0, 0, 0);
  answer_robots(f, "a.com", 200, "", 0);
  EXPECT_EQ(f.take_ready(0, 1).fetch.size(), 1u);
  // Stale at 1000: robots.txt takes the second slot, pages wait.
  auto r = f.take_ready(1000, 10);
  ASSERT_EQ(r.fetch.size(), 1u);
  EXPECT_TRUE(r.fetch[0].robots);
  EXPECT_TRUE(f.take_ready(1000, 10).fetch.empty());
  f.robots_fetched("a.com", 200, "", 1001);
  EXPECT_EQ(f.take_ready(1001, 10).fetch.size(), 1u);
}

TEST(CrawlerFrontier, PerHostDelay) {
  auto s = fast();
  s.per_host_delay_ms = 1000;
  frontier f{s};
  f.enqueue("http://a.com/1", "c", 0, 0, 0);
  f.enqueue("http://a.com/2", "c", 0, 0, 0);
  answer_robots(f, "a.com", 200, "", 0);
  EXPECT_TRUE(f.take_ready(999, 10).fetch.empty());
  EXPECT_EQ(f.take_ready(1000, 10).fetch.size(), 1u);
  f.finish("http://a.com/1", url_state::failed, "timeout", 1500);
  EXPECT_TRUE(f.take_ready(2499, 10).fetch.empty());
  EXPECT_EQ(f.next_wakeup(2499), 2500);
  EXPECT_EQ(urls_of(f.take_ready(2500, 10).fetch),
            std::vector<std::string>{"http://a.com/2"});
  // A requeue frees the slot without a delay.
  f.requeue("http://a.com/2");
  EXPECT_EQ(f.take_ready(2500, 10).fetch.size(), 1u);
}

TEST(CrawlerFrontier, ReleaseFreesTheSlotWhileThePageIsProcessed) {
  auto s = fast();
  s.per_host_delay_ms = 100;
  frontier f{s};
  f.enqueue("http://a.com/1", "c", 0, 0, 0);
  f.enqueue("http://a.com/2", "c", 0, 0, 0);
  answer_robots(f, "a.com", 200, "", 0);
  ASSERT_EQ(urls_of(f.take_ready(100, 10).fetch),
            std::vector<std::string>{"http://a.com/1"});
  EXPECT_TRUE(f.release("http://a.com/1", 150));
  EXPECT_FALSE(f.release("http://a.com/1", 150)) << "holds no slot any more";
  // The next page waits only for the gap, not for the first to finish.
  EXPECT_TRUE(f.take_ready(249, 10).fetch.empty());
  EXPECT_EQ(urls_of(f.take_ready(250, 10).fetch),
            std::vector<std::string>{"http://a.com/2"});
  // Both count as in flight until finished; finishing a released page
  // moves no start time.
  EXPECT_EQ(f.counts().in_flight, 2u);
  EXPECT_TRUE(f.finish("http://a.com/1", url_state::crawled, "", 900));
  EXPECT_EQ(state_of(f, "http://a.com/1"), url_state::crawled);
  EXPECT_EQ(f.counts().in_flight, 1u);
  EXPECT_EQ(f.counts().crawled, 1u);
  // A released page can also go back to the queue.
  EXPECT_TRUE(f.release("http://a.com/2", 300));
  EXPECT_TRUE(f.requeue("http://a.com/2"));
  EXPECT_EQ(state_of(f, "http://a.com/2"), url_state::queued);
  EXPECT_EQ(urls_of(f.take_ready(400, 10).fetch),
            std::vector<std::string>{"http://a.com/2"});
}

TEST(CrawlerFrontier, PriorityByDepthThenOrderThenArrival) {
  auto s = fast();
  s.per_host_connections = 10;
  frontier f{s};
  f.enqueue("http://a.com/d2o0", "c", 2, 0, 0);
  f.enqueue("http://a.com/d1o5", "c", 1, 5, 0);
  f.enqueue("http://a.com/d1o3b", "c", 1, 3, 0);
  f.enqueue("http://a.com/d1o3a", "c", 1, 3, 0);
  f.enqueue("http://a.com/d0o9", "c", 0, 9, 0);
  answer_robots(f, "a.com", 200, "", 0);
  EXPECT_EQ(urls_of(f.take_ready(0, 10).fetch),
            (std::vector<std::string>{"http://a.com/d0o9", "http://a.com/d1o3b",
                                      "http://a.com/d1o3a", "http://a.com/d1o5",
                                      "http://a.com/d2o0"}));
}

TEST(CrawlerFrontier, EnqueueTwiceIsKnown) {
  frontier f{fast()};
  EXPECT_EQ(f.enqueue("http://a.com/", "c", 0, 0, 0), result::added);
  EXPECT_EQ(f.enqueue("http://a.com/", "d", 1, 0, 1), result::known);
  EXPECT_EQ(f.find("http://a.com/")->crawl, "c");
  answer_robots(f, "a.com", 200, "", 0);
  f.take_ready(0, 10);
  EXPECT_EQ(f.enqueue("http://a.com/", "c", 1, 0, 1), result::known);
  f.finish("http://a.com/", url_state::crawled, "", 2);
  EXPECT_EQ(f.enqueue("http://a.com/", "c", 1, 0, 3), result::known);
  EXPECT_EQ(f.enqueue("not a url", "c", 0, 0, 3), result::known);
  EXPECT_EQ(f.size(), 1u);
  auto c = f.counts();
  EXPECT_EQ(c.crawled, 1u);
  EXPECT_EQ(c.queued, 0u);
  EXPECT_EQ(c.hosts, 1u);
}

TEST(CrawlerFrontier, RefreshAfterRefreshAfter) {
  frontier f{fast()}; // refresh after 100000
  f.enqueue("http://a.com/1", "c", 0, 0, 0);
  f.enqueue("http://a.com/2", "c", 0, 0, 0);
  answer_robots(f, "a.com", 200, "", 0);
  f.take_ready(0, 10);
  f.finish("http://a.com/1", url_state::failed, "http_500", 10);
  f.take_ready(10, 10);
  f.finish("http://a.com/2", url_state::crawled, "", 20);
  EXPECT_EQ(f.enqueue("http://a.com/1", "d", 3, 4, 100009), result::known);
  EXPECT_EQ(f.enqueue("http://a.com/1", "d", 3, 4, 100010), result::refreshed);
  auto* rec = f.find("http://a.com/1");
  EXPECT_EQ(rec->state, static_cast<uint8_t>(url_state::queued));
  EXPECT_EQ(rec->crawl, "d");
  EXPECT_EQ(rec->depth, 3u);
  EXPECT_EQ(rec->order, 4u);
  EXPECT_EQ(rec->at_ms, 100010);
  EXPECT_TRUE(rec->reason.empty());
  EXPECT_TRUE(f.counts().failed_by_reason.empty());
  // due_refresh: oldest first, at most max.
  EXPECT_TRUE(f.due_refresh(100019, 10).empty());
  EXPECT_EQ(f.due_refresh(100020, 10),
            std::vector<std::string>{"http://a.com/2"});
  EXPECT_EQ(state_of(f, "http://a.com/2"), url_state::queued);
  EXPECT_EQ(f.find("http://a.com/2")->crawl, "c");
  EXPECT_EQ(f.counts().queued, 2u);
  // Robots is stale by now: refetched first, then both pages.
  auto r = f.take_ready(100020, 10);
  ASSERT_EQ(r.fetch.size(), 1u);
  EXPECT_TRUE(r.fetch[0].robots);
}

TEST(CrawlerFrontier, SkipRecordsWithoutFetching) {
  frontier f{fast()};
  EXPECT_TRUE(f.skip("http://a.com/1", "c", 2, 1, url_state::limit, 5));
  EXPECT_EQ(state_of(f, "http://a.com/1"), url_state::limit);
  EXPECT_FALSE(f.skip("http://a.com/1", "c", 2, 1, url_state::limit, 6));
  EXPECT_EQ(f.enqueue("http://a.com/1", "c", 0, 0, 7), result::known);
  EXPECT_FALSE(f.skip("http://a.com/2", "c", 0, 0, url_state::queued, 7));
  EXPECT_EQ(f.counts().skipped_limit, 1u);
  EXPECT_TRUE(f.take_ready(7, 10).fetch.empty());
  EXPECT_EQ(f.enqueue("http://a.com/1", "c", 0, 0, 100005), result::refreshed);
}

TEST(CrawlerFrontier, RestoreAndRecovering) {
  frontier f{fast()};
  f.restore("http://a.com/q", url_record{0, "c", 1, 0, 5, ""});
  f.restore("http://a.com/f1", url_record{1, "c", 0, 0, 6, ""});
  f.restore("http://b.com/f2", url_record{1, "c", 0, 0, 6, ""});
  f.restore("http://a.com/done", url_record{3, "c", 0, 0, 7, "timeout"});
  f.restore("http://a.com/odd", url_record{42, "c", 0, 0, 7, "x"});
  f.restore("bad url", url_record{0, "c", 0, 0, 7, ""});
  EXPECT_EQ(f.size(), 5u);
  EXPECT_EQ(f.recovering(),
            (std::vector<std::string>{"http://a.com/f1", "http://b.com/f2"}));
  auto c = f.counts();
  EXPECT_EQ(c.queued, 2u);
  EXPECT_EQ(c.in_flight, 2u);
  EXPECT_EQ(c.failed_by_reason.at("timeout"), 1u);
  EXPECT_EQ(c.hosts, 2u);
  // Recovering URLs take no slot: a.com's robots.txt starts.
  auto r = f.take_ready(10, 10);
  ASSERT_EQ(r.fetch.size(), 1u);
  EXPECT_EQ(r.fetch[0].host, "a.com");
  EXPECT_TRUE(f.requeue("http://a.com/f1"));
  EXPECT_TRUE(f.finish("http://b.com/f2", url_state::failed, "timeout", 11));
  EXPECT_TRUE(f.recovering().empty());
  EXPECT_FALSE(f.finish("http://b.com/f2", url_state::crawled, "", 12));
  EXPECT_FALSE(f.requeue("http://a.com/q"));
  f.robots_fetched("a.com", 200, "", 12);
  auto urls = urls_of(f.take_ready(12, 1).fetch);
  EXPECT_EQ(urls, std::vector<std::string>{"http://a.com/f1"});
  // Restoring over a known URL replaces it.
  f.restore("http://a.com/q", url_record{2, "c", 1, 0, 13, ""});
  c = f.counts();
  EXPECT_EQ(c.queued, 1u); // odd
  EXPECT_EQ(c.crawled, 1u);
  EXPECT_EQ(c.failed, 2u);
}

TEST(CrawlerFrontier, FairAcrossHostsWithSmallMax) {
  auto s = fast();
  s.per_host_connections = 100;
  frontier f{s};
  for (int i = 0; i < 50; ++i)
    f.enqueue("http://big.com/" + std::to_string(i), "c", 0, 0, 0);
  f.enqueue("http://small1.com/", "c", 0, 0, 0);
  f.enqueue("http://small2.com/", "c", 0, 0, 0);
  auto r = f.take_ready(0, 2);
  EXPECT_EQ(r.fetch.size(), 2u);
  r = f.take_ready(0, 2);
  ASSERT_EQ(r.fetch.size(), 1u);
  for (auto host : {"big.com", "small1.com", "small2.com"})
    f.robots_fetched(host, 200, "", 0);
  std::map<std::string, int> per_host;
  for (int round = 0; round < 3; ++round)
    for (auto& t : f.take_ready(1, 2).fetch)
      ++per_host[t.host];
  EXPECT_EQ(per_host["small1.com"], 1);
  EXPECT_EQ(per_host["small2.com"], 1);
  EXPECT_EQ(per_host["big.com"], 4);
}

TEST(CrawlerFrontier, NextWakeupValues) {
  auto s = fast();
  s.per_host_delay_ms = 100;
  frontier f{s};
  EXPECT_EQ(f.next_wakeup(0), std::nullopt); // empty
  f.enqueue("http://a.com/1", "c", 0, 0, 0);
  f.enqueue("http://a.com/2", "c", 0, 0, 0);
  f.enqueue("http://b.com/1", "c", 0, 0, 0);
  // Ready now is not a wait on time.
  EXPECT_EQ(f.next_wakeup(0), std::nullopt);
  f.take_ready(0, 10);
  EXPECT_EQ(f.next_wakeup(0), std::nullopt); // all in flight
  f.robots_fetched("a.com", 200, "", 10);
  f.robots_fetched("b.com", 200, "", 30);
  f.take_ready(30, 10);
  EXPECT_EQ(f.next_wakeup(30), 110);
  EXPECT_EQ(f.next_wakeup(109), 110);
  EXPECT_EQ(f.next_wakeup(110), 130);
  EXPECT_EQ(f.take_ready(110, 10).fetch.size(), 1u);
  EXPECT_EQ(f.next_wakeup(110), 130);
  f.take_ready(130, 10);
  EXPECT_EQ(f.next_wakeup(130), std::nullopt);
}

namespace {

/// The model of one URL: its state and failure reason.
struct model_url {
  url_state state = url_state::queued;
  std::string reason;
  int64_t at = 0;
};

/// Checks that `f` agrees with `model` URL by URL and in its counters.
void expect_agrees(const frontier& f,
                   const std::map<std::string, model_url>& model) {
  crawl_counts want;
  for (auto& [url, m] : model) {
    ASSERT_EQ(state_of(f, url), m.state) << url;
    switch (m.state) {
    case url_state::queued:
      ++want.queued;
      break;
    case url_state::fetching:
      ++want.in_flight;
      break;
    case url_state::crawled:
      ++want.crawled;
      break;
    case url_state::failed:
      ++want.failed;
      ++want.failed_by_reason[m.reason];
      break;
    case url_state::duplicate:
      ++want.duplicates;
      break;
    case url_state::robots:
      ++want.skipped_robots;
      break;
    case url_state::limit:
      ++want.skipped_limit;
      break;
    }
  }
  auto got = f.counts();
  ASSERT_EQ(f.size(), model.size());
  EXPECT_EQ(got.queued, want.queued);
  EXPECT_EQ(got.in_flight, want.in_flight);
  EXPECT_EQ(got.crawled, want.crawled);
  EXPECT_EQ(got.failed, want.failed);
  EXPECT_EQ(got.duplicates, want.duplicates);
  EXPECT_EQ(got.skipped_robots, want.skipped_robots);
  EXPECT_EQ(got.skipped_limit, want.skipped_limit);
  EXPECT_EQ(got.failed_by_reason, want.failed_by_reason);
}

/// A random run against the model: see the test below.
class random_run {
public:
  explicit random_run(uint32_t seed) : rng_(seed), f_(settings()) {}

  static frontier::settings settings() {
    auto s = fast();
    s.per_host_connections = 2;
    s.per_host_delay_ms = 3;
    s.refresh_after_ms = 400;
    s.robots_ttl_ms = 300;
    s.robots_retry_ms = 20;
    return s;
  }

  void run(int steps) {
    for (int i = 0; i < steps && !::testing::Test::HasFailure(); ++i) {
      one_step();
      expect_agrees(f_, model_);
    }
  }

  /// Answers everything until nothing is left queued or in flight, moving
  /// the clock only to `next_wakeup` when nothing can start: a host that
  /// waits without a wake-up time would fail here.
  void drain() {
    for (int i = 0; i < 10000 && !::testing::Test::HasFailure(); ++i) {
      take(1000);
      if (robots_.empty() && pages_.empty()) {
        if (f_.counts().queued == 0)
          break;
        auto next = f_.next_wakeup(now_);
        ASSERT_TRUE(next.has_value()) << "stuck at " << now_;
        ASSERT_GT(*next, now_);
        now_ = *next;
        continue;
      }
      now_ += 1;
      for (auto host : std::set<std::string>(robots_.begin(), robots_.end()))
        answer_robots(host, 200);
      while (!pages_.empty())
        finish_page(0, url_state::crawled);
    }
    expect_agrees(f_, model_);
    EXPECT_EQ(f_.counts().queued, 0u);
    EXPECT_EQ(f_.counts().in_flight, 0u);
  }

private:
  std::string random_url() {
    auto host = "http://h" + std::to_string(pick(4)) + ".com";
    auto dir = pick(4) == 0 ? "/private/" : "/p/";
    return host + dir + std::to_string(pick(12));
  }

  size_t pick(size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }

  void one_step() {
    now_ += static_cast<int64_t>(pick(15));
    switch (pick(8)) {
    case 0:
    case 1:
      return enqueue();
    case 2:
      return take(pick(4));
    case 3:
      if (!robots_.empty())
        answer_robots(robots_[pick(robots_.size())],
                      std::vector<unsigned>{200, 404, 0, 503}[pick(4)]);
      return;
    case 4:
      if (!pages_.empty())
        finish_page(pick(pages_.size()), static_cast<url_state>(2 + pick(3)));
      return;
    case 5:
      if (!pages_.empty())
        requeue(pick(pages_.size()));
      return;
    case 6:
      return refresh();
    default:
      return skip();
    }
  }

  bool due(const model_url& m) const {
    return is_done(m.state) && m.at <= now_ - settings().refresh_after_ms;
  }

  void enqueue() {
    auto url = random_url();
    auto it = model_.find(url);
    auto got = f_.enqueue(url, "c", static_cast<uint32_t>(pick(3)), 0, now_);
    if (it == model_.end()) {
      EXPECT_EQ(got, result::added);
      model_[url] = model_url{url_state::queued, "", now_};
    } else if (due(it->second)) {
      EXPECT_EQ(got, result::refreshed);
      it->second = model_url{url_state::queued, "", now_};
    } else {
      EXPECT_EQ(got, result::known);
    }
  }

  void skip() {
    auto url = random_url();
    auto it = model_.find(url);
    auto changed = f_.skip(url, "c", 0, 0, url_state::limit, now_);
    EXPECT_EQ(changed, it == model_.end() || due(it->second));
    if (changed)
      model_[url] = model_url{url_state::limit, "", now_};
  }

  void take(size_t max) {
    auto r = f_.take_ready(now_, max);
    EXPECT_LE(r.fetch.size(), max);
    for (auto& t : r.fetch) {
      if (t.robots) {
        EXPECT_EQ(std::count(robots_.begin(), robots_.end(), t.host), 0);
        robots_.push_back(t.host);
        continue;
      }
      auto& m = model_.at(t.url);
      EXPECT_EQ(m.state, url_state::queued) << t.url;
      m.state = url_state::fetching;
      pages_.push_back(t.url);
    }
    for (auto& url : r.finished) {
      auto& m = model_.at(url);
      EXPECT_EQ(m.state, url_state::queued) << url;
      m.state = static_cast<url_state>(f_.find(url)->state);
      m.reason = f_.find(url)->reason;
      m.at = now_;
      EXPECT_TRUE(
          m.state == url_state::robots ||
          (m.state == url_state::failed && m.reason == "robots_unreachable"));
      EXPECT_TRUE(m.state != url_state::robots ||
                  url.find("/private/") != std::string::npos);
    }
    check_slots();
    if (r.fetch.size() < max)
      check_wakeup();
  }

  /// After an uncapped `take`, a host with queued URLs and nothing in
  /// flight waits on time, so a wake-up time must exist.
  void check_wakeup() {
    std::set<std::string> busy(robots_.begin(), robots_.end());
    for (auto& u : pages_)
      busy.insert(host_of(u));
    for (auto& [url, m] : model_)
      if (m.state == url_state::queued && busy.count(host_of(url)) == 0) {
        auto next = f_.next_wakeup(now_);
        ASSERT_TRUE(next.has_value()) << url << " at " << now_;
        EXPECT_GT(*next, now_);
        return;
      }
  }

  static std::string host_of(const std::string& url) {
    return url.substr(7, url.find('/', 7) - 7);
  }

  /// At most per_host_connections fetches (pages and robots) per host.
  void check_slots() {
    std::map<std::string, size_t> per_host;
    for (auto& h : robots_)
      ++per_host[h];
    for (auto& u : pages_)
      ++per_host[host_of(u)];
    for (auto& [h, n] : per_host)
      EXPECT_LE(n, settings().per_host_connections) << h;
  }

  void answer_robots(std::string host, unsigned status) {
    robots_.erase(std::find(robots_.begin(), robots_.end(), host));
    auto body = "User-agent: *\nDisallow: /private/\n";
    f_.robots_fetched(host, status, body, now_);
  }

  void finish_page(size_t i, url_state st) {
    auto url = pages_[i];
    pages_.erase(pages_.begin() + static_cast<ptrdiff_t>(i));
    auto reason = st == url_state::failed ? "http_" + std::to_string(pick(3))
                                          : std::string{};
    EXPECT_TRUE(f_.finish(url, st, reason, now_));
    model_[url] = model_url{st, reason, now_};
  }

  void requeue(size_t i) {
    auto url = pages_[i];
    pages_.erase(pages_.begin() + static_cast<ptrdiff_t>(i));
    EXPECT_TRUE(f_.requeue(url));
    model_[url].state = url_state::queued;
  }

  void refresh() {
    auto max = pick(3);
    auto got = f_.due_refresh(now_, max);
    size_t want = 0;
    for (auto& [url, m] : model_)
      want += due(m) ? 1 : 0;
    EXPECT_EQ(got.size(), std::min(max, want));
    for (auto& url : got) {
      auto& m = model_.at(url);
      EXPECT_TRUE(due(m)) << url;
      m = model_url{url_state::queued, "", now_};
    }
  }

  std::mt19937 rng_;
  frontier f_;
  int64_t now_ = 0;
  std::map<std::string, model_url> model_;
  /// Hosts whose robots.txt is in flight (with repeats if ever doubled).
  std::vector<std::string> robots_;
  /// Pages in flight.
  std::vector<std::string> pages_;
};

} // namespace

TEST(CrawlerFrontierModel, RandomOperationsMatchModel) {
  for (uint32_t seed = 1; seed <= 20 && !HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    random_run run{seed};
    run.run(1500);
    run.drain();
  }
}
