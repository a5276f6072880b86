// The partition lab: real network namespaces, one per node, on a bridge, so
// that a test can cut the network between real processes.
//
// Layout (every name starts with the lab's prefix, e.g. "tl4242-1"):
//
//   <prefix>-hub    the bridge br0 (10.77.0.1/24) and the test's own HTTP
//                   client threads (enter_hub())
//   <prefix>-etcd   etcd's veth end, 10.77.0.2/24
//   <prefix>-n1 ... node i's veth end "eth0", 10.77.0.(10+i)/24 (n1 = .11)
//
// There is no default route: the addresses exist only inside the lab, and
// nothing reaches or leaves the machine. A cut is an nftables `inet` table
// in a namespace dropping input and output to and from one peer address;
// a heal deletes the table. The hub address is never cut, so the test's
// HTTP still reaches an isolated node.
//
// Everything the lab creates goes away with it: the destructor kills every
// process in its namespaces and deletes them (the bridge and veths go with
// them). A test process killed outright leaves them behind; the next lab
// removes labs whose owner pid is gone, and tests/fault/run-in-lab.sh
// removes its run's labs on every exit it can trap.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "netns.hpp"

namespace troupe_fault {

/// Why the lab cannot run here ("" when it can): not root, or `ip` / `nft`
/// missing.
std::string lab_unavailable_reason();

/// Where labs make their temp dirs: $TMPDIR or /tmp.
std::string temp_root();

/// Name prefix of this test run's labs: $TROUPE_LAB_PREFIX (set by
/// run-in-lab.sh) or "tl<pid>". A lab named after a dead pid is stale.
std::string run_prefix();

/// Removes labs ("tl<pid>-...") whose pid no longer exists: kills their
/// processes, deletes their namespaces and their temp dirs. Returns how
/// many namespaces it removed.
size_t remove_stale_labs();

/// A lab of `nodes` node namespaces plus the hub and etcd's. RAII: nothing
/// is left behind after destruction.
class lab {
public:
  /// Builds the namespaces, bridge and veths; throws std::runtime_error
  /// (with the failing command's output) when that fails.
  explicit lab(size_t nodes);
  ~lab();
  lab(const lab&) = delete;
  lab& operator=(const lab&) = delete;

  size_t size() const { return nodes_; }
  const std::string& name() const { return name_; }
  /// A temp dir of this lab (data dirs, configs, logs), removed with it.
  const std::string& dir() const { return dir_; }

  /// Namespace names.
  std::string hub_ns() const { return name_ + "-hub"; }
  std::string etcd_ns() const { return name_ + "-etcd"; }
  std::string node_ns(size_t i) const;
  /// Addresses (without prefix length).
  static std::string hub_ip() { return "10.77.0.1"; }
  static std::string etcd_ip() { return "10.77.0.2"; }
  static std::string node_ip(size_t i);

  /// Moves the calling thread into the hub (see netns_guard).
  netns_guard enter_hub() const { return netns_guard{hub_ns()}; }

  /// Forks `argv` (argv[0] a path) into namespace `ns` with stdout and
  /// stderr appended to `log_path`; returns its pid (a child of the calling
  /// process, killed when the calling thread exits). Call it from the
  /// thread that lives longest (the test's main thread).
  int spawn(const std::string& ns, const std::vector<std::string>& argv,
            const std::string& log_path);

  /// Cuts node a from node b both ways (drops in both namespaces).
  void cut(size_t a, size_t b);
  /// Drops what node `from` sends to node `to` (and only that).
  void cut_one_way(size_t from, size_t to);
  /// Cuts node i from etcd both ways.
  void cut_from_etcd(size_t i);
  /// Cuts node i from every other node and from etcd; the hub still
  /// reaches it.
  void isolate(size_t i);
  /// Removes the cut between a and b (both directions).
  void heal(size_t a, size_t b);
  /// Removes every cut of the lab.
  void heal_all();
  /// Cuts in place: (namespace, peer address) pairs with a drop table.
  const std::set<std::pair<std::string, std::string>>& cuts() const {
    return cuts_;
  }

private:
  void build();
  void add_drop(const std::string& ns, const std::string& peer, bool input,
                bool output);
  void remove_drop(const std::string& ns, const std::string& peer);
  std::vector<std::string> namespaces() const;
  void must(const std::vector<std::string>& argv, const std::string& ns = "");

  size_t nodes_;
  std::string name_;
  std::string dir_;
  std::set<std::pair<std::string, std::string>> cuts_;
  std::vector<int> spawned_;
};

} // namespace troupe_fault
