// One request's way through the client once connected (http_connect.cpp
// opens connections): the request, write, read, redirects, the one retry on
// a stale pooled connection, timeouts and completion.
// The rules behind it are explained at the top of http_client.cpp.

#include <algorithm>
#include <cctype>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "troupe/net/http_client_impl.hpp"

namespace troupe::net::detail {

namespace {

constexpr uint32_t max_header_bytes = 64 * 1024;

std::string base64(std::string_view in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    auto n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
             static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
             static_cast<unsigned char>(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6)
      out += alphabet[(n >> shift) & 0x3f];
  }
  if (auto rest = in.size() - i; rest > 0) {
    auto n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2)
      n |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += alphabet[(n >> 18) & 0x3f];
    out += alphabet[(n >> 12) & 0x3f];
    out += rest == 2 ? alphabet[(n >> 6) & 0x3f] : '=';
    out += '=';
  }
  return out;
}

/// RFC 9110 5.6.2: a method must be a token.
bool is_token(std::string_view x) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !x.empty() && std::all_of(x.begin(), x.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           extra.find(c) != std::string_view::npos;
  });
}

bool is_safe_field(std::string_view x) {
  return x.find_first_of(std::string_view{"\r\n\0", 3}) ==
         std::string_view::npos;
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

bool same_origin(const url& x, const url& y) {
  return x.scheme == y.scheme && x.host == y.host && x.port == y.port;
}

} // namespace

call::call(http_client::impl& core, http_request req,
           std::function<void(http_response)> done)
    : core_(core), strand_(asio::make_strand(core.ioc)), resolver_(strand_),
      timer_(strand_), req_(std::move(req)), done_(std::move(done)) {
  // nop
}

void call::start() {
  if (finished_)
    return; // aborted before it started
  std::string why;
  url_ = url::parse(req_.url, &why);
  if (!url_)
    return fail(http_errc::bad_url, "bad URL: " + why);
  origin_ = url_;
  start_hop();
}

void call::abort() {
  if (!finished_)
    fail(http_errc::stopped, "the HTTP client stopped");
}

std::string call::where() const {
  return url_ ? url_->authority() : std::string{"?"};
}

// -- one hop: a pooled connection or a fresh one ------------------------------

void call::start_hop() {
  retried_ = false;
  std::string why;
  if (!build_request(why))
    return fail(http_errc::bad_request, why);
  auto conn = core_.checkout(url_->scheme + "://" + url_->authority());
  if (conn && req_.allow_address &&
      !req_.allow_address(conn->peer.address().to_string(),
                          conn->peer.port())) {
    // Resolve afresh: the check then applies to today's addresses.
    core_.checkin(std::move(conn));
  }
  if (!conn)
    return connect_fresh();
  reused_ = true;
  conn_ = std::move(conn);
  send_request();
}

bool call::build_request(std::string& why) {
  if (!is_token(req_.method)) {
    why = "invalid method '" + req_.method + "'";
    return false;
  }
  auto& u = *url_;
  auto& out = out_.emplace();
  out.version(11);
  if (auto verb = bhttp::string_to_verb(req_.method);
      verb != bhttp::verb::unknown)
    out.method(verb);
  else
    out.method_string(req_.method);
  out.target(u.target);
  out.set(bhttp::field::host, u.authority());
  out.set(bhttp::field::user_agent, core_.opts.user_agent);
  auto trusted = same_origin(u, *origin_);
  for (auto& [name, value] : req_.headers) {
    if (!is_token(name) || !is_safe_field(value)) {
      why = "invalid header field '" + name + "'";
      return false;
    }
    if (beast::iequals(name, "content-length") ||
        beast::iequals(name, "transfer-encoding"))
      continue;
    if (!trusted && (beast::iequals(name, "authorization") ||
                     beast::iequals(name, "cookie")))
      continue;
    if (beast::iequals(name, "host") || beast::iequals(name, "user-agent"))
      out.set(name, value);
    else
      out.insert(name, value);
  }
  if (req_.basic_auth && trusted)
    out.set(bhttp::field::authorization,
            "Basic " +
                base64(req_.basic_auth->first + ":" + req_.basic_auth->second));
  out.body() = req_.body;
  auto m = out.method();
  if (!req_.body.empty() || m == bhttp::verb::post || m == bhttp::verb::put ||
      m == bhttp::verb::patch)
    out.content_length(req_.body.size());
  return true;
}

// -- the exchange -------------------------------------------------------------

void call::send_request() {
  arm_timer(req_.timeout, false);
  parser_.reset(); // "nothing arrived" must not see an earlier response
  conn_->buffer.clear();
  conn_->visit([this](auto& stream) {
    bhttp::async_write(
        stream, *out_,
        on_strand(
            [self = shared_from_this()](const beast::error_code& ec, size_t) {
              if (self->finished_)
                return;
              if (ec)
                return self->on_io_error(ec, "writing the request to");
              self->read_response();
            }));
  });
}

void call::read_response() {
  auto& parser = parser_.emplace();
  parser.header_limit(max_header_bytes);
  parser.body_limit(req_.max_response_bytes);
  if (out_->method() == bhttp::verb::head)
    parser.skip(true);
  // The header first: Beast 1.74 loses the body_limit error of a too large
  // Content-Length when header and body arrive in one read (eager parsing),
  // so the length is checked here before reading the body.
  conn_->visit([this](auto& stream) {
    bhttp::async_read_header(stream, conn_->buffer, *parser_,
                             on_strand([self = shared_from_this()](
                                           const beast::error_code& ec,
                                           size_t) { self->on_header(ec); }));
  });
}

void call::on_header(const beast::error_code& ec) {
  if (finished_)
    return;
  if (ec)
    return on_read_error(ec);
  auto status = parser_->get().result_int();
  if (status >= 100 && status < 200 && status != 101) {
    retried_ = true;        // the server has answered: no retry from here on
    return read_response(); // interim (100 Continue): skip it
  }
  if (auto n = parser_->content_length(); n && *n > req_.max_response_bytes)
    return on_read_error(bhttp::error::body_limit);
  if (parser_->is_done())
    return on_response();
  conn_->visit([this](auto& stream) {
    bhttp::async_read(stream, conn_->buffer, *parser_,
                      on_strand([self = shared_from_this()](
                                    const beast::error_code& ec, size_t) {
                        if (self->finished_)
                          return;
                        if (ec)
                          return self->on_read_error(ec);
                        self->on_response();
                      }));
  });
}

void call::on_read_error(const beast::error_code& ec) {
  if (ec == bhttp::error::body_limit)
    return fail(http_errc::too_large,
                "response body from " + where() + " larger than " +
                    std::to_string(req_.max_response_bytes) + " bytes");
  if (ec == bhttp::error::header_limit)
    return fail(http_errc::too_large,
                "response header from " + where() + " larger than 64 KiB");
  on_io_error(ec, "reading the response from");
}

void call::on_io_error(const beast::error_code& ec, const char* what) {
  // A pooled connection the server closed while idle: nothing of the
  // response arrived. Try once more on a fresh connection.
  auto nothing_arrived =
      !(parser_ && parser_->got_some()) && conn_->buffer.size() == 0;
  if (reused_ && !retried_ && nothing_arrived) {
    retried_ = true;
    conn_->close();
    return connect_fresh();
  }
  fail(http_errc::io_failed,
       std::string{what} + " " + where() + " failed: " + ec.message());
}

void call::on_response() {
  auto& msg = parser_->get();
  auto status = msg.result_int();
  auto reusable =
      parser_->keep_alive() && status != 101 && conn_->buffer.size() == 0;
  ++timer_gen_;
  timer_.cancel();
  auto location = msg[bhttp::field::location];
  if (req_.max_redirects > 0 && is_redirect(status) && !location.empty()) {
    std::string why;
    auto next = url_->resolve(location, &why);
    release_connection(reusable);
    if (redirects_ >= req_.max_redirects) {
      http_response res;
      res.error = http_errc::too_many_redirects;
      res.error_text = "more than " + std::to_string(req_.max_redirects) +
                       " redirects (last to " + std::string{location} + ")";
      res.status = status;
      for (auto& field : msg)
        res.headers.emplace_back(field.name_string(), field.value());
      res.final_url = url_->to_string();
      return finish(std::move(res));
    }
    if (!next)
      return fail(http_errc::bad_url, "redirect to an unusable Location '" +
                                          std::string{location} + "': " + why);
    return follow(*next, status);
  }
  http_response res;
  res.status = status;
  for (auto& field : msg)
    res.headers.emplace_back(field.name_string(), field.value());
  res.body = std::move(msg.body());
  res.final_url = url_->to_string();
  release_connection(reusable);
  finish(std::move(res));
}

void call::follow(const url& next, unsigned status) {
  ++redirects_;
  if (status == 303 && req_.method != "HEAD") {
    req_.method = "GET";
    req_.body.clear();
    auto& hs = req_.headers;
    hs.erase(std::remove_if(hs.begin(), hs.end(),
                            [](const auto& h) {
                              return beast::iequals(h.first, "content-type");
                            }),
             hs.end());
  }
  url_ = next;
  start_hop();
}

void call::release_connection(bool reusable) {
  if (!conn_)
    return;
  if (reusable) {
    conn_->idle_since = clock_type::now();
    core_.checkin(std::move(conn_));
  } else {
    conn_->close();
  }
  conn_.reset();
}

// -- timer and completion -----------------------------------------------------

void call::arm_timer(std::chrono::milliseconds limit, bool connecting) {
  auto gen = ++timer_gen_;
  timer_.expires_after(limit);
  timer_.async_wait(on_strand([self = shared_from_this(), gen, limit,
                               connecting](const beast::error_code& ec) {
    if (ec || self->finished_ || gen != self->timer_gen_)
      return;
    auto ms = std::to_string(limit.count()) + " ms";
    self->fail(http_errc::timeout,
               connecting
                   ? "connecting to " + self->where() + " took over " + ms
                   : "no complete response from " + self->where() + " within " +
                         ms);
  }));
}

void call::fail(http_errc code, std::string text) {
  http_response res;
  res.error = code;
  res.error_text = std::move(text);
  if (url_)
    res.final_url = url_->to_string();
  finish(std::move(res));
}

void call::finish(http_response res) {
  finished_ = true;
  ++timer_gen_;
  timer_.cancel();
  resolver_.cancel();
  // Pending operations complete with an error and find the call finished;
  // the connection object stays alive (held by the call) until they have.
  if (conn_)
    conn_->close();
  auto done = std::move(done_);
  core_.forget(this);
  done(std::move(res));
}

} // namespace troupe::net::detail
