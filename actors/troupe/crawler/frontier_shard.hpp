#pragma once

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "troupe/crawler/crawler_env.hpp"
#include "troupe/runtime/shard_context.hpp"

namespace troupe::crawler {

/// Initializes one frontier shard (messages.hpp, region "crawler"): it
/// loads its URL records and crawls (stashing requests meanwhile), settles
/// the fetches a crash interrupted (indexed: done; else queued again),
/// then crawls its hosts politely through the node's workers: robots.txt
/// first, one page after another per host, each page's links queued on
/// their hosts' shards, its near-duplicates looked up and the page indexed
/// before it is recorded as done.
caf::behavior frontier_shard(caf::event_based_actor* self,
                             runtime::shard_context ctx, crawler_env_ptr env);

} // namespace troupe::crawler
