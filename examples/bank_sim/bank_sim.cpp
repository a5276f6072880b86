// bank_sim: a small financial-institution simulator serving deterministic
// transactions over HTTP/1.1, or HTTPS with --tls-cert/--tls-key
// (Boost.Beast, one io_context thread). See README.md for the protocol;
// the routes are in bank_routes.cpp.
#include "bank_routes.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace bank_sim;

namespace {

constexpr std::size_t kMaxBody = 64 * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(300);
constexpr auto kWriteTimeout = std::chrono::seconds(60);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

using PlainStream = beast::tcp_stream;
using TlsStream = ssl::stream<beast::tcp_stream>;

// One connection, plain (PlainStream) or TLS (TlsStream): the same
// keep-alive loop over either stream.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

public:
  // `tls` is an ssl::context& for TlsStream, nothing for PlainStream.
  template <typename... Tls>
  Session(tcp::socket socket, State& state, Tls&... tls)
      : stream_(std::move(socket), tls...), timer_(stream_.get_executor()),
        state_(state) {}

  void start() {
    if constexpr (kTls) {
      tcp_layer().expires_after(kHandshakeTimeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) {
            if (ec) // bad handshake, not TLS, timeout: just close
              return self->close();
            self->do_read();
          });
    } else {
      do_read();
    }
  }

private:
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(kMaxBody);
    tcp_layer().expires_after(kIdleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream)
      return finish();
    if (ec) // malformed request, timeout: just close
      return close();
    auto [res, delay] = handle(parser_->get(), state_);
    parser_.reset();
    res_ = std::move(res);
    if (delay.count() <= 0)
      return do_write();
    tcp_layer().expires_never();
    timer_.expires_after(delay);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code wec) {
      if (!wec)
        self->do_write();
    });
  }

  void do_write() {
    tcp_layer().expires_after(kWriteTimeout);
    http::async_write(stream_, res_,
                      beast::bind_front_handler(&Session::on_write,
                                                this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec)
      return close();
    if (res_.need_eof())
      return finish();
    res_ = {};
    do_read();
  }

  // The end of a healthy connection: TLS sends its close_notify first
  // (bounded by the write timeout).
  void finish() {
    if constexpr (kTls) {
      tcp_layer().expires_after(kWriteTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](
                                 beast::error_code) { self->close(); });
    } else {
      close();
    }
  }

  void close() {
    beast::error_code ec;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ec);
    tcp_layer().socket().close(ec);
  }

  Stream stream_;
  net::steady_timer timer_;
  State& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response res_;
};

class Listener : public std::enable_shared_from_this<Listener> {
public:
  // With `tls`, every connection is TLS.
  Listener(net::io_context& ioc, const tcp::endpoint& endpoint, State& state,
           std::shared_ptr<ssl::context> tls)
      : ioc_(ioc), acceptor_(ioc), retry_(ioc), state_(state),
        tls_(std::move(tls)) {
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
      if (self->tls_)
        std::make_shared<Session<TlsStream>>(std::move(socket), self->state_,
                                             *self->tls_)
            ->start();
      else
        std::make_shared<Session<PlainStream>>(std::move(socket), self->state_)
            ->start();
      self->do_accept();
    });
  }

private:
  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  State& state_;
  std::shared_ptr<ssl::context> tls_;
};

[[noreturn]] void usage(int code) {
  std::fputs(
      "usage: bank_sim [--port P] [--bind ADDR] [--per-day K]\n"
      "                [--start YYYY-MM-DD] [--end YYYY-MM-DD]\n"
      "                [--fail-next N] [--delay-ms D] [--bad-credentials]\n"
      "                [--garbage] [--tls-cert FILE --tls-key FILE]\n",
      code == 0 ? stdout : stderr);
  std::exit(code);
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bank_sim: %s\n", message.c_str());
  std::exit(2);
}

// OpenSSL's text for an error of asio's ssl category (its message alone is
// often just "asio.ssl error").
std::string tls_error(const beast::error_code& ec) {
  char text[256];
  ERR_error_string_n(static_cast<unsigned int>(ec.value()), text, sizeof text);
  return text;
}

// A TLS server context with the certificate chain and private key of the
// PEM files `cert` and `key` (TLS 1.2 and later); exits 2 when they do not
// load or do not match.
std::shared_ptr<ssl::context> tls_context(const std::string& cert,
                                          const std::string& key) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                   ssl::context::no_tlsv1_1);
  beast::error_code ec;
  ctx->use_certificate_chain_file(cert, ec);
  if (ec)
    fail("cannot load --tls-cert " + cert + ": " + tls_error(ec));
  ctx->use_private_key_file(key, ssl::context::pem, ec);
  if (ec)
    fail("cannot load --tls-key " + key + ": " + tls_error(ec));
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    fail("--tls-key " + key + " does not match --tls-cert " + cert);
  return ctx;
}

} // namespace

int main(int argc, char** argv) {
  unsigned short port = 8099;
  std::string bind = "127.0.0.1";
  std::string tls_cert, tls_key;
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
    else if (arg == "--tls-cert")
      tls_cert = value();
    else if (arg == "--tls-key")
      tls_key = value();
    else {
      std::fprintf(stderr, "bank_sim: unknown argument %s\n", argv[i]);
      usage(2);
    }
  }
  if (state.calendar.end < state.calendar.start)
    fail("--end is before --start");
  if (tls_cert.empty() != tls_key.empty())
    fail("--tls-cert and --tls-key go together");

  beast::error_code ec;
  const auto address = net::ip::make_address(bind, ec);
  if (ec)
    fail("bad --bind address " + bind);

  std::shared_ptr<ssl::context> tls;
  if (!tls_cert.empty())
    tls = tls_context(tls_cert, tls_key);

  net::io_context ioc{1};
  std::shared_ptr<Listener> listener;
  try {
    listener = std::make_shared<Listener>(ioc, tcp::endpoint{address, port},
                                          state, tls);
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
