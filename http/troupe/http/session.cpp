#include "troupe/http/session.hpp"

#include <array>
#include <limits>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
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

boost::asio::ip::address ip_address(const std::string& host,
                                    boost::system::error_code& ec) {
  return boost::asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host,
                                       ec);
}

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
    if (link)
      for (const auto& node : link->tick())
        if (node_up && !node_up(node))
          link->fail_node(node, "is down");
    schedule_tick();
  });
}

void io_worker::record(std::string_view route, std::string_view method,
                       unsigned status, double seconds) {
  for (auto& slot : slots_) {
    if (slot.status == status && slot.route == route && slot.method == method) {
      slot.counter->inc();
      slot.histogram->observe(seconds);
      return;
    }
  }
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
  constexpr size_t max_slots = 16;
  if (slots_.size() < max_slots)
    slots_.push_back(
        metric_slot{std::string{route}, std::string{method}, status, c, h});
}

// -- session ------------------------------------------------------------------

namespace {

class session_sink : public response_sink {
public:
  /// Created on the session's I/O thread.
  session_sink(std::weak_ptr<session> s, std::shared_ptr<io_gate> g,
               uint64_t seq)
      : session_(std::move(s)), gate_(std::move(g)),
        owner_(std::this_thread::get_id()), seq_(seq) {
    // nop
  }

  void deliver(http_response res) override {
    // On the owning I/O thread (a reply callback of the bridge or the handler
    // itself), write at once: initiating the write never completes inline.
    if (std::this_thread::get_id() == owner_) {
      if (auto ptr = session_.lock())
        ptr->on_response(seq_, std::move(res));
      return;
    }
    gate_->post([s = session_, seq = seq_, res = std::move(res)]() mutable {
      if (auto ptr = s.lock())
        ptr->on_response(seq, std::move(res));
    });
  }

private:
  std::weak_ptr<session> session_;
  std::shared_ptr<io_gate> gate_;
  std::thread::id owner_;
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

http_request to_request(const bhttp::request_header<>& req) {
  http_request out;
  out.method_name = std::string{req.method_string()};
  out.verb = parse_method(out.method_name);
  out.target = std::string{req.target()};
  out.headers.reserve(std::distance(req.begin(), req.end()));
  for (const auto& f : req)
    out.headers.emplace_back(std::string{f.name_string()},
                             std::string{f.value()});
  return out;
}

bool expects_continue(const bhttp::request_header<>& req) {
  return beast::iequals(trim(req[bhttp::field::expect]), "100-continue");
}

bool is_malformed(const beast::error_code& ec) {
  return ec &&
         ec.category() ==
             bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream &&
         ec != bhttp::error::partial_message;
}

session::session(io_worker& w, socket_type socket, bool reject)
    : worker_(w), socket_(std::move(socket)), timer_(w.ioc.get_executor()),
      reject_(reject), counted_(!reject) {
  beast::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
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
  if (stream_state_ != stream_state::none) {
    stream_.reset();
    stream_state_ = stream_state::none;
    buffer_.shrink_to_fit(); // grown for the streamed body
  }
  parser_.emplace();
  parser_->header_limit(
      static_cast<std::uint32_t>(worker_.shared.cfg.max_header_bytes));
  // With streaming routes a header may announce more than `max_body_bytes`;
  // `on_header` applies the limit of the route. (Not `boost::none`: Beast
  // 1.74 compares a Content-Length against the optional, and none is less.)
  if (worker_.shared.routes.has_streaming())
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  else
    parser_->body_limit(worker_.shared.cfg.max_body_bytes);
  set_deadline(clock_type::now() + worker_.shared.cfg.idle_timeout);
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) {
        self->on_header(ec);
      });
}

void session::on_header(beast::error_code ec) {
  if (ec)
    return on_body(ec);
  auto& req = parser_->get();
  if (auto& routes = worker_.shared.routes; routes.has_streaming()) {
    if (auto rt = routes.find_streaming(parse_method(req.method_string()),
                                        req.target()))
      return start_stream(*rt);
    // Not streaming: the limit that the header read left open.
    auto max = worker_.shared.cfg.max_body_bytes;
    if (auto len = parser_->content_length(); len && *len > max)
      return on_body(bhttp::error::body_limit);
    parser_->body_limit(max);
  }
  // Answer `Expect: 100-continue` so clients like curl send the body now.
  if (expects_continue(req)) {
    continue_ = {bhttp::status::continue_, 11};
    bhttp::async_write(
        socket_, continue_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec)
            return; // connection gone
          self->read_body();
        });
    return;
  }
  if (parser_->is_done())
    return on_body({}); // no body: skip a read that would only post
  read_body();
}

void session::read_body() {
  set_deadline(clock_type::now() + worker_.shared.cfg.idle_timeout);
  bhttp::async_read(socket_, buffer_, *parser_,
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
  if (is_malformed(ec))
    return fail_request(400, "invalid_argument",
                        std::string{"malformed HTTP request: "} + ec.message());
  if (ec) {
    // EOF, reset, idle timeout: nothing to answer.
    beast::error_code ignored;
    socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    return;
  }
  dispatch();
}

void session::dispatch() {
  auto req = parser_->release();
  keep_alive_ = req.keep_alive();
  auto out = to_request(req);
  out.body = std::move(req.body());
  dispatch_request(std::move(out), false);
}

void session::dispatch_request(http_request out, bool streaming) {
  out.client_address = client_address_;
  method_ = out.method_name;
  ++seq_;
  in_flight_ = true;
  response_started_ = false;
  worker_.shared.in_flight.fetch_add(1);
  // The bridge enforces the request timeout.
  set_deadline(clock_type::time_point::max());
  auto self = shared_from_this();
  hold();
  auto sink = std::make_shared<session_sink>(self, worker_.gate, seq_);
  std::shared_ptr<body_source> body;
  if (streaming)
    body = make_body_source();
  route_ = worker_.shared.routes.dispatch(
      std::move(out), std::move(sink), &worker_.br,
      worker_.shared.cfg.request_timeout, std::move(body));
}

void session::on_response(uint64_t seq, http_response res) {
  if (!in_flight_ || seq != seq_ || response_started_)
    return; // stale, or the session answered a streamed body itself
  if (continue_writing_) {
    // One write at a time: after the `100 Continue` (session_stream.cpp).
    response_started_ = true;
    stashed_ = std::move(res);
    return;
  }
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
  // Serialized by hand: one buffer for the head, one for the body, written
  // with one gathered send, without Beast's per-field allocations.
  bool close = res.close || !keep_alive_;
  response_started_ = true;
  // A streamed body not read to its end stays unread: close after this.
  if (stream_state_ != stream_state::none &&
      (socket_reading_ || !stream_->is_done()))
    close = true;
  status_ = res.status;
  head_.clear();
  head_ += "HTTP/1.1 ";
  head_ += std::to_string(res.status);
  head_ += ' ';
  head_ += bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
  head_ += "\r\nServer: troupe\r\n";
  if (!res.content_type.empty()) {
    head_ += "Content-Type: ";
    head_ += res.content_type;
    head_ += "\r\n";
  }
  for (auto& [k, v] : res.headers) {
    head_ += k;
    head_ += ": ";
    head_ += v;
    head_ += "\r\n";
  }
  // 1xx, 204 and 304 carry neither a body nor a length.
  bool bodyless = res.status < 200 || res.status == 204 || res.status == 304;
  body_ = bodyless ? std::string{} : std::move(res.body);
  if (!bodyless) {
    head_ += "Content-Length: ";
    head_ += std::to_string(body_.size());
    head_ += "\r\n";
  }
  // A response to HEAD announces its length but sends no body.
  if (method_ == "HEAD")
    body_.clear();
  if (close)
    head_ += "Connection: close\r\n";
  head_ += "\r\n";
  set_deadline(clock_type::now() + worker_.shared.cfg.idle_timeout);
  std::array<net::const_buffer, 2> bufs{net::buffer(head_), net::buffer(body_)};
  net::async_write(socket_, bufs,
                   [self = shared_from_this(), close,
                    dispatched](beast::error_code ec, size_t) {
                     self->on_write(ec, close, dispatched);
                   });
}

void session::on_write(beast::error_code ec, bool close, bool dispatched) {
  auto seconds = std::chrono::duration<double>(clock_type::now() - started_);
  worker_.record(route_, method_, status_, seconds.count());
  if (dispatched) {
    in_flight_ = false;
    worker_.shared.in_flight.fetch_sub(1);
    // Keep `this` alive past the release.
    auto self = shared_from_this();
    release_hold();
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
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  set_deadline(clock_type::now() + std::chrono::seconds{2});
  drain_buf_.resize(16 * 1024);
  closing_ = true;
  if (socket_reading_)
    return; // a read of a streamed body is pending; it drains on completion
  drain();
}

void session::drain() {
  socket_.async_read_some(
      net::buffer(drain_buf_),
      [self = shared_from_this()](beast::error_code ec, size_t) {
        if (!ec)
          self->drain();
      });
}

void session::hold() {
  held_at_ = worker_.dispatched.size();
  worker_.dispatched.push_back(shared_from_this());
}

void session::release_hold() {
  auto& vec = worker_.dispatched;
  if (held_at_ >= vec.size() || vec[held_at_].get() != this)
    return; // not held (cleared at shutdown)
  if (held_at_ + 1 != vec.size()) {
    vec[held_at_] = std::move(vec.back());
    vec[held_at_]->held_at_ = held_at_;
  }
  vec.pop_back();
}

void session::set_deadline(clock_type::time_point at) {
  deadline_ = at;
  if (at == clock_type::time_point::max() || (timer_armed_ && timer_at_ <= at))
    return; // the pending wait fires first and re-arms for `deadline_`
  arm_timer(at);
}

void session::arm_timer(clock_type::time_point at) {
  timer_armed_ = true;
  timer_at_ = at;
  timer_.expires_at(at); // cancels a pending wait
  timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (ec)
      return; // cancelled or replaced
    if (auto self = weak.lock())
      self->on_timer();
  });
}

void session::on_timer() {
  timer_armed_ = false;
  if (deadline_ == clock_type::time_point::max())
    return; // no limit now; the next `set_deadline` arms again
  if (clock_type::now() < deadline_)
    return arm_timer(deadline_);
  // Idle or too slow: closing fails the pending read or write.
  beast::error_code ignored;
  socket_.close(ignored);
}

} // namespace troupe::http
