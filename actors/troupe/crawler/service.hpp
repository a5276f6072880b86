#pragma once

#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/message.hpp>

#include "troupe/cache/service.hpp"
#include "troupe/crawler/crawler_env.hpp"
#include "troupe/crawler/index_shard.hpp"
#include "troupe/runtime/clock.hpp"
#include "troupe/runtime/node.hpp"

namespace troupe::crawler {

/// Handles of the running crawler and search.
struct service {
  config::crawler_settings settings;
  config::search_settings search_settings;
  /// The frontier shards (region "crawler") and the index shards (region
  /// "search").
  region_handle_ptr crawler;
  region_handle_ptr search;
  /// The node's search front: `(sx_query, text, limit)` -> `(std::string
  /// body, bool cache_hit)`: the answer as the API's JSON array, from the
  /// query cache or computed over every index shard (then cached).
  caf::actor searcher;
  crawl_board_ptr board;
  index_board_ptr index;
};

/// Returns the routing key of a crawler or search message (element 1 of
/// keyed messages).
std::optional<std::string> key_of(const caf::message& msg);

/// Starts the crawl workers, the frontier and index regions, the search
/// front (in front of `cache`), the progress log and the metrics on `n`.
service start(runtime::node& n, const cache::service& cache,
              clock_ms_fn now = runtime::unix_now_ms);

} // namespace troupe::crawler
