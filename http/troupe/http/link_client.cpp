#include "troupe/http/link_client.hpp"

#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "troupe/http/deadlines.hpp"
#include "troupe/http/link_wire.hpp"
#include "troupe/http/session.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

caf::error unavailable(const std::string& node, const std::string& why) {
  return runtime::make_error(runtime::errc::unavailable,
                             "node " + node + " " + why +
                                 " with the request in flight");
}

} // namespace

struct link_client::connection
    : std::enable_shared_from_this<link_client::connection> {
  struct entry {
    std::shared_ptr<void> keep; // outlives `f`
    reply_fn f;
  };

  connection(net::io_context& ioc, caf::actor_system& sys, const settings& cfg,
             std::string node, config::endpoint at)
      : ioc(ioc), sys(sys), cfg(cfg), node(std::move(node)), at(std::move(at)),
        socket(ioc), timer(ioc) {
    // nop
  }

  net::io_context& ioc;
  caf::actor_system& sys;
  settings cfg;
  std::string node;
  config::endpoint at;
  socket_type socket;
  timer_type timer;
  enum class state { idle, connecting, open } st = state::idle;
  /// Frames queued while a write is in flight, and the one in flight.
  std::vector<char> out;
  std::vector<char> writing;
  bool write_pending = false;
  bool flush_posted = false;
  link::frame_reader reader;
  std::unordered_map<uint64_t, entry> pending;
  deadline_queues deadlines;
  uint64_t next_id = 1;
  /// Bumped when the connection fails: handlers of an older one return.
  uint64_t generation = 0;

  void send(const std::string_view service, uint16_t shard,
            const caf::message& msg, std::chrono::milliseconds timeout,
            reply_fn f, std::shared_ptr<void> keep) {
    if (pending.size() >= cfg.max_pending) {
      f(runtime::make_error(runtime::errc::overloaded,
                            "too many requests in flight to node " + node));
      return;
    }
    auto id = next_id++;
    if (!link::append_request(sys, out, id, service, shard, msg)) {
      f(runtime::make_error(runtime::errc::internal,
                            "the request cannot be sent to node " + node));
      return;
    }
    pending.emplace(id, entry{std::move(keep), std::move(f)});
    deadlines.add(timeout, clock_type::now() + timeout, id);
    if (st == state::idle)
      connect();
    else
      flush_soon();
  }

  /// Writes what queued once the I/O thread is done with its current
  /// events: the requests of one round share a write.
  void flush_soon() {
    if (flush_posted || write_pending || st != state::open)
      return;
    flush_posted = true;
    auto gen = generation;
    auto self = shared_from_this();
    net::post(ioc, [self, gen] {
      if (gen != self->generation)
        return;
      self->flush_posted = false;
      self->flush();
    });
  }

  void connect() {
    boost::system::error_code ec;
    auto addr = ip_address(at.host, ec);
    if (ec)
      return fail("has a bad link address " + at.to_string());
    std::vector<char> hello;
    link::append_hello(hello, cfg.cluster_hash, cfg.self);
    out.insert(out.begin(), hello.begin(), hello.end());
    st = state::connecting;
    auto gen = generation;
    auto self = shared_from_this();
    timer.expires_after(cfg.connect_timeout);
    timer.async_wait([self, gen](boost::system::error_code ec) {
      if (!ec && gen == self->generation && self->st == state::connecting)
        self->fail("did not accept the link connection in time");
    });
    socket.async_connect(tcp::endpoint{addr, at.port},
                         [self, gen](boost::system::error_code ec) {
                           if (gen != self->generation)
                             return;
                           self->timer.cancel();
                           if (ec)
                             return self->fail("refused the link connection (" +
                                               ec.message() + ")");
                           self->opened();
                         });
  }

  void opened() {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay{true}, ignored);
    st = state::open;
    read();
    flush();
  }

  void flush() {
    if (st != state::open || write_pending || out.empty())
      return;
    writing.swap(out);
    out.clear();
    write_pending = true;
    auto gen = generation;
    auto self = shared_from_this();
    net::async_write(socket, net::buffer(writing),
                     [self, gen](boost::system::error_code ec, size_t) {
                       if (gen != self->generation)
                         return;
                       self->write_pending = false;
                       self->writing.clear();
                       if (ec)
                         return self->fail("closed the link (" + ec.message() +
                                           ")");
                       self->flush();
                     });
  }

  void read() {
    constexpr size_t chunk = 64 * 1024;
    auto gen = generation;
    auto self = shared_from_this();
    socket.async_read_some(net::buffer(reader.prepare(chunk), chunk),
                           [self, gen](boost::system::error_code ec, size_t n) {
                             if (gen != self->generation)
                               return;
                             if (ec)
                               return self->fail("closed the link (" +
                                                 ec.message() + ")");
                             self->reader.commit(n);
                             if (self->consume())
                               self->read();
                           });
  }

  /// Answers the replies read; false if the stream is broken.
  bool consume() {
    link::frame f;
    std::string why;
    auto gen = generation;
    for (;;) {
      switch (reader.next(f, why)) {
      case link::frame_reader::result::need_more:
        return true;
      case link::frame_reader::result::error:
        fail("sent a malformed link frame (" + why + ")");
        return false;
      case link::frame_reader::result::frame:
        if (f.type != link::frame_type::reply) {
          fail("sent an unexpected link frame");
          return false;
        }
        answer(f.id, link::decode_message(sys, f.payload, f.payload_size));
        if (gen != generation) // a callback failed the connection
          return false;
      }
    }
  }

  void answer(uint64_t id, caf::expected<caf::message> reply) {
    auto i = pending.find(id);
    if (i == pending.end())
      return; // timed out or failed already
    auto keep = std::move(i->second.keep);
    auto f = std::move(i->second.f);
    pending.erase(i);
    if (!reply)
      return f(std::move(reply.error()));
    if (reply->match_elements<caf::error>())
      return f(std::move(reply->get_mutable_as<caf::error>(0)));
    f(std::move(*reply));
  }

  /// Closes the connection and fails every request in flight on it.
  void fail(const std::string& why) {
    ++generation;
    boost::system::error_code ignored;
    socket.close(ignored); // async_connect opens it again
    timer.cancel();
    st = state::idle;
    out.clear();
    writing.clear();
    write_pending = false;
    flush_posted = false;
    reader = link::frame_reader{};
    deadlines.clear();
    auto failed = std::move(pending);
    pending.clear();
    for (auto& [id, e] : failed) {
      auto keep = std::move(e.keep);
      e.f(unavailable(node, why));
    }
  }

  void expire(clock_type::time_point now) {
    deadlines.expire(now, [this](uint64_t id) {
      auto i = pending.find(id);
      if (i == pending.end())
        return; // answered or failed already
      auto keep = std::move(i->second.keep);
      auto f = std::move(i->second.f);
      pending.erase(i);
      f(caf::make_error(caf::sec::request_timeout));
    });
  }
};

link_client::link_client(net::io_context& ioc, caf::actor_system& sys,
                         settings cfg)
    : ioc_(ioc), sys_(sys), cfg_(std::move(cfg)) {
  // nop
}

link_client::~link_client() {
  shutdown();
}

void link_client::request(const std::string& node, const config::endpoint& at,
                          std::string_view service, uint16_t shard,
                          const caf::message& msg,
                          std::chrono::milliseconds timeout, reply_fn f,
                          std::shared_ptr<void> keep) {
  if (down_) {
    f(runtime::make_error(runtime::errc::unavailable, "server shutting down"));
    return;
  }
  auto& conn = conns_[node];
  if (!conn)
    conn = std::make_shared<connection>(ioc_, sys_, cfg_, node, at);
  conn->send(service, shard, msg, timeout, std::move(f), std::move(keep));
}

void link_client::fail_node(const std::string& node, const std::string& why) {
  if (auto i = conns_.find(node); i != conns_.end())
    i->second->fail(why);
}

std::vector<std::string> link_client::tick() {
  auto now = clock_type::now();
  std::vector<std::string> busy;
  for (auto& [node, conn] : conns_) {
    conn->expire(now);
    if (!conn->pending.empty())
      busy.push_back(node);
  }
  return busy;
}

size_t link_client::pending() const {
  size_t n = 0;
  for (const auto& kv : conns_)
    n += kv.second->pending.size();
  return n;
}

void link_client::shutdown() {
  if (down_)
    return;
  down_ = true;
  for (auto& [node, conn] : conns_)
    conn->fail("is no longer reachable: this server is shutting down");
  conns_.clear();
}

} // namespace troupe::http
