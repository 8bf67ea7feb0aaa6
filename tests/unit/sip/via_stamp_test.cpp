#include "sip/via_stamp.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/sip/message.hpp"

namespace parley::sip {
namespace {

protocol::sip::Message request_with_via(const std::string& via) {
  const std::string text =
      "OPTIONS sip:example.com SIP/2.0\r\nVia: " + via +
      "\r\nVia: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKouter\r\n"
      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: x\r\n"
      "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  auto parsed = protocol::sip::parse_message(text);
  EXPECT_TRUE(parsed.ok());
  return std::move(parsed).value();
}

std::string top_via_after(const std::string& via, const char* source) {
  const auto request = request_with_via(via);
  const auto stamped = stamp_top_via(request, *net::SocketAddress::parse(source));
  if (!stamped) return "unchanged";
  auto reparsed = protocol::sip::parse_message(*stamped);
  EXPECT_TRUE(reparsed.ok());
  return std::string(reparsed->top_via());
}

TEST(ViaStamp, FillsRportAndAddsReceived) {
  EXPECT_EQ(top_via_after("SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bK1", "192.0.2.7:4000"),
            "SIP/2.0/UDP 10.0.0.5:5060;rport=4000;branch=z9hG4bK1;received=192.0.2.7");
}

TEST(ViaStamp, RportAddsReceivedEvenWhenTheHostMatches) {
  EXPECT_EQ(top_via_after("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;rport", "192.0.2.7:5060"),
            "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;rport=5060;received=192.0.2.7");
}

TEST(ViaStamp, AddsReceivedWhenTheHostIsAName) {
  EXPECT_EQ(top_via_after("SIP/2.0/TCP phone.example.com;branch=z9hG4bK2", "192.0.2.9:6000"),
            "SIP/2.0/TCP phone.example.com;branch=z9hG4bK2;received=192.0.2.9");
}

TEST(ViaStamp, LeavesAMatchingViaAlone) {
  EXPECT_EQ(top_via_after("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK3", "192.0.2.7:5060"),
            "unchanged");
}

TEST(ViaStamp, IPv6SourceWithoutBrackets) {
  EXPECT_EQ(top_via_after("SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK4;rport", "[::1]:7000"),
            "SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK4;rport=7000;received=::1");
}

TEST(ViaStamp, OnlyTheTopViaChanges) {
  const auto request = request_with_via("SIP/2.0/UDP 10.0.0.5;rport;branch=z9hG4bK5");
  const auto stamped = stamp_top_via(request, *net::SocketAddress::parse("192.0.2.7:4000"));
  ASSERT_TRUE(stamped);
  auto reparsed = protocol::sip::parse_message(*stamped);
  ASSERT_TRUE(reparsed.ok());
  int vias = 0;
  for (const auto& field : reparsed->headers()) {
    if (field.id == protocol::sip::HeaderId::kVia && ++vias == 2) {
      EXPECT_EQ(reparsed->value(field), "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKouter");
    }
  }
  EXPECT_EQ(vias, 2);
  EXPECT_EQ(reparsed->top_via_branch(), "z9hG4bK5");
}

}  // namespace
}  // namespace parley::sip
