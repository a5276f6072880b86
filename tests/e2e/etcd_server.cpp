#include "etcd_server.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace troupe_e2e {

namespace {

void reap(int pid) {
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != 0)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

} // namespace

std::vector<std::string>
etcd_command(const std::string& binary, const std::string& name,
             const std::string& data_dir, const std::string& host,
             uint16_t client_port, uint16_t peer_port) {
  auto client = "http://" + host + ":" + std::to_string(client_port);
  auto peer = "http://" + host + ":" + std::to_string(peer_port);
  return {binary,
          "--name=" + name,
          "--data-dir=" + data_dir,
          "--listen-client-urls=" + client,
          "--advertise-client-urls=" + client,
          "--listen-peer-urls=" + peer,
          "--initial-advertise-peer-urls=" + peer,
          "--initial-cluster=" + name + "=" + peer,
          "--election-timeout=500",
          "--heartbeat-interval=50",
          "--log-level=warn"};
}

etcd_server::etcd_server()
    : dir_(make_temp_dir()), client_port_(free_port()),
      peer_port_(free_port()) {
  // nop
}

etcd_server::~etcd_server() {
  if (pid_ > 0)
    kill9();
  remove_tree(dir_);
}

std::string etcd_server::binary() {
  const char* env = std::getenv("ETCD_BIN");
  return env != nullptr && *env != '\0' ? env : "/usr/bin/etcd";
}

std::string etcd_server::endpoint() const {
  return "127.0.0.1:" + std::to_string(client_port_);
}

std::string etcd_server::log() const {
  return read_file(dir_ + "/etcd.log");
}

bool etcd_server::start(std::chrono::milliseconds timeout) {
  if (::access(binary().c_str(), X_OK) != 0) {
    ADD_FAILURE() << "etcd not found at " << binary()
                  << " (install Debian's etcd-server: scripts/install-deps.sh)";
    return false;
  }
  auto args = etcd_command(binary(), "test", dir_ + "/data", "127.0.0.1",
                           client_port_, peer_port_);
  spawn_options opts;
  opts.out_path = dir_ + "/etcd.log";
  pid_ = spawn_process(args, opts);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ADD_FAILURE() << "etcd exited at start:\n" << log();
      return false;
    }
    try {
      auto r = request(client_port_, "GET", "/health");
      if (r.status == 200 && r.body.find("true") != std::string::npos)
        return true;
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "etcd not healthy after " << timeout.count() << " ms:\n"
                << log();
  return false;
}

void etcd_server::kill9() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void etcd_server::stop() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGTERM);
  reap(pid_);
  pid_ = -1;
}

} // namespace troupe_e2e
