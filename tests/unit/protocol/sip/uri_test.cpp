#include "protocol/sip/uri.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::protocol::sip {
namespace {

TEST(Uri, FullSipUri) {
  auto uri = parse_uri("sip:alice:secret@example.com:5070;transport=tcp;lr?subject=hi&x=");
  ASSERT_TRUE(uri.ok()) << uri.error().message;
  EXPECT_EQ(uri->scheme, UriScheme::kSip);
  EXPECT_EQ(uri->user, "alice");
  EXPECT_EQ(uri->password, "secret");
  EXPECT_EQ(uri->host, "example.com");
  EXPECT_EQ(uri->port, 5070);
  EXPECT_EQ(uri->params.get("transport"), "tcp");
  EXPECT_EQ(uri->params.get("LR"), "");  // flag, names case-insensitive
  EXPECT_FALSE(uri->params.has("maddr"));
  EXPECT_EQ(uri->headers, "subject=hi&x=");
  EXPECT_FALSE(uri->is_secure());
}

TEST(Uri, HostOnlyAndSchemesAreCaseInsensitive) {
  auto uri = parse_uri("SIPS:Example.COM");
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(uri->scheme, UriScheme::kSips);
  EXPECT_TRUE(uri->is_secure());
  EXPECT_EQ(uri->user, "");
  EXPECT_EQ(uri->host, "Example.COM");
  EXPECT_FALSE(uri->port.has_value());
}

TEST(Uri, Ipv4AndIpv6Hosts) {
  EXPECT_EQ(parse_uri("sip:u@192.0.2.1:5060")->host, "192.0.2.1");
  auto v6 = parse_uri("sip:u@[2001:db8::1]:5061;transport=tls");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "[2001:db8::1]");
  EXPECT_EQ(v6->port, 5061);
  EXPECT_EQ(v6->params.get("transport"), "tls");
  EXPECT_EQ(parse_uri("sip:[::1]")->host, "[::1]");
  EXPECT_EQ(parse_uri("sip:[::ffff:192.0.2.1]")->host, "[::ffff:192.0.2.1]");
  EXPECT_EQ(parse_uri("sip:[1:2:3:4:5:6:7:8]")->host, "[1:2:3:4:5:6:7:8]");
  EXPECT_EQ(parse_uri("sip:[1:2:3:4:5:6:192.0.2.1]")->host, "[1:2:3:4:5:6:192.0.2.1]");
  EXPECT_EQ(parse_uri("sip:[fe80::]")->host, "[fe80::]");
}

TEST(Uri, MalformedIpv6IsRejected) {
  for (const char* text : {"sip:[2001:db8:::1]", "sip:[:1]", "sip:[1:]", "sip:[1::2::3]",
                           "sip:[12345::1]", "sip:[1:2:3:4:5:6:7:8:9]", "sip:[1::2:3:4:5:6:7:8]",
                           "sip:[1:2:3:4:5:6:7]", "sip:[]", "sip:[::1", "sip:[::256.1.1.1]",
                           "sip:[::1.2.3]", "sip:[1.2.3.4]", "sip:2001:db8::1", "sip:[g::1]"}) {
    auto uri = parse_uri(text);
    EXPECT_FALSE(uri.ok()) << text;
    if (!uri.ok()) {
      EXPECT_EQ(uri.error().code, 400) << text;
    }
  }
}

TEST(Uri, PortsAreBounded) {
  EXPECT_EQ(parse_uri("sip:h:65535")->port, 65535);
  EXPECT_EQ(parse_uri("sip:h:0")->port, 0);
  EXPECT_FALSE(parse_uri("sip:h:65536").ok());
  EXPECT_FALSE(parse_uri("sip:h:").ok());
  EXPECT_FALSE(parse_uri("sip:h:123456").ok());
  EXPECT_FALSE(parse_uri("sip:h:5x").ok());
}

TEST(Uri, EscapesInEveryPart) {
  auto uri = parse_uri("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
  ASSERT_TRUE(uri.ok()) << uri.error().message;
  EXPECT_EQ(uri->user, "cal%6Cer");
  EXPECT_TRUE(uri->params.has("%6C%72"));  // lookup is on the text as written
  EXPECT_EQ(uri->params.get("n%61me"), "v%61lue%25%34%31");
  EXPECT_FALSE(parse_uri("sip:a%4@h").ok());
  EXPECT_FALSE(parse_uri("sip:a%zz@h").ok());
  EXPECT_FALSE(parse_uri("sip:h;p=%").ok());
}

TEST(Uri, UserPartMayHoldSemicolonsAndQuestionMarks) {
  auto uri = parse_uri("sip:user;par=u%40example.net@example.com");
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(uri->user, "user;par=u%40example.net");
  EXPECT_EQ(uri->host, "example.com");
  EXPECT_FALSE(uri->params.has("par"));
}

TEST(Uri, TelUri) {
  auto uri = parse_uri("tel:+1-201-555-0123;phone-context=example.com");
  ASSERT_TRUE(uri.ok()) << uri.error().message;
  EXPECT_EQ(uri->scheme, UriScheme::kTel);
  EXPECT_EQ(uri->user, "+1-201-555-0123");
  EXPECT_EQ(uri->host, "");
  EXPECT_EQ(uri->params.get("phone-context"), "example.com");
  EXPECT_FALSE(parse_uri("tel:").ok());
  EXPECT_FALSE(parse_uri("tel:12 34").ok());
}

TEST(Uri, OtherSchemesAre416AndGarbageIs400) {
  EXPECT_EQ(parse_uri("http://example.com/").error().code, 416);
  EXPECT_EQ(parse_uri("soap.beep://192.0.2.103:3002").error().code, 416);
  EXPECT_EQ(parse_uri("").error().code, 400);
  EXPECT_EQ(parse_uri("example.com").error().code, 400);
  EXPECT_EQ(parse_uri("1sip:x").error().code, 400);
  EXPECT_EQ(parse_uri("<sip:x>").error().code, 400);
}

TEST(Uri, MalformedSipUris) {
  for (const char* text : {"sip:", "sip:@h", "sip:u@", "sip:u@h x", "sip:u@h;", "sip:u@h;;lr",
                           "sip:u@h;a=", "sip:u@h?", "sip:u@h?x", "sip:u@h?=1", "sip:u<x@h",
                           "sip:u@h>", "sip:u@h\r\n"}) {
    EXPECT_FALSE(parse_uri(text).ok()) << text;
  }
  EXPECT_FALSE(parse_uri(std::string_view("sip:u@h\0x", 9)).ok());
}

TEST(ParamList, QuotedValuesAndWhitespace) {
  ParamList params(" tag = abc ;q=0.5; name=\"a;b=c\" ;flag");
  EXPECT_EQ(params.get("tag"), "abc");
  EXPECT_EQ(params.get("Q"), "0.5");
  EXPECT_EQ(params.get("name"), "\"a;b=c\"");
  EXPECT_EQ(params.get("flag"), "");
  EXPECT_FALSE(params.get("b").has_value());
  EXPECT_FALSE(params.get("").has_value());
  EXPECT_FALSE(ParamList().get("tag").has_value());
}

TEST(Unescape, DecodesAndRejectsMalformedEscapes) {
  EXPECT_EQ(*unescape("sips%3Auser%40example.com"), "sips:user@example.com");
  EXPECT_EQ(*unescape("%00"), std::string(1, '\0'));
  EXPECT_EQ(*unescape("%7e%7E"), "~~");
  EXPECT_EQ(*unescape(""), "");
  EXPECT_FALSE(unescape("%").ok());
  EXPECT_FALSE(unescape("%4").ok());
  EXPECT_FALSE(unescape("%G0").ok());
  EXPECT_FALSE(unescape("abc%2").ok());
}

}  // namespace
}  // namespace parley::protocol::sip
