#pragma once

// The sending side of the node link (link_wire.hpp): one per HTTP I/O thread,
// with one TCP connection per peer node, used only on that thread. A request
// is a frame appended to the connection's buffer; whatever queued while a
// write was in flight goes out in the next write, so under load many
// requests share a system call, and no other thread is woken on the way.
//
// Every request is answered exactly once, on the I/O thread: with its reply,
// `unavailable` as soon as the connection fails or the node is seen down
// (every request in flight to it at once), `request_timeout` after its
// timeout, or `unavailable` at shutdown. A reply arriving after any of these
// finds no pending entry and is dropped.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "troupe/config/config.hpp"

namespace troupe::http {

class link_client {
public:
  using reply_fn = std::function<void(caf::expected<caf::message>)>;

  struct settings {
    /// This node's name and the cluster's config hash (sent in the hello).
    std::string self;
    uint64_t cluster_hash = 0;
    /// Requests waiting per peer; more are refused with `overloaded`.
    size_t max_pending = 10000;
    std::chrono::milliseconds connect_timeout{2000};
  };

  link_client(boost::asio::io_context& ioc, caf::actor_system& sys,
              settings cfg);
  ~link_client();

  link_client(const link_client&) = delete;
  link_client& operator=(const link_client&) = delete;

  /// Sends `msg` for shard `shard` of `service` to node `node` at `at`
  /// (I/O thread only); `f` runs once. `keep` stays alive until then.
  void request(const std::string& node, const config::endpoint& at,
               std::string_view service, uint16_t shard,
               const caf::message& msg, std::chrono::milliseconds timeout,
               reply_fn f, std::shared_ptr<void> keep);

  /// Fails every request in flight to `node` with `unavailable` and closes
  /// its connection (the node went down).
  void fail_node(const std::string& node, const std::string& why);

  /// Fails expired requests; returns the nodes with requests in flight.
  std::vector<std::string> tick();

  /// Requests in flight over every connection.
  size_t pending() const;

  /// Fails everything pending with `unavailable`; idempotent.
  void shutdown();

private:
  struct connection;
  boost::asio::io_context& ioc_;
  caf::actor_system& sys_;
  settings cfg_;
  bool down_ = false;
  std::unordered_map<std::string, std::shared_ptr<connection>> conns_;
};

} // namespace troupe::http
