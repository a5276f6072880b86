#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/config/config.hpp"
#include "troupe/mint/category.hpp"
#include "troupe/mint/crypto.hpp"
#include "troupe/runtime/shard_context.hpp"

namespace troupe::mint {

/// Unix seconds (injectable, so tests can move days).
using clock_fn = std::function<int64_t()>;

/// Counters the Mint shards of a node share (exported as metrics).
struct mint_board {
  std::atomic<uint64_t> transactions{0};
  std::atomic<uint64_t> jobs_done{0};
  std::atomic<uint64_t> jobs_failed{0};
  std::atomic<uint64_t> notifications{0};
  std::atomic<uint64_t> refreshes{0};
  std::atomic<int64_t> users{0};
};

using board_ptr = std::shared_ptr<mint_board>;

/// What every user shard of a node shares.
struct shard_env {
  config::mint_settings settings;
  /// The key sealing passwords; unset when none was given (linking then
  /// answers 503).
  std::optional<secret_key> key;
  /// The seller categories shipped (or configured).
  const seller_map* sellers = nullptr;
  /// The node's extraction pool (extractor.hpp).
  caf::actor extractor;
  clock_fn now;
  board_ptr board;
};

using shard_env_ptr = std::shared_ptr<const shard_env>;

/// Initializes one user shard: it loads its users, accounts, jobs and
/// transactions from its records (stashing requests meanwhile), queues
/// again the jobs a crash interrupted, reports ready to its region, then
/// serves messages.hpp; every `refresh_check_interval` it queues the daily
/// refresh of the accounts of active users and re-queues stuck jobs.
caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, shard_env_ptr env);

} // namespace troupe::mint
