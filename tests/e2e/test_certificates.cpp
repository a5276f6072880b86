#include "test_certificates.hpp"

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

/// Runs `argv` in `cwd` to completion (at most `timeout`, killed after
/// that); its errors go to `log_path`. Returns whether it exited 0.
bool run_bounded(const std::vector<std::string>& argv,
                 const std::string& log_path, const std::string& cwd,
                 std::chrono::milliseconds timeout = 30s) {
  spawn_options opts;
  opts.err_path = log_path;
  opts.cwd = cwd;
  opts.search_path = true;
  int pid = spawn_process(argv, opts);
  if (pid < 0)
    return false;
  int status = wait_exit(pid, timeout);
  if (status == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
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
