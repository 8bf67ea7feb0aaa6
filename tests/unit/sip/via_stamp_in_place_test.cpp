// stamp_top_via_in_place (the receive path's stamp, decision 0044) leaves exactly the message
// that parsing the stamped bytes would give: every header field, every extracted view, the body.

#include "sip/via_stamp.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/sip/message.hpp"
#include "protocol/sip/message_edit.hpp"

namespace parley::sip {
namespace {

namespace psip = protocol::sip;

psip::Message parsed(const std::string& text) {
  auto message = psip::parse_message(text);
  EXPECT_TRUE(message.ok()) << (message ? "" : message.error().message);
  return message ? std::move(message).value() : psip::Message{};
}

void expect_same(const psip::Message& edited, const psip::Message& reparsed) {
  EXPECT_EQ(edited.raw(), reparsed.raw());
  EXPECT_EQ(edited.method_text(), reparsed.method_text());
  EXPECT_EQ(edited.request_uri(), reparsed.request_uri());
  EXPECT_EQ(edited.version(), reparsed.version());
  EXPECT_EQ(edited.call_id(), reparsed.call_id());
  EXPECT_EQ(edited.cseq_number(), reparsed.cseq_number());
  EXPECT_EQ(edited.cseq_method_text(), reparsed.cseq_method_text());
  EXPECT_EQ(edited.from_tag(), reparsed.from_tag());
  EXPECT_EQ(edited.to_tag(), reparsed.to_tag());
  EXPECT_EQ(edited.top_via(), reparsed.top_via());
  EXPECT_EQ(edited.top_via_branch(), reparsed.top_via_branch());
  EXPECT_EQ(edited.max_forwards(), reparsed.max_forwards());
  EXPECT_EQ(edited.body(), reparsed.body());
  ASSERT_EQ(edited.headers().size(), reparsed.headers().size());
  for (std::size_t i = 0; i < edited.headers().size(); ++i) {
    EXPECT_EQ(edited.headers()[i].id, reparsed.headers()[i].id) << i;
    EXPECT_EQ(edited.name(edited.headers()[i]), reparsed.name(reparsed.headers()[i])) << i;
    EXPECT_EQ(edited.value(edited.headers()[i]), reparsed.value(reparsed.headers()[i])) << i;
  }
}

void check(const std::string& text, const char* source) {
  const auto address = net::SocketAddress::parse(source);
  ASSERT_TRUE(address.has_value());
  const psip::Message original = parsed(text);
  const auto stamped = stamp_top_via(original, *address);
  psip::Message edited = original;
  EXPECT_EQ(stamp_top_via_in_place(edited, *address), stamped.has_value());
  if (!stamped) {
    EXPECT_EQ(edited.raw(), original.raw());
    return;
  }
  expect_same(edited, parsed(*stamped));
}

TEST(ViaStampInPlace, RportBeforeTheBranchMovesTheBranch) {
  check(
      "REGISTER sip:example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bK-reg1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:1001@example.com>;tag=abc\r\n"
      "To: <sip:1001@example.com>\r\nCall-ID: reg-1@10.0.0.5\r\nCSeq: 2 REGISTER\r\n"
      "Contact: <sip:1001@10.0.0.5:5060>\r\nExpires: 300\r\nContent-Length: 0\r\n\r\n",
      "192.0.2.7:4000");
}

// The branch is found from the stamp's own bookkeeping, not by parsing the stamped value again
// (decision 0049): a bare rport with blanks before it shifts it by the rewritten length.
TEST(ViaStampInPlace, RportWithBlanksBeforeTheBranch) {
  check(
      "OPTIONS sip:example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.5:5060;rport   ;branch=z9hG4bK-opt1;x=\"a;b\"\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:1001@example.com>;tag=abc\r\n"
      "To: <sip:example.com>\r\nCall-ID: opt-1@10.0.0.5\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n",
      "192.0.2.7:4000");
}

TEST(ViaStampInPlace, SeveralViasOnOneLineAndABody) {
  check(
      "INVITE sip:1002@example.com SIP/2.0\r\n"
      "v: SIP/2.0/UDP phone.example.com;branch=z9hG4bK-inv;rport, SIP/2.0/UDP "
      "proxy.example.com;branch=z9hG4bK-outer\r\n"
      "f: \"Alice\" <sip:1001@example.com>;tag=from1\r\nt: <sip:1002@example.com>;tag=to1\r\n"
      "i: call-2@phone\r\nCSeq: 7 INVITE\r\nMax-Forwards: 69\r\nc: application/sdp\r\n"
      "l: 13\r\n\r\nv=0\r\no=- 1 1 \r\n",
      "[2001:db8::9]:5062");
}

TEST(ViaStampInPlace, ReceivedOnlyWhenTheHostDiffers) {
  check(
      "OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bK-o\r\n"
      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: o1\r\n"
      "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
      "192.0.2.7:5060");
}

TEST(ViaStampInPlace, NothingToStampChangesNothing) {
  check(
      "OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-o\r\n"
      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: o2\r\n"
      "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
      "192.0.2.7:5060");
}

TEST(ReplaceFieldValue, RefusesWhatItCannotDo) {
  psip::Message message = parsed(
      "OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK-o\r\n"
      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: o3\r\n"
      "CSeq: 1 OPTIONS\r\nSubject:\r\nContent-Length: 0\r\n\r\n");
  const std::string before(message.raw());
  EXPECT_FALSE(psip::replace_field_value(message, 99, "x").ok());
  EXPECT_FALSE(psip::replace_field_value(message, 0, "not a via at all <>").ok());
  std::size_t subject = 0;
  while (subject < message.headers().size() &&
         message.name(message.headers()[subject]) != "Subject") {
    ++subject;
  }
  ASSERT_LT(subject, message.headers().size());
  EXPECT_FALSE(psip::replace_field_value(message, subject, "news").ok());  // empty: no extent
  EXPECT_EQ(message.raw(), before);
  EXPECT_EQ(message.top_via_branch(), "z9hG4bK-o");
}

}  // namespace
}  // namespace parley::sip
