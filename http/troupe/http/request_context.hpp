#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <nlohmann/json_fwd.hpp>

#include "troupe/http/request.hpp"

namespace troupe::http {

class bridge;

/// Default content type of responses.
inline constexpr const char* json_content_type =
    "application/json; charset=utf-8";

// `body_chunk` and `chunk_fn`, the vocabulary of streamed bodies, live in
// request.hpp (the session uses them too, without CAF).

/// One HTTP request in flight, handed to a route handler.
///
/// The handler answers with exactly one `respond*` call, either right away
/// or later from a reply callback or any other thread; further calls are
/// ignored. Responding posts to the connection's I/O thread; if the client
/// has gone, the response is dropped. A context destroyed without a response
/// answers 500, so a request never hangs.
///
/// Lifetime: the context lives at least as long as the handler call and any
/// `request` or `read_body` callback, so those may capture `ctx` by
/// reference. Code that answers from elsewhere keeps it alive with
/// `shared()`.
///
/// Streaming routes (`router::add_streaming`) run the handler as soon as the
/// header has arrived; it pulls the body with `read_body`, one piece at a
/// time, asking for the next piece when it is ready for it, e.g.
///
///   void pump(request_context& ctx, std::shared_ptr<import_job> job) {
///     ctx.read_body(64 * 1024, [&ctx, job](std::string data, body_chunk st) {
///       switch (st) {
///         case body_chunk::more: // asks again once the actors have it
///           return job->send(data, [&ctx, job] { pump(ctx, job); });
///         case body_chunk::last:
///           return job->finish(std::move(data)); // ... then ctx.respond(...)
///         case body_chunk::too_large:
///           return ctx.respond_error(413, "payload_too_large", "too large");
///         case body_chunk::failed:
///           return; // the client is gone
///       }
///     });
///   }
class request_context : public std::enable_shared_from_this<request_context> {
public:
  /// Receives the reply to `request`, on the connection's I/O thread.
  using reply_fn = std::function<void(caf::expected<caf::message>)>;

  /// Used by the router; handlers receive a ready context.
  request_context(http_request req, std::string path,
                  std::vector<std::pair<std::string, std::string>> query,
                  std::string remainder, std::string route_name,
                  std::shared_ptr<response_sink> sink, bridge* br,
                  std::chrono::milliseconds request_timeout,
                  bool streaming = false,
                  std::shared_ptr<body_source> body = nullptr);

  /// Answers 500 if no response was given.
  ~request_context();

  request_context(const request_context&) = delete;
  request_context& operator=(const request_context&) = delete;

  // -- request data -----------------------------------------------------------

  /// Returns the parsed method.
  method verb() const noexcept { return req_.verb; }

  /// Returns the method token as sent.
  const std::string& method_name() const noexcept { return req_.method_name; }

  /// Returns the percent-decoded path, without the query.
  const std::string& path() const noexcept { return path_; }

  /// Returns the raw request target.
  const std::string& target() const noexcept { return req_.target; }

  /// Returns the part of the path after a prefix route's prefix.
  const std::string& remainder() const noexcept { return remainder_; }

  /// Returns the route's name (its metrics label).
  const std::string& route_name() const noexcept { return route_name_; }

  /// Returns the decoded query parameters in order.
  const std::vector<std::pair<std::string, std::string>>&
  query_params() const noexcept {
    return query_;
  }

  /// Returns the first query parameter `key`, if any.
  std::optional<std::string> query(std::string_view key) const;

  /// Returns all header fields in arrival order.
  const header_list& headers() const noexcept { return req_.headers; }

  /// Returns the first header `name` (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;

  /// Returns the request body.
  const std::string& body() const noexcept { return req_.body; }

  /// Returns the request body for moving out.
  std::string& body() noexcept { return req_.body; }

  // -- streamed body (streaming routes) ---------------------------------------

  /// Returns whether the route streams its body (see router::add_streaming).
  bool streaming() const noexcept { return streaming_; }

  /// Streaming routes only: reads the next piece of the body and calls `f`
  /// once, on the I/O thread, with what arrived (at most about `max_bytes`,
  /// at least one byte unless the state is not `more`). One read at a time;
  /// calling it again after `last`, `too_large` or `failed`, while a read is
  /// pending, or on a non-streaming route calls `f` with `failed` at once.
  /// Nothing is read from the socket while no read is asked for
  /// (backpressure: a handler that waits for its actors stalls the client
  /// through TCP). The idle timeout runs only while a read waits for the
  /// client. Call it on the I/O thread (handler, reply callbacks, `f`);
  /// from elsewhere it hops there. A context dispatched without a connection
  /// (router tests) serves `body()` in pieces instead.
  void read_body(size_t max_bytes, chunk_fn f);

  /// Streaming routes: body bytes delivered so far.
  uint64_t body_bytes_read() const noexcept { return body_bytes_read_; }

  /// Returns the peer's IP address.
  const std::string& client_address() const noexcept {
    return req_.client_address;
  }

  // -- responding (any thread, first call wins)
  // --------------------------------

  /// Sends `body` with `status`.
  void respond(unsigned status, std::string body,
               std::string content_type = json_content_type,
               header_list extra_headers = {});

  /// Sends `body` serialized as JSON.
  void respond_json(unsigned status, const nlohmann::json& body);

  /// Sends the status and JSON error body that `map_error` gives for `err`.
  void respond_error(const caf::error& err);

  /// Sends `{"error":{"code":code,"message":message}}` with `status`.
  void respond_error(unsigned status, std::string_view code,
                     std::string_view message);

  /// Redirects to `location` (e.g. 301).
  void redirect(unsigned status, std::string location);

  /// Returns whether a response was given.
  bool responded() const noexcept { return responded_.load(); }

  /// Returns an owning pointer for answering from elsewhere.
  std::shared_ptr<request_context> shared() { return shared_from_this(); }

  // -- talking to actors ------------------------------------------------------

  /// Sends `msg` to `dest` as a request through the I/O thread's bridge;
  /// `on_reply` runs on the I/O thread with the reply, or with
  /// `sec::request_timeout` after the configured request timeout.
  template <class Handle>
  void request(const Handle& dest, caf::message msg, reply_fn on_reply) {
    request_impl(caf::actor_cast<caf::strong_actor_ptr>(dest), std::move(msg),
                 std::move(on_reply));
  }

  /// Typed convenience: on a reply of types `Ts...` calls `on_ok(Ts&...)`;
  /// on an error responds with `respond_error(err)`; on a reply of other
  /// types responds 500.
  template <class... Ts, class Handle, class F>
  void request_then(const Handle& dest, caf::message msg, F on_ok) {
    request(
        dest, std::move(msg),
        [this, f = std::move(on_ok)](caf::expected<caf::message> r) mutable {
          if (!r)
            return respond_error(r.error());
          if (!r->template match_elements<Ts...>())
            return respond_error(500, "internal", "unexpected reply type");
          invoke_with<Ts...>(f, *r, std::index_sequence_for<Ts...>{});
        });
  }

private:
  template <class... Ts, class F, size_t... Is>
  static void invoke_with(F& f, caf::message& msg, std::index_sequence<Is...>) {
    f(msg.get_mutable_as<Ts>(Is)...);
  }

  void request_impl(caf::strong_actor_ptr dest, caf::message msg,
                    reply_fn on_reply);

  http_request req_;
  std::string path_;
  std::vector<std::pair<std::string, std::string>> query_;
  std::string remainder_;
  std::string route_name_;
  std::shared_ptr<response_sink> sink_;
  bridge* bridge_;
  std::chrono::milliseconds request_timeout_;
  std::atomic<bool> responded_{false};
  bool streaming_;
  /// Where a streamed body comes from; null without a connection.
  std::shared_ptr<body_source> body_source_;
  uint64_t body_bytes_read_ = 0;
  /// Without a connection: whether `body()` has been served to the end.
  bool body_served_ = false;
};

} // namespace troupe::http
