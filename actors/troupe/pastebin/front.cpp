#include "troupe/pastebin/front.hpp"

#include <memory>
#include <random>

#include "troupe/pastebin/messages.hpp"
#include "troupe/pastebin/paste_shard_state.hpp"
#include "troupe/pastebin/service.hpp"
#include "troupe/pastebin/shortlink.hpp"
#include "troupe/runtime/atoms.hpp"

namespace troupe::pastebin {

namespace {

struct front_state {
  caf::actor region;
  front_settings cfg;
  uint64_t nonce;
  runtime::region_status_ptr status;

  /// The local shard owning `key`, else the region.
  caf::actor route(const std::string& key) const {
    return status ? status->route(key, region) : region;
  }
};

using state_ptr = std::shared_ptr<front_state>;

/// Asks every shard for its top rows of `month` and merges them.
void gather_stats(caf::event_based_actor* self, state_ptr st,
                  const std::string& month, uint32_t limit,
                  caf::response_promise rp) {
  struct gather {
    std::vector<stats_row> rows;
    size_t remaining;
    caf::error failure;
  };
  auto acc = std::make_shared<gather>(gather{{}, st->cfg.shards, {}});
  auto finish = [acc, rp, limit]() mutable {
    if (--acc->remaining != 0)
      return;
    if (acc->failure) {
      rp.deliver(acc->failure);
      return;
    }
    rank_stats(acc->rows, limit);
    rp.deliver(std::move(acc->rows));
  };
  for (uint16_t i = 0; i < st->cfg.shards; ++i) {
    auto inner =
        caf::make_message(stats_atom::value, month, std::string{}, limit);
    self->request(st->region, st->cfg.timeout, runtime::to_shard_atom::value, i,
                  std::move(inner))
        .then(
            [acc, finish](std::vector<stats_row>& rows) mutable {
              acc->rows.insert(acc->rows.end(), rows.begin(), rows.end());
              finish();
            },
            [acc, finish](caf::error& err) mutable {
              acc->failure = std::move(err);
              finish();
            });
  }
}

} // namespace

caf::behavior front_actor(caf::event_based_actor* self, caf::actor region,
                          front_settings cfg,
                          runtime::region_status_ptr status) {
  std::random_device rd;
  auto seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  auto st = std::make_shared<front_state>(
      front_state{std::move(region), std::move(cfg), seed, std::move(status)});
  return {
      [self, st](create_atom, paste_input& in) -> caf::result<std::string> {
        // The shard answers the caller directly (and retries collisions).
        auto link = new_shortlink(
            in, [&st] { return st->nonce++; }, st->status);
        auto dest = st->route(link);
        self->delegate(dest, create_atom::value, std::move(link), std::move(in),
                       uint32_t{0});
        return caf::delegated<std::string>{};
      },
      [self, st](stats_atom, std::string& month, std::string& link,
                 uint32_t limit) -> caf::result<std::vector<stats_row>> {
        if (!link.empty()) {
          // One shortlink lives on one shard: route by key. (No response
          // promise here: making one would mark the request as answered.)
          self->delegate(st->region, stats_atom::value, std::move(month),
                         std::move(link), limit);
          return caf::delegated<std::vector<stats_row>>{};
        }
        gather_stats(self, st, month, limit, self->make_response_promise());
        return caf::delegated<std::vector<stats_row>>{};
      },
  };
}

} // namespace troupe::pastebin
