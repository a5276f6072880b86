#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <caf/actor.hpp>

#include "troupe/config/config.hpp"
#include "troupe/runtime/region.hpp"

namespace troupe::crawler {

/// Milliseconds since the Unix epoch (injectable for tests).
using clock_ms_fn = std::function<int64_t()>;

/// Counters the frontier shards of a node share: the progress log and
/// `/metrics` read them.
struct crawl_board {
  /// Pages finished (any outcome) by this node's shards.
  std::atomic<uint64_t> pages{0};
  /// URLs queued on this node's shards.
  std::atomic<int64_t> queued{0};
  /// Pages finished per outcome.
  std::atomic<uint64_t> crawled{0};
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> failed{0};
};

using crawl_board_ptr = std::shared_ptr<crawl_board>;

/// Where to reach a region's shards; filled once the region runs.
struct region_handle {
  std::mutex mtx;
  caf::actor region;
  runtime::region_status_ptr status;

  /// The message to send for shard `idx`: to the shard itself when it
  /// runs here, else to the region wrapped in `to_shard`.
  std::pair<caf::actor, caf::message> to_shard(uint16_t idx, caf::message msg);

  /// Where a message keyed by `key` goes.
  caf::actor route(std::string_view key);
};

using region_handle_ptr = std::shared_ptr<region_handle>;

/// What every frontier shard of a node needs.
struct crawler_env {
  config::crawler_settings settings;
  /// The node's crawl workers (worker.hpp).
  caf::actor workers;
  region_handle_ptr crawler;
  region_handle_ptr search;
  size_t crawler_shards = 1;
  clock_ms_fn now;
  crawl_board_ptr board;
};

using crawler_env_ptr = std::shared_ptr<const crawler_env>;

} // namespace troupe::crawler
