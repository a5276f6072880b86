#pragma once

#include <caf/atom.hpp>

/// Messages of the web crawler and its search.
///
/// Two regions. "crawler" holds the frontier shards, keyed by host (a URL's
/// authority): each owns the queues, robots.txt rules and URL records of
/// its hosts and drives their fetches through the node's crawl workers.
/// "search" holds the index shards: documents keyed by URL, and the
/// near-duplicate block entries keyed by "dup/<idx>/<block>". Errors are
/// `troupe::runtime::errc` values. Blobs are msgpack (records.hpp).
///
/// crawler, keyed by the crawl id (element 1), on the crawl's home shard:
/// - `(cr_seed, crawl_id, limits, urls)` -> `(uint64 queued, uint64 known)`:
///   records the crawl (`limits`: an encoded `crawl_limits`) and queues
///   `urls` (normalized) on their hosts' shards; answered once durable.
/// - `(cr_admit, crawl_id, n)` -> `uint64`: grants up to `n` of the crawl's
///   remaining `max_pages` (journaled).
/// crawler, by shard index (`(to_shard, idx, msg)`):
/// - `(cr_enq, crawl_id, limits, depth, order, urls)` -> `(uint64 added,
///   uint64 known)`: queues URLs of hosts on that shard.
/// - `(cr_stat)` -> `std::string`: an encoded `shard_report`.
///
/// search, keyed by URL or block key (element 1):
/// - `(sx_put, url, document)` -> `bool`: stores (replaces) an encoded
///   `document` and drops the cached answers it may change.
/// - `(sx_has, url, since_ms)` -> `bool`: whether `url` is indexed from a
///   fetch at or after `since_ms`.
/// - `(sx_dup, key, idx, block, hash, url)` -> `std::string`: a stored page
///   within 3 bits of `hash`, or "" (then `hash` is stored for `url`).
/// - `(sx_undup, key, idx, block, url)` -> `bool`: forgets url's entry.
/// search, by shard index:
/// - `(sx_stats, cache_key, terms, watched)` -> `std::string`: encoded
///   `corpus_stats` for `terms`; remembers `cache_key` under `watched`
///   (the query's terms, excluded ones too).
/// - `(sx_find, query, limit, stats)` -> `std::string`: encoded hits.
/// - `(sx_count)` -> `(uint64 documents, uint64 bytes)`.
///
/// local, the node's search front (service.hpp):
/// - `(sx_query, text, limit)` -> `(std::string body, bool cache_hit)`.
namespace troupe::crawler {

using seed_atom = caf::atom_constant<caf::atom("cr_seed")>;
using admit_atom = caf::atom_constant<caf::atom("cr_admit")>;
using enqueue_atom = caf::atom_constant<caf::atom("cr_enq")>;
using stat_atom = caf::atom_constant<caf::atom("cr_stat")>;
using fetch_atom = caf::atom_constant<caf::atom("cr_fetch")>;
using pump_atom = caf::atom_constant<caf::atom("cr_pump")>;
using durable_atom = caf::atom_constant<caf::atom("cr_durabl")>;
using refresh_atom = caf::atom_constant<caf::atom("cr_refr")>;
using fetched_atom = caf::atom_constant<caf::atom("cr_fetchd")>;
using parse_atom = caf::atom_constant<caf::atom("cr_parse")>;

using put_atom = caf::atom_constant<caf::atom("sx_put")>;
using has_atom = caf::atom_constant<caf::atom("sx_has")>;
using dup_atom = caf::atom_constant<caf::atom("sx_dup")>;
using undup_atom = caf::atom_constant<caf::atom("sx_undup")>;
using stats_atom = caf::atom_constant<caf::atom("sx_stats")>;
using find_atom = caf::atom_constant<caf::atom("sx_find")>;
using count_atom = caf::atom_constant<caf::atom("sx_count")>;
using query_atom = caf::atom_constant<caf::atom("sx_query")>;

} // namespace troupe::crawler
