#include "troupe/net/address_policy.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/ip/address.hpp>

namespace troupe::net {

namespace {

bool public_v4(const boost::asio::ip::address_v4& a) {
  auto b = a.to_bytes();
  auto in = [&](unsigned net, unsigned mask_bits) {
    uint32_t x = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                 (uint32_t{b[2]} << 8) | b[3];
    uint32_t mask = mask_bits == 0 ? 0 : ~uint32_t{0} << (32 - mask_bits);
    return (x & mask) == net;
  };
  return !(in(0x00000000, 8) || in(0x0A000000, 8) || in(0x64400000, 10) ||
           in(0x7F000000, 8) || in(0xA9FE0000, 16) || in(0xAC100000, 12) ||
           in(0xC0000000, 24) || in(0xC0A80000, 16) || in(0xC6120000, 15) ||
           in(0xE0000000, 4) || in(0xF0000000, 4));
}

/// The IPv4 address at bytes [from, from + 4) of `b`.
boost::asio::ip::address_v4 embedded_v4(const std::array<unsigned char, 16>& b,
                                        size_t from) {
  return boost::asio::ip::address_v4{
      {b[from], b[from + 1], b[from + 2], b[from + 3]}};
}

bool public_v6(const boost::asio::ip::address_v6& a) {
  auto b = a.to_bytes();
  auto zeros = [&b](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i)
      if (b[i] != 0)
        return false;
    return true;
  };
  // Addresses that carry an IPv4 address are judged by it: v4-mapped
  // (::ffff:a.b.c.d), v4-compatible (::a.b.c.d), SIIT (::ffff:0:a.b.c.d),
  // NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::).
  bool mapped = zeros(0, 10) && b[10] == 0xff && b[11] == 0xff;
  bool siit = zeros(0, 8) && b[8] == 0xff && b[9] == 0xff && zeros(10, 12);
  bool nat64 =
      b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zeros(4, 12);
  if (mapped || siit || nat64 ||
      (zeros(0, 12) && !a.is_loopback() && !a.is_unspecified()))
    return public_v4(embedded_v4(b, 12));
  if (b[0] == 0x20 && b[1] == 0x02)
    return public_v4(embedded_v4(b, 2));
  bool unique_local = (b[0] & 0xfe) == 0xfc;
  return !(a.is_loopback() || a.is_unspecified() || a.is_link_local() ||
           a.is_site_local() || a.is_multicast() || unique_local);
}

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

} // namespace

bool is_public_address(std::string_view ip) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string{ip}, ec);
  if (ec)
    return false;
  return a.is_v4() ? public_v4(a.to_v4()) : public_v6(a.to_v6());
}

bool is_address(std::string_view host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string{host}, ec);
  return !ec;
}

bool host_policy::set_allowed(const std::vector<std::string>& entries,
                              std::string& why) {
  std::vector<entry> parsed;
  for (const auto& text : entries) {
    entry e;
    std::string_view s = text;
    bool bracketed = !s.empty() && s.front() == '[';
    auto close = s.find(']');
    if (bracketed && (close == std::string_view::npos ||
                      (close + 1 < s.size() && s[close + 1] != ':'))) {
      why = "\"" + text +
            "\": an IPv6 address goes in brackets: [addr] or "
            "[addr]:port";
      return false;
    }
    // An unbracketed IPv6 address (two colons or more) has no port.
    auto colon = s.rfind(':');
    if (!bracketed && s.find(':') != colon)
      colon = std::string_view::npos;
    if (colon != std::string_view::npos && (!bracketed || colon > close)) {
      auto port = s.substr(colon + 1);
      unsigned long n = 0;
      for (char c : port)
        n = c >= '0' && c <= '9' && n < 65536 ? n * 10 + (c - '0') : 70000;
      if (port.empty() || n == 0 || n > 65535) {
        why = "\"" + text + "\": bad port";
        return false;
      }
      e.port = static_cast<uint16_t>(n);
      s = s.substr(0, colon);
    }
    if (bracketed)
      s = s.substr(1, close - 1);
    if (s.empty()) {
      why = "\"" + text + "\": empty host";
      return false;
    }
    e.host = lower(s);
    parsed.push_back(std::move(e));
  }
  entries_ = std::move(parsed);
  return true;
}

bool host_policy::host_allowed(std::string_view host, uint16_t port) const {
  if (entries_.empty())
    return true;
  auto h = lower(host);
  return std::any_of(entries_.begin(), entries_.end(), [&](const entry& e) {
    return e.host == h && (e.port == 0 || e.port == port);
  });
}

bool host_policy::address_allowed(std::string_view ip) const {
  return !entries_.empty() || is_public_address(ip);
}

} // namespace troupe::net
