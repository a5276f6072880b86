#include "troupe/http/request.hpp"

namespace troupe::http {

response_sink::~response_sink() {
  // nop
}

body_source::~body_source() {
  // nop
}

const char* to_string(body_chunk x) {
  switch (x) {
  case body_chunk::more:
    return "more";
  case body_chunk::last:
    return "last";
  case body_chunk::too_large:
    return "too_large";
  default:
    return "failed";
  }
}

const char* to_string(method x) {
  switch (x) {
  case method::get:
    return "GET";
  case method::head:
    return "HEAD";
  case method::post:
    return "POST";
  case method::put:
    return "PUT";
  case method::del:
    return "DELETE";
  case method::patch:
    return "PATCH";
  case method::options:
    return "OPTIONS";
  default:
    return "OTHER";
  }
}

method parse_method(std::string_view x) {
  if (x == "GET")
    return method::get;
  if (x == "POST")
    return method::post;
  if (x == "PUT")
    return method::put;
  if (x == "DELETE")
    return method::del;
  if (x == "HEAD")
    return method::head;
  if (x == "PATCH")
    return method::patch;
  if (x == "OPTIONS")
    return method::options;
  return method::other;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::optional<std::string> percent_decode(std::string_view x,
                                          bool plus_is_space) {
  std::string out;
  out.reserve(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    auto c = x[i];
    if (c == '%') {
      if (i + 2 >= x.size())
        return std::nullopt;
      auto hi = hex_value(x[i + 1]);
      auto lo = hex_value(x[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>>
parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    auto key = percent_decode(part.substr(0, eq), true);
    auto val = percent_decode(
        eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1),
        true);
    if (!key || !val)
      return std::nullopt;
    out.emplace_back(std::move(*key), std::move(*val));
  }
  return out;
}

} // namespace troupe::http
