#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace troupe_e2e {

/// A child process whose first line on stdout is `listening <port>` (as
/// examples/bank_sim prints it), for the tests that need a server of their
/// own. stdin is /dev/null, stderr goes to `stderr_path` (or /dev/null);
/// the child dies with the test process (PR_SET_PDEATHSIG) and is killed
/// (SIGKILL) and reaped by `stop()` or the destructor.
class listening_process {
public:
  /// Starts `argv` (argv[0] a path) and waits up to 10 s for its line.
  explicit listening_process(const std::vector<std::string>& argv,
                             const std::string& stderr_path = "");

  ~listening_process() { stop(); }
  listening_process(const listening_process&) = delete;
  listening_process& operator=(const listening_process&) = delete;

  /// The port it listens on; 0 when it did not start (see `error()`).
  uint16_t port() const { return port_; }

  /// Why it did not start (empty when it did).
  const std::string& error() const { return error_; }

  /// Whether it still runs.
  bool alive() const;

  /// Kills and reaps it (idempotent).
  void stop();

private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string error_;
};

} // namespace troupe_e2e
