#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace troupe::config {

/// A `host:port` pair.
struct endpoint {
  std::string host;
  uint16_t port = 0;

  /// Renders as `host:port`.
  std::string to_string() const;
};

/// Parses `host:port`; returns `std::nullopt` on malformed input.
std::optional<endpoint> parse_endpoint(const std::string& text);

/// One member of the cluster as the config names it.
struct node_entry {
  std::string name;
  endpoint actor;
  endpoint http;
  std::string data_dir;
  /// Where the node takes routed requests from other nodes' edges (a framed
  /// TCP link served by its HTTP I/O threads); port 0: not configured, its
  /// routed requests then go over CAF's middleman.
  endpoint link;
};

/// How long a write waits before it is acknowledged.
enum class durability {
  /// Acknowledged after its group-committed transaction is synced to disk.
  sync,
  /// Acknowledged after commit to the OS page cache; synced every
  /// `sync_interval`. Survives a process crash, not a power loss.
  group,
  /// Acknowledged once applied in memory and queued for commit.
  async,
};

/// Returns "sync", "group" or "async".
const char* to_string(durability x);

/// Settings of the HTTP edge.
struct http_settings {
  size_t io_threads = 2;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 2 * 1024 * 1024;
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds idle_timeout{30000};
  size_t max_connections = 10000;
  std::chrono::milliseconds shutdown_grace{10000};
};

/// Settings of the persistence layer.
struct persistence_settings {
  durability level = durability::sync;
  uint64_t map_size_mb = 4096;
  size_t max_queue = 65536;
  std::chrono::milliseconds sync_interval{100};
  size_t compact_after = 10000;
};

/// Settings of the actor runtime.
struct runtime_settings {
  size_t scheduler_threads = 2;
  std::string scheduler_policy = "sharing";
  int max_restarts = 3;
  std::chrono::milliseconds restart_period{10000};
  std::chrono::milliseconds passivate_after{60000};
  /// The dashboard's history: one sample this often (0: no sampling), as
  /// many as fit into `stats_history_s` seconds.
  std::chrono::milliseconds stats_interval{1000};
  int64_t stats_history_s = 900;
  bool fault_injection = false;
  std::string admin_token;
};

/// Settings of the Pastebin and short-link service.
struct pastebin_settings {
  size_t shards = 64;
  size_t max_paste_bytes = 1024 * 1024;
  size_t max_url_bytes = 2048;
  std::chrono::milliseconds sweep_interval{60000};
  std::chrono::milliseconds stats_flush_interval{2000};
  int create_retries = 5;
};

/// Who decides which node serves each shard of a cluster.
enum class membership_source {
  /// Each node on its own view of the configured nodes (heartbeats). Fine
  /// for one node and for development; not partition-safe with two or more.
  static_list,
  /// etcd: nodes hold leases; each shard's configuration (epoch, primary,
  /// replicas in sync) is a key changed only by compare-and-swap.
  etcd,
};

/// Returns "static" or "etcd".
const char* to_string(membership_source x);

/// Settings of the membership (clusters of 2+ nodes).
struct membership_settings {
  /// Each node sends a heartbeat (its hello: name, incarnation, config
  /// hash) to every other node this often ...
  std::chrono::milliseconds heartbeat_interval{200};
  /// ... and marks a node unreachable when it heard nothing from it this
  /// long (at once when the connection drops).
  std::chrono::milliseconds failure_timeout{2000};
  membership_source source = membership_source::static_list;
  /// etcd's client endpoints (its v3 HTTP/JSON gateway), tried in turn.
  std::vector<endpoint> etcd_endpoints;
  /// TTL of each node's lease in etcd (whole seconds, as etcd grants
  /// them). A node that could not renew it for this long stops serving.
  std::chrono::milliseconds lease_ttl{2000};
  /// Every key of the cluster lives under `<etcd_prefix>/<cluster>/`.
  std::string etcd_prefix = "/troupe";
};

/// Settings of the key-value query cache.
struct cache_settings {
  size_t shards = 64;
  /// Memory budget of this node, split evenly over its shards.
  uint64_t capacity_bytes = 128ull * 1024 * 1024;
  size_t max_value_bytes = 1024 * 1024;
  /// Period of the active-expiry sweep of each shard ...
  std::chrono::milliseconds sweep_interval{100};
  /// ... and the index buckets it visits per tick.
  size_t sweep_buckets_per_tick = 1024;
  /// Snapshot the shards to LMDB (on stop and periodically) and reload
  /// them on start.
  bool snapshot = false;
  std::chrono::milliseconds snapshot_interval{300000};
};

/// Settings of the Twitter-style timelines and search.
struct twitter_settings {
  size_t shards = 64;
  /// Entries a home timeline keeps (the newest).
  size_t home_timeline_size = 800;
  /// Fan-out skips followers not active within this many days; their home
  /// timelines are dropped and rebuilt on their next read.
  size_t active_days = 30;
  /// Authors with more followers are not fanned out: their tweets are
  /// merged into home timelines at read time.
  size_t fanout_limit = 10000;
  /// A search shard slower than this makes the reply partial.
  std::chrono::milliseconds search_timeout{1000};
  /// How often each shard drops the home timelines of inactive users.
  std::chrono::milliseconds sweep_interval{60000};
  /// Notifications kept per user (the newest).
  size_t notifications_per_user = 100;
  /// People one user may follow.
  size_t max_followees = 5000;
  /// Tweets whose fan-out on this node is not done (queued for the fan-out
  /// actor or in batches to local shards) beyond which posts get 429.
  size_t fanout_queue = 100000;
};

/// Settings of the social graph (people on person servers, friend search).
struct social_settings {
  size_t shards = 64;
  /// A friend search slower than this answers 504.
  std::chrono::milliseconds search_timeout{2000};
  /// People one friend search may visit (both directions together); a
  /// search that would visit more answers 504 instead of growing further.
  size_t search_max_visited = 1000000;
  /// Largest body of one import; larger bodies -> 413.
  size_t max_import_bytes = size_t{4} << 30;
  /// Friendships per import batch (one message per person server).
  size_t import_batch_edges = 65536;
};

/// Settings of the sales rank (best sellers of the past week by category).
struct salesrank_settings {
  size_t shards = 64;
  /// How often each category's ranking is recomputed (and the window
  /// moved on): rankings are at most this old.
  std::chrono::milliseconds refresh_interval{3600000};
  /// Products each category's ranking keeps (the largest `limit`).
  size_t top_size = 100;
  /// Largest body of one ingest request; larger bodies -> 413.
  size_t max_ingest_bytes = size_t{4} << 30;
  /// Sales per ingest batch (one message per category shard).
  size_t ingest_batch_lines = 65536;
};

/// Settings of Mint (linked accounts, transactions, budgets).
struct mint_settings {
  /// User shards, and the shards of the crowd's seller votes.
  size_t shards = 64;
  size_t seller_shards = 16;
  /// The file holding the key that seals account passwords (64 hex digits
  /// or base64 of 32 bytes); the TROUPE_MINT_KEY variable wins over it.
  std::string key_file;
  /// A seller-to-category map replacing the shipped one (empty: shipped).
  std::string seller_map;
  /// Extraction workers of this node and the jobs queued for them at most
  /// (beyond -> 429).
  size_t extract_workers = 8;
  size_t extract_queue = 10000;
  /// Tries of one extraction (5xx and timeouts are retried), and the
  /// backoff before the second try (doubled each time).
  size_t extract_attempts = 4;
  std::chrono::milliseconds extract_retry{200};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds read_timeout{10000};
  size_t max_response_bytes = size_t{16} << 20;
  size_t max_redirects = 3;
  /// A CA bundle (PEM) trusted for https institutions besides the system's.
  std::string ca_file;
  /// Hosts ("host" or "host:port") institutions may be at; empty: any host
  /// with public addresses only.
  std::vector<std::string> institution_hosts;
  /// The first pull of a new account reaches back this many days.
  size_t history_days = 90;
  /// The daily refresh covers users active within this many days.
  size_t active_days = 30;
  /// How often each shard looks for due refreshes and stuck jobs.
  std::chrono::milliseconds refresh_check_interval{60000};
  /// A queued or running job not heard of for this long is queued again.
  std::chrono::milliseconds job_timeout{300000};
  /// Finished jobs kept per account (the newest).
  size_t jobs_per_account = 20;
  /// Largest import body (-> 413), and transactions per import batch.
  size_t max_import_bytes = size_t{4} << 30;
  size_t import_batch_lines = 65536;
};

/// Settings of the web crawler (frontier shards by host, crawl workers).
struct crawler_settings {
  /// Frontier shards (hosts are spread over them).
  size_t shards = 16;
  /// Fetches in flight per host at most, and the gap between the end of
  /// one and the start of the next (robots.txt Crawl-delay may widen it).
  size_t per_host_connections = 1;
  std::chrono::milliseconds per_host_delay{250};
  /// Crawl workers of this node (concurrent fetches and parses) and the
  /// fetches queued for them at most.
  size_t workers = 8;
  size_t worker_queue = 4096;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds read_timeout{10000};
  /// Largest page kept; larger answers fail as too_large.
  size_t max_page_bytes = size_t{4} << 20;
  /// Redirects followed per page (on the same host; another host's target
  /// is queued as a link).
  size_t max_redirects = 5;
  /// Defaults of a crawl's limits (POST /seeds may give its own).
  size_t max_pages = 10000;
  size_t max_depth = 16;
  /// Seeds per request at most.
  size_t max_seeds = 1000;
  /// A page is fetched again once this old.
  std::chrono::seconds refresh_after{7 * 24 * 3600};
  /// How often each shard looks for pages due for a refresh.
  std::chrono::milliseconds refresh_check_interval{60000};
  /// A progress line is logged every this many pages per node.
  size_t progress_every = 500;
  /// The User-Agent sent, and the token matched against robots.txt groups.
  std::string user_agent = "troupe-crawler/1.0";
  std::string robots_token = "troupe";
  /// Only public addresses may be fetched (no loopback, private, link-local).
  bool public_only = false;
  /// A CA bundle (PEM) trusted for https hosts besides the system's.
  std::string ca_file;
  /// An unreachable robots.txt (no answer, 5xx) is asked again after this;
  /// after 3 such answers in a row the host's pages fail.
  std::chrono::milliseconds robots_retry{30000};
};

/// Settings of search over the crawled pages (index shards, answers cached).
struct search_settings {
  /// Index shards (documents are spread over them by URL).
  size_t shards = 16;
  /// Cached answers expire after this long at most.
  std::chrono::seconds cache_ttl{300};
  /// Largest `limit` and query text.
  size_t max_limit = 100;
  size_t max_query_bytes = 1024;
  /// Cached queries each index shard remembers for invalidation.
  size_t registry_capacity = 65536;
  /// A search slower than this answers 504.
  std::chrono::milliseconds timeout{5000};
};

/// The whole configuration of one node and the cluster it belongs to.
struct node_config {
  std::string cluster = "troupe";
  std::string self;
  std::vector<node_entry> nodes;
  size_t replication_factor = 1;
  std::string log_level = "info";
  http_settings http;
  persistence_settings persistence;
  runtime_settings runtime;
  membership_settings membership;
  pastebin_settings pastebin;
  cache_settings cache;
  twitter_settings twitter;
  social_settings social;
  salesrank_settings salesrank;
  mint_settings mint;
  crawler_settings crawler;
  search_settings search;

  /// Returns the entry of this node.
  const node_entry& self_entry() const;
  node_entry& self_entry();
};

/// The built-in single-node default: node `n1`, HTTP on 127.0.0.1:8080,
/// actors on 127.0.0.1:4242, data in `./data`.
node_config default_config();

/// Result of loading: either a config or one line naming file, key and
/// problem.
struct load_result {
  std::optional<node_config> config;
  std::string error;
};

/// Parses TOML text. `origin` names the file in error messages.
load_result parse_config(const std::string& text, const std::string& origin);

/// Reads and parses a TOML file.
load_result load_config_file(const std::string& path);

/// Command-line flags that override the file.
struct overrides {
  std::optional<std::string> node;
  std::optional<std::string> http;
  std::optional<std::string> data_dir;
  std::optional<std::string> log_level;
};

/// Loads the file at `path` (or the embedded default when absent), applies
/// `flags` and validates the result.
load_result load(const std::optional<std::string>& path,
                 const overrides& flags);

/// Checks cross-field constraints; returns an error line or empty.
std::string validate(const node_config& cfg, const std::string& origin);

} // namespace troupe::config
