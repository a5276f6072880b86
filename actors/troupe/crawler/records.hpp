#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "troupe/crawler/frontier.hpp"

/// What the crawler's shards journal and send each other as msgpack blobs
/// (persistence/codec.hpp: fields by name, decoding never throws).
namespace troupe::crawler {

/// The limits of one crawl, fixed when it is seeded.
struct crawl_limits {
  /// Pages the crawl fetches at most (distinct URLs admitted).
  uint64_t max_pages = 0;
  /// Links followed from a seed at most (seeds are depth 0).
  uint32_t max_depth = 0;
  /// Authorities (`host` or `host:port`) the crawl may visit.
  std::vector<std::string> allowed_hosts;
  /// True: any host (`"*"` in `allowed_hosts`).
  bool any_host = false;
  MSGPACK_DEFINE_MAP(max_pages, max_depth, allowed_hosts, any_host)

  /// Whether the crawl may visit `authority`.
  bool allows(const std::string& authority) const;
};

/// A crawl as a frontier shard journals it ("c" + id); `admitted` counts
/// the pages granted so far on the crawl's home shard only.
struct crawl_record {
  crawl_limits limits;
  uint64_t admitted = 0;
  MSGPACK_DEFINE_MAP(limits, admitted)
};

/// One frontier shard's figures for `/crawler/api/v1/status`.
struct shard_report {
  crawl_counts counts;
  /// Pages finished per second over the last rate window on this shard.
  double pages_per_second = 0;
  MSGPACK_DEFINE_MAP(counts, pages_per_second)
};

/// What a crawl worker tells its frontier shard about one fetch.
struct fetch_result {
  /// "" when a page (or robots.txt) arrived; else why not (`timeout`,
  /// `http_404`, `not_html`, `too_large`, `too_many_redirects`, ...).
  std::string failure;
  /// The HTTP status of the last answer (0: none arrived).
  unsigned status = 0;
  /// The body fetched (robots.txt: 2xx only; a page: before parsing).
  std::string body;
  /// A redirect to another host: its target, to queue as a link.
  std::string moved_to;
  /// Where the body came from (after redirects on the host): the base of
  /// the page's relative links.
  std::string final_url;
  /// A page: its title, visible text, links (normalized), simhash, and
  /// whether its meta robots said noindex.
  std::string title;
  std::string text;
  std::vector<std::string> links;
  uint64_t simhash = 0;
  bool noindex = false;
};

} // namespace troupe::crawler
