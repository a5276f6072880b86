#include "lab_cluster.hpp"

#include <csignal>
#include <cstdlib>
#include <sstream>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace troupe_fault {

namespace {

using clock_type = std::chrono::steady_clock;

/// The process state letter (R, S, T, ...) of `pid`, or 0.
char proc_state(int pid) {
  auto stat = troupe_e2e::read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size()
             ? 0
             : stat[close + 2];
}

/// Directory of the running test binary.
std::string own_dir() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return ".";
  std::string path{buf, static_cast<size_t>(n)};
  return path.substr(0, path.rfind('/'));
}

/// Node `name`'s state ("up", ...) in a /api/v1/cluster body, "" if absent.
std::string state_in(const json& view, const std::string& name) {
  if (!view.is_object() || !view.contains("nodes") || !view["nodes"].is_array())
    return {};
  for (const auto& n : view["nodes"])
    if (n.value("name", std::string{}) == name)
      return n.value("state", std::string{});
  return {};
}

} // namespace

node_command troupe_command() {
  const char* bin = std::getenv("TROUPE_BIN");
  return {bin ? bin : "", {"run"}};
}

node_command custom_route_command() {
  const char* bin = std::getenv("CUSTOM_ROUTE_BIN");
  return {bin && *bin ? bin : own_dir() + "/custom_route", {}};
}

lab_cluster::lab_cluster(lab& l, membership_flavour flavour,
                         node_command command)
    : lab_(l), command_(std::move(command)), pids_(l.size(), -1),
      exit_status_(l.size(), -1) {
  lab_config_params params;
  params.flavour = flavour;
  params.etcd_ip = lab::etcd_ip();
  for (size_t i = 0; i < l.size(); ++i) {
    params.node_ips.push_back(lab::node_ip(i));
    params.data_dirs.push_back(l.dir() + "/" + name(i));
    ::mkdir(params.data_dirs.back().c_str(), 0755);
  }
  config_path_ = l.dir() + "/lab.toml";
  troupe_e2e::write_file(config_path_, lab_config_text(params));
}

endpoint lab_cluster::http(size_t i) const {
  return {lab::node_ip(i), static_cast<uint16_t>(lab_http_port)};
}

std::vector<endpoint> lab_cluster::http_all() const {
  std::vector<endpoint> out;
  for (size_t i = 0; i < size(); ++i)
    out.push_back(http(i));
  return out;
}

bool lab_cluster::start(millis timeout, std::string* why) {
  for (size_t i = 0; i < size(); ++i) {
    auto argv = command_.leading_args;
    argv.insert(argv.begin(), command_.binary);
    argv.insert(argv.end(), {"--config", config_path_, "--node", name(i)});
    pids_[i] =
        lab_.spawn(lab_.node_ns(i), argv, lab_.dir() + "/" + name(i) + ".log");
  }
  if (wait_converged(timeout) >= 0)
    return true;
  if (why)
    *why = "not converged within " + std::to_string(timeout.count()) +
           " ms:\n" + exited() + describe() + logs();
  return false;
}

std::string lab_cluster::exited() const {
  std::string out;
  for (size_t i = 0; i < size(); ++i) {
    int status = 0;
    if (exit_status_[i] < 0 && pids_[i] > 0 &&
        ::waitpid(pids_[i], &status, WNOHANG) == pids_[i])
      exit_status_[i] = status;
    if (exit_status_[i] >= 0)
      out += name(i) + " exited (status " + std::to_string(exit_status_[i]) +
             ")\n";
  }
  return out;
}

void lab_cluster::freeze(size_t i) {
  ::kill(pids_[i], SIGSTOP);
  // SIGSTOP is asynchronous: wait (bounded) until the process is stopped.
  for (int round = 0; round < 200 && proc_state(pids_[i]) != 'T'; ++round)
    std::this_thread::sleep_for(millis(5));
}

void lab_cluster::thaw(size_t i) {
  ::kill(pids_[i], SIGCONT);
}

bool lab_cluster::converged() const {
  for (size_t i = 0; i < size(); ++i) {
    if (send(http(i), "GET", "/readyz", "", millis(1000)).status != 200)
      return false;
    auto view =
        send(http(i), "GET", "/api/v1/cluster", "", millis(1000)).body_json();
    for (size_t j = 0; j < size(); ++j)
      if (state_in(view, name(j)) != "up")
        return false;
  }
  return true;
}

long long lab_cluster::wait_converged(millis timeout) const {
  auto began = clock_type::now();
  auto deadline = began + timeout;
  for (;;) {
    if (converged())
      return std::chrono::duration_cast<millis>(clock_type::now() - began)
          .count();
    if (clock_type::now() >= deadline || !exited().empty())
      return -1;
    std::this_thread::sleep_for(millis(100));
  }
}

std::string lab_cluster::describe() const {
  std::ostringstream out;
  for (size_t i = 0; i < size(); ++i) {
    auto ready = send(http(i), "GET", "/readyz", "", millis(1000)).status;
    auto view =
        send(http(i), "GET", "/api/v1/cluster", "", millis(1000)).body_json();
    out << name(i) << ": readyz " << ready << ", sees";
    for (size_t j = 0; j < size(); ++j) {
      auto state = state_in(view, name(j));
      out << " " << name(j) << "=" << (state.empty() ? "?" : state);
    }
    out << "\n";
  }
  return out.str();
}

std::string lab_cluster::logs(size_t lines) const {
  std::string out;
  for (size_t i = 0; i < size(); ++i)
    out +=
        "---- " + name(i) + " ----\n" +
        troupe_e2e::log_digest(
            troupe_e2e::read_file(lab_.dir() + "/" + name(i) + ".log"), lines);
  return out;
}

} // namespace troupe_fault
