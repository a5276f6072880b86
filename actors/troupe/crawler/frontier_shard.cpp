#include "troupe/crawler/frontier_shard.hpp"

#include <deque>
#include <stdexcept>
#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/skip.hpp>

#include "troupe/crawler/crawl_steps.hpp"
#include "troupe/crawler/messages.hpp"
#include "troupe/crawler/shard_common.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::crawler {

namespace {

using runtime::errc;
using runtime::make_error;

caf::error invalid(std::string why) {
  return make_error(errc::invalid_argument, std::move(why));
}

/// Answers a seed request: records the crawl, queues the seeds in order.
caf::result<caf::message> on_seed(caf::event_based_actor* self, state_ptr st,
                                  const std::string& id,
                                  const std::string& blob,
                                  const std::vector<std::string>& urls) {
  crawl_limits limits;
  if (!persistence::decode(blob, limits))
    return invalid("malformed crawl limits");
  remember_crawl(self, st, id, limits);
  std::vector<uint32_t> orders(urls.size());
  for (uint32_t i = 0; i < orders.size(); ++i)
    orders[i] = i;
  auto rp = self->make_response_promise();
  send_urls(self, st, id, blob, 0, urls, orders,
            [rp](bool ok, uint64_t added, uint64_t known) mutable {
              if (ok)
                rp.deliver(added, known);
              else
                rp.deliver(make_error(errc::unavailable,
                                      "a crawler shard did not answer"));
            });
  return rp;
}

caf::result<caf::message> on_enqueue(caf::event_based_actor* self, state_ptr st,
                                     const std::string& id,
                                     const std::string& blob, uint32_t depth,
                                     const std::vector<uint32_t>& orders,
                                     const std::vector<std::string>& urls) {
  crawl_limits limits;
  if (!persistence::decode(blob, limits))
    return invalid("malformed crawl limits");
  if (orders.size() != urls.size())
    return invalid("orders and urls differ in length");
  remember_crawl(self, st, id, limits);
  auto batch = std::make_shared<enqueue_batch>();
  batch->crawl = id;
  batch->depth = depth;
  batch->orders = orders;
  batch->urls = urls;
  auto rp = self->make_response_promise();
  admit_and_queue(self, st, std::move(batch), limits.max_pages, rp);
  return rp;
}

caf::result<caf::message> on_admit(caf::event_based_actor* self, state_ptr st,
                                   const std::string& id, uint64_t n,
                                   uint64_t max_pages) {
  auto& rec = st->crawls[id];
  if (rec.limits.max_pages == 0)
    rec.limits.max_pages = max_pages;
  auto cap = rec.limits.max_pages;
  uint64_t left = rec.admitted >= cap ? 0 : cap - rec.admitted;
  uint64_t granted = std::min(n, left);
  rec.admitted += granted;
  auto rp = self->make_response_promise();
  std::vector<persistence::journal_op> ops{
      {persistence::journal_op::put, crawl_key(id), persistence::encode(rec)}};
  if (auto err = st->journal.submit(self, std::move(ops), rp,
                                    caf::make_message(granted))) {
    rec.admitted -= granted;
    return err;
  }
  return rp;
}

caf::behavior serving(caf::event_based_actor* self, state_ptr st) {
  auto every = st->env->settings.refresh_check_interval;
  self->delayed_send(self, every, refresh_atom::value);
  return caf::message_handler{
      [self, st](seed_atom, const std::string& id, const std::string& blob,
                 const std::vector<std::string>& urls) {
        return on_seed(self, st, id, blob, urls);
      },
      [self, st](enqueue_atom, const std::string& id, const std::string& blob,
                 uint32_t depth, const std::vector<uint32_t>& orders,
                 const std::vector<std::string>& urls) {
        return on_enqueue(self, st, id, blob, depth, orders, urls);
      },
      [self, st](admit_atom, const std::string& id, uint64_t n,
                 uint64_t max_pages) {
        return on_admit(self, st, id, n, max_pages);
      },
      [st](stat_atom) { return persistence::encode(report(*st)); },
      [self, st](durable_atom, const std::vector<std::string>& urls) {
        return journal_fetching(self, st, urls);
      },
      [self, st](pump_atom) {
        st->wake_at = 0;
        pump(self, st);
      },
      [self, st, every](refresh_atom) {
        refresh_due(self, st);
        self->delayed_send(self, every, refresh_atom::value);
      },
  }
      .or_else(journal_handlers(st));
}

} // namespace

caf::behavior frontier_shard(caf::event_based_actor* self,
                             runtime::shard_context ctx, crawler_env_ptr env) {
  auto st = std::make_shared<shard_state>(std::move(ctx), std::move(env));
  self->set_default_handler(caf::skip);
  runtime::load_shard_async(self, st->journal.context());
  return {
      [self, st](runtime::loaded_atom, const runtime::shard_image_ptr& image) {
        restore(st, *image);
        finish_loading(self, st->journal, image->last_seq);
        self->become(serving(self, st));
        recover(self, st);
        pump(self, st);
      },
  };
}

} // namespace troupe::crawler
