#include "sip/subscribe_request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::sip {
namespace {

protocol::sip::Message subscribe(const std::string& extra) {
  const std::string text =
      "SUBSCRIBE sip:1001@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc\r\n"
      "From: <sip:1003@example.com>;tag=1\r\n"
      "To: <sip:1001@example.com>\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 SUBSCRIBE\r\n"
      "Contact: <sip:1003@127.0.0.1:5070>\r\n" +
      extra + "Content-Length: 0\r\n\r\n";
  auto parsed = protocol::sip::parse_message(text);
  EXPECT_TRUE(parsed.ok());
  return std::move(parsed).value();
}

TEST(SubscribeRequest, DialogWithIdAndExpires) {
  const auto message = subscribe(
      "Event: dialog ; id=blf7\r\nAccept: application/dialog-info+xml\r\nExpires: 120\r\n");
  auto read = read_subscribe(message);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->package, EventPackage::kDialog);
  EXPECT_EQ(read->event_id, "blf7");
  EXPECT_TRUE(read->accepted);
  EXPECT_EQ(read->expires, 120U);
}

TEST(SubscribeRequest, PresenceWithoutAcceptOrExpires) {
  auto read = read_subscribe(subscribe("Event: presence\r\n"));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->package, EventPackage::kPresence);
  EXPECT_TRUE(read->accepted);
  EXPECT_FALSE(read->expires.has_value());
  EXPECT_EQ(content_type_of(EventPackage::kPresence), "application/pidf+xml");
}

TEST(SubscribeRequest, MessageSummaryForVoicemail) {
  auto read = read_subscribe(
      subscribe("Event: message-summary\r\nAccept: application/simple-message-summary\r\n"));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->package, EventPackage::kMessageSummary);
  EXPECT_TRUE(read->accepted);
  EXPECT_EQ(package_name(EventPackage::kMessageSummary), "message-summary");
  EXPECT_EQ(content_type_of(EventPackage::kMessageSummary), "application/simple-message-summary");
  read = read_subscribe(subscribe("Event: message-summary\r\nAccept: application/pidf+xml\r\n"));
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->accepted);
}

TEST(SubscribeRequest, UnknownOrMissingPackage) {
  const auto message = subscribe("Event: conference\r\n");  // views point into it
  auto read = read_subscribe(message);
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->package.has_value());
  EXPECT_EQ(read->package_text, "conference");
  read = read_subscribe(subscribe(""));
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->package.has_value());
}

TEST(SubscribeRequest, AcceptMustAllowTheBodyType) {
  auto read = read_subscribe(subscribe("Event: dialog\r\nAccept: application/pidf+xml\r\n"));
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->accepted);
  read =
      read_subscribe(subscribe("Event: dialog\r\nAccept: application/pidf+xml, application/*\r\n"));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->accepted);
  read = read_subscribe(subscribe("Event: presence\r\nAccept: Application/PIDF+XML;q=1\r\n"));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->accepted);
}

TEST(SubscribeRequest, BadExpiresIs400) {
  auto read = read_subscribe(subscribe("Event: dialog\r\nExpires: soon\r\n"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, 400);
  read = read_subscribe(subscribe("Event: dialog\r\nExpires: 60\r\nExpires: 70\r\n"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, 400);
}

}  // namespace
}  // namespace parley::sip
