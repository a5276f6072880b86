// A real etcd (Debian's etcd-server) for tests: one member on free
// loopback ports with its data in a temp dir, removed at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace troupe_e2e {

/// The command line of one etcd member named `name` with its data in
/// `data_dir`, serving clients on `host:client_port`. Its short election
/// timeout lets it grant one-second lease TTLs (etcd's minimum is 1.5
/// election timeouts). Shared by this harness and the partition lab.
std::vector<std::string> etcd_command(const std::string& binary,
                                      const std::string& name,
                                      const std::string& data_dir,
                                      const std::string& host,
                                      uint16_t client_port, uint16_t peer_port);

/// An etcd process. Started with a short election timeout so that it
/// grants one-second lease TTLs (etcd's minimum is 1.5 election timeouts).
/// Nothing runs until start(); the destructor kills it and removes its dir.
class etcd_server {
public:
  etcd_server();
  ~etcd_server();
  etcd_server(const etcd_server&) = delete;
  etcd_server& operator=(const etcd_server&) = delete;

  /// Starts etcd (again on the same data dir) and waits until it reports
  /// healthy; false (with a test failure naming why) otherwise.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  /// SIGKILL and wait.
  void kill9();
  /// SIGTERM and wait.
  void stop();
  bool running() const { return pid_ > 0; }

  /// "127.0.0.1:<client port>".
  std::string endpoint() const;
  uint16_t client_port() const { return client_port_; }
  /// Everything etcd logged so far.
  std::string log() const;

  /// Path of the etcd binary (env ETCD_BIN, else /usr/bin/etcd).
  static std::string binary();

private:
  std::string dir_;
  uint16_t client_port_ = 0;
  uint16_t peer_port_ = 0;
  int pid_ = -1;
};

} // namespace troupe_e2e
