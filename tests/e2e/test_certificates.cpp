#include "test_certificates.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace troupe_e2e {

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// Waits (at most `timeout`) for `pid` to exit, then SIGKILLs it; returns
/// the waitpid status, or -1 when it had to be killed.
int reap(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return status;
    if (r < 0 && errno != EINTR)
      return -1;
    if (steady::now() >= deadline)
      break;
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return -1;
}

/// Forks and execs `argv` (PATH searched) with stdin from /dev/null, stdout
/// to `out_fd` (or /dev/null when -1), stderr appended to `err_path` and,
/// unless empty, `cwd` as its working directory. Returns the child's pid,
/// or -1.
pid_t spawn(const std::vector<std::string>& argv, int out_fd,
            const std::string& err_path, const std::string& cwd = "") {
  std::vector<char*> cargs;
  std::vector<std::string> copy = argv;
  for (auto& a : copy)
    cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid != 0)
    return pid;
  int in = ::open("/dev/null", O_RDONLY);
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (out_fd < 0)
    out_fd = ::open("/dev/null", O_WRONLY);
  if (in < 0 || err < 0 || out_fd < 0 ||
      (!cwd.empty() && ::chdir(cwd.c_str()) != 0))
    ::_exit(126);
  ::dup2(in, 0);
  ::dup2(out_fd, 1);
  ::dup2(err, 2);
  ::execvp(cargs[0], cargs.data());
  std::fprintf(stderr, "exec %s: %s\n", cargs[0], std::strerror(errno));
  ::_exit(127);
}

/// Runs `argv` in `cwd` to completion (at most `timeout`, killed after
/// that); its errors go to `log_path`. Returns whether it exited 0.
bool run_bounded(const std::vector<std::string>& argv,
                 const std::string& log_path, const std::string& cwd,
                 std::chrono::milliseconds timeout = 30s) {
  pid_t pid = spawn(argv, -1, log_path, cwd);
  if (pid < 0)
    return false;
  int status = reap(pid, timeout);
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

} // namespace

/// A throwaway CA (`ca.pem`) and a server certificate for IP 127.0.0.1
/// signed by it (`server.pem`, key `server.key`), valid for two days, made
/// with the `openssl` CLI in `dir`. Returns "" on success, else what failed
/// (with openssl's output).
std::string make_certificates(const std::string& dir) {
  write_file(dir + "/openssl.cnf", R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = troupe-test-ca
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
)");
  // Run in `dir`, so that the arguments hold no paths (split on spaces).
  const std::string ec_key =
      " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::vector<std::string> steps = {
      "req -x509 -config openssl.cnf -extensions v3_ca -days 2"
      " -subj /CN=troupe-test-ca -keyout ca.key -out ca.pem" +
          ec_key,
      "req -new -config openssl.cnf -subj /CN=127.0.0.1"
      " -keyout server.key -out server.csr" +
          ec_key,
      "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 1"
      " -days 2 -extfile openssl.cnf -extensions v3_server -out server.pem"};
  const std::string log = dir + "/openssl.log";
  for (const auto& step : steps) {
    std::vector<std::string> argv{"openssl"};
    for (size_t at = 0; at < step.size();) {
      auto space = std::min(step.find(' ', at), step.size());
      if (space > at)
        argv.push_back(step.substr(at, space - at));
      at = space + 1;
    }
    if (!run_bounded(argv, log, dir))
      return "`openssl " + step + "` failed:\n" + read_file(log);
  }
  return {};
}

} // namespace troupe_e2e
