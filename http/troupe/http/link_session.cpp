#include "troupe/http/link_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "troupe/log.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::http {

namespace net = boost::asio;

link_session::link_session(io_worker& w, socket_type socket,
                           const link_options& opts, caf::actor_system& sys)
    : worker_(w), socket_(std::move(socket)), opts_(opts), sys_(sys) {
  // nop
}

void link_session::start() {
  read();
}

void link_session::pump() {
  if (consuming_ || closed_)
    return; // a reply answered within on_request: the outer loop goes on
  consuming_ = true;
  auto open = consume();
  consuming_ = false;
  if (open && in_flight_ < opts_.max_in_flight)
    read();
}

void link_session::read() {
  if (closed_ || reading_)
    return;
  constexpr size_t chunk = 64 * 1024;
  reading_ = true;
  auto self = shared_from_this();
  socket_.async_read_some(net::buffer(reader_.prepare(chunk), chunk),
                          [self](boost::system::error_code ec, size_t n) {
                            self->reading_ = false;
                            if (self->closed_)
                              return;
                            if (ec)
                              return self->close({});
                            self->reader_.commit(n);
                            self->pump();
                          });
}

bool link_session::consume() {
  link::frame f;
  std::string why;
  // Frames beyond the limit wait in the reader (and then in the socket).
  while (in_flight_ < opts_.max_in_flight) {
    switch (reader_.next(f, why)) {
    case link::frame_reader::result::need_more:
      return true;
    case link::frame_reader::result::error:
      close("a malformed frame (" + why + ")");
      return false;
    case link::frame_reader::result::frame:
      if (!greeted_) {
        if (!on_hello(f))
          return false;
      } else if (f.type == link::frame_type::request) {
        on_request(f);
      } else {
        close("an unexpected frame");
        return false;
      }
    }
  }
  return true;
}

bool link_session::on_hello(const link::frame& f) {
  if (f.type != link::frame_type::hello) {
    close("no hello");
    return false;
  }
  if (f.id != opts_.cluster_hash) {
    close("the hello of node '" + std::string{f.name} +
          "', whose cluster config differs from this node's");
    return false;
  }
  peer_ = std::string{f.name};
  greeted_ = true;
  return true;
}

void link_session::on_request(const link::frame& f) {
  auto id = f.id;
  auto decoded = link::decode_message(sys_, f.payload, f.payload_size);
  if (!decoded)
    return reply(id, caf::make_message(runtime::make_error(
                         runtime::errc::invalid_argument,
                         "unreadable request over the node link")));
  auto msg = std::move(*decoded);
  auto dest = opts_.dispatch(f.name, f.shard, msg);
  if (!dest)
    return reply(id, caf::make_message(runtime::make_error(
                         runtime::errc::unavailable,
                         "service " + std::string{f.name} +
                             " is not running on " + opts_.self)));
  ++in_flight_;
  auto self = shared_from_this();
  worker_.br.request(
      dest, std::move(msg), worker_.shared.cfg.request_timeout,
      [self, id](caf::expected<caf::message> r) {
        --self->in_flight_;
        self->reply(id, r ? *r : caf::make_message(std::move(r.error())));
        if (self->in_flight_ < self->opts_.max_in_flight / 2 + 1)
          self->pump();
      });
}

void link_session::reply(uint64_t id, const caf::message& msg) {
  if (closed_)
    return;
  link::append_reply(sys_, out_, id, msg);
  // Written once the I/O thread is done with its current events: the
  // replies of one round share a write.
  if (flush_posted_ || write_pending_)
    return;
  flush_posted_ = true;
  auto self = shared_from_this();
  net::post(socket_.get_executor(), [self] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void link_session::flush() {
  if (closed_ || write_pending_ || out_.empty())
    return;
  writing_.swap(out_);
  out_.clear();
  write_pending_ = true;
  auto self = shared_from_this();
  net::async_write(socket_, net::buffer(writing_),
                   [self](boost::system::error_code ec, size_t) {
                     self->write_pending_ = false;
                     self->writing_.clear();
                     if (self->closed_)
                       return;
                     if (ec)
                       return self->close({});
                     self->flush();
                   });
}

void link_session::close(const std::string& why) {
  if (closed_)
    return;
  closed_ = true;
  if (!why.empty())
    log::warning("link", "closing a link connection",
                 peer_.empty() ? std::string{} : " from " + peer_, ": ", why);
  boost::system::error_code ignored;
  socket_.close(ignored);
  out_.clear();
}

} // namespace troupe::http
