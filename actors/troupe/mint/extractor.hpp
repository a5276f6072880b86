#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "troupe/config/config.hpp"
#include "troupe/net/address_policy.hpp"
#include "troupe/runtime/metrics.hpp"

namespace troupe::net {
class http_client;
} // namespace troupe::net

namespace troupe::mint {

/// What the extraction pool of a node needs.
struct extractor_env {
  config::mint_settings settings;
  /// The client all workers share.
  std::shared_ptr<net::http_client> client;
  /// Which institution hosts may be called.
  net::host_policy policy;
  /// Returns where a message for user shard `idx` goes: the shard when it
  /// runs here (false), else the region (true: wrap it in `to_shard`).
  std::function<std::pair<caf::actor, bool>(uint16_t)> user_shard;
  /// Seconds from a worker taking a job to its end (done or failed);
  /// owned by the node's metrics registry.
  runtime::metric_histogram* duration = nullptr;
};

using extractor_env_ptr = std::shared_ptr<const extractor_env>;

/// Spawns the extraction pool of a node: `extract_workers` workers fed from
/// a queue of at most `extract_queue` jobs. Protocol:
/// `(mint_enq, job_id, shard, url, login, password, since_date, account)`
/// ->
/// `bool` (false: the queue is full; a job already queued or running is
/// accepted again without a second copy). A worker tells the job's shard
/// `(mint_jst, job, "running", attempt, "")` before every try, then either
/// `(mint_extr, job, batch)` with the pulled transactions (an encoded
/// `txn_batch`) or `(mint_jst, job, "failed", attempts, reason)`.
caf::actor spawn_extractor(caf::actor_system& sys, extractor_env_ptr env);

} // namespace troupe::mint
