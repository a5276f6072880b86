// A cluster of real node processes in a lab: one per node namespace, all
// running one generated config (lab_config.hpp). The processes are the
// lab's: they die with it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "lab.hpp"
#include "lab_config.hpp"
#include "lab_http.hpp"

namespace troupe_fault {

/// How to start one node: the binary and the arguments before
/// `--config FILE --node NAME`.
struct node_command {
  std::string binary;
  std::vector<std::string> leading_args;
};

/// `$TROUPE_BIN run`.
node_command troupe_command();
/// examples/custom_route in cluster mode: $CUSTOM_ROUTE_BIN, else
/// `custom_route` next to the test binary.
node_command custom_route_command();

/// The nodes n1..nN of lab `l`, one per node namespace.
class lab_cluster {
public:
  lab_cluster(lab& l, membership_flavour flavour, node_command command);
  lab_cluster(const lab_cluster&) = delete;
  lab_cluster& operator=(const lab_cluster&) = delete;

  size_t size() const { return pids_.size(); }
  std::string name(size_t i) const { return "n" + std::to_string(i + 1); }
  /// Node i's HTTP edge.
  endpoint http(size_t i) const;
  /// Every node's HTTP edge, in order.
  std::vector<endpoint> http_all() const;

  /// Starts every node and waits until converged(); false (with every
  /// node's log tail in `why`) after `timeout`.
  bool start(millis timeout = std::chrono::seconds(30),
             std::string* why = nullptr);
  /// SIGSTOP node i and wait until it is stopped; SIGCONT.
  void freeze(size_t i);
  void thaw(size_t i);

  /// Whether every node answers /readyz 200 and sees every node up in
  /// GET /api/v1/cluster. Calls from the hub.
  bool converged() const;
  /// Polls converged() every 100 ms; ms until it held, or -1 after
  /// `timeout` or as soon as a node process is gone.
  long long wait_converged(millis timeout) const;
  /// "n2 exited (status 2)" for each node process that is gone, "" if none.
  std::string exited() const;
  /// One line per node: its /readyz status and how it sees each node.
  std::string describe() const;
  /// Every node's log in brief (`log_digest`: frequent lines, warnings,
  /// the last `lines` lines).
  std::string logs(size_t lines = 20) const;

private:
  lab& lab_;
  node_command command_;
  std::string config_path_;
  std::vector<int> pids_;
  /// waitpid statuses of nodes found gone (-1: running).
  mutable std::vector<int> exit_status_;
};

} // namespace troupe_fault
