#include "troupe/crawler/crawler_env.hpp"

#include <caf/make_message.hpp>

#include "troupe/runtime/atoms.hpp"

namespace troupe::crawler {

std::pair<caf::actor, caf::message> region_handle::to_shard(uint16_t idx,
                                                            caf::message msg) {
  std::lock_guard<std::mutex> guard{mtx};
  if (auto local = status ? status->shard_at(idx) : caf::actor{})
    return {local, std::move(msg)};
  return {region, caf::make_message(runtime::to_shard_atom::value, idx,
                                    std::move(msg))};
}

caf::actor region_handle::route(std::string_view key) {
  std::lock_guard<std::mutex> guard{mtx};
  return status ? status->route(key, region) : region;
}

} // namespace troupe::crawler
