// The lab itself: namespaces appear and go away with everything in them,
// a cut really blocks TCP between two nodes (and only between them), a
// heal restores it, stale labs of dead test processes are removed, and a
// cluster forms in the lab and serves through every node.
#include <cerrno>
#include <csignal>
#include <iostream>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenario.hpp"

namespace troupe_fault {
namespace {

using std::chrono::milliseconds;

/// The namespaces that exist now.
std::string netns_list() {
  return run_command({"ip", "netns", "list"}).output;
}

bool has_netns(const std::string& ns) {
  return netns_list().find(ns + " ") != std::string::npos ||
         netns_list().find(ns + "\n") != std::string::npos;
}

/// A TCP socket listening on ip:port inside namespace `ns` (closed on
/// destruction). Connections complete in the kernel's backlog.
class listener {
public:
  listener(const std::string& ns, const std::string& ip, uint16_t port) {
    netns_guard in{ns};
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 64) != 0)
      ADD_FAILURE() << "listen on " << ip << ":" << port << " in " << ns << ": "
                    << std::strerror(errno);
  }
  ~listener() { ::close(fd_); }
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

private:
  int fd_ = -1;
};

/// Whether a TCP connect from namespace `ns` to ip:port completes within
/// `timeout`.
bool tcp_connects(const std::string& ns, const std::string& ip, uint16_t port,
                  milliseconds timeout = milliseconds(1000)) {
  netns_guard in{ns};
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    ok = true;
  } else if (errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    ok = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
         ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }
  ::close(fd);
  return ok;
}

class LabMechanics : public ::testing::Test {
protected:
  void SetUp() override {
    if (auto why = lab_unavailable_reason(); !why.empty()) {
      GTEST_SKIP() << why;
    }
  }
};

TEST_F(LabMechanics, NamespacesAndTheirProcessesGoAwayWithTheLab) {
  std::string name;
  int pid = -1;
  {
    lab l{2};
    name = l.name();
    for (const auto& ns : {l.hub_ns(), l.etcd_ns(), l.node_ns(0), l.node_ns(1)})
      EXPECT_TRUE(has_netns(ns)) << ns << " missing:\n" << netns_list();
    pid = l.spawn(l.node_ns(1), {"/bin/sleep", "60"}, l.dir() + "/sleep.log");
    EXPECT_EQ(::kill(pid, 0), 0);
    EXPECT_NE(run_command({"ip", "netns", "pids", l.node_ns(1)})
                  .output.find(std::to_string(pid)),
              std::string::npos);
  }
  EXPECT_EQ(netns_list().find(name + "-"), std::string::npos)
      << "namespaces left behind:\n"
      << netns_list();
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1) << "sleep not reaped";
  EXPECT_NE(::kill(pid, 0), 0) << "a process of the lab survived it";
}

TEST_F(LabMechanics, CutBlocksNodeToNodeTcpAndHealRestoresIt) {
  lab l{3};
  listener on_n2{l.node_ns(1), lab::node_ip(1), 4999};
  listener on_n1{l.node_ns(0), lab::node_ip(0), 4999};
  listener on_etcd{l.etcd_ns(), lab::etcd_ip(), 4999};
  auto n1 = l.node_ns(0);
  auto n3 = l.node_ns(2);
  ASSERT_TRUE(tcp_connects(n1, lab::node_ip(1), 4999)) << "no path n1 -> n2";
  ASSERT_TRUE(tcp_connects(l.hub_ns(), lab::node_ip(1), 4999));
  // A cut n1 <-> n2 blocks both ways and nothing else.
  l.cut(0, 1);
  EXPECT_FALSE(tcp_connects(n1, lab::node_ip(1), 4999)) << "cut n1 -> n2";
  EXPECT_FALSE(tcp_connects(l.node_ns(1), lab::node_ip(0), 4999))
      << "cut n2 -> n1";
  EXPECT_TRUE(tcp_connects(n3, lab::node_ip(1), 4999)) << "n3 -> n2";
  EXPECT_TRUE(tcp_connects(l.hub_ns(), lab::node_ip(1), 4999)) << "hub";
  l.heal(0, 1);
  EXPECT_TRUE(tcp_connects(n1, lab::node_ip(1), 4999)) << "healed n1 -> n2";
  EXPECT_TRUE(l.cuts().empty());
  // Isolation: n1 reaches nobody but the hub; the hub still reaches n1.
  l.isolate(0);
  EXPECT_FALSE(tcp_connects(n1, lab::node_ip(1), 4999));
  EXPECT_FALSE(tcp_connects(n1, lab::etcd_ip(), 4999)) << "n1 -> etcd";
  EXPECT_FALSE(tcp_connects(n3, lab::node_ip(0), 4999)) << "n3 -> n1";
  EXPECT_TRUE(tcp_connects(l.hub_ns(), lab::node_ip(0), 4999)) << "hub -> n1";
  EXPECT_TRUE(tcp_connects(n3, lab::etcd_ip(), 4999)) << "n3 -> etcd";
  l.heal_all();
  EXPECT_TRUE(tcp_connects(n1, lab::node_ip(1), 4999));
  EXPECT_TRUE(tcp_connects(n1, lab::etcd_ip(), 4999));
  EXPECT_TRUE(l.cuts().empty());
}

TEST_F(LabMechanics, StaleLabsOfDeadProcessesAreRemoved) {
  // A pid that surely no longer exists: a child that exited and was reaped.
  pid_t dead = ::fork();
  if (dead == 0)
    ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  auto stale = "tl" + std::to_string(dead) + "-1-hub";
  auto stale_dir = temp_root() + "/tl" + std::to_string(dead) + "-1-abcdef";
  ASSERT_EQ(run_command({"ip", "netns", "add", stale}).status, 0);
  ASSERT_EQ(::mkdir(stale_dir.c_str(), 0755), 0);
  lab l{1}; // removes stale labs on start
  EXPECT_FALSE(has_netns(stale)) << netns_list();
  EXPECT_NE(::access(stale_dir.c_str(), F_OK), 0) << stale_dir << " left";
  remove_namespace(stale); // in case they were not
  troupe_e2e::remove_tree(stale_dir);
}

TEST_F(LabMechanics, EtcdSurvivesKill9AndRestartOnItsDataDir) {
  if (lab_etcd::binary().empty()) {
    GTEST_SKIP() << "no etcd (apt-get install etcd-server)";
  }
  lab l{1};
  auto in_hub = l.enter_hub();
  lab_etcd etcd{l};
  ASSERT_GE(etcd.start(), 0) << etcd.log();
  // etcd's v3 JSON gateway takes keys and values in base64:
  // "lab-key" = bGFiLWtleQ==, "kept" = a2VwdA==.
  endpoint at{lab::etcd_ip(), 2379};
  auto put = send(at, "POST", "/v3/kv/put",
                  R"({"key":"bGFiLWtleQ==","value":"a2VwdA=="})");
  ASSERT_EQ(put.status, 200) << put.body;
  etcd.kill9();
  EXPECT_FALSE(etcd.healthy());
  auto took = etcd.start();
  ASSERT_GE(took, 0) << etcd.log();
  std::cout << "[lab] etcd healthy " << took << " ms after a restart"
            << std::endl;
  auto range = send(at, "POST", "/v3/kv/range", R"({"key":"bGFiLWtleQ=="})");
  ASSERT_EQ(range.status, 200) << range.body;
  auto kvs = range.body_json()["kvs"];
  ASSERT_TRUE(kvs.is_array() && kvs.size() == 1) << range.body;
  EXPECT_EQ(kvs[0].value("value", std::string{}), "a2VwdA==");
}

class LabCluster : public lab_test {};

TEST_F(LabCluster, FormsAndServesThroughEveryNode) {
  ASSERT_TRUE(start_cluster());
  for (size_t i = 0; i < c().size(); ++i) {
    auto text = "lab smoke via " + c().name(i);
    auto r = send(c().http(i), "POST", "/pastebin/api/v1/paste",
                  json{{"paste_contents", text}}.dump());
    ASSERT_TRUE(is_success(r)) << r.status << " " << r.body;
    auto link = r.body_json().value("shortlink", std::string{});
    for (size_t j = 0; j < c().size(); ++j) {
      auto got =
          send(c().http(j), "GET", "/pastebin/api/v1/paste?shortlink=" + link);
      EXPECT_EQ(got.status, 200) << "via " << c().name(j) << ": " << got.body;
      EXPECT_EQ(got.body_json().value("paste_contents", std::string{}), text);
    }
  }
}

} // namespace
} // namespace troupe_fault
