#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/scoped_actor.hpp>

#include "troupe/config/config.hpp"
#include "troupe/runtime/node.hpp"

namespace troupe::test {

/// A real node on a fresh temporary data dir; the dir is removed at the end.
class test_node {
public:
  explicit test_node(config::node_config cfg = small_config(),
                     runtime::node::customize_fn customize = {})
      : customize_(std::move(customize)) {
    char tmpl[] = "/tmp/troupe-unit-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    cfg.nodes.front().data_dir = dir_;
    cfg_ = std::move(cfg);
    start();
  }

  ~test_node() {
    node_.reset();
    std::filesystem::remove_all(dir_);
  }

  /// Stops the node and starts a new one on the same data dir.
  void restart() {
    node_.reset();
    start();
  }

  runtime::node& operator*() { return *node_; }
  runtime::node* operator->() { return node_.get(); }

  /// Four shards, fault injection on, quick timers.
  static config::node_config small_config() {
    auto cfg = config::default_config();
    cfg.pastebin.shards = 4;
    cfg.runtime.fault_injection = true;
    cfg.runtime.admin_token = "t";
    cfg.runtime.scheduler_threads = 2;
    cfg.persistence.map_size_mb = 64;
    return cfg;
  }

private:
  void start() {
    node_ = std::make_unique<runtime::node>(cfg_, customize_);
    auto err = node_->start();
    if (!err.empty())
      throw std::runtime_error(err);
  }

  runtime::node::customize_fn customize_;
  std::string dir_;
  config::node_config cfg_;
  std::unique_ptr<runtime::node> node_;
};

/// A loopback TCP port that is free now.
inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// `small_config()` for nodes n1, n2, n3 on free loopback ports, with
/// replication factor 2 and quick membership timers; `self` is n1 and each
/// node's data dir is `dirs[i]` (if given).
inline config::node_config
three_node_config(const std::vector<std::string>& dirs = {}) {
  using namespace std::chrono_literals;
  auto cfg = test_node::small_config();
  cfg.self = "n1";
  cfg.replication_factor = 2;
  cfg.membership.heartbeat_interval = 50ms;
  cfg.membership.failure_timeout = 500ms;
  auto proto = cfg.nodes.front();
  cfg.nodes.clear();
  for (const char* name : {"n1", "n2", "n3"}) {
    auto entry = proto;
    entry.name = name;
    entry.actor = config::endpoint{"127.0.0.1", free_port()};
    entry.http = config::endpoint{"127.0.0.1", free_port()};
    if (cfg.nodes.size() < dirs.size())
      entry.data_dir = dirs[cfg.nodes.size()];
    cfg.nodes.push_back(entry);
  }
  return cfg;
}

/// Sends a request from a blocking helper actor and waits for the reply
/// (tests only: never block on a hot path, see CAF-NOTES).
template <class T, class... Ts>
caf::expected<T> ask(runtime::node& n, const caf::actor& dest, Ts&&... xs) {
  caf::scoped_actor self{n.system()};
  caf::expected<T> result{caf::sec::none};
  self->request(dest, caf::infinite, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace troupe::test
