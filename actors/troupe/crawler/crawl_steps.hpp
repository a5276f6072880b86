#pragma once
// The steps of one frontier shard (frontier_shard.cpp holds its behavior):
// queueing, fetching through the workers, and a page's way from fetched to
// done (links queued, near-duplicates looked up, indexed, recorded).

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "troupe/crawler/crawler_env.hpp"
#include "troupe/crawler/frontier.hpp"
#include "troupe/crawler/records.hpp"
#include "troupe/persistence/store.hpp"
#include "troupe/runtime/shard_journal.hpp"

namespace troupe::crawler {

/// Returns the frontier settings of `cfg`.
frontier::settings frontier_settings(const config::crawler_settings& cfg);

/// The state of one frontier shard.
struct shard_state {
  shard_state(runtime::shard_context ctx, crawler_env_ptr e);
  ~shard_state();

  runtime::shard_journal journal;
  crawler_env_ptr env;
  frontier fr;
  /// The crawls this shard has URLs of (limits; the home shard's count).
  std::unordered_map<std::string, crawl_record> crawls;
  /// When pages finished over the last rate window (for pages/s).
  std::deque<int64_t> finished_at;
  /// A page waiting for its parse, or parsed and waiting for the pages of
  /// its host fetched before it.
  struct parsing {
    std::string url;
    /// Whether the parse answered; `page` is null if it failed.
    bool done = false;
    std::shared_ptr<const fetch_result> page;
  };
  /// Per host, the pages being parsed in the order they were fetched: they
  /// go on (to the near-duplicate lookup) in that order, so of two copies
  /// on a host the first fetched is the one kept, while the parses
  /// themselves run on any worker.
  std::unordered_map<std::string, std::deque<parsing>> parse_order;
  /// When the pending pump timer fires (0: none).
  int64_t wake_at = 0;
  /// `queued` as last added to the board.
  int64_t published_queued = 0;
};

using state_ptr = std::shared_ptr<shard_state>;

/// URLs for one shard to queue: each with its seed order.
struct enqueue_batch {
  std::string crawl;
  uint32_t depth = 0;
  std::vector<uint32_t> orders;
  std::vector<std::string> urls;
};

/// Returns the journal key of crawl `id`.
std::string crawl_key(const std::string& id);

/// Records `limits` for crawl `id` (journaled when new or changed).
void remember_crawl(caf::event_based_actor* self, const state_ptr& st,
                    const std::string& id, const crawl_limits& limits);

/// Sends `urls` to the shards of their hosts as `cr_enq`; `done(ok, added,
/// known)` runs once all answered (ok false if one failed).
void send_urls(caf::event_based_actor* self, const state_ptr& st,
               const std::string& crawl, const std::string& limits_blob,
               uint32_t depth, const std::vector<std::string>& urls,
               const std::vector<uint32_t>& orders,
               std::function<void(bool, uint64_t, uint64_t)> done);

/// Queues the new or due URLs of `batch` (asking the crawl's home shard for
/// pages when `max_pages` is set; the rest are skipped as over the limit)
/// and answers `(added, known)` on `rp` once durable.
void admit_and_queue(caf::event_based_actor* self, const state_ptr& st,
                     std::shared_ptr<enqueue_batch> batch, uint64_t max_pages,
                     caf::response_promise rp);

/// Starts what may start now and sets a timer for what waits.
void pump(caf::event_based_actor* self, const state_ptr& st);

/// Journals the `fetching` records of `pages` and starts their fetches once
/// the records are durable (a failed write puts them back in the queue): a
/// crash can then repeat only fetches whose records say they were in flight.
void fetch_when_durable(caf::event_based_actor* self, const state_ptr& st,
                        std::vector<fetch_task> pages);

/// Handles `durable_atom`: journals the current records of `urls` and
/// answers `true` once they are durable.
caf::result<bool> journal_fetching(caf::event_based_actor* self,
                                   const state_ptr& st,
                                   const std::vector<std::string>& urls);

/// Queues the pages due for a refresh.
void refresh_due(caf::event_based_actor* self, const state_ptr& st);

/// This shard's figures.
shard_report report(shard_state& st);

/// Loads records of a shard image.
void restore(const state_ptr& st, const persistence::shard_image& image);

/// Settles the fetches a crash interrupted: pages the index holds from that
/// fetch are done, the others go back to the queue.
void recover(caf::event_based_actor* self, const state_ptr& st);

/// Journals the current records of `urls` (nobody waits for it: a record
/// lost in a crash only repeats work).
void journal_urls(caf::event_based_actor* self, const state_ptr& st,
                  const std::vector<std::string>& urls);

/// Ends the fetch of `url` as `state`, journals it and pumps.
void finish_url(caf::event_based_actor* self, const state_ptr& st,
                const std::string& url, url_state state,
                const std::string& reason = {});

/// Puts the fetch of `url` back into the queue (a step failed) and pumps a
/// little later.
void retry_url(caf::event_based_actor* self, const state_ptr& st,
               const std::string& url);

/// Takes a fetched page on its way (page_steps.cpp): queues its links,
/// looks up near-duplicates, indexes it, then finishes it.
void on_page(caf::event_based_actor* self, const state_ptr& st,
             const std::string& url, std::shared_ptr<const fetch_result> res);

} // namespace troupe::crawler
