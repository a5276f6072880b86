#pragma once

// The node link (docs/design.md, "The node link"): keyed requests that an
// edge cannot serve locally go straight to the node serving their shard over
// a framed TCP connection between the two nodes' HTTP I/O threads, instead of
// through the region actor and CAF's middleman (BASP). The HTTP server owns
// both sides: each I/O thread has a `link_client`, and the link port's
// connections are spread over the I/O threads like HTTP connections, whose
// bridge hands each request to the shard and its reply back to the link.
// Everything else (control messages, replication, hand-overs, requests
// whose shard moves) stays on CAF.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <caf/actor_control_block.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include "troupe/config/config.hpp"

namespace troupe::runtime {
class node;
class metric_counter;
} // namespace troupe::runtime

namespace troupe::http {

/// Where a request goes over the link.
struct link_target {
  std::string node;
  config::endpoint at;
  std::string_view service;
  uint16_t shard = 0;
  /// troupe_routed_requests_total{service,node} (may be null).
  runtime::metric_counter* routed = nullptr;
};

/// How a server takes part in the node link.
struct link_options {
  /// Where this node listens for other nodes' links (empty host: it does
  /// not; port 0: any free port, see `server::link_port`).
  config::endpoint listen;
  /// This node's name and the cluster's config hash: a connection whose
  /// hello carries another hash is refused.
  std::string self;
  uint64_t cluster_hash = 0;
  /// Owner side: requests of one connection with the actors at once; more
  /// wait unread (TCP pushes back on the sending node).
  size_t max_in_flight = 4096;
  /// Owner side: the actor that serves `msg` for shard `shard` of
  /// `service` (null: the service does not run here); may rewrite `msg`.
  std::function<caf::strong_actor_ptr(std::string_view service, uint16_t shard,
                                      caf::message& msg)>
      dispatch;
  /// Edge side: whether a request to `dest` goes over the link, and where
  /// (called on an I/O thread; must not block).
  std::function<bool(const caf::strong_actor_ptr& dest, const caf::message& msg,
                     link_target& out)>
      route;
  /// Whether `node` is up now (requests in flight to a node that is not
  /// fail at once).
  std::function<bool(const std::string& node)> node_up;
};

/// The link options of `node`: listens on its `[[nodes]] link` endpoint and
/// routes the requests of its regions to the link of the node serving the
/// shard, when that node has one. Unset (`route` empty) on a single node.
link_options node_link(runtime::node& node);

} // namespace troupe::http
