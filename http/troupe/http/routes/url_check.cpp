#include "troupe/http/routes/url_check.hpp"

#include <algorithm>
#include <cctype>

namespace troupe::http::routes {

namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i])
      return false;
  return true;
}

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

std::string check_port(std::string_view port) {
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(),
                   [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoul(std::string{port}) > 65535)
    return "url has an invalid port";
  return {};
}

std::string check_authority(std::string_view auth) {
  if (auth.empty())
    return "url has no host";
  if (auth.find('@') != std::string_view::npos)
    return "url must not contain user info";
  if (auth.front() == '[') {
    auto close = auth.find(']');
    if (close == std::string_view::npos || close == 1)
      return "url has an invalid IPv6 host";
    auto inner = auth.substr(1, close - 1);
    if (!std::all_of(inner.begin(), inner.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' ||
                 c == '.';
        }))
      return "url has an invalid IPv6 host";
    auto rest = auth.substr(close + 1);
    if (rest.empty())
      return {};
    if (rest.front() != ':')
      return "url has an invalid host";
    return check_port(rest.substr(1));
  }
  auto colon = auth.find(':');
  auto host = auth.substr(0, colon);
  if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char) ||
      host.front() == '.' || host.front() == '-')
    return "url has an invalid host";
  if (colon == std::string_view::npos)
    return {};
  return check_port(auth.substr(colon + 1));
}

} // namespace

std::string check_redirect_url(std::string_view url) {
  // Printable ASCII only: no spaces, no CR/LF (header injection), no
  // non-ASCII bytes. Clients percent-encode everything else.
  if (!std::all_of(url.begin(), url.end(),
                   [](char c) { return c > 0x20 && c < 0x7f; }))
    return "url must be printable ASCII without spaces (percent-encode the "
           "rest)";
  size_t scheme_len = 0;
  if (iequals_prefix(url, "http://"))
    scheme_len = 7;
  else if (iequals_prefix(url, "https://"))
    scheme_len = 8;
  else
    return "url must start with http:// or https://";
  auto rest = url.substr(scheme_len);
  auto end = rest.find_first_of("/?#");
  return check_authority(rest.substr(0, end));
}

} // namespace troupe::http::routes
