// A fetched page's way to done: its near-duplicates are looked up on the
// four block shards, its links go to their hosts' shards (durably, before
// the page is indexed, so a crash after indexing never loses them), then
// it is indexed, and only then recorded as crawled (or as a duplicate,
// links followed, not indexed). A failed step puts the page back in the
// queue.

#include <array>
#include <functional>

#include <caf/make_message.hpp>
#include <caf/send.hpp>

#include "troupe/crawler/crawl_steps.hpp"
#include "troupe/crawler/dup_blocks.hpp"
#include "troupe/crawler/messages.hpp"
#include "troupe/crawler/search_index.hpp"
#include "troupe/net/url.hpp"
#include "troupe/persistence/codec.hpp"

namespace troupe::crawler {

namespace {

constexpr auto peer_timeout = std::chrono::seconds(30);

/// Where a page stands while its near-duplicates are looked up.
struct dup_lookup {
  std::string url;
  uint64_t hash = 0;
  size_t left = 4;
  bool failed = false;
  std::string match;
  /// Blocks where this page's hash was stored (no match there).
  std::array<bool, 4> stored{};
};

/// The crawl limits of `url`'s crawl (none known: no links followed).
crawl_limits limits_of(const shard_state& st, const url_record& rec) {
  auto i = st.crawls.find(rec.crawl);
  return i == st.crawls.end() ? crawl_limits{} : i->second.limits;
}

/// The links of a page its crawl may follow, at the next depth.
std::vector<std::string> followed(const url_record& rec,
                                  const crawl_limits& limits,
                                  const std::vector<std::string>& links) {
  std::vector<std::string> out;
  if (rec.depth >= limits.max_depth)
    return out;
  for (const auto& link : links) {
    auto u = net::url::parse(link);
    if (u && limits.allows(u->authority()))
      out.push_back(link);
  }
  return out;
}

bool still_fetching(const shard_state& st, const std::string& url) {
  auto rec = st.fr.find(url);
  return rec != nullptr &&
         static_cast<url_state>(rec->state) == url_state::fetching;
}

void forget_stored(const state_ptr& st, const dup_lookup& d) {
  for (int i = 0; i < 4; ++i) {
    if (!d.stored[i])
      continue;
    auto block = dup_blocks::block_of(d.hash, i);
    auto key = dup_blocks::route_key(i, block);
    caf::anon_send(st->env->search->route(key), undup_atom::value, key,
                   static_cast<uint8_t>(i), block, d.url);
  }
}

void index_page(caf::event_based_actor* self, const state_ptr& st,
                std::shared_ptr<dup_lookup> d,
                std::shared_ptr<const fetch_result> res) {
  document doc;
  doc.url = d->url;
  doc.title = res->title;
  doc.text = res->text;
  doc.simhash = res->simhash;
  doc.fetched_ms = st->fr.find(d->url)->at_ms;
  self->request(st->env->search->route(d->url), peer_timeout, put_atom::value,
                d->url, persistence::encode(doc))
      .then([self, st,
             d](bool) { finish_url(self, st, d->url, url_state::crawled); },
            [self, st, d](caf::error&) {
              forget_stored(st, *d);
              retry_url(self, st, d->url);
            });
}

/// Sends the page's links to their hosts' shards, then runs `next`; on a
/// failure the page goes back to the queue (after `undo`).
void queue_links(caf::event_based_actor* self, const state_ptr& st,
                 const std::string& url, const fetch_result& res,
                 std::function<void()> next, std::function<void()> undo) {
  auto rec = *st->fr.find(url);
  auto limits = limits_of(*st, rec);
  auto links = followed(rec, limits, res.links);
  std::vector<uint32_t> orders(links.size(), rec.order);
  send_urls(self, st, rec.crawl, persistence::encode(limits), rec.depth + 1,
            links, orders,
            [self, st, url, next, undo](bool ok, uint64_t, uint64_t) {
              if (!still_fetching(*st, url))
                return undo();
              if (!ok) {
                undo();
                return retry_url(self, st, url);
              }
              next();
            });
}

void on_dup_answers(caf::event_based_actor* self, const state_ptr& st,
                    std::shared_ptr<dup_lookup> d,
                    std::shared_ptr<const fetch_result> res) {
  auto forget = [st, d] { forget_stored(st, *d); };
  if (!still_fetching(*st, d->url))
    return forget();
  if (d->failed) {
    forget();
    return retry_url(self, st, d->url);
  }
  if (!d->match.empty()) {
    forget();
    auto url = d->url;
    return queue_links(
        self, st, url, *res,
        [self, st, url] { finish_url(self, st, url, url_state::duplicate); },
        [] {});
  }
  queue_links(
      self, st, d->url, *res,
      [self, st, d, res] { index_page(self, st, d, res); }, forget);
}

void look_up_duplicates(caf::event_based_actor* self, const state_ptr& st,
                        const std::string& url,
                        std::shared_ptr<const fetch_result> res) {
  auto d = std::make_shared<dup_lookup>();
  d->url = url;
  d->hash = res->simhash;
  for (int i = 0; i < 4; ++i) {
    auto block = dup_blocks::block_of(d->hash, i);
    auto key = dup_blocks::route_key(i, block);
    auto done = [self, st, d, res] {
      if (--d->left == 0)
        on_dup_answers(self, st, d, res);
    };
    self->request(st->env->search->route(key), peer_timeout, dup_atom::value,
                  key, static_cast<uint8_t>(i), block, d->hash, url)
        .then(
            [d, i, done](std::string& match) {
              if (match.empty())
                d->stored[i] = true;
              else if (d->match.empty())
                d->match = std::move(match);
              done();
            },
            [d, done](caf::error&) {
              d->failed = true;
              done();
            });
  }
}

/// A page (or redirect) that is no page: its target is queued, it fails.
void on_failure(caf::event_based_actor* self, const state_ptr& st,
                const std::string& url, const url_record& rec,
                const fetch_result& res) {
  auto limits = limits_of(*st, rec);
  auto targets = res.moved_to.empty()
                     ? std::vector<std::string>{}
                     : followed(url_record{}, limits, {res.moved_to});
  if (targets.empty() || limits.max_depth == 0)
    return finish_url(self, st, url, url_state::failed, res.failure);
  auto reason = res.failure;
  send_urls(self, st, rec.crawl, persistence::encode(limits), rec.depth,
            targets, {rec.order},
            [self, st, url, reason](bool, uint64_t, uint64_t) {
              finish_url(self, st, url, url_state::failed, reason);
            });
}

} // namespace

void on_page(caf::event_based_actor* self, const state_ptr& st,
             const std::string& url, std::shared_ptr<const fetch_result> res) {
  if (!still_fetching(*st, url))
    return;
  if (!res->failure.empty())
    return on_failure(self, st, url, *st->fr.find(url), *res);
  if (res->noindex)
    return queue_links(
        self, st, url, *res,
        [self, st, url] { finish_url(self, st, url, url_state::crawled); },
        [] {});
  // Duplicates are looked up first, as the page arrives: a host's pages
  // arrive in the order they were fetched, and the block shards see their
  // lookups in that order too, so of two copies the first fetched is kept.
  look_up_duplicates(self, st, url, std::move(res));
}

} // namespace troupe::crawler
