// Streamed request bodies: the session's side of `router::add_streaming`.
//
// A request whose method and path name a streaming route is dispatched as
// soon as its header has arrived. Its `string_body` parser, whose body
// reader has not started yet (Beast starts it at the first body byte), is
// converted into a `piece_body` parser, so nothing is reserved for the
// announced length. The handler then pulls the body with
// `request_context::read_body`, which lands in `read_stream`: one
// `async_read_some` on the parser (repeated while only chunk framing
// arrives) fills one piece, which goes to the handler's `chunk_fn`. Nothing
// is read while no read is asked for, so a handler that waits for its
// actors stalls the client through TCP's flow control (backpressure), and
// the socket buffers bound what one connection holds in memory.
//
// Limits: a Content-Length above the route's limit is answered 413 before
// the handler runs (instead of `100 Continue`); a chunked body is cut off
// by the parser's body limit when a chunk header passes it (`too_large`).
// The idle timeout runs only while a read waits for the client: between
// reads the handler holds the stream for as long as it likes (each actor
// request it makes has the bridge's timeout).
//
// `Expect: 100-continue` is answered at the first `read_body`, so a handler
// that refuses at once (bad parameters) spares the client the upload. A
// response given before the body ended is written with `Connection: close`
// and the rest of the body is never parsed: the session half-closes and
// drains (after a still pending read has completed: one read at a time on
// the socket). After a body read to its end, keep-alive goes on as usual.
//
// Everything runs on the session's I/O thread; the context reaches the
// session through a `session_source` holding a weak pointer and the
// request's sequence number, so a context that outlives its request or its
// connection gets `failed` instead of someone else's bytes.

#include "troupe/http/session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace troupe::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

/// The context's handle on a streamed body.
class session_source : public body_source {
public:
  /// Created on the session's I/O thread.
  session_source(std::weak_ptr<session> s, std::shared_ptr<io_gate> g,
                 uint64_t seq)
      : session_(std::move(s)), gate_(std::move(g)),
        owner_(std::this_thread::get_id()), seq_(seq) {
    // nop
  }

  void read(size_t max_bytes, chunk_fn f) override {
    if (std::this_thread::get_id() == owner_)
      return read_on(session_, seq_, max_bytes, std::move(f));
    gate_->post(
        [s = session_, seq = seq_, max_bytes, f = std::move(f)]() mutable {
          read_on(s, seq, max_bytes, std::move(f));
        });
  }

private:
  static void read_on(const std::weak_ptr<session>& s, uint64_t seq,
                      size_t max_bytes, chunk_fn f) {
    if (auto ptr = s.lock())
      ptr->read_stream(seq, max_bytes, std::move(f));
    else
      f({}, body_chunk::failed); // connection gone
  }

  std::weak_ptr<session> session_;
  std::shared_ptr<io_gate> gate_;
  std::thread::id owner_;
  uint64_t seq_;
};

} // namespace

std::shared_ptr<body_source> session::make_body_source() {
  return std::make_shared<session_source>(weak_from_this(), worker_.gate, seq_);
}

void session::start_stream(const router::route& rt) {
  started_ = clock_type::now();
  route_ = rt.name;
  method_ = std::string{parser_->get().method_string()};
  if (auto len = parser_->content_length(); len && *len > rt.max_body_bytes)
    return fail_request(413, "payload_too_large", "request body too large");
  stream_.emplace(std::move(*parser_));
  parser_.reset();
  // Counted down chunk by chunk; a Content-Length was checked above.
  stream_->body_limit(rt.max_body_bytes);
  stream_state_ = stream_state::open;
  auto& req = stream_->get();
  continue_due_ = !stream_->is_done() && expects_continue(req);
  keep_alive_ = req.keep_alive();
  dispatch_request(to_request(req), true);
}

void session::read_stream(uint64_t seq, size_t max_bytes, chunk_fn f) {
  if (seq != seq_ || !in_flight_ || stream_state_ != stream_state::open ||
      response_started_)
    return f({}, body_chunk::failed);
  if (stream_->is_done()) {
    // No body (or nothing more): `last`, never inline.
    stream_state_ = stream_state::ended;
    net::post(socket_.get_executor(),
              [f = std::move(f)] { f({}, body_chunk::last); });
    return;
  }
  stream_state_ = stream_state::reading;
  stream_fn_ = std::move(f);
  piece_max_ = std::max<size_t>(max_bytes, 1);
  if (continue_due_) {
    continue_due_ = false;
    return write_continue();
  }
  stream_read_some();
}

void session::write_continue() {
  continue_ = {bhttp::status::continue_, 11};
  continue_writing_ = true;
  set_deadline(clock_type::now() + worker_.shared.cfg.idle_timeout);
  bhttp::async_write(socket_, continue_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_continue(ec);
                     });
}

void session::on_continue(beast::error_code ec) {
  continue_writing_ = false;
  if (ec) {
    beast::error_code ignored;
    socket_.close(ignored); // a stashed response fails and releases the hold
  }
  if (stashed_) {
    auto res = std::move(*stashed_);
    stashed_.reset();
    write(std::move(res), true);
  }
  if (ec || response_started_)
    return finish_read({}, body_chunk::failed);
  stream_read_some();
}

void session::stream_read_some() {
  // Beast reads at most the buffer's free capacity (but at least 512 bytes,
  // which is what a buffer sized by a small header would give): read in
  // pieces of up to 64 KiB. `do_read` gives the memory back.
  constexpr size_t read_size = 64 * 1024;
  if (buffer_.capacity() - buffer_.size() < read_size)
    buffer_.reserve(buffer_.size() + read_size);
  piece_.reserve(std::min(piece_max_, read_size));
  auto& body = stream_->get().body();
  body.out = &piece_;
  body.room = piece_max_ - piece_.size();
  socket_reading_ = true;
  set_deadline(clock_type::now() + worker_.shared.cfg.idle_timeout);
  bhttp::async_read_some(
      socket_, buffer_, *stream_,
      [self = shared_from_this()](beast::error_code ec, size_t) {
        self->on_stream_read(ec);
      });
}

void session::on_stream_read(beast::error_code ec) {
  socket_reading_ = false;
  if (ec == bhttp::error::need_buffer)
    ec = {}; // the piece is full
  if (response_started_) {
    // The handler answered meanwhile; the rest of the body stays unread.
    piece_.clear();
    if (closing_ && !ec)
      drain(); // `close_gracefully` waited for this read
    return finish_read({}, body_chunk::failed);
  }
  if (!ec && piece_.empty() && !stream_->is_done())
    return stream_read_some(); // only chunk framing arrived
  // Between reads the handler holds the stream: no idle timeout.
  set_deadline(clock_type::time_point::max());
  if (!ec)
    return finish_read(std::move(piece_), stream_->is_done()
                                              ? body_chunk::last
                                              : body_chunk::more);
  piece_.clear();
  if (ec == bhttp::error::body_limit) {
    keep_alive_ = false;
    return finish_read({}, body_chunk::too_large);
  }
  if (is_malformed(ec)) {
    // Answered like any malformed request; the handler's answer is dropped.
    http_response res;
    res.status = 400;
    res.content_type = "application/json; charset=utf-8";
    res.body =
        error_body("invalid_argument",
                   std::string{"malformed HTTP request: "} + ec.message());
    res.close = true;
    write(std::move(res), true);
    return finish_read({}, body_chunk::failed);
  }
  // EOF, reset, idle timeout: nobody to answer.
  beast::error_code ignored;
  socket_.close(ignored);
  finish_read({}, body_chunk::failed);
}

void session::finish_read(std::string data, body_chunk state) {
  stream_state_ =
      state == body_chunk::more ? stream_state::open : stream_state::ended;
  auto f = std::move(stream_fn_);
  stream_fn_ = nullptr;
  piece_.clear();
  if (f)
    f(std::move(data), state); // may ask for the next piece right away
}

} // namespace troupe::http
