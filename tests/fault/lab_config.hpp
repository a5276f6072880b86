// The TOML config every node of a lab cluster runs: nodes on the lab's
// addresses, timings short enough for partitions of a few seconds, and one
// of two membership flavours.
#pragma once

#include <string>
#include <vector>

namespace troupe_fault {

/// Who decides which node serves each shard.
enum class membership_flavour {
  /// Today's static membership: each node on its own view of [[nodes]].
  static_list,
  /// etcd as the configuration manager (leases, per-shard configurations).
  etcd,
};

/// $TROUPE_LAB_MEMBERSHIP: "static" or "etcd" (the default). Throws
/// std::invalid_argument on any other value.
membership_flavour flavour_from_env();

/// "static" or "etcd".
const char* to_string(membership_flavour f);

/// What the generated config depends on.
struct lab_config_params {
  membership_flavour flavour = membership_flavour::etcd;
  /// One address and data dir per node (n1, n2, ...).
  std::vector<std::string> node_ips;
  std::vector<std::string> data_dirs;
  /// etcd's client endpoint host (port 2379).
  std::string etcd_ip;
};

/// Actor and HTTP ports of every node (each has an address of its own).
constexpr int lab_actor_port = 4300;
constexpr int lab_http_port = 8080;
constexpr int lab_link_port = 4400;
/// Node failure timeout of the lab, in milliseconds.
constexpr int lab_failure_timeout_ms = 1000;

/// The lab's etcd lease TTL in ms: 1000, or $TROUPE_LAB_LEASE_TTL_MS (whole
/// seconds) for the benchmark.
int lab_lease_ttl();

/// The nodes' heartbeat interval in ms: 100, or $TROUPE_LAB_HEARTBEAT_MS.
int lab_heartbeat();

/// The config text (same for every node; each picks itself with --node).
std::string lab_config_text(const lab_config_params& p);

} // namespace troupe_fault
