#include "troupe/crawler/crawl_steps.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include <caf/make_message.hpp>

#include "troupe/crawler/messages.hpp"
#include "troupe/crawler/worker.hpp"
#include "troupe/log.hpp"
#include "troupe/net/url.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_map.hpp"

namespace troupe::crawler {

namespace {

using journal_op = persistence::journal_op;
using std::chrono::milliseconds;

/// pages_per_second is measured over this window.
constexpr int64_t rate_window_ms = 10000;
/// Fetches one pump starts at most.
constexpr size_t max_take = 64;
/// Pages one shard has in flight or in processing at most.
constexpr uint64_t max_in_work = 256;
/// A peer shard that does not answer within this is given up for now.
constexpr auto peer_timeout = std::chrono::seconds(30);
/// A parse that takes longer than this fails the page.
constexpr auto parse_timeout = std::chrono::seconds(60);
/// A step that failed is tried again after this.
constexpr milliseconds retry_delay{500};

milliseconds fetch_timeout(const config::crawler_settings& cfg) {
  auto hops = static_cast<int64_t>(cfg.max_redirects) + 1;
  return (cfg.connect_timeout + cfg.read_timeout) * hops + milliseconds{5000};
}

/// Whether `url` would be queued now (unknown, or done and due).
bool wanted(const shard_state& st, const std::string& url, int64_t now) {
  auto rec = st.fr.find(url);
  if (rec == nullptr)
    return true;
  return is_done(static_cast<url_state>(rec->state)) &&
         rec->at_ms + st.env->settings.refresh_after.count() * 1000 <= now;
}

void publish(shard_state& st) {
  auto queued = static_cast<int64_t>(st.fr.counts().queued);
  st.env->board->queued += queued - st.published_queued;
  st.published_queued = queued;
}

/// Drops the finish times older than the rate window.
void forget_before_window(shard_state& st, int64_t now) {
  while (!st.finished_at.empty() &&
         st.finished_at.front() + rate_window_ms < now)
    st.finished_at.pop_front();
}

void note_finished(shard_state& st, url_state s, int64_t now) {
  auto& b = *st.env->board;
  ++b.pages;
  if (s == url_state::crawled)
    ++b.crawled;
  else if (s == url_state::duplicate)
    ++b.duplicates;
  else if (s == url_state::failed)
    ++b.failed;
  st.finished_at.push_back(now);
  forget_before_window(st, now);
}

void schedule(caf::event_based_actor* self, const state_ptr& st, int64_t now) {
  auto at = st->fr.next_wakeup(now);
  if (!at || (st->wake_at > now && st->wake_at <= *at))
    return;
  st->wake_at = *at;
  self->delayed_send(self, milliseconds{std::max<int64_t>(*at - now, 0)},
                     pump_atom::value);
}

void fetch_robots(caf::event_based_actor* self, const state_ptr& st,
                  const fetch_task& t) {
  auto host = t.host;
  self->request(st->env->workers, fetch_timeout(st->env->settings),
                fetch_atom::value, t.url, true)
      .then(
          [self, st, host](const fetch_result_ptr& res) {
            auto status = res->failure.empty() ? res->status : 0u;
            st->fr.robots_fetched(host, status, res->body, st->env->now());
            pump(self, st);
          },
          [self, st, host](caf::error&) {
            st->fr.robots_fetched(host, 0, {}, st->env->now());
            pump(self, st);
          });
}

/// Sets the parse of `url` on `host` and lets the host's parsed pages go
/// on, in fetch order, up to the first still being parsed. A failed parse
/// (null `page`) fails its page.
void parsed(caf::event_based_actor* self, const state_ptr& st,
            const std::string& host, const std::string& url,
            fetch_result_ptr page) {
  for (auto& p : st->parse_order[host]) {
    if (p.url == url && !p.done) {
      p.done = true;
      p.page = std::move(page);
      break;
    }
  }
  // Looked up again each round: the steps below may touch parse_order.
  for (;;) {
    auto it = st->parse_order.find(host);
    if (it == st->parse_order.end())
      return;
    if (it->second.empty()) {
      st->parse_order.erase(it);
      return;
    }
    if (!it->second.front().done)
      return;
    auto next = std::move(it->second.front());
    it->second.pop_front();
    if (next.page)
      on_page(self, st, next.url, std::move(next.page));
    else
      finish_url(self, st, next.url, url_state::failed, "parse_failed");
  }
}

void parse_page(caf::event_based_actor* self, const state_ptr& st,
                const std::string& host, const std::string& url,
                const fetch_result_ptr& raw) {
  st->parse_order[host].push_back({url, false, nullptr});
  self->request(st->env->workers, parse_timeout, parse_atom::value, url, raw)
      .then(
          [self, st, host, url](fetch_result_ptr& res) {
            parsed(self, st, host, url, std::move(res));
          },
          [self, st, host, url](caf::error&) {
            parsed(self, st, host, url, nullptr);
          });
}

void fetch_page(caf::event_based_actor* self, const state_ptr& st,
                const std::string& host, const std::string& url) {
  self->request(st->env->workers, fetch_timeout(st->env->settings),
                fetch_atom::value, url, false)
      .then(
          [self, st, host, url](const fetch_result_ptr& res) {
            // The host is done with this fetch: its next page may start
            // while this one is parsed and processed.
            st->fr.release(url, st->env->now());
            pump(self, st);
            if (res->failure.empty())
              parse_page(self, st, host, url, res);
            else
              on_page(self, st, url, res);
          },
          [self, st, url](caf::error& err) {
            if (err.category() == runtime::error_category &&
                err.code() == static_cast<uint8_t>(runtime::errc::overloaded))
              retry_url(self, st, url);
            else
              finish_url(self, st, url, url_state::failed, "worker_timeout");
          });
}

/// Groups `urls` (with their orders) by the crawler shard of their host.
std::map<uint16_t, std::pair<std::vector<std::string>, std::vector<uint32_t>>>
by_shard(const std::vector<std::string>& urls,
         const std::vector<uint32_t>& orders, size_t shards) {
  std::map<uint16_t, std::pair<std::vector<std::string>, std::vector<uint32_t>>>
      out;
  for (size_t i = 0; i < urls.size(); ++i) {
    auto u = net::url::parse(urls[i]);
    if (!u)
      continue;
    auto& part = out[runtime::shard_of(u->authority(), shards)];
    part.first.push_back(urls[i]);
    part.second.push_back(orders[i]);
  }
  return out;
}

void queue_admitted(caf::event_based_actor* self, const state_ptr& st,
                    const enqueue_batch& batch, uint64_t granted,
                    caf::response_promise rp) {
  auto now = st->env->now();
  uint64_t added = 0;
  uint64_t known = 0;
  std::vector<journal_op> ops;
  for (size_t i = 0; i < batch.urls.size(); ++i) {
    const auto& url = batch.urls[i];
    if (!wanted(*st, url, now)) {
      ++known;
      continue;
    }
    if (granted == 0) {
      st->fr.skip(url, batch.crawl, batch.depth, batch.orders[i],
                  url_state::limit, now);
    } else if (st->fr.enqueue(url, batch.crawl, batch.depth, batch.orders[i],
                              now) == frontier::enqueue_result::known) {
      ++known;
      continue;
    } else {
      --granted;
      ++added;
    }
    if (auto rec = st->fr.find(url))
      ops.push_back({journal_op::put, url_key(url), persistence::encode(*rec)});
  }
  auto reply = caf::make_message(added, known);
  if (ops.empty())
    rp.deliver(added, known);
  else if (auto err = st->journal.submit(self, std::move(ops), rp, reply))
    rp.deliver(err);
  publish(*st);
  pump(self, st);
}

} // namespace

frontier::settings frontier_settings(const config::crawler_settings& cfg) {
  frontier::settings s;
  s.per_host_connections = cfg.per_host_connections;
  s.per_host_delay_ms = cfg.per_host_delay.count();
  s.refresh_after_ms = cfg.refresh_after.count() * 1000;
  s.user_agent_token = cfg.robots_token;
  s.robots_retry_ms = cfg.robots_retry.count();
  return s;
}

shard_state::shard_state(runtime::shard_context ctx, crawler_env_ptr e)
    : journal(std::move(ctx)), env(std::move(e)),
      fr(frontier_settings(env->settings)) {
  // nop
}

shard_state::~shard_state() {
  env->board->queued -= published_queued;
}

std::string crawl_key(const std::string& id) {
  return "c" + id;
}

void remember_crawl(caf::event_based_actor* self, const state_ptr& st,
                    const std::string& id, const crawl_limits& limits) {
  auto& rec = st->crawls[id];
  if (persistence::encode(rec.limits) == persistence::encode(limits))
    return;
  rec.limits = limits;
  st->journal.submit(
      self, {{journal_op::put, crawl_key(id), persistence::encode(rec)}});
}

void send_urls(caf::event_based_actor* self, const state_ptr& st,
               const std::string& crawl, const std::string& limits_blob,
               uint32_t depth, const std::vector<std::string>& urls,
               const std::vector<uint32_t>& orders,
               std::function<void(bool, uint64_t, uint64_t)> done) {
  auto parts = by_shard(urls, orders, st->env->crawler_shards);
  if (parts.empty())
    return done(true, 0, 0);
  struct gather {
    size_t left;
    bool ok = true;
    uint64_t added = 0;
    uint64_t known = 0;
    std::function<void(bool, uint64_t, uint64_t)> done;
  };
  auto g = std::make_shared<gather>(gather{parts.size(), true, 0, 0, done});
  auto one_done = [g] {
    if (--g->left == 0)
      g->done(g->ok, g->added, g->known);
  };
  for (auto& [idx, part] : parts) {
    auto msg = caf::make_message(enqueue_atom::value, crawl, limits_blob, depth,
                                 std::move(part.second), std::move(part.first));
    auto [dest, wrapped] = st->env->crawler->to_shard(idx, std::move(msg));
    self->request(dest, peer_timeout, std::move(wrapped))
        .then(
            [g, one_done](uint64_t added, uint64_t known) {
              g->added += added;
              g->known += known;
              one_done();
            },
            [g, one_done](caf::error&) {
              g->ok = false;
              one_done();
            });
  }
}

void admit_and_queue(caf::event_based_actor* self, const state_ptr& st,
                     std::shared_ptr<enqueue_batch> batch, uint64_t max_pages,
                     caf::response_promise rp) {
  auto now = st->env->now();
  uint64_t wanted_n = 0;
  for (const auto& url : batch->urls)
    wanted_n += wanted(*st, url, now);
  if (max_pages == 0 || wanted_n == 0)
    return queue_admitted(self, st, *batch, wanted_n, rp);
  self->request(st->env->crawler->route(batch->crawl), peer_timeout,
                admit_atom::value, batch->crawl, wanted_n, max_pages)
      .then(
          [self, st, batch, rp](uint64_t granted) {
            queue_admitted(self, st, *batch, granted, rp);
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
}

namespace {

/// The journal ops that store the current records of `urls`.
std::vector<journal_op> url_ops(const shard_state& st,
                                const std::vector<std::string>& urls) {
  std::vector<journal_op> ops;
  for (const auto& url : urls)
    if (auto rec = st.fr.find(url))
      ops.push_back({journal_op::put, url_key(url), persistence::encode(*rec)});
  return ops;
}

} // namespace

void journal_urls(caf::event_based_actor* self, const state_ptr& st,
                  const std::vector<std::string>& urls) {
  auto ops = url_ops(*st, urls);
  if (!ops.empty())
    st->journal.submit(self, std::move(ops));
}

void finish_url(caf::event_based_actor* self, const state_ptr& st,
                const std::string& url, url_state state,
                const std::string& reason) {
  auto rec = st->fr.find(url);
  if (rec == nullptr ||
      static_cast<url_state>(rec->state) != url_state::fetching)
    return;
  auto now = st->env->now();
  st->fr.finish(url, state, reason, now);
  journal_urls(self, st, {url});
  note_finished(*st, state, now);
  pump(self, st);
}

void retry_url(caf::event_based_actor* self, const state_ptr& st,
               const std::string& url) {
  st->fr.requeue(url);
  journal_urls(self, st, {url});
  publish(*st);
  self->delayed_send(self, retry_delay, pump_atom::value);
}

void pump(caf::event_based_actor* self, const state_ptr& st) {
  auto now = st->env->now();
  auto busy = st->fr.counts().in_flight;
  if (busy >= max_in_work)
    return;
  auto ready = st->fr.take_ready(now, std::min(max_take, max_in_work - busy));
  for (const auto& url : ready.finished)
    if (auto rec = st->fr.find(url))
      note_finished(*st, static_cast<url_state>(rec->state), now);
  journal_urls(self, st, ready.finished);
  std::vector<fetch_task> pages;
  for (auto& t : ready.fetch) {
    if (t.robots)
      fetch_robots(self, st, t);
    else
      pages.push_back(std::move(t));
  }
  if (!pages.empty())
    fetch_when_durable(self, st, std::move(pages));
  publish(*st);
  schedule(self, st, now);
}

void fetch_when_durable(caf::event_based_actor* self, const state_ptr& st,
                        std::vector<fetch_task> pages) {
  std::vector<std::string> urls;
  for (const auto& t : pages)
    urls.push_back(t.url);
  auto me = caf::actor_cast<caf::actor>(self);
  self->request(me, peer_timeout, durable_atom::value, std::move(urls))
      .then(
          [self, st, pages](bool) {
            for (const auto& t : pages)
              fetch_page(self, st, t.host, t.url);
          },
          [self, st, pages](caf::error&) {
            for (const auto& t : pages)
              retry_url(self, st, t.url);
          });
}

caf::result<bool> journal_fetching(caf::event_based_actor* self,
                                   const state_ptr& st,
                                   const std::vector<std::string>& urls) {
  auto ops = url_ops(*st, urls);
  if (ops.empty())
    return true;
  auto rp = self->make_response_promise<bool>();
  if (auto err =
          st->journal.submit(self, std::move(ops), rp, caf::make_message(true)))
    return err;
  return rp;
}

void refresh_due(caf::event_based_actor* self, const state_ptr& st) {
  auto due = st->fr.due_refresh(st->env->now(), 10000);
  journal_urls(self, st, due);
  publish(*st);
  pump(self, st);
}

shard_report report(shard_state& st) {
  shard_report r;
  r.counts = st.fr.counts();
  auto now = st.env->now();
  forget_before_window(st, now);
  r.pages_per_second =
      static_cast<double>(st.finished_at.size()) * 1000.0 / rate_window_ms;
  return r;
}

void restore(const state_ptr& st, const persistence::shard_image& image) {
  for (const auto& [key, value] : image.records) {
    if (auto url = url_of_key(key)) {
      url_record rec;
      if (persistence::decode(value, rec))
        st->fr.restore(*url, std::move(rec));
    } else if (key.size() > 1 && key[0] == 'c') {
      crawl_record rec;
      if (persistence::decode(value, rec))
        st->crawls[key.substr(1)] = std::move(rec);
    }
  }
  publish(*st);
}

void recover(caf::event_based_actor* self, const state_ptr& st) {
  if (auto n = st->fr.recovering().size(); n > 0)
    log::info("crawler", "frontier shard ", st->journal.context().shard, ": ",
              n,
              " pages were in flight at the last stop; those not in the "
              "index are fetched again");
  for (const auto& url : st->fr.recovering()) {
    auto since = st->fr.find(url)->at_ms;
    self->request(st->env->search->route(url), peer_timeout, has_atom::value,
                  url, since)
        .then(
            [self, st, url](bool indexed) {
              if (!indexed)
                return retry_url(self, st, url);
              auto now = st->env->now();
              st->fr.finish(url, url_state::crawled, {}, now);
              journal_urls(self, st, {url});
              pump(self, st);
            },
            [self, st, url](caf::error&) { retry_url(self, st, url); });
  }
}

} // namespace troupe::crawler
