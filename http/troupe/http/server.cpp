#include "troupe/http/server.hpp"

#include <future>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "troupe/http/link_session.hpp"
#include "troupe/http/session.hpp"
#include "troupe/log.hpp"

namespace troupe::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct server::impl {
  impl(caf::actor_system& sys, const config::http_settings& cfg, router& r,
       runtime::metrics_registry& m)
      : sys(sys), shared{cfg, r, m} {
    // nop
  }

  caf::actor_system& sys;
  server_shared shared;
  std::vector<std::unique_ptr<io_worker>> workers;
  std::unique_ptr<tcp::acceptor> acceptor;
  size_t next_worker = 0;
  uint16_t port = 0;
  std::optional<link_options> link;
  std::unique_ptr<tcp::acceptor> link_acceptor;
  size_t next_link_worker = 0;
  uint16_t link_port = 0;
  bool started = false;
  bool stopped = false;

  void do_accept() {
    auto& target = *workers[next_worker];
    next_worker = (next_worker + 1) % workers.size();
    acceptor->async_accept(
        target.ioc.get_executor(),
        [this, &target](boost::system::error_code ec, socket_type socket) {
          if (ec == net::error::operation_aborted || !acceptor->is_open())
            return;
          if (!ec)
            hand_over(target, std::move(socket));
          do_accept();
        });
  }

  void hand_over(io_worker& target, socket_type socket) {
    socket.set_option(tcp::no_delay{true}, ignored_ec);
    auto open = shared.open_connections.fetch_add(1) + 1;
    bool reject = open > shared.cfg.max_connections;
    if (reject)
      shared.open_connections.fetch_sub(1);
    auto s = std::make_shared<session>(target, std::move(socket), reject);
    net::post(target.ioc, [s] { s->start(); });
  }

  boost::system::error_code ignored_ec;

  /// Gives every I/O thread its side of the node link.
  void attach_link() {
    const auto& opts = *link;
    for (auto& w : workers) {
      link_client::settings ls;
      ls.self = opts.self;
      ls.cluster_hash = opts.cluster_hash;
      w->link = std::make_unique<link_client>(w->ioc, sys, ls);
      w->node_up = opts.node_up;
      if (!opts.route)
        continue;
      w->br.set_detour([w = w.get(), &opts](const caf::strong_actor_ptr& dest,
                                            const caf::message& msg,
                                            std::chrono::milliseconds timeout,
                                            bridge::reply_fn& f,
                                            std::shared_ptr<void>& keep) {
        link_target t;
        if (!opts.route(dest, msg, t))
          return false;
        if (t.routed != nullptr)
          t.routed->inc();
        w->link->request(t.node, t.at, t.service, t.shard, msg, timeout,
                         std::move(f), std::move(keep));
        return true;
      });
    }
  }

  /// Listens for other nodes' links; an error message on failure.
  std::string listen_link() {
    const auto& at = link->listen;
    boost::system::error_code ec;
    auto addr = ip_address(at.host, ec);
    if (ec)
      return "invalid link host '" + at.host + "': " + ec.message();
    link_acceptor = std::make_unique<tcp::acceptor>(workers[0]->ioc);
    tcp::endpoint ep{addr, at.port};
    if (link_acceptor->open(ep.protocol(), ec) ||
        link_acceptor->set_option(net::socket_base::reuse_address(true), ec) ||
        link_acceptor->bind(ep, ec) ||
        link_acceptor->listen(net::socket_base::max_listen_connections, ec)) {
      link_acceptor.reset();
      return "cannot listen for node links on " + at.to_string() + ": " +
             ec.message();
    }
    link_port = link_acceptor->local_endpoint(ec).port();
    accept_link();
    return {};
  }

  void accept_link() {
    auto& target = *workers[next_link_worker];
    next_link_worker = (next_link_worker + 1) % workers.size();
    link_acceptor->async_accept(
        target.ioc.get_executor(),
        [this, &target](boost::system::error_code ec, socket_type socket) {
          if (ec == net::error::operation_aborted || !link_acceptor ||
              !link_acceptor->is_open())
            return;
          if (!ec) {
            socket.set_option(tcp::no_delay{true}, ignored_ec);
            auto s = std::make_shared<link_session>(target, std::move(socket),
                                                    *link, sys);
            net::post(target.ioc, [s] { s->start(); });
          }
          accept_link();
        });
  }
};

server::server(caf::actor_system& sys, const config::http_settings& cfg,
               router& r, runtime::metrics_registry& metrics)
    : impl_(std::make_unique<impl>(sys, cfg, r, metrics)) {
  // nop
}

server::~server() {
  stop();
}

std::string server::start(const std::string& host, uint16_t port) {
  auto& st = *impl_;
  if (st.started)
    return "server already started";
  boost::system::error_code ec;
  auto addr = ip_address(host, ec);
  if (ec)
    return "invalid HTTP host '" + host + "': " + ec.message();
  auto n = st.shared.cfg.io_threads == 0 ? size_t{1} : st.shared.cfg.io_threads;
  for (size_t i = 0; i < n; ++i)
    st.workers.emplace_back(std::make_unique<io_worker>(st.shared, st.sys));
  tcp::endpoint ep{addr, port};
  auto where = host + ":" + std::to_string(port);
  st.acceptor = std::make_unique<tcp::acceptor>(st.workers[0]->ioc);
  auto fail = [&](const char* what) {
    auto msg = std::string{"cannot "} + what + " HTTP endpoint " + where +
               ": " + ec.message();
    st.acceptor.reset();
    st.workers.clear();
    return msg;
  };
  if (st.acceptor->open(ep.protocol(), ec))
    return fail("open");
  st.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (st.acceptor->bind(ep, ec))
    return fail("bind");
  if (st.acceptor->listen(net::socket_base::max_listen_connections, ec))
    return fail("listen on");
  st.port = st.acceptor->local_endpoint(ec).port();
  if (st.link) {
    st.attach_link();
    if (!st.link->listen.host.empty())
      if (auto err = st.listen_link(); !err.empty()) {
        st.acceptor.reset();
        st.workers.clear();
        return err;
      }
  }
  st.started = true;
  st.do_accept();
  for (auto& w : st.workers)
    w->run();
  return {};
}

uint16_t server::port() const {
  return impl_->port;
}

uint16_t server::link_port() const {
  return impl_->link_port;
}

void server::enable_link(link_options opts) {
  impl_->link = std::move(opts);
}

void server::stop_accepting() {
  auto& st = *impl_;
  if (!st.started || !st.acceptor)
    return;
  // The acceptor belongs to the first I/O thread: close it there.
  std::promise<void> done;
  auto fut = done.get_future();
  net::post(st.workers[0]->ioc, [&st, &done] {
    boost::system::error_code ec;
    st.acceptor->close(ec);
    done.set_value();
  });
  if (fut.wait_for(std::chrono::seconds{5}) != std::future_status::ready)
    return; // I/O thread stuck or stopped; `stop()` closes it later
}

size_t server::in_flight() const {
  return impl_->shared.in_flight.load();
}

size_t server::open_connections() const {
  return impl_->shared.open_connections.load();
}

void server::wait_idle(std::chrono::milliseconds max) {
  auto deadline = std::chrono::steady_clock::now() + max;
  while (in_flight() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
}

void server::stop() {
  auto& st = *impl_;
  if (!st.started || st.stopped)
    return;
  st.stopped = true;
  stop_accepting();
  for (auto& w : st.workers) {
    w->work.reset();
    w->ioc.stop();
  }
  for (auto& w : st.workers)
    if (w->thread.joinable())
      w->thread.join();
  // The I/O threads are gone: tear down on this thread. Responses produced
  // from here on are dropped by the closed gates.
  for (auto& w : st.workers) {
    w->gate->close();
    w->br.shutdown();
    if (w->link)
      w->link->shutdown();
    w->dispatched.clear();
  }
  st.acceptor.reset();
  st.link_acceptor.reset();
  st.workers.clear(); // destroys io_contexts and their pending handlers
}

} // namespace troupe::http
