#include "troupe/http/error_mapping.hpp"

#include <caf/error.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

#include "troupe/runtime/errors.hpp"

namespace troupe::http {

namespace {

using runtime::errc;

http_error from_errc(errc code, std::string message) {
  http_error r;
  r.code = runtime::to_string(code);
  switch (code) {
  case errc::invalid_argument:
    r.status = 400;
    break;
  case errc::unauthenticated:
    r.status = 401;
    break;
  case errc::not_found:
    r.status = 404;
    break;
  case errc::conflict:
    r.status = 409;
    break;
  case errc::payload_too_large:
    r.status = 413;
    break;
  case errc::overloaded:
    r.status = 429;
    r.headers.emplace_back("Retry-After", "1");
    break;
  case errc::unavailable:
    r.status = 503;
    break;
  case errc::timeout:
    r.status = 504;
    break;
  case errc::internal:
  default:
    r.status = 500;
    r.code = "internal";
  }
  if (message.empty())
    message = r.code;
  r.message = std::move(message);
  return r;
}

bool is_unavailable(caf::sec x) {
  switch (x) {
  case caf::sec::request_receiver_down:
  case caf::sec::remote_linking_failed:
  case caf::sec::no_route_to_receiving_node:
  case caf::sec::cannot_connect_to_node:
  case caf::sec::cannot_forward_to_invalid_actor:
  case caf::sec::connection_timeout:
  case caf::sec::remote_lookup_failed:
  case caf::sec::disconnect_during_handshake:
  case caf::sec::socket_disconnected:
    return true;
  default:
    return false;
  }
}

} // namespace

http_error map_error(const caf::error& err) {
  if (!err) // CAF 0.17: accessors of an empty error dereference null
    return from_errc(errc::internal, "internal error (no error given)");
  if (err.category() == runtime::error_category)
    return from_errc(static_cast<errc>(err.code()),
                     runtime::error_message(err));
  if (err.category() == caf::atom("system")) {
    auto x = static_cast<caf::sec>(err.code());
    if (x == caf::sec::request_timeout)
      return from_errc(errc::timeout, "request timed out");
    if (is_unavailable(x))
      return from_errc(errc::unavailable,
                       "service unavailable (" + caf::to_string(x) + ")");
    return from_errc(errc::internal,
                     "internal error (" + caf::to_string(x) + ")");
  }
  if (err.category() == caf::atom("exit")) {
    auto x = static_cast<caf::exit_reason>(err.code());
    if (x == caf::exit_reason::remote_link_unreachable ||
        x == caf::exit_reason::unreachable)
      return from_errc(errc::unavailable,
                       "service unavailable (" + caf::to_string(x) + ")");
  }
  return from_errc(errc::internal, "internal error");
}

std::string error_body(std::string_view code, std::string_view message) {
  nlohmann::json j = {
      {"error",
       {{"code", std::string{code}}, {"message", std::string{message}}}}};
  // Invalid UTF-8 in a message must not throw inside the edge.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace troupe::http
