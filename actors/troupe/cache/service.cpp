#include "troupe/cache/service.hpp"

#include <chrono>
#include <memory>

#include <caf/actor_cast.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "troupe/runtime/atoms.hpp"

namespace troupe::cache {

namespace {

struct front_state {
  caf::actor region;
  runtime::region_status_ptr status;
  size_t shards;
  std::chrono::milliseconds timeout;

  caf::actor route(const std::string& key) const {
    return status ? status->route(key, region) : region;
  }
};

using front_ptr = std::shared_ptr<const front_state>;

/// Asks every shard for its counters and answers their sum.
void gather_stats(cache_actor::pointer self, const front_ptr& st,
                  caf::typed_response_promise<cache_stats> rp) {
  struct gather {
    cache_stats sum;
    size_t remaining;
    caf::error failure;
  };
  auto acc = std::make_shared<gather>(gather{{}, st->shards, {}});
  auto finish = [acc, rp]() mutable {
    if (--acc->remaining != 0)
      return;
    if (acc->failure)
      rp.deliver(acc->failure);
    else
      rp.deliver(acc->sum);
  };
  for (uint16_t i = 0; i < st->shards; ++i)
    self->request(st->region, st->timeout, runtime::to_shard_atom::value, i,
                  caf::make_message(stats_atom::value))
        .then(
            [acc, finish](cache_stats& x) mutable {
              acc->sum += x;
              finish();
            },
            [acc, finish](caf::error& err) mutable {
              acc->failure = std::move(err);
              finish();
            });
}

cache_actor::behavior_type front(cache_actor::pointer self, front_ptr st) {
  // Keyed requests are delegated: the owning shard answers the caller.
  return {
      [self, st](get_atom, std::string& key) {
        auto dest = st->route(key);
        self->delegate(dest, get_atom::value, std::move(key));
        return caf::delegated<std::string>{};
      },
      [self, st](put_atom, std::string& key, std::string& value,
                 uint32_t ttl_seconds) {
        auto dest = st->route(key);
        self->delegate(dest, put_atom::value, std::move(key), std::move(value),
                       ttl_seconds);
        return caf::delegated<ok_atom>{};
      },
      [self, st](delete_atom, std::string& key) {
        auto dest = st->route(key);
        self->delegate(dest, delete_atom::value, std::move(key));
        return caf::delegated<ok_atom>{};
      },
      [self, st](stats_atom) -> caf::result<cache_stats> {
        auto rp = self->make_response_promise<cache_stats>();
        gather_stats(self, st, rp);
        return rp;
      },
  };
}

void export_metrics(runtime::metrics_registry& metrics, shard_board_ptr board) {
  metrics.add_collector([board](runtime::metrics_registry& reg) {
    auto t = board->total();
    auto set = [&reg](const char* name, const char* help, uint64_t x) {
      reg.gauge(name, help).set(static_cast<double>(x));
    };
    set("troupe_cache_entries", "Entries held by the query cache", t.entries);
    set("troupe_cache_bytes", "Bytes charged for the cache's entries", t.bytes);
    set("troupe_cache_capacity_bytes", "Memory budget of the cache",
        t.capacity_bytes);
    set("troupe_cache_hits", "Cache gets that found a live entry", t.hits);
    set("troupe_cache_misses", "Cache gets that found nothing", t.misses);
    set("troupe_cache_evictions", "Entries evicted to make room", t.evictions);
    set("troupe_cache_expired", "Entries removed after their TTL", t.expired);
  });
}

} // namespace

std::optional<std::string> key_of(const caf::message& msg) {
  if (msg.match_elements<get_atom, std::string>() ||
      msg.match_elements<delete_atom, std::string>() ||
      msg.match_elements<put_atom, std::string, std::string, uint32_t>())
    return msg.get_as<std::string>(1);
  return std::nullopt;
}

caf::actor service::route(std::string_view key) const {
  return status ? status->route(key, region) : region;
}

service start(runtime::node& n, clock_fn now) {
  const auto& cfg = n.config().cache;
  auto board = std::make_shared<shard_board>(cfg.shards);
  runtime::shard_context snapshots;
  snapshots.store = &n.store("cache");
  snapshots.committer = &n.committer();
  drop_snapshots_beyond(snapshots, cfg.shards);
  runtime::region_spec spec;
  spec.service = "cache";
  spec.shards = cfg.shards;
  spec.key_of = key_of;
  spec.is_write = [](const caf::message& msg) {
    return msg.size() > 0 && (msg.match_element<put_atom>(0) ||
                              msg.match_element<delete_atom>(0));
  };
  // Memory-only: a shard that moves to another owner starts empty there.
  spec.replicated = false;
  // The budget is this node's: split evenly over the shards it runs (in a
  // cluster, those whose preferred primary it is); the first shards of the
  // split get the remainder's bytes. A shard taken over from a node that
  // is down gets one share on top of the budget.
  auto split = std::make_shared<std::vector<uint64_t>>(cfg.shards, 0);
  std::vector<uint16_t> local;
  for (uint16_t i = 0; i < cfg.shards; ++i)
    if (!n.members() || n.placement().primary("cache", i) == n.config().self)
      local.push_back(i);
  for (auto& share : *split)
    share = cfg.capacity_bytes / local.size();
  for (size_t k = 0; k < local.size(); ++k)
    (*split)[local[k]] += k < cfg.capacity_bytes % local.size() ? 1 : 0;
  spec.shard = [now, board, split](caf::event_based_actor* self,
                                   runtime::shard_context ctx) {
    auto capacity = (*split)[ctx.shard];
    return shard_actor(self, std::move(ctx), capacity, now, board);
  };
  service result;
  result.region = n.start_region(std::move(spec));
  result.status = n.regions().back();
  result.board = board;
  auto st = std::make_shared<const front_state>(
      front_state{result.region, result.status, cfg.shards,
                  n.config().http.request_timeout});
  result.api = n.system().spawn(front, st);
  n.manage(caf::actor_cast<caf::actor>(result.api));
  export_metrics(n.metrics(), std::move(board));
  return result;
}

} // namespace troupe::cache
