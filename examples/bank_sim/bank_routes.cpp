// The routes of bank_sim (see bank_routes.hpp and README.md).
#include "bank_routes.hpp"

#include <boost/beast/core.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bank_sim {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
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

/// The 302 the `redirect` switch asks for, if any.
std::optional<Response> redirect(const Request& req, const Switches& sw) {
  const auto raw = req.target();
  const std::string_view target{raw.data(), raw.size()};
  if (sw.redirect == 0 || (sw.redirect != 2 && target.rfind("/moved/", 0) == 0))
    return std::nullopt;
  std::string location;
  if (sw.redirect == 3) {
    const auto raw_host = req[http::field::host];
    const std::string_view host{raw_host.data(), raw_host.size()};
    const auto colon = host.rfind(':');
    location = "http://localhost";
    if (colon != std::string_view::npos)
      location += host.substr(colon);
  }
  location += "/moved";
  location += target;
  Response res = make_response(req, http::status::found, "moved", "text/plain");
  res.set(http::field::location, location);
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
  if (auto moved = redirect(req, sw))
    return *moved;
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
  out += ",\"redirect\":";
  append_uint(out, sw.redirect);
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
  std::optional<std::uint64_t> fail_next, delay_ms, redirect;
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
    } else if (key == "redirect") {
      redirect = parse_uint<std::uint64_t>(value);
      ok = redirect && *redirect <= 3;
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
  if (redirect)
    next.redirect = *redirect;
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

} // namespace

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

} // namespace bank_sim
