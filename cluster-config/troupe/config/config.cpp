#include "troupe/config/config.hpp"

#include <charconv>

#include "troupe/log.hpp"

namespace troupe::config {

std::string endpoint::to_string() const {
  return host + ":" + std::to_string(port);
}

std::optional<endpoint> parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return std::nullopt;
  unsigned value = 0;
  auto first = text.data() + colon + 1;
  auto last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || ptr != last || value > 65535)
    return std::nullopt;
  return endpoint{text.substr(0, colon), static_cast<uint16_t>(value)};
}

const char* to_string(durability x) {
  switch (x) {
  case durability::sync:
    return "sync";
  case durability::group:
    return "group";
  case durability::async:
    return "async";
  }
  return "sync";
}

const char* to_string(membership_source x) {
  return x == membership_source::etcd ? "etcd" : "static";
}

namespace {

/// Checks the etcd keys of `[membership]`; returns "key: problem" or "".
std::string validate_etcd(const membership_settings& m, size_t nodes) {
  if (m.source != membership_source::etcd)
    return {};
  if (nodes < 2)
    return "source: \"etcd\" coordinates two or more [[nodes]]; a single "
           "node needs no etcd (use \"static\")";
  if (m.etcd_endpoints.empty())
    return "etcd_endpoints: must name at least one \"host:port\" when "
           "source = \"etcd\"";
  if (m.lease_ttl.count() % 1000 != 0)
    return "lease_ttl_ms: must be whole seconds (etcd grants leases in "
           "seconds), e.g. 2000";
  if (m.lease_ttl <= m.heartbeat_interval * 2)
    return "lease_ttl_ms: must be more than twice heartbeat_interval_ms";
  if (m.etcd_prefix.empty() || m.etcd_prefix.front() != '/' ||
      m.etcd_prefix.back() == '/')
    return "etcd_prefix: must start with '/' and not end with one";
  return {};
}

} // namespace

const node_entry& node_config::self_entry() const {
  for (const auto& node : nodes)
    if (node.name == self)
      return node;
  return nodes.front();
}

node_entry& node_config::self_entry() {
  for (auto& node : nodes)
    if (node.name == self)
      return node;
  return nodes.front();
}

node_config default_config() {
  node_config cfg;
  cfg.self = "n1";
  cfg.nodes.push_back(node_entry{"n1", endpoint{"127.0.0.1", 4242},
                                 endpoint{"127.0.0.1", 8080}, "./data",
                                 endpoint{}});
  return cfg;
}

std::string validate(const node_config& cfg, const std::string& origin) {
  auto fail = [&](const std::string& key, const std::string& what) {
    return origin + ": " + key + ": " + what;
  };
  if (cfg.nodes.empty())
    return fail("nodes", "at least one node is required");
  bool found_self = false;
  for (size_t i = 0; i < cfg.nodes.size(); ++i) {
    const auto& node = cfg.nodes[i];
    auto key = "nodes[" + std::to_string(i) + "]";
    if (node.name.empty())
      return fail(key + ".name", "must not be empty");
    if (node.data_dir.empty())
      return fail(key + ".data_dir", "must not be empty");
    for (size_t j = 0; j < i; ++j)
      if (cfg.nodes[j].name == node.name)
        return fail(key + ".name", "duplicate node name '" + node.name + "'");
    found_self = found_self || node.name == cfg.self;
  }
  if (!found_self)
    return fail("self", "node '" + cfg.self + "' is not listed in [[nodes]]");
  if (cfg.replication_factor < 1 || cfg.replication_factor > cfg.nodes.size())
    return fail("replication_factor", "must be between 1 and the node count");
  if (log::level lvl; !log::parse_level(cfg.log_level, lvl))
    return fail(
        "log_level",
        "must be \"debug\", \"info\", \"warning\", \"error\" or \"off\"");
  if (cfg.http.io_threads < 1 || cfg.http.io_threads > 64)
    return fail("http.io_threads", "must be between 1 and 64");
  if (cfg.runtime.scheduler_threads < 1 || cfg.runtime.scheduler_threads > 256)
    return fail("runtime.scheduler_threads", "must be between 1 and 256");
  if (cfg.runtime.scheduler_policy != "stealing" &&
      cfg.runtime.scheduler_policy != "sharing")
    return fail("runtime.scheduler_policy",
                "must be \"stealing\" or \"sharing\"");
  if (cfg.runtime.fault_injection && cfg.runtime.admin_token.empty())
    return fail("runtime.admin_token",
                "must be set when fault_injection is enabled");
  if (cfg.pastebin.shards < 1 || cfg.pastebin.shards > 65535)
    return fail("pastebin.shards", "must be between 1 and 65535");
  if (cfg.membership.failure_timeout <= cfg.membership.heartbeat_interval)
    return fail("membership.failure_timeout_ms",
                "must be longer than membership.heartbeat_interval_ms");
  if (auto err = validate_etcd(cfg.membership, cfg.nodes.size()); !err.empty())
    return origin + ": membership." + err;
  if (cfg.cache.shards < 1 || cfg.cache.shards > 65535)
    return fail("cache.shards", "must be between 1 and 65535");
  if (cfg.cache.capacity_bytes / cfg.cache.shards < 4096)
    return fail("cache.capacity_bytes",
                "must give each of the cache.shards at least 4096 bytes");
  if (cfg.cache.max_value_bytes > cfg.http.max_body_bytes)
    return fail("cache.max_value_bytes",
                "must not exceed http.max_body_bytes (" +
                    std::to_string(cfg.http.max_body_bytes) + ")");
  if (cfg.twitter.shards < 1 || cfg.twitter.shards > 65535)
    return fail("twitter.shards", "must be between 1 and 65535");
  if (cfg.twitter.home_timeline_size > 100000)
    return fail("twitter.home_timeline_size", "must be at most 100000");
  if (cfg.twitter.notifications_per_user > 10000)
    return fail("twitter.notifications_per_user", "must be at most 10000");
  if (cfg.social.shards < 1 || cfg.social.shards > 65535)
    return fail("social.shards", "must be between 1 and 65535");
  if (cfg.social.import_batch_edges > 1000000)
    return fail("social.import_batch_edges", "must be at most 1000000");
  if (cfg.salesrank.shards < 1 || cfg.salesrank.shards > 65535)
    return fail("salesrank.shards", "must be between 1 and 65535");
  if (cfg.salesrank.top_size > 10000)
    return fail("salesrank.top_size", "must be at most 10000");
  if (cfg.salesrank.ingest_batch_lines > 1000000)
    return fail("salesrank.ingest_batch_lines", "must be at most 1000000");
  if (cfg.mint.shards < 1 || cfg.mint.shards > 65535)
    return fail("mint.shards", "must be between 1 and 65535");
  if (cfg.mint.seller_shards < 1 || cfg.mint.seller_shards > 65535)
    return fail("mint.seller_shards", "must be between 1 and 65535");
  if (cfg.mint.extract_attempts > 20)
    return fail("mint.extract_attempts", "must be at most 20");
  if (cfg.mint.max_redirects > 10)
    return fail("mint.max_redirects", "must be at most 10");
  if (cfg.mint.import_batch_lines > 1000000)
    return fail("mint.import_batch_lines", "must be at most 1000000");
  if (cfg.crawler.shards < 1 || cfg.crawler.shards > 65535)
    return fail("crawler.shards", "must be between 1 and 65535");
  if (cfg.crawler.per_host_connections > 64)
    return fail("crawler.per_host_connections", "must be at most 64");
  if (cfg.crawler.max_redirects > 10)
    return fail("crawler.max_redirects", "must be at most 10");
  if (cfg.crawler.max_depth > 64)
    return fail("crawler.max_depth", "must be at most 64");
  if (cfg.crawler.max_seeds > 100000)
    return fail("crawler.max_seeds", "must be at most 100000");
  if (cfg.search.shards < 1 || cfg.search.shards > 65535)
    return fail("search.shards", "must be between 1 and 65535");
  if (cfg.search.max_limit > 1000)
    return fail("search.max_limit", "must be at most 1000");
  if (cfg.persistence.max_queue < 1)
    return fail("persistence.max_queue", "must be positive");
  // The dashboard's history is kept in memory: at most a day of seconds.
  const auto& rt = cfg.runtime;
  if (rt.stats_history_s > 86400)
    return fail("runtime.stats_history_s", "must be at most 86400");
  if (rt.stats_interval.count() > 0 &&
      rt.stats_history_s * 1000 / rt.stats_interval.count() > 86400)
    return fail("runtime.stats_interval_ms",
                "keeps more than 86400 samples of stats_history_s");
  return {};
}

} // namespace troupe::config
