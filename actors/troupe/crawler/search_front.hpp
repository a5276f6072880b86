#pragma once

#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "troupe/cache/messages.hpp"
#include "troupe/crawler/crawler_env.hpp"
#include "troupe/crawler/search_index.hpp"
#include "troupe/crawler/text.hpp"

namespace troupe::crawler {

/// What the search front needs.
struct search_deps {
  config::search_settings settings;
  region_handle_ptr search;
  size_t shards = 1;
  cache::cache_actor cache;
  /// The frontier shards, for the crawl status.
  region_handle_ptr crawler;
  size_t crawler_shards = 1;
};

/// The cache key of a query's answer: its groups, exclusions and limit in
/// a canonical form, so `a  b` and `A b` share one entry.
std::string cache_key(const query& q, uint32_t limit);

/// Renders hits as the API's `[{"title","snippet","link"}]`.
std::string render_hits(const std::vector<search_hit>& hits);

/// Spawns the node's search front (protocol in messages.hpp, `sx_query`;
/// also `(cr_stat)` -> the status JSON summed over every frontier and
/// index shard, `"partial": true` when one did not answer).
/// A miss runs two rounds over every index shard: the corpus statistics of
/// the query's terms (the shards remember the cache key under them), then
/// the best hits scored with the summed statistics; the merged answer is
/// cached for `search.cache_ttl_s`. An index shard that does not answer
/// fails the search (503) rather than giving a partial answer.
caf::actor spawn_search_front(caf::actor_system& sys,
                              std::shared_ptr<const search_deps> deps);

} // namespace troupe::crawler
