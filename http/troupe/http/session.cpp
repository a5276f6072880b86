#include "troupe/http/session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/version.hpp>

namespace troupe::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using clock_type = std::chrono::steady_clock;

// -- io_gate ------------------------------------------------------------------

void io_gate::post(std::function<void()> f) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (open_)
    net::post(ioc_, std::move(f));
}

void io_gate::close() {
  std::lock_guard<std::mutex> guard{mtx_};
  open_ = false;
}

// -- io_worker ----------------------------------------------------------------

io_worker::io_worker(server_shared& sh, caf::actor_system& sys)
    : shared(sh), gate(std::make_shared<io_gate>(ioc)),
      work(net::make_work_guard(ioc)),
      br(sys, [g = gate](std::function<void()> f) { g->post(std::move(f)); }),
      ticker(ioc) {
  // nop
}

void io_worker::run() {
  schedule_tick();
  thread = std::thread{[this] {
    br.bind_to_this_thread();
    ioc.run();
  }};
}

void io_worker::schedule_tick() {
  // One coarse timer per thread expires actor requests (see bridge.hpp).
  ticker.expires_after(std::chrono::milliseconds{5});
  ticker.async_wait([this](beast::error_code ec) {
    if (ec)
      return;
    br.tick();
    schedule_tick();
  });
}

void io_worker::record(std::string_view route, std::string_view method,
                       unsigned status, double seconds) {
  auto status_str = std::to_string(status);
  std::string key{route};
  key += '\0';
  key += method;
  key += '\0';
  key += status_str;
  auto& c = counters_[key];
  if (c == nullptr)
    c = &shared.metrics.counter("troupe_http_requests_total",
                                "HTTP requests by route, method and status.",
                                {{"route", std::string{route}},
                                 {"method", std::string{method}},
                                 {"status", status_str}});
  c->inc();
  auto& h = histograms_[std::string{route}];
  if (h == nullptr)
    h = &shared.metrics.histogram("troupe_http_request_duration_seconds",
                                  "HTTP request latency by route.",
                                  {{"route", std::string{route}}},
                                  runtime::default_latency_buckets());
  h->observe(seconds);
}

// -- session ------------------------------------------------------------------

namespace {

class session_sink : public response_sink {
public:
  session_sink(std::weak_ptr<session> s, std::shared_ptr<io_gate> g,
               uint64_t seq)
      : session_(std::move(s)), gate_(std::move(g)), seq_(seq) {
    // nop
  }

  void deliver(http_response res) override {
    gate_->post([s = session_, seq = seq_, res = std::move(res)]() mutable {
      if (auto ptr = s.lock())
        ptr->on_response(seq, std::move(res));
    });
  }

private:
  std::weak_ptr<session> session_;
  std::shared_ptr<io_gate> gate_;
  uint64_t seq_;
};

std::string_view trim(std::string_view x) {
  while (!x.empty() && (x.front() == ' ' || x.front() == '\t'))
    x.remove_prefix(1);
  while (!x.empty() && (x.back() == ' ' || x.back() == '\t'))
    x.remove_suffix(1);
  return x;
}

} // namespace

session::session(io_worker& w, net::ip::tcp::socket socket, bool reject)
    : worker_(w), stream_(std::move(socket)), reject_(reject),
      counted_(!reject) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec)
    client_address_ = ep.address().to_string();
}

session::~session() {
  if (in_flight_)
    worker_.shared.in_flight.fetch_sub(1);
  if (counted_)
    worker_.shared.open_connections.fetch_sub(1);
}

void session::start() {
  if (reject_) {
    route_ = "unmatched";
    method_ = "OTHER";
    started_ = clock_type::now();
    fail_request(503, "unavailable", "too many connections");
    return;
  }
  do_read();
}

void session::do_read() {
  parser_.emplace();
  parser_->header_limit(
      static_cast<std::uint32_t>(worker_.shared.cfg.max_header_bytes));
  parser_->body_limit(worker_.shared.cfg.max_body_bytes);
  stream_.expires_after(worker_.shared.cfg.idle_timeout);
  bhttp::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) {
        self->on_header(ec);
      });
}

void session::on_header(beast::error_code ec) {
  if (ec)
    return on_body(ec);
  // Answer `Expect: 100-continue` so clients like curl send the body now.
  auto& req = parser_->get();
  auto expect = req[bhttp::field::expect];
  if (beast::iequals(trim(expect), "100-continue")) {
    continue_ = {bhttp::status::continue_, 11};
    bhttp::async_write(
        stream_, continue_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec)
            return; // connection gone
          self->read_body();
        });
    return;
  }
  read_body();
}

void session::read_body() {
  stream_.expires_after(worker_.shared.cfg.idle_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->on_body(ec);
                    });
}

void session::on_body(beast::error_code ec) {
  started_ = clock_type::now();
  route_ = "unmatched";
  method_ = "OTHER";
  keep_alive_ = false;
  if (ec == bhttp::error::header_limit)
    return fail_request(431, "payload_too_large", "request header too large");
  if (ec == bhttp::error::body_limit)
    return fail_request(413, "payload_too_large", "request body too large");
  if (ec &&
      ec.category() ==
          bhttp::make_error_code(bhttp::error::bad_method).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
    return fail_request(400, "invalid_argument",
                        std::string{"malformed HTTP request: "} + ec.message());
  if (ec) {
    // EOF, reset, idle timeout: nothing to answer.
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    return;
  }
  dispatch();
}

void session::dispatch() {
  auto req = parser_->release();
  keep_alive_ = req.keep_alive();
  http_request out;
  out.method_name = std::string{req.method_string()};
  out.verb = parse_method(out.method_name);
  out.target = std::string{req.target()};
  out.headers.reserve(std::distance(req.begin(), req.end()));
  for (const auto& f : req)
    out.headers.emplace_back(std::string{f.name_string()},
                             std::string{f.value()});
  out.body = std::move(req.body());
  out.client_address = client_address_;
  method_ = out.method_name;
  ++seq_;
  in_flight_ = true;
  worker_.shared.in_flight.fetch_add(1);
  stream_.expires_never(); // the bridge enforces the request timeout
  auto self = shared_from_this();
  worker_.dispatched.insert(self);
  auto sink = std::make_shared<session_sink>(self, worker_.gate, seq_);
  route_ = std::string{worker_.shared.routes.dispatch(
      std::move(out), std::move(sink), &worker_.br,
      worker_.shared.cfg.request_timeout)};
}

void session::on_response(uint64_t seq, http_response res) {
  if (!in_flight_ || seq != seq_)
    return; // stale
  write(std::move(res), true);
}

void session::fail_request(unsigned status, std::string_view code,
                           std::string_view message) {
  http_response res;
  res.status = status;
  res.content_type = "application/json; charset=utf-8";
  res.body = error_body(code, message);
  res.close = true;
  write(std::move(res), false);
}

void session::write(http_response res, bool dispatched) {
  bool close = res.close || !keep_alive_;
  res_ = {};
  res_.version(11);
  res_.result(res.status);
  res_.set(bhttp::field::server, "troupe");
  if (!res.content_type.empty())
    res_.set(bhttp::field::content_type, res.content_type);
  for (auto& [k, v] : res.headers)
    res_.insert(k, v);
  res_.body() = std::move(res.body);
  res_.keep_alive(!close);
  res_.prepare_payload();
  stream_.expires_after(worker_.shared.cfg.idle_timeout);
  bhttp::async_write(stream_, res_,
                     [self = shared_from_this(), close,
                      dispatched](beast::error_code ec, size_t) {
                       self->on_write(ec, close, dispatched);
                     });
}

void session::on_write(beast::error_code ec, bool close, bool dispatched) {
  auto seconds = std::chrono::duration<double>(clock_type::now() - started_);
  worker_.record(route_, method_, res_.result_int(), seconds.count());
  if (dispatched) {
    in_flight_ = false;
    worker_.shared.in_flight.fetch_sub(1);
    // Keep `this` alive past the erase.
    auto self = shared_from_this();
    worker_.dispatched.erase(self);
  }
  if (ec)
    return;
  if (close)
    return close_gracefully();
  do_read();
}

void session::close_gracefully() {
  // Half-close, then drain what the client still sends, so the kernel does
  // not answer unread data with a reset that could destroy our response.
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(std::chrono::seconds{2});
  drain_buf_.resize(16 * 1024);
  drain();
}

void session::drain() {
  stream_.async_read_some(
      net::buffer(drain_buf_),
      [self = shared_from_this()](beast::error_code ec, size_t) {
        if (!ec)
          self->drain();
      });
}

} // namespace troupe::http
