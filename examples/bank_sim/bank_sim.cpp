// bank_sim: a small financial-institution simulator serving deterministic
// transactions over HTTP/1.1 (Boost.Beast, one io_context thread). See
// README.md for the protocol.
#include "bank_data.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace bank_sim;

namespace {

constexpr std::size_t kMaxBody = 64 * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(300);
constexpr auto kWriteTimeout = std::chrono::seconds(60);

struct Switches {
  std::uint64_t fail_next = 0;
  std::uint64_t delay_ms = 0;
  bool bad_credentials = false;
  bool garbage = false;
};

struct Stats {
  std::uint64_t requests = 0;
  std::uint64_t served = 0;
  std::uint64_t failed = 0;
  std::uint64_t unauthorized = 0;
};

struct State {
  Calendar calendar;
  Switches sw;
  Stats stats;
};

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

template <typename T>
std::optional<T> parse_uint(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    return std::nullopt;
  return v;
}

// key=value pairs of a query string; nullopt on a bad %-escape.
std::optional<std::vector<std::pair<std::string, std::string>>>
parse_query(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty())
      continue;
    const auto eq = part.find('=');
    auto key = percent_decode(part.substr(0, eq));
    auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view()
                                                    : part.substr(eq + 1));
    if (!key || !value)
      return std::nullopt;
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

Response make_response(const Request& req, http::status status,
                       std::string body,
                       std::string_view type = "application/json") {
  Response res{status, req.version()};
  res.set(http::field::server, "bank_sim");
  res.set(http::field::content_type,
          beast::string_view(type.data(), type.size()));
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response error(const Request& req, http::status status,
               std::string_view message) {
  std::string body = "{\"error\":";
  append_json_string(body, message);
  body.push_back('}');
  return make_response(req, status, std::move(body));
}

// The login of a valid "Authorization: Basic" header, else nullopt.
std::optional<std::string> authenticate(const Request& req) {
  const auto it = req.find(http::field::authorization);
  if (it == req.end())
    return std::nullopt;
  std::string_view value = sv(it->value());
  if (value.size() < 6 ||
      !beast::iequals(beast::string_view(value.data(), 6), "basic "))
    return std::nullopt;
  value.remove_prefix(6);
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  auto decoded = decode_base64(value);
  if (!decoded)
    return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0)
    return std::nullopt;
  std::string login = decoded->substr(0, colon);
  if (std::string_view(*decoded).substr(colon + 1) != "pass-" + login)
    return std::nullopt;
  return login;
}

Response unauthorized(const Request& req, Stats& stats) {
  ++stats.unauthorized;
  Response res = error(req, http::status::unauthorized, "unauthorized");
  res.set(http::field::www_authenticate, "Basic realm=\"bank_sim\"");
  return res;
}

Response transactions(const Request& req, std::string_view query,
                      State& state) {
  Stats& stats = state.stats;
  Switches& sw = state.sw;
  ++stats.requests;
  if (req.method() != http::verb::get) {
    Response res =
        error(req, http::status::method_not_allowed, "method not allowed");
    res.set(http::field::allow, "GET");
    return res;
  }
  if (sw.fail_next > 0) {
    --sw.fail_next;
    ++stats.failed;
    return error(req, http::status::internal_server_error, "injected failure");
  }
  if (sw.bad_credentials)
    return unauthorized(req, stats);
  const auto login = authenticate(req);
  if (!login)
    return unauthorized(req, stats);

  std::optional<Day> since;
  if (auto params = parse_query(query)) {
    for (const auto& [key, value] : *params)
      if (key == "since")
        since = parse_date(value);
  }
  if (!since)
    return error(req, http::status::bad_request,
                 "missing or malformed since (YYYY-MM-DD)");
  if (sw.garbage)
    return make_response(req, http::status::ok, "this is not json",
                         "text/plain");
  ++stats.served;
  return make_response(req, http::status::ok,
                       transactions_json(*login, *since, state.calendar));
}

std::string switches_json(const Switches& sw) {
  std::string out = "{\"fail_next\":";
  append_uint(out, sw.fail_next);
  out += ",\"delay_ms\":";
  append_uint(out, sw.delay_ms);
  out += ",\"bad_credentials\":";
  out += sw.bad_credentials ? "true" : "false";
  out += ",\"garbage\":";
  out += sw.garbage ? "true" : "false";
  out.push_back('}');
  return out;
}

Response control(const Request& req, std::string_view query, State& state) {
  if (req.method() != http::verb::post) {
    Response res =
        error(req, http::status::method_not_allowed, "method not allowed");
    res.set(http::field::allow, "POST");
    return res;
  }
  const auto params = parse_query(query);
  if (!params)
    return error(req, http::status::bad_request, "bad query string");
  // Validate everything first, so that a bad request changes nothing.
  bool reset = false;
  Switches next = state.sw;
  std::optional<std::uint64_t> fail_next, delay_ms;
  std::optional<bool> bad_credentials, garbage;
  for (const auto& [key, value] : *params) {
    const auto flag = [&]() -> std::optional<bool> {
      if (value == "0" || value == "1")
        return value == "1";
      return std::nullopt;
    };
    bool ok = true;
    if (key == "reset") {
      ok = value == "1" || value == "0";
      reset = reset || value == "1";
    } else if (key == "fail_next") {
      ok = (fail_next = parse_uint<std::uint64_t>(value)).has_value();
    } else if (key == "delay_ms") {
      delay_ms = parse_uint<std::uint64_t>(value);
      ok = delay_ms && *delay_ms <= 600000;
    } else if (key == "bad_credentials") {
      ok = (bad_credentials = flag()).has_value();
    } else if (key == "garbage") {
      ok = (garbage = flag()).has_value();
    } else {
      return error(req, http::status::bad_request, "unknown parameter " + key);
    }
    if (!ok)
      return error(req, http::status::bad_request, "bad value for " + key);
  }
  if (reset) {
    next = Switches{};
    state.stats = Stats{};
  }
  if (fail_next)
    next.fail_next = *fail_next;
  if (delay_ms)
    next.delay_ms = *delay_ms;
  if (bad_credentials)
    next.bad_credentials = *bad_credentials;
  if (garbage)
    next.garbage = *garbage;
  state.sw = next;
  return make_response(req, http::status::ok, switches_json(state.sw));
}

Response stats(const Request& req, const Stats& st) {
  if (req.method() != http::verb::get) {
    Response res =
        error(req, http::status::method_not_allowed, "method not allowed");
    res.set(http::field::allow, "GET");
    return res;
  }
  std::string out = "{\"requests\":";
  append_uint(out, st.requests);
  out += ",\"served\":";
  append_uint(out, st.served);
  out += ",\"failed\":";
  append_uint(out, st.failed);
  out += ",\"unauthorized\":";
  append_uint(out, st.unauthorized);
  out.push_back('}');
  return make_response(req, http::status::ok, std::move(out));
}

// The response to `req` and how long to hold it back.
std::pair<Response, std::chrono::milliseconds> handle(const Request& req,
                                                      State& state) {
  const std::string_view target = sv(req.target());
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string_view query = qmark == std::string_view::npos
                                     ? std::string_view()
                                     : target.substr(qmark + 1);
  constexpr std::string_view kTx = "/transactions";
  if (path.size() >= kTx.size() &&
      path.substr(path.size() - kTx.size()) == kTx) {
    Response res = transactions(req, query, state);
    return {std::move(res), std::chrono::milliseconds(state.sw.delay_ms)};
  }
  if (path == "/_control")
    return {control(req, query, state), {}};
  if (path == "/_stats")
    return {stats(req, state.stats), {}};
  return {error(req, http::status::not_found, "not found"), {}};
}

class Session : public std::enable_shared_from_this<Session> {
public:
  Session(tcp::socket socket, State& state)
      : stream_(std::move(socket)), timer_(stream_.get_executor()),
        state_(state) {}

  void start() { do_read(); }

private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(kMaxBody);
    stream_.expires_after(kIdleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) // end_of_stream, malformed request, timeout: just close
      return close();
    auto [res, delay] = handle(parser_->get(), state_);
    parser_.reset();
    res_ = std::move(res);
    if (delay.count() <= 0)
      return do_write();
    stream_.expires_never();
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code wec) {
      if (!wec)
        self->do_write();
    });
  }

  void do_write() {
    stream_.expires_after(kWriteTimeout);
    http::async_write(
        stream_, res_,
        beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec || res_.need_eof())
      return close();
    res_ = {};
    do_read();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  State& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response res_;
};

class Listener : public std::enable_shared_from_this<Listener> {
public:
  Listener(net::io_context& ioc, const tcp::endpoint& endpoint, State& state)
      : ioc_(ioc), acceptor_(ioc), retry_(ioc), state_(state) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void do_accept() {
    acceptor_.async_accept(ioc_, [self = shared_from_this()](
                                     beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted)
        return;
      if (ec) { // e.g. out of file descriptors: retry a bit later
        self->retry_.expires_after(std::chrono::milliseconds(50));
        self->retry_.async_wait([self](beast::error_code wec) {
          if (!wec)
            self->do_accept();
        });
        return;
      }
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), self->state_)->start();
      self->do_accept();
    });
  }

private:
  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  State& state_;
};

[[noreturn]] void usage(int code) {
  std::fputs(
      "usage: bank_sim [--port P] [--bind ADDR] [--per-day K]\n"
      "                [--start YYYY-MM-DD] [--end YYYY-MM-DD]\n"
      "                [--fail-next N] [--delay-ms D] [--bad-credentials]\n"
      "                [--garbage]\n",
      code == 0 ? stdout : stderr);
  std::exit(code);
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bank_sim: %s\n", message.c_str());
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  unsigned short port = 8099;
  std::string bind = "127.0.0.1";
  State state;
  state.calendar.start = *parse_date("2026-09-01");
  state.calendar.end = *parse_date("2026-11-30");

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('=');
        arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    auto value = [&]() -> std::string {
      if (inline_value)
        return *inline_value;
      if (i + 1 >= argc)
        fail(arg + " needs a value");
      return argv[++i];
    };
    auto number = [&](std::uint64_t max) -> std::uint64_t {
      const std::string v = value();
      const auto n = parse_uint<std::uint64_t>(v);
      if (!n || *n > max)
        fail("bad value for " + arg + ": " + v);
      return *n;
    };
    auto date = [&]() -> Day {
      const std::string v = value();
      const auto d = parse_date(v);
      if (!d)
        fail("bad date for " + arg + " (YYYY-MM-DD): " + v);
      return *d;
    };
    if (arg == "--help" || arg == "-h")
      usage(0);
    else if (arg == "--port")
      port = static_cast<unsigned short>(number(65535));
    else if (arg == "--bind")
      bind = value();
    else if (arg == "--per-day")
      state.calendar.per_day = static_cast<int>(number(10000));
    else if (arg == "--start")
      state.calendar.start = date();
    else if (arg == "--end")
      state.calendar.end = date();
    else if (arg == "--fail-next")
      state.sw.fail_next = number(UINT64_MAX);
    else if (arg == "--delay-ms")
      state.sw.delay_ms = number(600000);
    else if (arg == "--bad-credentials" && !inline_value)
      state.sw.bad_credentials = true;
    else if (arg == "--garbage" && !inline_value)
      state.sw.garbage = true;
    else {
      std::fprintf(stderr, "bank_sim: unknown argument %s\n", argv[i]);
      usage(2);
    }
  }
  if (state.calendar.end < state.calendar.start)
    fail("--end is before --start");

  beast::error_code ec;
  const auto address = net::ip::make_address(bind, ec);
  if (ec)
    fail("bad --bind address " + bind);

  net::io_context ioc{1};
  std::shared_ptr<Listener> listener;
  try {
    listener =
        std::make_shared<Listener>(ioc, tcp::endpoint{address, port}, state);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bank_sim: cannot listen on %s:%u: %s\n", bind.c_str(),
                 static_cast<unsigned>(port), e.what());
    return 1;
  }
  listener->do_accept();

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&ioc](beast::error_code, int) { ioc.stop(); });

  std::printf("listening %u\n", static_cast<unsigned>(listener->port()));
  std::fflush(stdout);

  for (;;) {
    try {
      ioc.run();
      break;
    } catch (const std::exception& e) { // never let a handler kill the server
      std::fprintf(stderr, "bank_sim: %s\n", e.what());
    }
  }
  return 0;
}
