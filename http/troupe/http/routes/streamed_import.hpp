#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>

#include "troupe/http/request_context.hpp"

namespace troupe::http::routes {

/// The flow every streaming import route shares (social edge lists, sales):
/// it pulls the body a megabyte at a time and lets the subclass parse each
/// piece into a pending batch; a full batch is sent while the next piece is
/// read and parsed, one batch in flight at a time; while a full batch
/// waits for the one in flight, the body is not read (backpressure). Once
/// the body ended and every batch is stored it answers through
/// `respond_ok`; on the first failed batch or a body over the route's
/// limit it answers that error, whose message tells how much of the body
/// was stored before (`stored_text`). A client that goes away gets nothing.
class streamed_import : public std::enable_shared_from_this<streamed_import> {
public:
  explicit streamed_import(request_context& ctx) : ctx_(ctx.shared()) {
    // nop
  }

  virtual ~streamed_import() = default;

  /// Starts, or goes on after any event.
  void advance();

protected:
  /// Called with `failed` unless everything was stored; on the I/O thread.
  using done_fn = std::function<void(caf::error)>;

  /// Parses one piece of the body (`last`: the body ends with it).
  virtual void parse(std::string_view piece, bool last) = 0;

  /// Returns whether the pending batch is full.
  virtual bool full() const = 0;

  /// Returns whether anything is pending.
  virtual bool pending() const = 0;

  /// Sends the pending batch (and empties it); `done` runs once, when it is
  /// stored or failed.
  virtual void send(done_fn done) = 0;

  /// Sends one message per destination (a round of batches, e.g. one per
  /// shard) and calls `done` once every one was answered: with the first
  /// error, or none when all were stored (`stored()` then runs first).
  void send_round(std::vector<std::pair<caf::actor, caf::message>> parts,
                  std::function<void()> stored, done_fn done);

  /// Answers the success.
  virtual void respond_ok() = 0;

  /// Says what the route's size limit is, for the 413 message.
  virtual std::string limit_text() const = 0;

  /// Says how much was stored, e.g. "1200 sales of the body were stored".
  virtual std::string stored_text() const = 0;

  request_context& ctx() { return *ctx_; }

private:
  void read();
  void on_piece(std::string data, body_chunk state);
  void on_sent(caf::error err);
  void respond_error();

  std::shared_ptr<request_context> ctx_;
  bool reading_ = false;
  bool in_flight_ = false;
  bool body_done_ = false;
  caf::error error_;
};

} // namespace troupe::http::routes
