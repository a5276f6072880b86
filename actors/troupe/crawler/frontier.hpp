#pragma once

// The frontier of one crawler shard: which URLs are known, which wait, which
// are being fetched, and when each host may be asked for its next page.
// Pure: no actors, no I/O, no clocks (every call that depends on time takes
// `now` in milliseconds), so the same calls always give the same answers.
//
// Usage (the shard actor around it):
//
//   frontier f{settings};
//   f.enqueue(url, crawl_id, depth, order, now);   // journal f.find(url)
//   auto r = f.take_ready(now, free_workers);       // start r.fetch, journal
//                                                   // r.fetch's pages and
//                                                   // r.finished
//   f.robots_fetched(host, status, body, now);      // a robots.txt answered
//   f.finish(url, url_state::crawled, "", now);     // a page answered
//   if (auto t = f.next_wakeup(now)) set_timer(*t); // then take_ready again
//
// Life of a URL: queued -> fetching -> one of crawled, failed, duplicate
// (fetched), or queued -> robots (disallowed, never fetched), or directly
// limit/... through `skip`. A done URL is queued again only once it is at
// least `refresh_after_ms` old, so a link cycle never queues a URL twice.
//
// Life of a host's robots.txt: unknown -> in flight -> known (2xx parsed,
// 3xx/4xx allow all) until `robots_ttl_ms` passes, or unreachable (no
// answer, 5xx). While a host's robots.txt is unknown, in flight, stale or
// unreachable its pages wait. An unreachable robots.txt is retried after
// `robots_retry_ms`; after `robots_attempts` unreachable answers in a row
// the host is given up: its queued pages fail with "robots_unreachable",
// and so do the pages queued later, until `robots_retry_ms` passes and one
// more attempt is made (one attempt per retry period while it stays down).
//
// Layout and cost: URLs live in one hash map (node based, so keys stay
// put); each host keeps an ordered set of its queued URLs (depth, order,
// arrival). Hosts that may start work now rotate through a deque (round
// robin); hosts that wait for a time sit in a set ordered by that time;
// hosts with nothing queued, or whose slots are all busy, are in neither
// and are put back by the call that changes that. So `take_ready` costs
// O((fetches started + URLs finished + hosts woken) x log n), not O(hosts),
// and `next_wakeup` is O(log hosts). Done URLs are also indexed by their
// time for `due_refresh`.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "troupe/crawler/robots.hpp"

namespace troupe::crawler {

/// Where a URL is in its life. Stored as `uint8_t` in `url_record::state`.
enum class url_state : uint8_t {
  /// Waiting in its host's queue.
  queued = 0,
  /// A fetch is running (or was running when the shard stopped).
  fetching = 1,
  /// Fetched, HTML, indexed.
  crawled = 2,
  /// The fetch failed; `url_record::reason` says why.
  failed = 3,
  /// Fetched, HTML, a near duplicate of an indexed page (not indexed).
  duplicate = 4,
  /// Disallowed by the host's robots.txt; never fetched.
  robots = 5,
  /// Refused by a crawl's page limit; never fetched.
  limit = 6,
};

/// Returns whether `st` ends a URL's life (crawled, failed, duplicate,
/// robots, limit).
constexpr bool is_done(url_state st) {
  return st != url_state::queued && st != url_state::fetching;
}

/// One URL's durable record (journaled by the shard under `url_key(url)`).
struct url_record {
  /// A `url_state`.
  uint8_t state = 0;
  /// Id of the crawl that queued it.
  std::string crawl;
  /// Link distance from its seed.
  uint32_t depth = 0;
  /// The seed's position (priority among equal depths).
  uint32_t order = 0;
  /// When it was queued, its fetch started or it finished (ms).
  int64_t at_ms = 0;
  /// Failure reason (failed only).
  std::string reason;
  MSGPACK_DEFINE_MAP(state, crawl, depth, order, at_ms, reason)
};

/// One fetch to start.
struct fetch_task {
  /// The page, or `<scheme>://<host>/robots.txt`.
  std::string url;
  /// The URL's authority (the key of its host's politeness state).
  std::string host;
  /// True for a robots.txt fetch: answer with `frontier::robots_fetched`;
  /// else answer with `frontier::finish` or `frontier::requeue`.
  bool robots = false;
};

/// How many known URLs are in each state. Every known URL is in exactly
/// one of queued, in_flight, crawled, failed, duplicates, skipped_robots,
/// skipped_limit.
struct crawl_counts {
  /// URLs in state queued.
  uint64_t queued = 0;
  /// URLs in state fetching (in flight or recovering; robots.txt fetches
  /// are not counted).
  uint64_t in_flight = 0;
  /// URLs in state crawled.
  uint64_t crawled = 0;
  /// URLs in state failed.
  uint64_t failed = 0;
  /// URLs in state duplicate.
  uint64_t duplicates = 0;
  /// URLs in state robots.
  uint64_t skipped_robots = 0;
  /// URLs in state limit.
  uint64_t skipped_limit = 0;
  /// Hosts known (hosts of known URLs).
  uint64_t hosts = 0;
  /// Failed URLs by reason (no zero entries).
  std::map<std::string, uint64_t> failed_by_reason;
  MSGPACK_DEFINE_MAP(queued, in_flight, crawled, failed, duplicates,
                     skipped_robots, skipped_limit, hosts, failed_by_reason)

  /// Adds `x`'s counts to these (sums of shards).
  crawl_counts& operator+=(const crawl_counts& x);
};

/// Returns the journal key of `url`: "u" + url.
std::string url_key(std::string_view url);

/// Returns the URL of a journal key made by `url_key`, or nullopt when
/// `key` is not one.
std::optional<std::string> url_of_key(std::string_view key);

/// The per-host queues, politeness and robots state, and per-URL records
/// of one crawler shard (see the top of this file).
class frontier {
public:
  /// Politeness and refresh policy.
  struct settings {
    /// Page plus robots.txt fetches in flight per host at most (0 acts as
    /// 1).
    size_t per_host_connections = 1;
    /// Gap between the end of one fetch and the start of the next per host.
    int64_t per_host_delay_ms = 0;
    /// Cap on a robots.txt Crawl-delay; the gap is
    /// max(per_host_delay_ms, capped Crawl-delay).
    int64_t max_crawl_delay_ms = 60000;
    /// A done URL may be queued again after this.
    int64_t refresh_after_ms = 7LL * 24 * 3600 * 1000;
    /// Refetch a known robots.txt after this (RFC 9309: at most 24 h).
    int64_t robots_ttl_ms = 24LL * 3600 * 1000;
    /// An unreachable robots.txt is retried after this.
    int64_t robots_retry_ms = 30000;
    /// After this many unreachable answers in a row the host's queued URLs
    /// fail with "robots_unreachable".
    int robots_attempts = 3;
    /// The product token that picks the robots.txt group.
    std::string user_agent_token = "troupe";
  };

  /// An empty frontier.
  explicit frontier(settings s);

  /// What `enqueue` did.
  enum class enqueue_result {
    /// Never seen: now queued.
    added,
    /// Done long enough ago: queued again.
    refreshed,
    /// Nothing changed.
    known,
  };

  /// Queues `url` (a normalized absolute http(s) URL; its host is
  /// `net::url::parse(url)->authority()`) for `crawl`. Returns added when
  /// never seen; refreshed when done at least `refresh_after_ms` ago (the
  /// record is reset to queued with the new crawl, depth and order, without
  /// the old reason); known otherwise (queued, fetching, recently done, or
  /// `url` unparsable: nothing changes). On added or refreshed the caller
  /// journals `find(url)`.
  enqueue_result enqueue(const std::string& url, const std::string& crawl,
                         uint32_t depth, uint32_t order, int64_t now);

  /// Records `url` as finished with the done state `st` (e.g. limit)
  /// without fetching it, if it is unknown or due for refresh. Returns
  /// whether the record changed (then the caller journals it); false too
  /// for an unparsable URL or a `st` that is not done.
  bool skip(const std::string& url, const std::string& crawl, uint32_t depth,
            uint32_t order, url_state st, int64_t now);

  /// The result of `take_ready`.
  struct ready {
    /// Fetches to start now, marked in flight (pages are in state
    /// fetching with at_ms = now).
    std::vector<fetch_task> fetch;
    /// URLs that finished without a fetch (robots disallowed -> robots;
    /// robots.txt unreachable too often -> failed "robots_unreachable").
    std::vector<std::string> finished;
  };

  /// Returns what may start at `now`, at most `max` fetches: per host its
  /// robots.txt first when unknown or stale (its pages wait meanwhile),
  /// then pages best first (depth, then order, then arrival) while the
  /// host has a free slot and `now` has reached its next start time. Hosts
  /// take turns (round robin, one fetch per turn), so one big host cannot
  /// starve others when `max` is small.
  ready take_ready(int64_t now, size_t max);

  /// Returns the earliest time after `now` at which `take_ready` could
  /// return more because a host's wait ends (delay, robots.txt retry), or
  /// nullopt when nothing waits on time. Hosts that could start already
  /// (left over by a small `max`) do not count: call `take_ready` when
  /// capacity frees.
  std::optional<int64_t> next_wakeup(int64_t now) const;

  /// The robots.txt of `host` answered `status` with `body`: 2xx -> parse
  /// the body; 3xx (redirects not followed) and 4xx -> allow all (RFC
  /// 9309 "unavailable"); 0 (no response), 5xx and anything else ->
  /// unreachable: pages wait and it is retried after `robots_retry_ms`.
  /// Frees the host's slot; its next start is `now` plus the gap (with the
  /// new Crawl-delay). Ignored unless that host's robots.txt is in flight.
  void robots_fetched(const std::string& host, unsigned status,
                      std::string_view body, int64_t now);

  /// A page fetch ended with the done state `st` (`reason` is kept for
  /// failed only), at_ms = now. Frees the host's slot (unless the URL was
  /// recovering); the host's next start is `now` plus the gap. Returns
  /// false, changing nothing, unless `url` is fetching and `st` is done.
  bool finish(const std::string& url, url_state st, const std::string& reason,
              int64_t now);

  /// The fetch of `url` answered but the page is still being processed
  /// (links queued, indexed): frees its host's slot now (the next start is
  /// `now` plus the gap) while the URL stays fetching, holding no slot,
  /// until `finish` or `requeue`. Returns false, changing nothing, unless
  /// `url` is fetching and holds a slot.
  bool release(const std::string& url, int64_t now);

  /// A fetching (in flight or recovering) URL goes back to its host's
  /// queue with its old priority; frees the slot without a delay. Returns
  /// false, changing nothing, unless `url` is fetching.
  bool requeue(const std::string& url);

  /// Queues again (state queued, at_ms = now) at most `max` done URLs
  /// that finished at least `refresh_after_ms` before `now`, oldest first,
  /// and returns them (the caller journals them).
  std::vector<std::string> due_refresh(int64_t now, size_t max);

  /// Returns the record of `url`, or null when unknown. Valid until the
  /// next non-const call.
  const url_record* find(const std::string& url) const;

  /// Restores a journaled record at load (replacing any record of `url`).
  /// queued records are queued; a fetching record becomes recovering: not
  /// queued, not in flight, listed by `recovering()` until resolved with
  /// `finish` or `requeue`. A state out of range counts as queued.
  /// Ignored for an unparsable URL.
  void restore(const std::string& url, url_record rec);

  /// Returns the fetching URLs that hold no slot, sorted: right after
  /// loading, those a crash interrupted (later also those `release`d).
  std::vector<std::string> recovering() const;

  /// Returns the counters (kept incrementally; valid until the next
  /// non-const call).
  const crawl_counts& counts() const;

  /// Returns the number of known URLs.
  size_t size() const { return urls_.size(); }

private:
  /// The frontier's view of one URL.
  struct url_entry {
    url_record rec;
    /// Index into `hosts_`.
    uint32_t host = 0;
    /// Arrival number (last tie-break in the queue).
    uint64_t seq = 0;
    /// Fetching, but not in flight (restored from the journal).
    bool recovering = false;
  };

  using url_map = std::unordered_map<std::string, url_entry>;

  /// A queued URL's place in its host's queue, best first.
  struct queue_key {
    uint32_t depth;
    uint32_t order;
    uint64_t seq;
    const std::string* url;
    bool operator<(const queue_key& other) const {
      return std::tie(depth, order, seq) <
             std::tie(other.depth, other.order, other.seq);
    }
  };

  /// Where a host's robots.txt stands.
  enum class robots_phase : uint8_t { unknown, in_flight, known, unreachable };

  /// Where a host sits in the scheduling structures.
  enum class slot_place : uint8_t { none, ready, timer };

  /// Politeness and robots state of one host.
  struct host_state {
    std::string name;
    /// Scheme of its first URL (for the robots.txt URL).
    std::string scheme;
    std::set<queue_key> queue;
    size_t in_flight = 0;
    int64_t next_start = INT64_MIN;
    robots_phase phase = robots_phase::unknown;
    std::optional<robots_rules> rules;
    /// known: refetch from this time on.
    int64_t robots_valid_until = INT64_MIN;
    /// unreachable: next attempt not before this time.
    int64_t robots_retry_at = INT64_MIN;
    /// Unreachable answers in a row.
    int robots_failures = 0;
    slot_place place = slot_place::none;
    /// The time it is filed under in `timers_` (place == timer).
    int64_t timer_at = 0;
  };

  /// What a host would do at a given time.
  enum class action : uint8_t {
    idle,
    blocked,
    wait,
    fail_all,
    fetch_robots,
    fetch_page
  };

  std::pair<action, int64_t> classify(const host_state& h, int64_t now) const;
  void schedule(uint32_t id);
  void unfile(uint32_t id);
  void step(uint32_t id, int64_t now, ready& out);
  void start_robots(host_state& h, ready& out);
  void start_page(uint32_t id, int64_t now, ready& out);
  void fail_queued(host_state& h, int64_t now, ready& out);
  int64_t gap_of(const host_state& h) const;
  uint32_t host_of(const std::string& url);
  url_map::value_type& add_entry(const std::string& url, uint32_t host);
  void attach(url_map::value_type& kv);
  void detach(url_map::value_type& kv);
  void set_done(url_map::value_type& kv, url_state st, std::string reason,
                int64_t now);
  void reset_queued(url_map::value_type& kv, const std::string& crawl,
                    uint32_t depth, uint32_t order, int64_t now);
  bool due(const url_entry& e, int64_t now) const;
  void count(const url_record& rec, int delta);

  settings settings_;
  url_map urls_;
  std::vector<host_state> hosts_;
  std::unordered_map<std::string, uint32_t> host_ids_;
  /// Hosts that may start now, in turn order.
  std::deque<uint32_t> ready_;
  /// Hosts waiting for a time (or filed for the next `take_ready`).
  std::set<std::pair<int64_t, uint32_t>> timers_;
  /// Done URLs by (at_ms, url).
  std::set<std::pair<int64_t, std::string_view>> done_;
  /// Recovering URLs.
  std::set<std::string_view> recovering_;
  uint64_t next_seq_ = 0;
  crawl_counts counts_;
};

} // namespace troupe::crawler
