#include "troupe/runtime/errors.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace troupe::runtime {

const char* to_string(errc x) {
  switch (x) {
  case errc::invalid_argument:
    return "invalid_argument";
  case errc::unauthenticated:
    return "unauthenticated";
  case errc::not_found:
    return "not_found";
  case errc::conflict:
    return "conflict";
  case errc::payload_too_large:
    return "payload_too_large";
  case errc::overloaded:
    return "overloaded";
  case errc::unavailable:
    return "unavailable";
  case errc::timeout:
    return "timeout";
  case errc::internal:
    return "internal";
  }
  return "internal";
}

caf::error make_error(errc code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message))};
}

std::string error_message(const caf::error& err) {
  // An empty caf::error has no context to read (CAF 0.17 crashes on it).
  if (!err)
    return {};
  const auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return {};
}

} // namespace troupe::runtime
