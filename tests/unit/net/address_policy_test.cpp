// SSRF protection for outbound calls made for users: which addresses are
// public, and a host policy's explicit list ("host", "host:port", IPv6 in
// brackets) versus the default of public addresses only.
#include "troupe/net/address_policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace troupe::net;

TEST(AddressPolicy, IsPublicAddressTable) {
  struct row {
    const char* ip;
    bool is_public;
  };
  const row rows[] = {
      // IPv4.
      {"127.0.0.1", false},
      {"127.255.255.254", false},
      {"10.1.2.3", false},
      {"172.16.0.1", false},
      {"172.31.255.255", false},
      {"172.15.255.255", true},
      {"172.32.0.1", true},
      {"192.168.1.1", false},
      {"169.254.1.1", false},
      {"100.64.0.1", false},
      {"100.127.255.255", false},
      {"100.63.255.255", true},
      {"100.128.0.0", true},
      {"0.0.0.0", false},
      {"0.1.2.3", false},
      {"224.0.0.1", false},
      {"239.255.255.255", false},
      {"240.0.0.1", false},
      {"255.255.255.255", false},
      {"8.8.8.8", true},
      {"1.1.1.1", true},
      {"93.184.216.34", true},
      // IPv6.
      {"::1", false},
      {"::", false},
      {"fe80::1", false},
      {"febf::1", false},
      {"fec0::1", false},
      {"fc00::1", false},
      {"fd12:3456::1", false},
      {"ff02::1", false},
      {"ff0e::1", false},
      {"::ffff:127.0.0.1", false},
      {"::ffff:10.0.0.1", false},
      {"::ffff:192.168.0.1", false},
      {"::ffff:8.8.8.8", true},
      {"2001:4860:4860::8888", true},
      {"2606:4700:4700::1111", true},
      // Not addresses.
      {"not-an-ip", false},
      {"", false},
      {"example.com", false},
      {"8.8.8", false},
      {"256.1.1.1", false},
      {"[::1]", false},
      {"8.8.8.8:80", false},
  };
  for (const auto& r : rows)
    EXPECT_EQ(is_public_address(r.ip), r.is_public) << '"' << r.ip << '"';
}

TEST(AddressPolicy, IsAddress) {
  for (const char* a : {"127.0.0.1", "8.8.8.8", "::1", "::", "fe80::1",
                        "2001:db8::1", "::ffff:1.2.3.4"})
    EXPECT_TRUE(is_address(a)) << a;
  for (const char* h : {"", "localhost", "example.com", "not-an-ip", "[::1]",
                        "1.2.3.4:80", "1.2.3", "300.1.1.1", "1.2.3.4.5", ":::"})
    EXPECT_FALSE(is_address(h)) << h;
}

TEST(AddressPolicy, DefaultPolicyAllowsAnyHostButOnlyPublicAddresses) {
  host_policy p;
  EXPECT_FALSE(p.listed());
  EXPECT_TRUE(p.host_allowed("bank.example", 443));
  EXPECT_TRUE(p.host_allowed("localhost", 80)); // the address check decides
  EXPECT_TRUE(p.address_allowed("8.8.8.8"));
  EXPECT_TRUE(p.address_allowed("2001:4860:4860::8888"));
  EXPECT_FALSE(p.address_allowed("127.0.0.1"));
  EXPECT_FALSE(p.address_allowed("10.0.0.1"));
  EXPECT_FALSE(p.address_allowed("::1"));
  EXPECT_FALSE(p.address_allowed("::ffff:127.0.0.1"));
  EXPECT_FALSE(p.address_allowed("garbage"));
}

TEST(AddressPolicy, SetAllowedParsesEntries) {
  host_policy p;
  std::string why;
  ASSERT_TRUE(
      p.set_allowed({"bank.example", "api.bank.example:8080", "[::1]:80",
                     "[fe80::2]", "127.0.0.1:9000", "MiXeD.Example"},
                    why))
      << why;
  EXPECT_TRUE(p.listed());
  // "host": any port.
  EXPECT_TRUE(p.host_allowed("bank.example", 443));
  EXPECT_TRUE(p.host_allowed("bank.example", 1));
  EXPECT_TRUE(p.host_allowed("BANK.example", 80)); // case-insensitive
  // "host:port": that port only.
  EXPECT_TRUE(p.host_allowed("api.bank.example", 8080));
  EXPECT_FALSE(p.host_allowed("api.bank.example", 443));
  // IPv6 in brackets; hosts are compared without them.
  EXPECT_TRUE(p.host_allowed("::1", 80));
  EXPECT_FALSE(p.host_allowed("::1", 81));
  EXPECT_TRUE(p.host_allowed("fe80::2", 12345));
  EXPECT_TRUE(p.host_allowed("127.0.0.1", 9000));
  EXPECT_FALSE(p.host_allowed("127.0.0.1", 80));
  EXPECT_TRUE(p.host_allowed("mixed.example", 443));
  // Unlisted hosts, and near misses.
  EXPECT_FALSE(p.host_allowed("evil.example", 443));
  EXPECT_FALSE(p.host_allowed("bank.example.evil", 443));
  EXPECT_FALSE(p.host_allowed("sub.bank.example", 443));
  EXPECT_FALSE(p.host_allowed("ank.example", 443));
  EXPECT_FALSE(p.host_allowed("", 443));
}

TEST(AddressPolicy, SetAllowedRejectsBadEntries) {
  struct bad {
    const char* entry;
    const char* why_has;
  };
  const bad cases[] = {
      {"h:0", "bad port"},     {"h:99999", "bad port"},
      {"h:65536", "bad port"}, {"h:x", "bad port"},
      {"h:", "bad port"},      {"h:-1", "bad port"},
      {"h:80x", "bad port"},   {"h: 80", "bad port"},
      {"[::1", "in brackets"}, {"[::1:80", "in brackets"},
      {"", "empty host"},      {":80", "empty host"},
      {"[]", "empty host"},    {"[]:80", "empty host"},
  };
  for (const auto& c : cases) {
    host_policy p;
    std::string why;
    EXPECT_FALSE(p.set_allowed({"ok.example", c.entry}, why)) << c.entry;
    EXPECT_NE(why.find(c.why_has), std::string::npos)
        << c.entry << " -> " << why;
    EXPECT_NE(why.find(std::string("\"") + c.entry + "\""), std::string::npos)
        << "names the entry: " << why;
    // Nothing of a rejected list is applied.
    EXPECT_FALSE(p.listed()) << c.entry;
  }
  host_policy p;
  std::string why;
  EXPECT_TRUE(p.set_allowed({"h:1", "h:65535"}, why)) << why;
}

TEST(AddressPolicy, FailedSetAllowedKeepsThePreviousList) {
  host_policy p;
  std::string why;
  ASSERT_TRUE(p.set_allowed({"bank.example:443"}, why)) << why;
  EXPECT_FALSE(p.set_allowed({"other.example", "h:0"}, why));
  EXPECT_TRUE(p.host_allowed("bank.example", 443));
  EXPECT_FALSE(p.host_allowed("other.example", 443));
  // An empty list goes back to the default.
  ASSERT_TRUE(p.set_allowed({}, why));
  EXPECT_FALSE(p.listed());
  EXPECT_TRUE(p.host_allowed("anything.example", 1));
}

TEST(AddressPolicy, AddressAllowedListedVersusUnlisted) {
  host_policy unlisted;
  host_policy listed;
  std::string why;
  ASSERT_TRUE(listed.set_allowed({"localhost:8080"}, why)) << why;
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "192.168.1.1", "::1",
                         "169.254.1.1", "fc00::1"}) {
    // An explicit list is trusted: the operator chose those hosts.
    EXPECT_TRUE(listed.address_allowed(ip)) << ip;
    EXPECT_FALSE(unlisted.address_allowed(ip)) << ip;
  }
  EXPECT_TRUE(listed.address_allowed("8.8.8.8"));
  EXPECT_TRUE(unlisted.address_allowed("8.8.8.8"));
}

TEST(AddressPolicy, Ipv6FormsCarryingIpv4AreJudgedByIt) {
  for (const char* ip :
       {"::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "::ffff:0:7f00:1",
        "64:ff9b::a00:1", "2002:c0a8:101::"})
    EXPECT_FALSE(is_public_address(ip)) << ip;
  for (const char* ip : {"::8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"})
    EXPECT_TRUE(is_public_address(ip)) << ip;
}

TEST(AddressPolicy, UnbracketedIpv6EntryIsAHostWithoutPort) {
  host_policy p;
  std::string why;
  ASSERT_TRUE(p.set_allowed({"2001:db8::1"}, why)) << why;
  EXPECT_TRUE(p.host_allowed("2001:db8::1", 443));
  EXPECT_FALSE(p.host_allowed("2001:db8:", 1));
  EXPECT_FALSE(p.set_allowed({"[::1]x"}, why));
}
