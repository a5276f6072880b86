#pragma once

// The receiving side of the node link: one accepted connection, served by
// one HTTP I/O thread. Each request frame is handed to the serving actor
// through the thread's bridge; each reply is appended to the connection's
// buffer and written with whatever else queued meanwhile. At most
// `link_options::max_in_flight` requests per connection are with the actors:
// further frames wait, unread, and TCP pushes back on the sending node.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "troupe/http/link.hpp"
#include "troupe/http/link_wire.hpp"
#include "troupe/http/session.hpp"

namespace troupe::http {

class link_session : public std::enable_shared_from_this<link_session> {
public:
  link_session(io_worker& w, socket_type socket, const link_options& opts,
               caf::actor_system& sys);

  void start();

private:
  void read();
  /// Handles the frames read while there is room, then reads more.
  void pump();
  /// Handles the frames read while there is room; false once the
  /// connection is closed.
  bool consume();
  bool on_hello(const link::frame& f);
  void on_request(const link::frame& f);
  void reply(uint64_t id, const caf::message& msg);
  void flush();
  void close(const std::string& why);

  io_worker& worker_;
  socket_type socket_;
  const link_options& opts_;
  caf::actor_system& sys_;
  link::frame_reader reader_;
  std::vector<char> out_;
  std::vector<char> writing_;
  bool write_pending_ = false;
  bool flush_posted_ = false;
  bool greeted_ = false;
  bool reading_ = false;
  bool consuming_ = false;
  bool closed_ = false;
  size_t in_flight_ = 0;
  std::string peer_;
};

} // namespace troupe::http
