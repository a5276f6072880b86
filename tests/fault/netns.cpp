#include "netns.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace troupe_fault {

namespace {

using clock_type = std::chrono::steady_clock;

const std::string netns_dir = "/run/netns/";

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv)
    out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

/// Opens /run/netns/<ns> (or returns -1 for ""); throws when it is missing.
int open_netns(const std::string& ns) {
  if (ns.empty())
    return -1;
  int fd = ::open((netns_dir + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error("open netns " + ns + ": " + std::strerror(errno));
  return fd;
}

/// In a forked child: joins the namespace or exits.
void child_enter(int ns_fd) {
  if (ns_fd >= 0 && ::setns(ns_fd, CLONE_NEWNET) != 0) {
    static const char msg[] = "setns failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(126);
  }
}

int decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

/// Pids living in namespace `ns` (per `ip netns pids`).
std::vector<int> pids_in(const std::string& ns) {
  auto r = run_command({"ip", "netns", "pids", ns});
  std::vector<int> out;
  std::istringstream in{r.output};
  for (int pid = 0; in >> pid;)
    out.push_back(pid);
  return out;
}

} // namespace

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return ::access(name.c_str(), X_OK) == 0 ? name : "";
  // $PATH, then the sbin directories a non-login root shell may lack.
  const char* path = std::getenv("PATH");
  std::string dirs =
      std::string{path ? path : ""} + ":/usr/sbin:/sbin:/usr/bin";
  std::istringstream in{dirs};
  for (std::string dir; std::getline(in, dir, ':');) {
    if (dir.empty())
      continue;
    auto full = dir + "/" + name;
    if (::access(full.c_str(), X_OK) == 0)
      return full;
  }
  return "";
}

command_result run_command(const std::vector<std::string>& argv,
                           const std::string& ns, millis timeout) {
  command_result result;
  auto args = argv;
  args[0] = find_program(args[0]);
  if (args[0].empty()) {
    result.output = argv[0] + ": not found";
    return result;
  }
  auto cargs = c_argv(args);
  int ns_fd = -1;
  try {
    ns_fd = open_netns(ns);
  } catch (const std::exception& e) {
    result.output = e.what();
    return result;
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    if (ns_fd >= 0)
      ::close(ns_fd);
    result.output = "pipe failed";
    return result;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    child_enter(ns_fd);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  ::close(out[1]);
  if (ns_fd >= 0)
    ::close(ns_fd);
  // Read until EOF or the deadline; then reap (or kill) the child.
  auto deadline = clock_type::now() + timeout;
  bool timed_out = false;
  for (;;) {
    auto left =
        std::chrono::duration_cast<millis>(deadline - clock_type::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      continue;
    char buf[4096];
    auto got = ::read(out[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    result.output.append(buf, static_cast<size_t>(got));
  }
  ::close(out[0]);
  if (timed_out)
    ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = timed_out ? -1 : decode_status(status);
  return result;
}

int spawn_in(const std::string& ns, const std::vector<std::string>& argv,
             const std::string& log_path) {
  auto cargs = c_argv(argv);
  int ns_fd = open_netns(ns);
  int log =
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Own process group (a Ctrl-C of the test does not reach it) and
    // death with the thread that started it (nothing outlives the test).
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(125);
    child_enter(ns_fd);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  ::close(ns_fd);
  ::close(log);
  if (pid < 0)
    throw std::runtime_error("fork: " + std::string{std::strerror(errno)});
  return pid;
}

void remove_namespace(const std::string& ns) {
  // Killed processes leave the namespace when they die; a few rounds are
  // enough even for a stopped (SIGSTOP) or busy process.
  for (int round = 0; round < 50; ++round) {
    bool any = false;
    for (int pid : pids_in(ns))
      if (pid != ::getpid()) {
        ::kill(pid, SIGKILL);
        any = true;
      }
    if (!any)
      break;
    std::this_thread::sleep_for(millis(20));
  }
  run_command({"ip", "netns", "delete", ns});
}

// -- netns_guard -------------------------------------------------------------

netns_guard::netns_guard(const std::string& ns) {
  home_fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_fd_ < 0)
    throw std::runtime_error("open own netns: " +
                             std::string{std::strerror(errno)});
  int fd = open_netns(ns);
  int rc = ::setns(fd, CLONE_NEWNET);
  ::close(fd);
  if (rc != 0) {
    ::close(home_fd_);
    throw std::runtime_error("setns " + ns + ": " + std::strerror(errno));
  }
}

netns_guard::~netns_guard() {
  if (::setns(home_fd_, CLONE_NEWNET) != 0)
    std::cerr << "lab: cannot return to the original netns: "
              << std::strerror(errno) << '\n';
  ::close(home_fd_);
}

} // namespace troupe_fault
