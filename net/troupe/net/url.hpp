#pragma once

// Absolute http and https URLs, as the HTTP client needs them: parsed into
// the parts a request uses (scheme, host, port, request target) and resolved
// against each other the way RFC 3986 section 5.2 does it, for Location
// headers and crawled links.
//
//   auto u = troupe::net::url::parse("HTTP://Example.com:80/a/./b?q#frag");
//   // u->scheme == "http", u->host == "example.com", u->port == 80,
//   // u->target == "/a/b?q", u->to_string() == "http://example.com/a/b?q"
//   auto v = u->resolve("../c");  // http://example.com/c
//
// What `parse` accepts, and what it does not:
// - schemes `http` and `https` only (any case); an authority (`//host`) is
//   required, the host must not be empty;
// - a host is a registered name (ASCII letters, digits, `-`, `.`, `_`;
//   lower-cased), an IPv4 address, or an IPv6 literal in brackets (stored
//   without them); internationalized names must arrive in punycode;
// - userinfo (`user:pass@host`) is rejected: credentials in URLs end up in
//   logs and Location headers; use `http_request::basic_auth` instead;
// - the port is 1..65535; an empty port (`http://h:/`) means the default;
// - the path is normalized (`.` and `..` segments removed); the fragment is
//   dropped (it never goes on the wire);
// - ASCII control characters anywhere are rejected; a space and the other
//   bytes that may not appear in a request target (`"<>\^`{|}` and non-ASCII
//   bytes) are percent-encoded, so that `target` is always safe to send.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace troupe::net {

/// A parsed absolute http or https URL.
struct url {
  /// `"http"` or `"https"`, lower-cased.
  std::string scheme;

  /// The host, lower-cased; an IPv6 literal without its brackets.
  std::string host;

  /// The explicit port, or the scheme's default (80, 443).
  uint16_t port = 0;

  /// Path and query (`/a/b?x=1`); `"/"` when the URL has no path. Never
  /// holds a fragment.
  std::string target;

  /// Parses an absolute http or https URL. Returns `std::nullopt` when
  /// `text` is not one, and then stores the reason in `*why` if given.
  static std::optional<url> parse(std::string_view text,
                                  std::string* why = nullptr);

  /// Returns `host[:port]` as the Host header wants it: the port is omitted
  /// when it is the scheme's default, an IPv6 host is bracketed.
  std::string authority() const;

  /// Returns the URL as text: `scheme://authority` followed by `target`.
  std::string to_string() const;

  /// Returns the path part of `target` (without the query).
  std::string_view path() const;

  /// Returns true if the port is the scheme's default.
  bool default_port() const;

  /// Resolves a (possibly relative) reference like a Location header
  /// against this URL (RFC 3986 5.2, dot segments removed). Returns
  /// `std::nullopt` when the result is not a URL `parse` accepts (another
  /// scheme such as `mailto:`, an empty host, ...).
  std::optional<url> resolve(std::string_view reference,
                             std::string* why = nullptr) const;

  /// Returns the default port of `scheme` (80 for http, 443 for https, 0
  /// otherwise).
  static uint16_t default_port_of(std::string_view scheme);
};

/// Compares all four parts.
bool operator==(const url& x, const url& y);

/// Compares all four parts.
inline bool operator!=(const url& x, const url& y) {
  return !(x == y);
}

} // namespace troupe::net
