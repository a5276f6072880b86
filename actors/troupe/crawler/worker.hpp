#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "troupe/config/config.hpp"
#include "troupe/crawler/records.hpp"

namespace troupe::net {
class http_client;
} // namespace troupe::net

/// Fetch results stay on their node: the pool answers its own node's
/// frontier shards only.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(
    std::shared_ptr<const troupe::crawler::fetch_result>)

namespace troupe::crawler {

using fetch_result_ptr = std::shared_ptr<const fetch_result>;

/// What the crawl workers of a node share.
struct worker_env {
  config::crawler_settings settings;
  /// The client all workers share (keep-alive per host).
  std::shared_ptr<net::http_client> client;
};

/// Spawns the crawl workers of a node behind one front. Protocol:
/// - `(cr_fetch, url, robots)` -> `fetch_result_ptr`: a page fetch follows
///   redirects on its own host (up to `max_redirects`; a redirect to another
///   host ends the fetch with `moved_to`) and keeps the body of a text/html
///   answer; a robots.txt fetch follows up to 5 redirects and keeps the
///   body of a 2xx answer. A worker holding `worker_queue / workers`
///   fetches refuses more (`errc::overloaded`).
/// - `(cr_parse, url, fetched)` -> `fetch_result_ptr`: the page's title,
///   text, links (html.hpp) and simhash.
/// Fetching and parsing are separate so that a host's next fetch need not
/// wait for the parse of its last page.
caf::actor spawn_workers(caf::actor_system& sys,
                         std::shared_ptr<const worker_env> env);

} // namespace troupe::crawler
