// Reading the TOML config. Every key is declared once in a `table_spec` that
// binds it to a struct field; unknown keys and ill-typed values are errors
// naming the file, the key and the problem, so a typo never goes unnoticed.

#include "troupe/config/config.hpp"

#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include <toml++/toml.h>

namespace troupe::config {

namespace {

using setter = std::function<std::string(const toml::node&)>;

struct field {
  const char* key;
  setter set;
};

using table_spec = std::vector<field>;

template <class Int>
setter integer_field(Int& out, int64_t min) {
  return [&out, min](const toml::node& node) -> std::string {
    auto value = node.value<int64_t>();
    constexpr auto max = static_cast<uint64_t>(std::numeric_limits<Int>::max());
    if (!node.is_integer() || !value || *value < min ||
        static_cast<uint64_t>(*value) > max)
      return "must be an integer >= " + std::to_string(min);
    out = static_cast<Int>(*value);
    return {};
  };
}

setter seconds_field(std::chrono::seconds& out, int64_t min) {
  return [&out, min](const toml::node& node) -> std::string {
    auto value = node.value<int64_t>();
    if (!node.is_integer() || !value || *value < min)
      return "must be an integer number of seconds >= " + std::to_string(min);
    out = std::chrono::seconds{*value};
    return {};
  };
}

setter millis_field(std::chrono::milliseconds& out, int64_t min) {
  return [&out, min](const toml::node& node) -> std::string {
    auto value = node.value<int64_t>();
    if (!node.is_integer() || !value || *value < min)
      return "must be an integer number of milliseconds >= " +
             std::to_string(min);
    out = std::chrono::milliseconds{*value};
    return {};
  };
}

setter string_field(std::string& out) {
  return [&out](const toml::node& node) -> std::string {
    if (!node.is_string())
      return "must be a string";
    out = *node.value<std::string>();
    return {};
  };
}

setter bool_field(bool& out) {
  return [&out](const toml::node& node) -> std::string {
    if (!node.is_boolean())
      return "must be true or false";
    out = *node.value<bool>();
    return {};
  };
}

setter endpoint_field(endpoint& out) {
  return [&out](const toml::node& node) -> std::string {
    auto text = node.value<std::string>();
    auto parsed = text ? parse_endpoint(*text) : std::nullopt;
    if (!node.is_string() || !parsed)
      return "must be a string \"host:port\"";
    out = *parsed;
    return {};
  };
}

setter durability_field(durability& out) {
  return [&out](const toml::node& node) -> std::string {
    auto text = node.value<std::string>().value_or("");
    if (node.is_string() && text == "sync")
      out = durability::sync;
    else if (node.is_string() && text == "group")
      out = durability::group;
    else if (node.is_string() && text == "async")
      out = durability::async;
    else
      return "must be \"sync\", \"group\" or \"async\"";
    return {};
  };
}

setter source_field(membership_source& out) {
  return [&out](const toml::node& node) -> std::string {
    auto text = node.value<std::string>().value_or("");
    if (node.is_string() && text == "static")
      out = membership_source::static_list;
    else if (node.is_string() && text == "etcd")
      out = membership_source::etcd;
    else
      return "must be \"static\" or \"etcd\"";
    return {};
  };
}

setter endpoints_field(std::vector<endpoint>& out) {
  return [&out](const toml::node& node) -> std::string {
    auto arr = node.as_array();
    if (!arr)
      return "must be an array of \"host:port\" strings";
    std::vector<endpoint> parsed;
    for (const auto& item : *arr) {
      auto text = item.value<std::string>();
      auto ep = text ? parse_endpoint(*text) : std::nullopt;
      if (!item.is_string() || !ep)
        return "must be an array of \"host:port\" strings";
      parsed.push_back(*ep);
    }
    out = std::move(parsed);
    return {};
  };
}

setter strings_field(std::vector<std::string>& out) {
  return [&out](const toml::node& node) -> std::string {
    auto arr = node.as_array();
    if (!arr)
      return "must be an array of strings";
    std::vector<std::string> parsed;
    for (const auto& item : *arr) {
      auto text = item.value<std::string>();
      if (!item.is_string() || !text || text->empty())
        return "must be an array of non-empty strings";
      parsed.push_back(*text);
    }
    out = std::move(parsed);
    return {};
  };
}

std::string apply(const toml::table& tbl, const table_spec& spec,
                  const std::string& prefix) {
  for (auto&& [key, node] : tbl) {
    auto name = std::string{key.str()};
    auto full = prefix.empty() ? name : prefix + "." + name;
    auto i = std::find_if(spec.begin(), spec.end(),
                          [&](const field& f) { return name == f.key; });
    if (i == spec.end())
      return full + ": unknown key";
    if (auto err = i->set(node); !err.empty())
      return full + ": " + err;
  }
  return {};
}

setter section(table_spec spec, std::string prefix) {
  return [spec = std::move(spec), prefix](const toml::node& node) {
    if (!node.is_table())
      return std::string{"must be a table"};
    // apply() already names the key, so strip the caller's prefix.
    auto err = apply(*node.as_table(), spec, prefix);
    return err.empty() ? err : "\x01" + err;
  };
}

table_spec node_spec(node_entry& out) {
  return {{"name", string_field(out.name)},
          {"actor", endpoint_field(out.actor)},
          {"http", endpoint_field(out.http)},
          {"data_dir", string_field(out.data_dir)},
          {"link", endpoint_field(out.link)}};
}

setter nodes_field(std::vector<node_entry>& out) {
  return [&out](const toml::node& node) -> std::string {
    auto arr = node.as_array();
    if (!arr)
      return "must be an array of tables ([[nodes]])";
    out.clear();
    for (size_t i = 0; i < arr->size(); ++i) {
      auto prefix = "nodes[" + std::to_string(i) + "]";
      auto tbl = arr->get(i)->as_table();
      if (!tbl)
        return "\x01" + prefix + ": must be a table";
      node_entry entry{"", endpoint{"127.0.0.1", 0}, endpoint{"127.0.0.1", 0},
                       "", endpoint{}};
      if (auto err = apply(*tbl, node_spec(entry), prefix); !err.empty())
        return "\x01" + err;
      if (entry.actor.port == 0 || entry.http.port == 0)
        return "\x01" + prefix + ": needs both \"actor\" and \"http\"";
      out.push_back(std::move(entry));
    }
    return {};
  };
}

setter mint_section(mint_settings& mi) {
  return section(
      {{"shards", integer_field(mi.shards, 1)},
       {"seller_shards", integer_field(mi.seller_shards, 1)},
       {"key_file", string_field(mi.key_file)},
       {"seller_map", string_field(mi.seller_map)},
       {"extract_workers", integer_field(mi.extract_workers, 1)},
       {"extract_queue", integer_field(mi.extract_queue, 1)},
       {"extract_attempts", integer_field(mi.extract_attempts, 1)},
       {"extract_retry_ms", millis_field(mi.extract_retry, 1)},
       {"connect_timeout_ms", millis_field(mi.connect_timeout, 1)},
       {"read_timeout_ms", millis_field(mi.read_timeout, 1)},
       {"max_response_bytes", integer_field(mi.max_response_bytes, 1024)},
       {"max_redirects", integer_field(mi.max_redirects, 0)},
       {"ca_file", string_field(mi.ca_file)},
       {"institution_hosts", strings_field(mi.institution_hosts)},
       {"history_days", integer_field(mi.history_days, 1)},
       {"active_days", integer_field(mi.active_days, 1)},
       {"refresh_check_interval_ms",
        millis_field(mi.refresh_check_interval, 1)},
       {"job_timeout_ms", millis_field(mi.job_timeout, 1000)},
       {"jobs_per_account", integer_field(mi.jobs_per_account, 1)},
       {"max_import_bytes", integer_field(mi.max_import_bytes, 1)},
       {"import_batch_lines", integer_field(mi.import_batch_lines, 1)}},
      "mint");
}

setter crawler_section(crawler_settings& cr) {
  return section(
      {{"shards", integer_field(cr.shards, 1)},
       {"per_host_connections", integer_field(cr.per_host_connections, 1)},
       {"per_host_delay_ms", millis_field(cr.per_host_delay, 0)},
       {"workers", integer_field(cr.workers, 1)},
       {"worker_queue", integer_field(cr.worker_queue, 1)},
       {"connect_timeout_ms", millis_field(cr.connect_timeout, 1)},
       {"read_timeout_ms", millis_field(cr.read_timeout, 1)},
       {"max_page_bytes", integer_field(cr.max_page_bytes, 1024)},
       {"max_redirects", integer_field(cr.max_redirects, 0)},
       {"max_pages", integer_field(cr.max_pages, 1)},
       {"max_depth", integer_field(cr.max_depth, 0)},
       {"max_seeds", integer_field(cr.max_seeds, 1)},
       {"refresh_after_s", seconds_field(cr.refresh_after, 1)},
       {"refresh_check_interval_ms",
        millis_field(cr.refresh_check_interval, 1)},
       {"progress_every", integer_field(cr.progress_every, 1)},
       {"user_agent", string_field(cr.user_agent)},
       {"robots_token", string_field(cr.robots_token)},
       {"public_only", bool_field(cr.public_only)},
       {"ca_file", string_field(cr.ca_file)},
       {"robots_retry_ms", millis_field(cr.robots_retry, 1)}},
      "crawler");
}

setter search_section(search_settings& se) {
  return section({{"shards", integer_field(se.shards, 1)},
                  {"cache_ttl_s", seconds_field(se.cache_ttl, 1)},
                  {"max_limit", integer_field(se.max_limit, 1)},
                  {"max_query_bytes", integer_field(se.max_query_bytes, 16)},
                  {"registry_capacity", integer_field(se.registry_capacity, 1)},
                  {"timeout_ms", millis_field(se.timeout, 1)}},
                 "search");
}

table_spec root_spec(node_config& cfg) {
  auto& h = cfg.http;
  auto& p = cfg.persistence;
  auto& r = cfg.runtime;
  auto& pb = cfg.pastebin;
  auto& c = cfg.cache;
  auto& m = cfg.membership;
  auto& tw = cfg.twitter;
  auto& so = cfg.social;
  auto& sr = cfg.salesrank;
  auto& mi = cfg.mint;
  return {
      {"cluster", string_field(cfg.cluster)},
      {"self", string_field(cfg.self)},
      {"replication_factor", integer_field(cfg.replication_factor, 1)},
      {"log_level", string_field(cfg.log_level)},
      {"nodes", nodes_field(cfg.nodes)},
      {"http",
       section({{"io_threads", integer_field(h.io_threads, 1)},
                {"max_header_bytes", integer_field(h.max_header_bytes, 1024)},
                {"max_body_bytes", integer_field(h.max_body_bytes, 1)},
                {"request_timeout_ms", millis_field(h.request_timeout, 1)},
                {"idle_timeout_ms", millis_field(h.idle_timeout, 1)},
                {"max_connections", integer_field(h.max_connections, 1)},
                {"shutdown_grace_ms", millis_field(h.shutdown_grace, 0)}},
               "http")},
      {"persistence",
       section({{"durability", durability_field(p.level)},
                {"map_size_mb", integer_field(p.map_size_mb, 1)},
                {"max_queue", integer_field(p.max_queue, 1)},
                {"sync_interval_ms", millis_field(p.sync_interval, 1)},
                {"compact_after", integer_field(p.compact_after, 1)}},
               "persistence")},
      {"runtime",
       section({{"scheduler_threads", integer_field(r.scheduler_threads, 1)},
                {"scheduler_policy", string_field(r.scheduler_policy)},
                {"max_restarts", integer_field(r.max_restarts, 0)},
                {"restart_period_ms", millis_field(r.restart_period, 1)},
                {"passivate_after_ms", millis_field(r.passivate_after, 1)},
                {"stats_interval_ms", millis_field(r.stats_interval, 0)},
                {"stats_history_s", integer_field(r.stats_history_s, 1)},
                {"fault_injection", bool_field(r.fault_injection)},
                {"admin_token", string_field(r.admin_token)}},
               "runtime")},
      {"membership",
       section(
           {{"heartbeat_interval_ms", millis_field(m.heartbeat_interval, 1)},
            {"failure_timeout_ms", millis_field(m.failure_timeout, 1)},
            {"source", source_field(m.source)},
            {"etcd_endpoints", endpoints_field(m.etcd_endpoints)},
            {"lease_ttl_ms", millis_field(m.lease_ttl, 1000)},
            {"etcd_prefix", string_field(m.etcd_prefix)}},
           "membership")},
      {"pastebin",
       section({{"shards", integer_field(pb.shards, 1)},
                {"max_paste_bytes", integer_field(pb.max_paste_bytes, 0)},
                {"max_url_bytes", integer_field(pb.max_url_bytes, 16)},
                {"sweep_interval_ms", millis_field(pb.sweep_interval, 1)},
                {"stats_flush_interval_ms",
                 millis_field(pb.stats_flush_interval, 1)},
                {"create_retries", integer_field(pb.create_retries, 1)}},
               "pastebin")},
      {"cache",
       section({{"shards", integer_field(c.shards, 1)},
                {"capacity_bytes", integer_field(c.capacity_bytes, 4096)},
                {"max_value_bytes", integer_field(c.max_value_bytes, 0)},
                {"sweep_interval_ms", millis_field(c.sweep_interval, 1)},
                {"sweep_buckets_per_tick",
                 integer_field(c.sweep_buckets_per_tick, 1)},
                {"snapshot", bool_field(c.snapshot)},
                {"snapshot_interval_ms", millis_field(c.snapshot_interval, 1)}},
               "cache")},
      {"twitter",
       section({{"shards", integer_field(tw.shards, 1)},
                {"home_timeline_size", integer_field(tw.home_timeline_size, 1)},
                {"active_days", integer_field(tw.active_days, 1)},
                {"fanout_limit", integer_field(tw.fanout_limit, 0)},
                {"search_timeout_ms", millis_field(tw.search_timeout, 1)},
                {"sweep_interval_ms", millis_field(tw.sweep_interval, 1)},
                {"notifications_per_user",
                 integer_field(tw.notifications_per_user, 1)},
                {"max_followees", integer_field(tw.max_followees, 1)},
                {"fanout_queue", integer_field(tw.fanout_queue, 1)}},
               "twitter")},
      {"social",
       section(
           {{"shards", integer_field(so.shards, 1)},
            {"search_timeout_ms", millis_field(so.search_timeout, 1)},
            {"search_max_visited", integer_field(so.search_max_visited, 2)},
            {"max_import_bytes", integer_field(so.max_import_bytes, 1)},
            {"import_batch_edges", integer_field(so.import_batch_edges, 1)}},
           "social")},
      {"salesrank",
       section(
           {{"shards", integer_field(sr.shards, 1)},
            {"refresh_interval_ms", millis_field(sr.refresh_interval, 1)},
            {"top_size", integer_field(sr.top_size, 1)},
            {"max_ingest_bytes", integer_field(sr.max_ingest_bytes, 1)},
            {"ingest_batch_lines", integer_field(sr.ingest_batch_lines, 1)}},
           "salesrank")},
      {"mint", mint_section(mi)},
      {"crawler", crawler_section(cfg.crawler)},
      {"search", search_section(cfg.search)},
  };
}

} // namespace

namespace {

load_result parse_only(const std::string& text, const std::string& origin) {
  toml::table tbl;
  try {
    tbl = toml::parse(text, origin);
  } catch (const toml::parse_error& err) {
    std::ostringstream out;
    out << origin << ":" << err.source().begin.line << ": "
        << err.description();
    return {std::nullopt, out.str()};
  }
  auto cfg = default_config();
  cfg.self.clear();
  auto err = apply(tbl, root_spec(cfg), "");
  if (!err.empty()) {
    // Nested errors carry their own full key after a \x01 marker.
    if (auto pos = err.find('\x01'); pos != std::string::npos)
      err = err.substr(pos + 1);
    return {std::nullopt, origin + ": " + err};
  }
  if (cfg.self.empty() && cfg.nodes.size() == 1)
    cfg.self = cfg.nodes.front().name;
  return {std::move(cfg), {}};
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

} // namespace

load_result parse_config(const std::string& text, const std::string& origin) {
  auto res = parse_only(text, origin);
  if (res.config)
    if (auto problem = validate(*res.config, origin); !problem.empty())
      return {std::nullopt, problem};
  return res;
}

load_result load_config_file(const std::string& path) {
  return load(path, {});
}

load_result load(const std::optional<std::string>& path,
                 const overrides& flags) {
  load_result res;
  std::string origin = "(embedded default)";
  if (path) {
    origin = *path;
    auto text = read_file(*path);
    if (!text)
      return {std::nullopt, *path + ": cannot open file"};
    res = parse_only(*text, *path);
    if (!res.config)
      return res;
  } else {
    res.config = default_config();
    // Without a file the single default node takes the requested name.
    if (flags.node)
      res.config->nodes.front().name = *flags.node;
  }
  auto& cfg = *res.config;
  if (flags.node)
    cfg.self = *flags.node;
  if (cfg.self.empty())
    return {std::nullopt, origin + ": self: not set; name this node with "
                                   "'self = \"...\"' or --node"};
  // Flags override the file; the result is validated as a whole.
  if (flags.log_level)
    cfg.log_level = *flags.log_level;
  if (auto problem = validate(cfg, origin); !problem.empty())
    return {std::nullopt,
            flags.log_level && problem.find(": log_level:") != std::string::npos
                ? "--log-level: must be debug, info, warning, "
                  "error or off, got '" +
                      *flags.log_level + "'"
                : problem};
  if (flags.http) {
    auto ep = parse_endpoint(*flags.http);
    if (!ep)
      return {std::nullopt,
              "--http: must be HOST:PORT, got '" + *flags.http + "'"};
    cfg.self_entry().http = *ep;
  }
  if (flags.data_dir) {
    if (flags.data_dir->empty())
      return {std::nullopt, "--data-dir: must not be empty"};
    cfg.self_entry().data_dir = *flags.data_dir;
  }
  return res;
}

} // namespace troupe::config
