#include "lab.hpp"

#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <thread>

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.hpp"

namespace troupe_fault {

namespace {

const std::string netns_dir = "/run/netns/";

bool pid_alive(int pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

/// "tl<pid>-..." -> pid, or 0 when `name` is not a lab namespace.
int owner_pid(const std::string& name) {
  if (name.compare(0, 2, "tl") != 0)
    return 0;
  size_t end = 2;
  while (end < name.size() &&
         std::isdigit(static_cast<unsigned char>(name[end])))
    ++end;
  if (end == 2 || end >= name.size() || name[end] != '-')
    return 0;
  return std::atoi(name.substr(2, end - 2).c_str());
}

std::vector<std::string> all_namespaces() {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(netns_dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.')
        out.emplace_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

std::string make_lab_dir(const std::string& name) {
  auto tmpl = temp_root() + "/" + name + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error(std::string{"mkdtemp: "} + std::strerror(errno));
  return buf.data();
}

/// The nft table that drops traffic to and from `peer`.
std::string table_of(std::string peer) {
  for (auto& c : peer)
    if (c == '.')
      c = '_';
  return "lab_cut_" + peer;
}

} // namespace

// -- names and clean-up -------------------------------------------------------

std::string lab_unavailable_reason() {
  if (::geteuid() != 0)
    return "the partition lab needs root (network namespaces, nftables)";
  if (find_program("ip").empty())
    return "the partition lab needs `ip` (apt-get install iproute2)";
  if (find_program("nft").empty())
    return "the partition lab needs `nft` (apt-get install nftables)";
  return {};
}

std::string temp_root() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

std::string run_prefix() {
  if (const char* p = std::getenv("TROUPE_LAB_PREFIX"); p && *p)
    return p;
  return "tl" + std::to_string(::getpid());
}

size_t remove_stale_labs() {
  size_t removed = 0;
  for (const auto& ns : all_namespaces())
    if (int pid = owner_pid(ns); pid > 0 && !pid_alive(pid)) {
      remove_namespace(ns);
      ++removed;
    }
  // Their temp dirs (data, logs) too.
  auto tmp = temp_root();
  if (DIR* d = ::opendir(tmp.c_str())) {
    std::vector<std::string> stale;
    while (dirent* e = ::readdir(d))
      if (int pid = owner_pid(e->d_name); pid > 0 && !pid_alive(pid))
        stale.push_back(tmp + "/" + e->d_name);
    ::closedir(d);
    for (const auto& dir : stale)
      troupe_e2e::remove_tree(dir);
  }
  return removed;
}

// -- lab ---------------------------------------------------------------------

lab::lab(size_t nodes) : nodes_(nodes) {
  if (nodes < 1 || nodes > 200)
    throw std::invalid_argument("a lab holds 1 to 200 nodes");
  remove_stale_labs();
  static std::atomic<int> counter{0};
  name_ = run_prefix() + "-" + std::to_string(++counter);
  dir_ = make_lab_dir(name_);
  try {
    build();
  } catch (...) {
    for (const auto& ns : namespaces())
      remove_namespace(ns);
    troupe_e2e::remove_tree(dir_);
    throw;
  }
}

lab::~lab() {
  for (const auto& ns : namespaces())
    remove_namespace(ns);
  // Reap the processes spawned here (dead by now; someone may have reaped
  // them already, which waitpid reports as ECHILD).
  for (int pid : spawned_)
    for (int round = 0; round < 100; ++round) {
      if (::waitpid(pid, nullptr, WNOHANG) != 0)
        break;
      std::this_thread::sleep_for(millis(10));
    }
  if (std::getenv("TROUPE_LAB_KEEP") != nullptr)
    std::cerr << "lab: kept " << dir_ << " (TROUPE_LAB_KEEP)\n";
  else
    troupe_e2e::remove_tree(dir_);
}

std::string lab::node_ns(size_t i) const {
  return name_ + "-n" + std::to_string(i + 1);
}

std::string lab::node_ip(size_t i) {
  return "10.77.0." + std::to_string(11 + i);
}

std::vector<std::string> lab::namespaces() const {
  std::vector<std::string> out{hub_ns(), etcd_ns()};
  for (size_t i = 0; i < nodes_; ++i)
    out.push_back(node_ns(i));
  return out;
}

void lab::must(const std::vector<std::string>& argv, const std::string& ns) {
  auto r = run_command(argv, ns);
  if (r.status != 0) {
    std::string line;
    for (const auto& a : argv)
      line += a + " ";
    throw std::runtime_error("lab: `" + line + "` failed (" +
                             std::to_string(r.status) + "): " + r.output);
  }
}

void lab::build() {
  auto hub = hub_ns();
  must({"ip", "netns", "add", hub});
  must({"ip", "-n", hub, "link", "set", "lo", "up"});
  must({"ip", "-n", hub, "link", "add", "br0", "type", "bridge"});
  must({"ip", "-n", hub, "addr", "add", hub_ip() + "/24", "dev", "br0"});
  must({"ip", "-n", hub, "link", "set", "br0", "up"});
  // One namespace per member, its veth's other end on the bridge. The veth
  // is created inside the hub with its peer moved at once, so no interface
  // name ever appears in the caller's namespace (labs never collide).
  auto attach = [&](const std::string& ns, const std::string& port,
                    const std::string& ip) {
    must({"ip", "netns", "add", ns});
    must({"ip", "-n", ns, "link", "set", "lo", "up"});
    must({"ip", "-n", hub, "link", "add", port, "type", "veth", "peer", "name",
          "eth0", "netns", ns});
    must({"ip", "-n", hub, "link", "set", port, "master", "br0", "up"});
    must({"ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0"});
    must({"ip", "-n", ns, "link", "set", "eth0", "up"});
  };
  attach(etcd_ns(), "ve", etcd_ip());
  for (size_t i = 0; i < nodes_; ++i)
    attach(node_ns(i), "vn" + std::to_string(i + 1), node_ip(i));
}

int lab::spawn(const std::string& ns, const std::vector<std::string>& argv,
               const std::string& log_path) {
  int pid = spawn_in(ns, argv, log_path);
  spawned_.push_back(pid);
  return pid;
}

// -- cuts --------------------------------------------------------------------

void lab::add_drop(const std::string& ns, const std::string& peer, bool input,
                   bool output) {
  remove_drop(ns, peer);
  std::string rules = "table inet " + table_of(peer) + " {";
  if (input)
    rules += " chain in { type filter hook input priority 0; ip saddr " + peer +
             " drop; };";
  if (output)
    rules += " chain out { type filter hook output priority 0; ip daddr " +
             peer + " drop; };";
  rules += " }";
  must({"nft", rules}, ns);
  cuts_.emplace(ns, peer);
}

void lab::remove_drop(const std::string& ns, const std::string& peer) {
  if (cuts_.erase({ns, peer}) > 0)
    must({"nft", "delete", "table", "inet", table_of(peer)}, ns);
}

void lab::cut(size_t a, size_t b) {
  add_drop(node_ns(a), node_ip(b), true, true);
  add_drop(node_ns(b), node_ip(a), true, true);
}

void lab::cut_one_way(size_t from, size_t to) {
  add_drop(node_ns(from), node_ip(to), false, true);
}

void lab::cut_from_etcd(size_t i) {
  add_drop(node_ns(i), etcd_ip(), true, true);
  add_drop(etcd_ns(), node_ip(i), true, true);
}

void lab::isolate(size_t i) {
  for (size_t j = 0; j < nodes_; ++j)
    if (j != i)
      cut(i, j);
  cut_from_etcd(i);
}

void lab::heal(size_t a, size_t b) {
  remove_drop(node_ns(a), node_ip(b));
  remove_drop(node_ns(b), node_ip(a));
}

void lab::heal_all() {
  auto all = cuts_;
  for (const auto& [ns, peer] : all)
    remove_drop(ns, peer);
}

} // namespace troupe_fault
