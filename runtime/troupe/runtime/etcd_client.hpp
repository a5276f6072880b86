#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "troupe/config/config.hpp"
#include "troupe/net/http_client.hpp"
#include "troupe/runtime/etcd_codec.hpp"

namespace troupe::runtime::etcd {

/// The outcome of one call: a value, or the reason it failed. A failed
/// transaction may still have been applied (its answer was lost): callers
/// read the key again before they act on its outcome.
template <class T>
struct result {
  T value{};
  /// Empty when the call succeeded.
  std::string error;

  bool ok() const { return error.empty(); }
};

/// An asynchronous client of etcd's v3 HTTP/JSON gateway, on troupe's
/// outbound HTTP client (one I/O thread of its own, keep-alive
/// connections). Every callback runs on that thread: keep it short and
/// hand the result to an actor. A call that fails on the transport moves
/// the next call to the next endpoint.
class client {
public:
  client(std::vector<config::endpoint> endpoints,
         std::chrono::milliseconds timeout);
  ~client();

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Grants a lease of `ttl_seconds`.
  void grant(int64_t ttl_seconds, std::function<void(result<lease_grant>)> f);

  /// Renews lease `id`; the value is the TTL left (0: the lease is gone).
  void keepalive(int64_t id, std::function<void(result<int64_t>)> f);

  /// Revokes lease `id` (its keys are deleted at once).
  void revoke(int64_t id, std::function<void(result<bool>)> f);

  /// Runs a transaction.
  void txn(const txn_request& req, std::function<void(result<txn_response>)> f);

  /// Fails every call in flight and stops the I/O thread. Idempotent.
  void stop();

private:
  using done_fn = std::function<void(std::string error, std::string body)>;
  void call(const char* path, std::string body, done_fn done);

  std::vector<config::endpoint> endpoints_;
  std::chrono::milliseconds timeout_;
  std::atomic<size_t> current_{0};
  net::http_client http_;
};

} // namespace troupe::runtime::etcd
