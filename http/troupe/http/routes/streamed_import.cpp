#include "troupe/http/routes/streamed_import.hpp"

#include "troupe/log.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::http::routes {

namespace {

/// Bytes asked for per read of the body.
constexpr size_t piece_bytes = 1 << 20;

} // namespace

void streamed_import::advance() {
  if (ctx_->responded())
    return;
  if (!in_flight_ && (full() || (body_done_ && pending()))) {
    in_flight_ = true;
    send([self = shared_from_this()](caf::error err) {
      self->on_sent(std::move(err));
    });
  }
  if (error_) {
    if (!in_flight_)
      respond_error();
    return;
  }
  if (body_done_) {
    if (!in_flight_ && !pending())
      respond_ok();
    return;
  }
  if (!reading_ && !full())
    read();
}

void streamed_import::send_round(
    std::vector<std::pair<caf::actor, caf::message>> parts,
    std::function<void()> stored, done_fn done) {
  struct round {
    size_t remaining = 0;
    caf::error error;
    std::function<void()> stored;
    done_fn done;
  };
  auto r = std::make_shared<round>();
  r->remaining = parts.size();
  r->stored = std::move(stored);
  r->done = std::move(done);
  if (parts.empty()) {
    r->stored();
    return r->done({});
  }
  for (auto& [dest, msg] : parts)
    ctx().request(dest, std::move(msg), [r](caf::expected<caf::message> res) {
      if (!res && !r->error)
        r->error = std::move(res.error());
      if (--r->remaining > 0)
        return;
      if (!r->error)
        r->stored();
      r->done(std::move(r->error));
    });
}

void streamed_import::read() {
  reading_ = true;
  ctx_->read_body(piece_bytes, [self = shared_from_this()](std::string data,
                                                           body_chunk state) {
    self->on_piece(std::move(data), state);
  });
}

void streamed_import::on_piece(std::string data, body_chunk state) {
  reading_ = false;
  switch (state) {
  case body_chunk::failed:
    return; // the client is gone: nothing to answer
  case body_chunk::too_large:
    error_ = runtime::make_error(runtime::errc::payload_too_large,
                                 "body larger than " + limit_text());
    break;
  case body_chunk::more:
    parse(data, false);
    break;
  case body_chunk::last:
    parse(data, true);
    body_done_ = true;
    break;
  }
  advance();
}

void streamed_import::on_sent(caf::error err) {
  in_flight_ = false;
  if (err && !error_)
    error_ = std::move(err);
  advance();
}

void streamed_import::respond_error() {
  auto msg = runtime::error_message(error_);
  if (msg.empty())
    msg = "import failed";
  msg += "; " + stored_text() + " before";
  log::warning("http", ctx_->route_name(), " from ", ctx_->client_address(),
               ": ", msg);
  if (error_.category() == runtime::error_category)
    ctx_->respond_error(runtime::make_error(
        static_cast<runtime::errc>(error_.code()), std::move(msg)));
  else
    ctx_->respond_error(error_);
}

} // namespace troupe::http::routes
