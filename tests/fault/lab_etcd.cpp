#include "lab_etcd.hpp"

#include <csignal>
#include <cstdlib>
#include <thread>

#include <sys/wait.h>

#include "etcd_server.hpp"
#include "lab_http.hpp"

namespace troupe_fault {

using clock_type = std::chrono::steady_clock;

lab_etcd::lab_etcd(lab& l)
    : lab_(l), data_dir_(l.dir() + "/etcd-data"),
      log_path_(l.dir() + "/etcd.log") {
  // nop
}

std::string lab_etcd::binary() {
  if (const char* bin = std::getenv("ETCD_BIN"); bin && *bin)
    return find_program(bin);
  return find_program("etcd");
}

long long lab_etcd::start(millis timeout) {
  auto began = clock_type::now();
  pid_ = lab_.spawn(lab_.etcd_ns(),
                    troupe_e2e::etcd_command(binary(), "lab", data_dir_,
                                             lab::etcd_ip(), 2379, 2380),
                    log_path_);
  while (clock_type::now() - began < timeout) {
    if (healthy())
      return std::chrono::duration_cast<millis>(clock_type::now() - began)
          .count();
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(millis(50));
  }
  return -1;
}

void lab_etcd::kill9() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

bool lab_etcd::healthy() const {
  auto r =
      send(endpoint{lab::etcd_ip(), 2379}, "GET", "/health", "", millis(500));
  return r.status == 200 &&
         r.body_json().value("health", std::string{}) == "true";
}

std::string lab_etcd::log() const {
  return troupe_e2e::read_file(log_path_);
}

} // namespace troupe_fault
