#include "net/address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::net {
namespace {

TEST(SocketAddress, ParsesIpv4WithPort) {
  const auto address = SocketAddress::parse("127.0.0.1:5060");
  ASSERT_TRUE(address.has_value());
  EXPECT_FALSE(address->is_v6());
  EXPECT_FALSE(address->empty());
  EXPECT_EQ(address->ip(), "127.0.0.1");
  EXPECT_EQ(address->port(), 5060);
  EXPECT_EQ(address->to_string(), "127.0.0.1:5060");
  EXPECT_EQ(address->host_for_uri(), "127.0.0.1");
  EXPECT_EQ(address->size(), sizeof(sockaddr_in));
}

TEST(SocketAddress, FormatsEveryIpv4OctetWidth) {
  for (const char* ip :
       {"0.0.0.0", "255.255.255.255", "10.0.100.9", "192.168.1.10", "1.22.203.4"}) {
    const auto address = SocketAddress::parse(std::string(ip) + ":1");
    ASSERT_TRUE(address.has_value()) << ip;
    EXPECT_EQ(address->ip(), ip);
  }
}

TEST(SocketAddress, ParsesBracketedIpv6WithPort) {
  const auto address = SocketAddress::parse("[::1]:5061");
  ASSERT_TRUE(address.has_value());
  EXPECT_TRUE(address->is_v6());
  EXPECT_EQ(address->ip(), "::1");
  EXPECT_EQ(address->port(), 5061);
  EXPECT_EQ(address->host_for_uri(), "[::1]");
  EXPECT_EQ(address->to_string(), "[::1]:5061");
  EXPECT_EQ(address->size(), sizeof(sockaddr_in6));
}

TEST(SocketAddress, BareAddressesTakeTheDefaultPort) {
  const auto v4 = SocketAddress::parse("10.1.2.3", 5060);
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->to_string(), "10.1.2.3:5060");

  const auto v6 = SocketAddress::parse("2001:db8::7", 5080);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->to_string(), "[2001:db8::7]:5080");

  const auto bracketed = SocketAddress::parse("[2001:db8::7]", 5090);
  ASSERT_TRUE(bracketed.has_value());
  EXPECT_EQ(bracketed->port(), 5090);
}

TEST(SocketAddress, WithPortKeepsTheAddressAndChangesOnlyThePort) {
  const auto v4 = SocketAddress::parse("10.1.2.3:5060");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->with_port(20001).to_string(), "10.1.2.3:20001");
  EXPECT_EQ(v4->port(), 5060);  // the original is unchanged

  const auto v6 = SocketAddress::parse("[2001:db8::7]:5080");
  ASSERT_TRUE(v6.has_value());
  const SocketAddress moved = v6->with_port(40001);
  EXPECT_TRUE(moved.is_v6());
  EXPECT_EQ(moved.to_string(), "[2001:db8::7]:40001");
  EXPECT_EQ(moved, *SocketAddress::parse("[2001:db8::7]:40001"));

  EXPECT_TRUE(SocketAddress{}.with_port(5060).empty());
}

TEST(SocketAddress, PortZeroIsAllowed) {
  const auto address = SocketAddress::parse("0.0.0.0:0");
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->port(), 0);
}

TEST(SocketAddress, RejectsBadInput) {
  for (const char* text :
       {"", ":5060", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:50x",
        "127.0.0.1:5060:1", "256.0.0.1:5060", "example.com:5060", "[::1", "[::1]5060",
        "[::1]:", "[127.0.0.1]:5060", "[]:5060", "1.2.3.4 :5060", "::g", "127.0.0.1:123456"}) {
    EXPECT_FALSE(SocketAddress::parse(text).has_value()) << text;
  }
}

TEST(SocketAddress, RoundTripsThroughSockaddr) {
  const auto original = SocketAddress::parse("[fe80::1:2]:7000");
  ASSERT_TRUE(original.has_value());
  const SocketAddress copy = SocketAddress::from_sockaddr(original->data(), original->size());
  EXPECT_EQ(copy, *original);
  EXPECT_EQ(copy.to_string(), "[fe80::1:2]:7000");

  // A too-short length yields an empty address rather than reading past the end.
  const SocketAddress truncated = SocketAddress::from_sockaddr(original->data(), 8);
  EXPECT_TRUE(truncated.empty());
  EXPECT_EQ(truncated.size(), 0U);
}

TEST(SocketAddress, TextAtTheEdgesOfEachFieldAndAppendedInPlace) {
  EXPECT_EQ(SocketAddress::parse("0.0.0.0:0")->to_string(), "0.0.0.0:0");
  EXPECT_EQ(SocketAddress::parse("255.255.255.255:65535")->to_string(), "255.255.255.255:65535");
  EXPECT_EQ(SocketAddress::parse("10.100.9.99:10")->ip(), "10.100.9.99");
  EXPECT_EQ(SocketAddress::parse("[::]:1")->to_string(), "[::]:1");
  EXPECT_EQ(SocketAddress().to_string(), "(none)");
  EXPECT_EQ(SocketAddress().ip(), "");
  std::string key = "udp|";
  SocketAddress::parse("192.0.2.1:5060")->append_to(key);
  SocketAddress::parse("[2001:db8::1]:5061")->append_to(key);
  EXPECT_EQ(key, "udp|192.0.2.1:5060[2001:db8::1]:5061");
}

TEST(SocketAddress, EqualityComparesFamilyAddressAndPort) {
  EXPECT_EQ(*SocketAddress::parse("1.2.3.4:5"), *SocketAddress::parse("1.2.3.4:5"));
  EXPECT_NE(*SocketAddress::parse("1.2.3.4:5"), *SocketAddress::parse("1.2.3.4:6"));
  EXPECT_NE(*SocketAddress::parse("1.2.3.4:5"), *SocketAddress::parse("1.2.3.5:5"));
  EXPECT_NE(*SocketAddress::parse("[::1]:5"), *SocketAddress::parse("127.0.0.1:5"));
  EXPECT_EQ(SocketAddress(), SocketAddress());
  EXPECT_TRUE(SocketAddress().empty());
}

}  // namespace
}  // namespace parley::net
