#include "troupe/net/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstddef>
#include <limits>

namespace troupe::net {

namespace {

constexpr auto npos = std::string_view::npos;

bool fail(std::string* why, std::string text) {
  if (why != nullptr)
    *why = std::move(text);
  return false;
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view x) {
  std::string result{x};
  for (auto& c : result)
    c = to_lower(c);
  return result;
}

bool starts_with(std::string_view x, std::string_view prefix) {
  return x.substr(0, prefix.size()) == prefix;
}

/// RFC 3986 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool is_scheme(std::string_view x) {
  if (x.empty() || !is_alpha(x[0]))
    return false;
  for (auto c : x)
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
      return false;
  return true;
}

bool has_control(std::string_view x) {
  for (auto c : x) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f)
      return true;
  }
  return false;
}

/// The components of a URI reference (RFC 3986 appendix B), fragment cut.
struct reference_parts {
  std::optional<std::string_view> scheme;
  std::optional<std::string_view> authority;
  std::string_view path;
  std::optional<std::string_view> query;
};

reference_parts split(std::string_view x) {
  reference_parts result;
  if (auto hash = x.find('#'); hash != npos)
    x = x.substr(0, hash);
  // A colon before any '/' or '?' ends a scheme, if what precedes it is one
  // (otherwise the colon is part of a relative path such as "a@b:c").
  if (auto colon = x.find_first_of(":/?");
      colon != npos && x[colon] == ':' && is_scheme(x.substr(0, colon))) {
    result.scheme = x.substr(0, colon);
    x.remove_prefix(colon + 1);
  }
  if (starts_with(x, "//")) {
    x.remove_prefix(2);
    auto end = std::min(x.find_first_of("/?"), x.size());
    result.authority = x.substr(0, end);
    x.remove_prefix(end);
  }
  auto question = x.find('?');
  result.path = x.substr(0, question);
  if (question != npos)
    result.query = x.substr(question + 1);
  return result;
}

/// Drops the last segment of `out` and its preceding '/'.
void pop_segment(std::string& out) {
  auto slash = out.rfind('/');
  out.erase(slash == std::string::npos ? 0 : slash);
}

/// RFC 3986 5.2.4, step by step.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (starts_with(in, "../")) {
      in.remove_prefix(3);
    } else if (starts_with(in, "./")) {
      in.remove_prefix(2);
    } else if (starts_with(in, "/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (starts_with(in, "/../")) {
      in.remove_prefix(3);
      pop_segment(out);
    } else if (in == "/..") {
      in = "/";
      pop_segment(out);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      auto end = std::min(in.find('/', 1), in.size());
      out.append(in.substr(0, end));
      in.remove_prefix(end);
    }
  }
  return out;
}

/// RFC 3986 5.2.3 for a base with an authority.
std::string merge(std::string_view base_path, std::string_view path) {
  std::string result;
  if (auto slash = base_path.rfind('/'); slash != npos)
    result = base_path.substr(0, slash + 1);
  else
    result = "/";
  result += path;
  return result;
}

/// Percent-encodes the bytes that may not appear in a request target.
void append_encoded(std::string& out, std::string_view x) {
  static constexpr char hex[] = "0123456789ABCDEF";
  static constexpr std::string_view unsafe = " \"<>\\^`{|}";
  for (auto c : x) {
    auto b = static_cast<unsigned char>(c);
    if (b >= 0x80 || unsafe.find(c) != npos) {
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 0xf];
    } else {
      out += c;
    }
  }
}

bool parse_port(std::string_view x, uint16_t& port, std::string* why) {
  if (x.empty())
    return true; // "http://h:/" means the default port
  uint32_t value = 0;
  for (auto c : x) {
    if (!is_digit(c))
      return fail(why, "port is not a number: '" + std::string{x} + "'");
    value = value * 10 + static_cast<uint32_t>(c - '0');
    if (value > std::numeric_limits<uint16_t>::max())
      return fail(why, "port out of range: " + std::string{x});
  }
  if (value == 0)
    return fail(why, "port 0");
  port = static_cast<uint16_t>(value);
  return true;
}

bool parse_authority(std::string_view x, url& u, std::string* why) {
  if (x.find('@') != npos)
    return fail(why, "userinfo in URL not supported (use basic_auth)");
  std::string_view port_text;
  if (starts_with(x, "[")) {
    auto close = x.find(']');
    if (close == npos)
      return fail(why, "unterminated IPv6 literal");
    auto literal = std::string{x.substr(1, close - 1)};
    in6_addr addr;
    if (inet_pton(AF_INET6, literal.c_str(), &addr) != 1)
      return fail(why, "invalid IPv6 literal: '" + literal + "'");
    u.host = lower(literal);
    auto rest = x.substr(close + 1);
    if (!rest.empty() && rest[0] != ':')
      return fail(why, "junk after IPv6 literal");
    if (!rest.empty())
      port_text = rest.substr(1);
  } else {
    auto colon = x.find(':');
    auto host = x.substr(0, colon);
    if (colon != npos)
      port_text = x.substr(colon + 1);
    for (auto c : host)
      if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_')
        return fail(why,
                    "invalid character in host: '" + std::string{host} + "'");
    u.host = lower(host);
  }
  if (u.host.empty())
    return fail(why, "empty host");
  return parse_port(port_text, u.port, why);
}

std::string compose(std::string_view scheme, std::string_view authority,
                    std::string_view path,
                    std::optional<std::string_view> query) {
  std::string result;
  result.reserve(scheme.size() + authority.size() + path.size() + 8 +
                 (query ? query->size() : 0));
  result.append(scheme).append("://").append(authority).append(path);
  if (query)
    result.append("?").append(*query);
  return result;
}

} // namespace

std::optional<url> url::parse(std::string_view text, std::string* why) {
  if (has_control(text)) {
    fail(why, "control character in URL");
    return std::nullopt;
  }
  auto parts = split(text);
  if (!parts.scheme) {
    fail(why, "not an absolute URL (no scheme): '" + std::string{text} + "'");
    return std::nullopt;
  }
  url result;
  result.scheme = lower(*parts.scheme);
  result.port = default_port_of(result.scheme);
  if (result.port == 0) {
    fail(why, "unsupported scheme '" + result.scheme + "'");
    return std::nullopt;
  }
  if (!parts.authority) {
    fail(why, "no host (expected " + result.scheme + "://host/...)");
    return std::nullopt;
  }
  if (!parse_authority(*parts.authority, result, why))
    return std::nullopt;
  auto path = remove_dot_segments(parts.path);
  if (path.empty())
    path = "/";
  append_encoded(result.target, path);
  if (parts.query) {
    result.target += '?';
    append_encoded(result.target, *parts.query);
  }
  return result;
}

std::optional<url> url::resolve(std::string_view reference,
                                std::string* why) const {
  if (has_control(reference)) {
    fail(why, "control character in URL");
    return std::nullopt;
  }
  auto r = split(reference);
  if (r.scheme)
    return parse(reference, why);
  if (r.authority)
    return parse(compose(scheme, *r.authority, r.path, r.query), why);
  auto base_path = path();
  std::optional<std::string_view> base_query;
  if (auto question = target.find('?'); question != std::string::npos)
    base_query = std::string_view{target}.substr(question + 1);
  auto auth = authority();
  if (r.path.empty())
    return parse(
        compose(scheme, auth, base_path, r.query ? r.query : base_query), why);
  if (r.path[0] == '/')
    return parse(compose(scheme, auth, r.path, r.query), why);
  return parse(compose(scheme, auth, merge(base_path, r.path), r.query), why);
}

std::string url::authority() const {
  std::string result;
  if (host.find(':') != std::string::npos)
    result.append("[").append(host).append("]");
  else
    result = host;
  if (!default_port())
    result.append(":").append(std::to_string(port));
  return result;
}

std::string url::to_string() const {
  return scheme + "://" + authority() + target;
}

std::string_view url::path() const {
  return std::string_view{target}.substr(0, target.find('?'));
}

bool url::default_port() const {
  return port == default_port_of(scheme);
}

uint16_t url::default_port_of(std::string_view scheme) {
  if (scheme == "http")
    return 80;
  if (scheme == "https")
    return 443;
  return 0;
}

bool operator==(const url& x, const url& y) {
  return x.scheme == y.scheme && x.host == y.host && x.port == y.port &&
         x.target == y.target;
}

} // namespace troupe::net
