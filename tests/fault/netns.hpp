// Network namespaces as the lab uses them, from the test process: run a
// command in one, start a long-lived process in one, move a thread into
// one, remove one with everything running in it. Namespaces are the named
// ones of `ip netns` (/run/netns/<name>).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace troupe_fault {

using millis = std::chrono::milliseconds;

/// Output and exit status of a command run to completion.
struct command_result {
  /// 0 on success; the exit code, 128 + signal, or -1 when it could not
  /// run or did not finish in time.
  int status = -1;
  std::string output; // stdout and stderr interleaved
};

/// The full path of program `name` ($PATH, then the sbin directories), or ""
/// when there is none.
std::string find_program(const std::string& name);

/// Runs `argv` (argv[0] looked up in PATH) inside network namespace `ns`
/// ("" for the caller's own) and waits at most `timeout` (then SIGKILL).
command_result run_command(const std::vector<std::string>& argv,
                           const std::string& ns = "",
                           millis timeout = std::chrono::seconds(10));

/// Forks `argv` (argv[0] a path) into namespace `ns` with stdin from
/// /dev/null and stdout and stderr appended to `log_path`; returns its pid.
/// The child gets a process group of its own (a Ctrl-C of the test does not
/// reach it) and SIGKILL when the calling thread exits.
int spawn_in(const std::string& ns, const std::vector<std::string>& argv,
             const std::string& log_path);

/// Kills every process in namespace `ns` (bounded retries) and deletes
/// it. Never kills the calling process.
void remove_namespace(const std::string& ns);

/// Moves the calling thread into a network namespace until destroyed.
/// Sockets keep the namespace they were made in; threads started inside
/// inherit it.
class netns_guard {
public:
  /// Enters `/run/netns/<ns>`; throws std::runtime_error on failure.
  explicit netns_guard(const std::string& ns);
  ~netns_guard();
  netns_guard(const netns_guard&) = delete;
  netns_guard& operator=(const netns_guard&) = delete;

private:
  int home_fd_ = -1; // the namespace to return to
};

} // namespace troupe_fault
