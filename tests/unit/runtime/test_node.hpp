#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

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
