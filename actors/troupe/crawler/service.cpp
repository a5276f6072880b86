#include "troupe/crawler/service.hpp"

#include <chrono>
#include <cstdio>

#include <caf/event_based_actor.hpp>

#include "troupe/crawler/frontier_shard.hpp"
#include "troupe/crawler/messages.hpp"
#include "troupe/crawler/search_front.hpp"
#include "troupe/crawler/worker.hpp"
#include "troupe/log.hpp"
#include "troupe/net/http_client.hpp"

namespace troupe::crawler {

namespace {

using progress_tick = caf::atom_constant<caf::atom("cr_prog")>;

bool keyed(const caf::message& msg) {
  return msg.match_element<seed_atom>(0) || msg.match_element<admit_atom>(0) ||
         msg.match_element<put_atom>(0) || msg.match_element<has_atom>(0) ||
         msg.match_element<dup_atom>(0) || msg.match_element<undup_atom>(0);
}

bool crawler_write(const caf::message& msg) {
  return msg.match_element<seed_atom>(0) || msg.match_element<admit_atom>(0) ||
         msg.match_element<enqueue_atom>(0);
}

bool search_write(const caf::message& msg) {
  return msg.match_element<put_atom>(0) || msg.match_element<dup_atom>(0) ||
         msg.match_element<undup_atom>(0);
}

/// Logs a line every `progress_every` pages finished on this node: the
/// count, the rate since the last line, what is queued, and the time left
/// at that rate.
caf::behavior progress(caf::event_based_actor* self, crawl_board_ptr board,
                       size_t every, clock_ms_fn now) {
  struct mark {
    uint64_t pages;
    int64_t at;
  };
  auto last = std::make_shared<mark>(mark{board->pages.load(), now()});
  self->delayed_send(self, std::chrono::seconds(1), progress_tick::value);
  return {
      [=](progress_tick) {
        auto pages = board->pages.load();
        if (pages / every > last->pages / every) {
          auto t = now();
          double secs = std::max<int64_t>(t - last->at, 1) / 1000.0;
          double rate = static_cast<double>(pages - last->pages) / secs;
          auto queued = std::max<int64_t>(board->queued.load(), 0);
          char line[160];
          std::snprintf(line, sizeof(line),
                        "%llu pages (%.1f pages/s), %lld queued, about %.0f s "
                        "left",
                        static_cast<unsigned long long>(pages), rate,
                        static_cast<long long>(queued),
                        rate > 0 ? static_cast<double>(queued) / rate : 0.0);
          log::info("crawler", line);
          *last = mark{pages, t};
        }
        self->delayed_send(self, std::chrono::seconds(1), progress_tick::value);
      },
  };
}

void export_metrics(runtime::metrics_registry& metrics, crawl_board_ptr b,
                    index_board_ptr ix) {
  metrics.add_collector([b, ix](runtime::metrics_registry& reg) {
    auto count = [&reg](const char* name, const char* help, uint64_t v,
                        runtime::metric_labels l) {
      auto& c = reg.counter(name, help, std::move(l));
      c.inc(v - c.value());
    };
    const char* help = "Pages this node's frontier shards finished";
    count("troupe_crawler_pages_total", help, b->crawled.load(),
          {{"result", "crawled"}});
    count("troupe_crawler_pages_total", help, b->duplicates.load(),
          {{"result", "duplicate"}});
    count("troupe_crawler_pages_total", help, b->failed.load(),
          {{"result", "failed"}});
    reg.gauge("troupe_crawler_queued", "URLs queued on this node's shards")
        .set(static_cast<double>(std::max<int64_t>(b->queued.load(), 0)));
    reg.gauge("troupe_search_documents", "Pages this node's index shards hold")
        .set(static_cast<double>(ix->documents.load()));
    reg.gauge("troupe_search_index_bytes",
              "Bytes this node's index shards hold (documents and postings)")
        .set(static_cast<double>(ix->bytes.load()));
    count("troupe_search_invalidations_total",
          "Cached search answers dropped because a page changed",
          ix->invalidations.load(), {});
  });
}

/// Starts the region of `spec` and publishes it in `handle`.
region_handle_ptr start_into(runtime::node& n, runtime::region_spec spec,
                             region_handle_ptr handle) {
  auto region = n.start_region(std::move(spec));
  std::lock_guard<std::mutex> guard{handle->mtx};
  handle->region = region;
  handle->status = n.regions().back();
  return handle;
}

region_handle_ptr start_frontiers(runtime::node& n, crawler_env_ptr env) {
  runtime::region_spec spec;
  spec.service = "crawler";
  spec.shards = env->crawler_shards;
  spec.key_of = key_of;
  spec.is_write = crawler_write;
  spec.shard = [env](caf::event_based_actor* self, runtime::shard_context c) {
    return frontier_shard(self, std::move(c), env);
  };
  return start_into(n, std::move(spec), env->crawler);
}

region_handle_ptr start_index(runtime::node& n, index_env_ptr env,
                              region_handle_ptr handle) {
  runtime::region_spec spec;
  spec.service = "search";
  spec.shards = env->settings.shards;
  spec.key_of = key_of;
  spec.is_write = search_write;
  spec.shard = [env](caf::event_based_actor* self, runtime::shard_context c) {
    return index_shard(self, std::move(c), env);
  };
  return start_into(n, std::move(spec), std::move(handle));
}

std::shared_ptr<net::http_client>
make_client(const config::crawler_settings& c) {
  net::http_client::options opts;
  opts.user_agent = c.user_agent;
  opts.ca_file = c.ca_file;
  opts.max_idle_per_host = c.per_host_connections;
  opts.max_in_flight = c.worker_queue;
  return std::make_shared<net::http_client>(opts);
}

} // namespace

std::optional<std::string> key_of(const caf::message& msg) {
  if (msg.size() >= 2 && keyed(msg) && msg.match_element<std::string>(1))
    return msg.get_as<std::string>(1);
  return std::nullopt;
}

service start(runtime::node& n, const cache::service& cache, clock_ms_fn now) {
  const auto& cfg = n.config();
  service svc;
  svc.settings = cfg.crawler;
  svc.search_settings = cfg.search;
  svc.board = std::make_shared<crawl_board>();
  svc.index = std::make_shared<index_board>();
  svc.crawler = std::make_shared<region_handle>();
  svc.search = std::make_shared<region_handle>();
  auto wenv = std::make_shared<worker_env>();
  wenv->settings = cfg.crawler;
  wenv->client = make_client(cfg.crawler);
  auto env = std::make_shared<crawler_env>();
  env->settings = cfg.crawler;
  env->workers = spawn_workers(n.system(), wenv);
  n.manage(env->workers);
  env->crawler = svc.crawler;
  env->search = svc.search;
  env->crawler_shards = cfg.crawler.shards;
  env->now = now;
  env->board = svc.board;
  auto ienv = std::make_shared<index_env>();
  ienv->settings = cfg.search;
  ienv->cache = cache.api;
  ienv->board = svc.index;
  start_index(n, ienv, svc.search);
  start_frontiers(n, env);
  auto deps = std::make_shared<search_deps>();
  deps->settings = cfg.search;
  deps->search = svc.search;
  deps->shards = cfg.search.shards;
  deps->cache = cache.api;
  deps->crawler = svc.crawler;
  deps->crawler_shards = cfg.crawler.shards;
  svc.searcher = spawn_search_front(n.system(), deps);
  n.manage(svc.searcher);
  auto logger =
      n.system().spawn(progress, svc.board,
                       std::max<size_t>(cfg.crawler.progress_every, 1), now);
  n.manage(logger);
  export_metrics(n.metrics(), svc.board, svc.index);
  return svc;
}

} // namespace troupe::crawler
