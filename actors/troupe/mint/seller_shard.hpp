#pragma once

#include <functional>
#include <memory>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/mint/category.hpp"
#include "troupe/runtime/shard_context.hpp"

namespace troupe::mint {

/// What the seller shards of a node share: how to reach every user shard.
struct seller_env {
  const seller_map* sellers = nullptr;
  size_t user_shards = 0;
  /// Returns where a message for user shard `idx` goes: the shard when it
  /// runs here (false), else the user region (true: wrap it in `to_shard`).
  std::function<std::pair<caf::actor, bool>(uint16_t)> user_shard;
};

using seller_env_ptr = std::shared_ptr<const seller_env>;

/// Initializes one shard of the crowd's seller votes (region
/// "mint_sellers"): it keeps the votes of its sellers (seller_votes.hpp),
/// journals each one, and sends every changed winner to all user shards as
/// `(mint_crowd, seller_key, category)` until each has confirmed it (the
/// pending sends survive restarts).
caf::behavior seller_shard_actor(caf::event_based_actor* self,
                                 runtime::shard_context ctx,
                                 seller_env_ptr env);

} // namespace troupe::mint
