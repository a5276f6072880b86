// etcd (Debian's etcd-server, 3.4) alone in the lab's etcd namespace, on a
// data dir of the lab's that survives a kill -9 and a restart. With
// --election-timeout 500 and --heartbeat-interval 50 it grants 1-second
// lease TTLs, and is healthy again 1-2 s after a restart.
#pragma once

#include <chrono>
#include <string>

#include "lab.hpp"

namespace troupe_fault {

/// One etcd member in the lab. Its process dies with the lab.
class lab_etcd {
public:
  explicit lab_etcd(lab& l);
  lab_etcd(const lab_etcd&) = delete;
  lab_etcd& operator=(const lab_etcd&) = delete;

  /// The etcd binary ($ETCD_BIN, else `etcd` in PATH), "" when missing.
  static std::string binary();

  /// Starts etcd (again on the same data dir) and waits until GET /health
  /// from the calling thread's namespace (the hub) says healthy. Returns
  /// how long that took in ms, or -1 after `timeout`.
  long long start(millis timeout = std::chrono::seconds(15));
  /// SIGKILL and reap.
  void kill9();
  /// GET /health answers {"health":"true"}.
  bool healthy() const;
  bool running() const { return pid_ > 0; }
  /// Everything etcd logged so far.
  std::string log() const;

private:
  lab& lab_;
  std::string data_dir_;
  std::string log_path_;
  int pid_ = -1;
};

} // namespace troupe_fault
