#include "troupe/twitter/service.hpp"

#include <algorithm>
#include <chrono>

#include <caf/actor_cast.hpp>

#include "troupe/runtime/atoms.hpp"
#include "troupe/twitter/fanout.hpp"
#include "troupe/twitter/messages.hpp"

namespace troupe::twitter {

namespace {

/// Merges per-shard results newest first, without duplicates, up to `limit`.
tweet_list merge_results(tweet_list all, size_t limit) {
  std::sort(all.begin(), all.end(),
            [](const tweet& x, const tweet& y) { return x.id > y.id; });
  all.erase(
      std::unique(all.begin(), all.end(),
                  [](const tweet& x, const tweet& y) { return x.id == y.id; }),
      all.end());
  if (all.size() > limit)
    all.resize(limit);
  return all;
}

/// Asks every shard for its matches and answers `(tweet_list, partial)`.
void scatter_search(caf::event_based_actor* self, const caf::actor& region,
                    size_t shards, std::chrono::milliseconds timeout,
                    const std::vector<std::string>& terms, uint32_t limit,
                    caf::response_promise rp) {
  struct gather {
    tweet_list got;
    size_t remaining;
    bool partial = false;
  };
  auto acc = std::make_shared<gather>(gather{{}, shards, false});
  auto done = [acc, rp, limit]() mutable {
    if (--acc->remaining == 0)
      rp.deliver(merge_results(std::move(acc->got), limit), acc->partial);
  };
  for (uint16_t i = 0; i < shards; ++i)
    self->request(region, timeout, runtime::to_shard_atom::value, i,
                  caf::make_message(search_atom::value, terms, limit))
        .then(
            [acc, done](tweet_list& xs) mutable {
              for (auto& x : xs)
                acc->got.push_back(std::move(x));
              done();
            },
            [acc, done](caf::error&) mutable {
              acc->partial = true;
              done();
            });
}

caf::behavior search_front(caf::event_based_actor* self, caf::actor region,
                           size_t shards, std::chrono::milliseconds timeout) {
  return {
      [=](search_atom, const std::vector<std::string>& terms, uint32_t limit) {
        auto rp = self->make_response_promise();
        scatter_search(self, region, shards, timeout, terms, limit, rp);
        return rp;
      },
  };
}

void export_metrics(runtime::metrics_registry& metrics,
                    std::shared_ptr<twitter_board> board) {
  metrics.add_collector([board](runtime::metrics_registry& reg) {
    auto count = [&reg](const char* name, const char* help, uint64_t x) {
      auto& c = reg.counter(name, help);
      c.inc(x - c.value());
    };
    auto set = [&reg](const char* name, const char* help, int64_t x) {
      reg.gauge(name, help).set(static_cast<double>(x));
    };
    count("troupe_twitter_tweets_total", "Tweets stored by this node's shards",
          board->tweets.load());
    count("troupe_twitter_deliveries_total",
          "Home-timeline entries delivered by fan-out on this node",
          board->deliveries.load());
    set("troupe_twitter_home_entries",
        "Entries held by the home timelines of this node",
        board->home_entries.load());
    set("troupe_twitter_fanout_backlog",
        "Tweets waiting for this node's fan-out actor", board->backlog.load());
  });
}

uint64_t node_index(const config::node_config& cfg) {
  for (size_t i = 0; i < cfg.nodes.size(); ++i)
    if (cfg.nodes[i].name == cfg.self)
      return std::min<uint64_t>(i, tweet_id::max_node);
  return 0;
}

template <class Atom>
bool keyed_by(const caf::message& msg) {
  return msg.match_element<Atom>(0) && msg.match_element<std::string>(1);
}

} // namespace

int64_t system_now_ms() {
  // The clock tweet ids are made from: activity and ids agree.
  return static_cast<int64_t>(tweet_id_generator::system_ms());
}

std::optional<std::string> key_of(const caf::message& msg) {
  if (msg.size() < 2)
    return std::nullopt;
  if (keyed_by<user_atom>(msg) || keyed_by<follow_atom>(msg) ||
      keyed_by<unfollow_atom>(msg) || keyed_by<add_follower_atom>(msg) ||
      keyed_by<del_follower_atom>(msg) || keyed_by<post_atom>(msg) ||
      keyed_by<user_timeline_atom>(msg) || keyed_by<home_timeline_atom>(msg) ||
      keyed_by<notes_atom>(msg) || keyed_by<notify_atom>(msg))
    return msg.get_as<std::string>(1);
  return std::nullopt;
}

caf::actor service::route(std::string_view user) const {
  return status ? status->route(user, region) : region;
}

service start(runtime::node& n, clock_fn now_ms) {
  const auto& cfg = n.config().twitter;
  auto board = std::make_shared<twitter_board>();
  auto deps = std::make_shared<shard_deps>();
  deps->board = board;
  deps->ids = std::make_shared<tweet_id_source>(node_index(n.config()));
  deps->fanout = n.system().spawn(fanout_actor, cfg.shards);
  deps->now_ms = std::move(now_ms);
  n.manage(deps->fanout);
  runtime::region_spec spec;
  spec.service = "twitter";
  spec.shards = cfg.shards;
  spec.key_of = key_of;
  spec.is_write = [](const caf::message& msg) {
    return msg.size() > 0 && (msg.match_element<user_atom>(0) ||
                              msg.match_element<follow_atom>(0) ||
                              msg.match_element<unfollow_atom>(0) ||
                              msg.match_element<add_follower_atom>(0) ||
                              msg.match_element<del_follower_atom>(0) ||
                              msg.match_element<post_atom>(0));
  };
  shard_deps_ptr shared = deps;
  spec.shard = [shared](caf::event_based_actor* self,
                        runtime::shard_context ctx) {
    return shard_actor(self, std::move(ctx), shared);
  };
  service result;
  result.region = n.start_region(std::move(spec));
  result.status = n.regions().back();
  result.board = board;
  caf::anon_send(deps->fanout, region_atom::value, result.region,
                 result.status);
  result.search = n.system().spawn(search_front, result.region, cfg.shards,
                                   cfg.search_timeout);
  n.manage(result.search);
  export_metrics(n.metrics(), std::move(board));
  return result;
}

} // namespace troupe::twitter
