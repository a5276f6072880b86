#include "status_command.hpp"

#include <memory>
#include <ostream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "status_format.hpp"
#include "troupe/config/config.hpp"

namespace troupe::app {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

/// A cluster's full history (15 min of samples per node and route) is a few
/// MB; Beast's default limit for responses is 8 MB.
constexpr std::uint64_t max_body_bytes = 64ull << 20;

/// The GET as a chain of asynchronous steps on one io_context, so that
/// `run_for` bounds all of them together.
struct get_exchange {
  explicit get_exchange(asio::io_context& ioc) : resolver{ioc}, stream{ioc} {}

  void start(const std::string& host, const std::string& port) {
    resolver.async_resolve(
        host, port,
        [this](beast::error_code ec, tcp::resolver::results_type r) {
          if (ec)
            return fail("cannot resolve host", ec);
          stream.async_connect(
              r, [this](beast::error_code ec, const tcp::endpoint&) {
                if (ec)
                  return fail("cannot connect", ec);
                bhttp::async_write(stream, request,
                                   [this](beast::error_code ec, std::size_t) {
                                     if (ec)
                                       return fail("cannot send", ec);
                                     read();
                                   });
              });
        });
  }

  void read() {
    parser.body_limit(max_body_bytes);
    bhttp::async_read(
        stream, buffer, parser, [this](beast::error_code ec, std::size_t) {
          if (ec)
            return fail("no valid HTTP answer", ec);
          auto& res = parser.get();
          result.status = res.result_int();
          result.reason = std::string{res.reason()};
          result.body = std::move(res.body());
          done = true;
          beast::error_code ignored;
          stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        });
  }

  void fail(const char* what, const beast::error_code& ec) {
    result.error = std::string{what} + ": " + ec.message();
    done = true;
  }

  tcp::resolver resolver;
  beast::tcp_stream stream;
  bhttp::request<bhttp::empty_body> request;
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  http_get_result result;
  bool done = false;
};

/// "[::1]" -> "::1" for the resolver; the Host header keeps the brackets.
std::string bare_host(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  return host;
}

/// `error.message` of a troupe error body, or "".
std::string error_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object())
    return {};
  auto e = j.find("error");
  if (e == j.end() || !e->is_object())
    return {};
  auto m = e->find("message");
  return m != e->end() && m->is_string() ? m->get<std::string>() : "";
}

} // namespace

http_get_result http_get(const std::string& host, uint16_t port,
                         const std::string& target,
                         std::chrono::milliseconds timeout) {
  // The io_context is declared first so that it outlives the exchange: on
  // timeout the pending handlers are dropped with it, never invoked.
  asio::io_context ioc{1};
  get_exchange x{ioc};
  x.request.method(bhttp::verb::get);
  x.request.target(target);
  x.request.version(11);
  x.request.set(bhttp::field::host, host + ':' + std::to_string(port));
  x.request.set(bhttp::field::user_agent, "troupe-status");
  x.request.set(bhttp::field::accept, "application/json");
  x.request.set(bhttp::field::connection, "close");
  x.start(bare_host(host), std::to_string(port));
  ioc.run_for(timeout);
  if (!x.done) {
    auto secs = std::to_string(timeout.count() / 1000.0);
    secs.erase(secs.find_last_not_of('0') + 1);
    if (!secs.empty() && secs.back() == '.')
      secs.pop_back();
    x.result = {};
    x.result.error = "no answer within " + secs + " s";
  }
  return std::move(x.result);
}

int run_status(const status_options& opts, std::ostream& out,
               std::ostream& err) {
  auto ep = config::parse_endpoint(opts.http);
  if (!ep || ep->port == 0 || bare_host(ep->host).empty()) {
    err << "troupe: --http: expected HOST:PORT, got '" << opts.http << "'\n";
    return 2;
  }
  const std::string target = "/api/v1/stats";
  auto where = "http://" + ep->host + ':' + std::to_string(ep->port) + target;
  auto res = http_get(ep->host, ep->port, target, opts.timeout);
  if (!res.error.empty()) {
    err << "troupe: cannot reach " << where << ": " << res.error << '\n';
    return 1;
  }
  if (res.status != 200) {
    err << "troupe: " << where << " answered " << res.status;
    if (!res.reason.empty())
      err << ' ' << res.reason;
    if (auto msg = error_message(res.body); !msg.empty())
      err << ": " << msg;
    err << '\n';
    return 1;
  }
  auto parsed = summarize_status(std::string_view{res.body});
  if (!parsed.summary) {
    err << "troupe: unexpected answer from " << where << ": " << parsed.error
        << '\n';
    return 1;
  }
  if (opts.json) {
    out << res.body;
    if (res.body.empty() || res.body.back() != '\n')
      out << '\n';
  } else {
    status_style style;
    style.color = opts.color;
    out << render_status(*parsed.summary, style);
  }
  out.flush();
  return out ? 0 : 1;
}

} // namespace troupe::app
