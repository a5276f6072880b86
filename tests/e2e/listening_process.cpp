#include "listening_process.hpp"

#include "harness.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace troupe_e2e {

namespace {

/// Reads from `fd` until a full line arrived, EOF, or 10 s passed.
std::string first_line(int fd) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (line.find('\n') == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char buf[256];
    auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0)
      break;
    line.append(buf, static_cast<size_t>(n));
  }
  return line;
}

} // namespace

listening_process::listening_process(const std::vector<std::string>& argv,
                                     const std::string& stderr_path) {
  int fds[2];
  if (argv.empty() || ::pipe2(fds, O_CLOEXEC) != 0) {
    error_ = "no command, or pipe2 failed";
    return;
  }
  spawn_options opts;
  opts.out_fd = fds[1];
  opts.err_path = stderr_path.empty() ? "/dev/null" : stderr_path;
  opts.die_with_parent = true;
  pid_ = spawn_process(argv, opts);
  ::close(fds[1]);
  auto line = pid_ > 0 ? first_line(fds[0]) : std::string{};
  ::close(fds[0]);
  unsigned port = 0;
  if (std::sscanf(line.c_str(), "listening %u", &port) != 1 || port == 0 ||
      port > 65535) {
    error_ = argv[0] + " did not start: first line \"" + line + "\"";
    stop();
    return;
  }
  port_ = static_cast<uint16_t>(port);
}

bool listening_process::alive() const {
  int status = 0;
  return pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == 0;
}

void listening_process::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

} // namespace troupe_e2e
