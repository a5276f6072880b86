#include "troupe/net/http_client.hpp"

// How the client works.
//
// Threads. The client owns an `io_context` run by `options::threads` I/O
// threads. Each request becomes a `call` (http_call.cpp) with its own
// strand: every completion handler of the call (resolve, connect, TLS
// handshake, write, read, its timer) is bound to that strand, so a call's
// members are touched by one thread at a time and need no lock, even with
// several I/O threads. State shared between calls (the pool, the set of
// active calls, the stopped flag) sits behind one mutex, held only for a few
// pointer moves, never across I/O or a callback.
//
// The pool. A connection belongs to exactly one call while it is in use and
// to the pool while idle, keyed by `scheme://host:port`. After a complete
// response that allows keep-alive (no `Connection: close`, not HTTP/1.0
// without keep-alive, not delimited by EOF, no stray bytes behind it) the
// call checks the connection in; the next call to the same key checks out
// the newest one. At most `max_idle_per_host` idle connections are kept per
// key (the oldest is closed), and one idle for `idle_timeout` is closed:
// lazily at checkout and by a sweep timer every `idle_timeout / 2` (at
// most 5 s). An idle
// connection has no operation pending, so whoever takes it out of the pool
// under the mutex owns it outright. A redirect to another key simply checks
// out (or opens) a connection for that key.
//
// The retry rule. A server may close an idle keep-alive connection at any
// moment, and we learn it only when we use it: the write fails, or the read
// sees EOF or a reset. So when a request on a pooled connection fails before
// a single byte of the response arrived, the hop is retried once on a fresh
// connection. Only then: not on a fresh connection (the server really
// failed), not after part of a response (it may have acted on the request),
// not after a timeout. The cost of the rule: a server that reads a request,
// acts on it and closes without a byte of answer gets it twice, for any
// method; servers that must not, need an idempotency key.
//
// Timeouts. Each call has one steady timer, armed for `connect_timeout`
// over resolve + TCP connect + TLS handshake, and again for `timeout` over
// writing the request and reading the whole response (per hop). On expiry
// the call closes its socket (pending operations then complete with
// `operation_aborted`) and completes at once with `timeout`; late handlers
// find the call finished and do nothing. A host name lookup cannot be
// cancelled (getaddrinfo runs on Asio's resolver thread), but the call does
// not wait for it. The timer carries a generation number so that an expiry
// already queued when the timer was re-armed is ignored.
//
// Stopping. `stop()` sets the stopped flag (under the mutex, so no new call
// slips in), posts an abort to every active call's strand (each completes
// with `stopped`, its callback on an I/O thread), closes the idle
// connections, cancels the sweep timer, drops the work guard and joins the
// threads, which return once every handler has run. A send after that finds
// no thread to call back on and calls back inline.

#include <algorithm>
#include <cctype>

#include <boost/asio/post.hpp>

#include "troupe/net/http_client_impl.hpp"

namespace troupe::net {

using namespace detail;

const char* to_string(http_errc x) {
  switch (x) {
  case http_errc::ok:
    return "ok";
  case http_errc::bad_url:
    return "bad_url";
  case http_errc::bad_request:
    return "bad_request";
  case http_errc::resolve_failed:
    return "resolve_failed";
  case http_errc::connect_failed:
    return "connect_failed";
  case http_errc::timeout:
    return "timeout";
  case http_errc::tls_failed:
    return "tls_failed";
  case http_errc::io_failed:
    return "io_failed";
  case http_errc::too_large:
    return "too_large";
  case http_errc::too_many_redirects:
    return "too_many_redirects";
  case http_errc::address_refused:
    return "address_refused";
  case http_errc::overloaded:
    return "overloaded";
  case http_errc::stopped:
    return "stopped";
  }
  return "unknown";
}

std::string http_response::header(std::string_view name) const {
  auto same = [name](const std::string& x) {
    return std::equal(x.begin(), x.end(), name.begin(), name.end(),
                      [](char a, char b) {
                        return std::tolower(static_cast<unsigned char>(a)) ==
                               std::tolower(static_cast<unsigned char>(b));
                      });
  };
  for (auto& [key, value] : headers)
    if (same(key))
      return value;
  return {};
}

// -- connection ---------------------------------------------------------------

namespace detail {

connection::connection(asio::io_context& ioc, ssl::context* tls_ctx)
    : socket(ioc) {
  if (tls_ctx != nullptr)
    tls.emplace(socket, *tls_ctx);
}

void connection::close() {
  beast::error_code ignored;
  socket.close(ignored);
}

} // namespace detail

// -- impl: TLS context, pool, sweep ------------------------------------------

http_client::impl::impl(options o)
    : opts(std::move(o)), tls_ctx(ssl::context::tls_client),
      work(asio::make_work_guard(ioc)), sweep_strand(asio::make_strand(ioc)),
      sweeper(sweep_strand) {
  // nop
}

const std::string& http_client::impl::setup_tls() {
  // Loading the system's CA bundle takes ~30 ms: only clients that speak
  // https pay for it, once, before their first TLS connection exists.
  std::call_once(tls_once, [this] {
    SSL_CTX_set_min_proto_version(tls_ctx.native_handle(), TLS1_2_VERSION);
    if (!opts.verify_tls) {
      tls_ctx.set_verify_mode(ssl::verify_none);
      return;
    }
    beast::error_code ec;
    tls_ctx.set_verify_mode(ssl::verify_peer);
    tls_ctx.set_default_verify_paths(ec);
    if (ec)
      tls_error = "cannot load the default CA paths: " + ec.message();
    if (!opts.ca_file.empty()) {
      tls_ctx.load_verify_file(opts.ca_file, ec);
      if (ec)
        tls_error = "cannot load ca_file " + opts.ca_file + ": " + ec.message();
    }
  });
  return tls_error;
}

std::shared_ptr<connection>
http_client::impl::checkout(const std::string& key) {
  std::vector<std::shared_ptr<connection>> expired;
  std::shared_ptr<connection> result;
  {
    std::lock_guard<std::mutex> guard{mtx};
    auto i = idle.find(key);
    if (stopped || i == idle.end())
      return nullptr;
    auto deadline = clock_type::now() - opts.idle_timeout;
    auto& conns = i->second;
    while (!conns.empty() && result == nullptr) {
      auto conn = std::move(conns.back());
      conns.pop_back();
      --idle_count;
      if (conn->idle_since > deadline)
        result = std::move(conn);
      else
        expired.push_back(std::move(conn));
    }
    if (conns.empty())
      idle.erase(i);
  }
  for (auto& conn : expired)
    conn->close();
  return result;
}

void http_client::impl::checkin(std::shared_ptr<connection> conn) {
  std::shared_ptr<connection> evicted;
  {
    std::lock_guard<std::mutex> guard{mtx};
    if (stopped || opts.max_idle_per_host == 0) {
      evicted = std::move(conn);
    } else {
      auto& conns = idle[conn->key];
      conns.push_back(std::move(conn));
      ++idle_count;
      if (conns.size() > opts.max_idle_per_host) {
        evicted = std::move(conns.front());
        conns.erase(conns.begin());
        --idle_count;
      }
    }
  }
  if (evicted)
    evicted->close();
}

void http_client::impl::forget(call* c) {
  std::lock_guard<std::mutex> guard{mtx};
  active.erase(c);
}

void http_client::impl::sweep() {
  std::vector<std::shared_ptr<connection>> expired;
  {
    std::lock_guard<std::mutex> guard{mtx};
    if (stopped)
      return;
    auto deadline = clock_type::now() - opts.idle_timeout;
    for (auto i = idle.begin(); i != idle.end();) {
      auto& conns = i->second;
      auto fresh = std::partition(conns.begin(), conns.end(),
                                  [&](const std::shared_ptr<connection>& c) {
                                    return c->idle_since <= deadline;
                                  });
      std::move(conns.begin(), fresh, std::back_inserter(expired));
      conns.erase(conns.begin(), fresh);
      i = conns.empty() ? idle.erase(i) : std::next(i);
    }
    idle_count -= expired.size();
  }
  for (auto& conn : expired)
    conn->close();
  auto period = std::clamp(opts.idle_timeout / 2, std::chrono::milliseconds{10},
                           std::chrono::milliseconds{5000});
  sweeper.expires_after(period);
  sweeper.async_wait([this](const beast::error_code& ec) {
    if (!ec)
      sweep();
  });
}

// -- http_client --------------------------------------------------------------

http_client::http_client() : http_client(options{}) {
  // nop
}

http_client::http_client(options opts)
    : impl_(std::make_unique<impl>(std::move(opts))) {
  asio::post(impl_->sweep_strand, [this] { impl_->sweep(); });
  auto n = std::max<size_t>(impl_->opts.threads, 1);
  for (size_t i = 0; i < n; ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

http_client::~http_client() {
  stop();
}

void http_client::send(http_request req,
                       std::function<void(http_response)> done) {
  if (!done)
    done = [](http_response) {}; // fire and forget
  auto& st = *impl_;
  std::unique_lock<std::mutex> guard{st.mtx};
  if (st.stopped) {
    guard.unlock();
    http_response res;
    res.error = http_errc::stopped;
    res.error_text = "the HTTP client is stopped";
    done(std::move(res));
    return;
  }
  if (st.active.size() >= st.opts.max_in_flight) {
    asio::post(st.ioc, [done = std::move(done), n = st.active.size()] {
      http_response res;
      res.error = http_errc::overloaded;
      res.error_text = std::to_string(n) + " requests already in flight";
      done(std::move(res));
    });
    return;
  }
  auto c = std::make_shared<call>(st, std::move(req), std::move(done));
  st.active.emplace(c.get(), c);
  asio::post(c->strand(), [c] { c->start(); });
}

void http_client::stop() {
  auto& st = *impl_;
  std::lock_guard<std::mutex> stop_guard{st.stop_mtx};
  std::vector<std::shared_ptr<call>> calls;
  std::vector<std::shared_ptr<connection>> conns;
  {
    std::lock_guard<std::mutex> guard{st.mtx};
    if (st.stopped)
      return;
    st.stopped = true;
    for (auto& [ptr, c] : st.active)
      calls.push_back(c);
    for (auto& [key, idle] : st.idle)
      std::move(idle.begin(), idle.end(), std::back_inserter(conns));
    st.idle.clear();
    st.idle_count = 0;
  }
  for (auto& c : calls)
    asio::post(c->strand(), [c] { c->abort(); });
  calls.clear();
  for (auto& conn : conns)
    conn->close();
  conns.clear();
  asio::post(st.sweep_strand, [&st] { st.sweeper.cancel(); });
  st.work.reset();
  for (auto& t : st.threads)
    t.join();
  st.threads.clear();
}

size_t http_client::in_flight() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->active.size();
}

size_t http_client::idle_connections() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->idle_count;
}

} // namespace troupe::net
