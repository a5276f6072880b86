#pragma once

#include <string>
#include <string_view>

namespace troupe::http::routes {

/// Checks that `url` is an absolute http(s) URL safe to put into a
/// `Location` header: printable ASCII only, scheme http or https, a host
/// name, IPv4 or bracketed IPv6 address, an optional numeric port, and no
/// user info. Returns an empty string or the reason it is refused.
std::string check_redirect_url(std::string_view url);

} // namespace troupe::http::routes
