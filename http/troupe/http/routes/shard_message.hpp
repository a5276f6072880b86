#pragma once

#include <cstdint>
#include <utility>

#include <caf/actor.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "troupe/runtime/atoms.hpp"

namespace troupe::http::routes {

/// Addresses `msg` to shard `idx` of a sharded service (anything with
/// `shard_or_region(idx)` and `region`): the shard itself when it runs on
/// this node, else the service's region with `msg` wrapped in
/// `(to_shard, idx, msg)`, which routes it to the shard's primary.
template <class Service>
std::pair<caf::actor, caf::message>
shard_message(const Service& svc, uint16_t idx, caf::message msg) {
  auto dest = svc.shard_or_region(idx);
  if (dest == svc.region)
    msg = caf::make_message(runtime::to_shard_atom::value, idx, std::move(msg));
  return {std::move(dest), std::move(msg)};
}

} // namespace troupe::http::routes
