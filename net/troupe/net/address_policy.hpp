#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::net {

/// Returns true if `ip` (textual IPv4 or IPv6) is a public unicast
/// address: not loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
/// link-local (169.254/16, fe80::/10), multicast, unspecified, CGNAT
/// (100.64/10), "this network" (0/8), broadcast or reserved (240/4); an
/// IPv4-mapped IPv6 address is judged as its IPv4 address. False for text
/// that is not an address.
bool is_public_address(std::string_view ip);

/// Returns true if `host` is an IPv4 or IPv6 address (not a name).
bool is_address(std::string_view host);

/// Which hosts outbound calls made for users may reach (SSRF protection):
/// either an explicit list of "host" or "host:port" entries, or, when the
/// list is empty, any host whose addresses are all public.
class host_policy {
public:
  /// Parses the entries ("host" or "host:port", IPv6 in brackets); returns
  /// false and sets `why` on a bad one.
  bool set_allowed(const std::vector<std::string>& entries, std::string& why);

  /// Returns whether a URL's host and port may be called (for a listed
  /// policy: on the list; otherwise always, the address check decides).
  bool host_allowed(std::string_view host, uint16_t port) const;

  /// Returns whether a resolved address may be connected to (for a listed
  /// policy: any; otherwise only public addresses).
  bool address_allowed(std::string_view ip) const;

  /// Returns true if the policy is an explicit list.
  bool listed() const { return !entries_.empty(); }

private:
  struct entry {
    std::string host;
    uint16_t port = 0; // 0: any port
  };
  std::vector<entry> entries_;
};

} // namespace troupe::net
