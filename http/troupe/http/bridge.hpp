#pragma once

// The bridge between one HTTP I/O thread and the actor system.
//
// Each I/O thread owns one `caf::actor_companion`: a mailbox-less actor whose
// incoming messages are handed to a callback instead of a scheduler. The
// bridge sends requests by enqueueing a mailbox element with the companion as
// sender and a fresh request id straight into the destination; the reply
// comes back to the companion, whose `on_enqueue` posts it onto the I/O
// thread, where it is matched by `mid.request_id()` against the pending map.
// This is measured as the fastest way to get from Beast into CAF and back
// (102k req/s vs 86k for an event-based bridge actor; see CAF-NOTES.md).
//
// Timeouts belong to the I/O side: `tick()` is driven by one coarse periodic
// timer per I/O thread and fails expired requests with `sec::request_timeout`;
// a reply arriving later finds no pending entry and is dropped. Nothing here
// blocks.
//
// Teardown cannot use `actor_companion::disconnect()` (missing from the
// shipped library); `shutdown()` installs a no-op `on_enqueue` and calls
// `cleanup(...)`, as CAF's Qt mixin does, then fails what is still pending
// with `unavailable`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include <caf/fwd.hpp>

namespace troupe::http {

/// Connects one I/O thread to the actor system. All member functions except
/// `request` (which hops over if needed) and the constructor must run on the
/// I/O thread, or after it has been joined.
class bridge {
public:
  /// Runs a function on the I/O thread; must be thread-safe.
  using post_fn = std::function<void(std::function<void()>)>;

  /// Receives a reply or an error, on the I/O thread.
  using reply_fn = std::function<void(caf::expected<caf::message>)>;

  /// Spawns the companion; `post` schedules work on the I/O thread.
  bridge(caf::actor_system& sys, post_fn post);

  /// Calls `shutdown()`.
  ~bridge();

  bridge(const bridge&) = delete;
  bridge& operator=(const bridge&) = delete;

  /// Marks the calling thread as the I/O thread of this bridge.
  void bind_to_this_thread();

  /// Sends `msg` to `dest` as a request; `f` runs exactly once on the I/O
  /// thread with the reply, `sec::request_timeout` after `timeout`, or
  /// `unavailable` at shutdown. Callable from any thread.
  /// `keep` (may be null) stays alive until `f` has run.
  void request(const caf::strong_actor_ptr& dest, caf::message msg,
               std::chrono::milliseconds timeout, reply_fn f,
               std::shared_ptr<void> keep = nullptr);

  /// Decides on the I/O thread whether a request goes elsewhere (the node
  /// link): returns true once it took over `f` (and `keep`).
  using detour_fn = std::function<bool(
      const caf::strong_actor_ptr& dest, const caf::message& msg,
      std::chrono::milliseconds timeout, reply_fn& f,
      std::shared_ptr<void>& keep)>;

  /// Sets the detour; before the I/O thread runs.
  void set_detour(detour_fn f);

  /// Fails expired requests; called by the I/O thread's periodic timer.
  void tick();

  /// Returns the number of pending requests.
  size_t pending() const;

  /// Detaches from CAF and fails pending requests with `unavailable`.
  /// Idempotent.
  void shutdown();

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace troupe::http
