#include "protocol/sip/headers.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::protocol::sip {
namespace {

using Views = std::vector<std::string_view>;

TEST(NameAddr, QuotedDisplayNameAndParams) {
  auto a =
      parse_name_addr("\"Alice \\\"A\\\"\" <sip:alice@example.com;transport=tcp>;tag=1234;q=0.7");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->display_name, "Alice \\\"A\\\"");
  EXPECT_EQ(a->uri_text, "sip:alice@example.com;transport=tcp");
  EXPECT_EQ(a->uri.user, "alice");
  EXPECT_EQ(a->uri.params.get("transport"), "tcp");
  EXPECT_EQ(a->params.get("tag"), "1234");
  EXPECT_EQ(a->params.get("q"), "0.7");
  EXPECT_FALSE(a->is_star);
  EXPECT_FALSE(a->opaque_uri);
}

TEST(NameAddr, TokenDisplayNames) {
  auto a = parse_name_addr("Bob  Smith <sip:bob@example.com>");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->display_name, "Bob  Smith");
  auto b = parse_name_addr("caller<sip:caller@example.com>;tag=323");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->display_name, "caller");
  EXPECT_EQ(b->params.get("tag"), "323");
  auto c = parse_name_addr("<sip:x@y>");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->display_name, "");
}

TEST(NameAddr, AddrSpecParamsBelongToTheHeader) {
  auto a = parse_name_addr("sip:watson@example.com ;  tag = 98 ; lr");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->uri_text, "sip:watson@example.com");
  EXPECT_EQ(a->params.get("tag"), "98");
  EXPECT_TRUE(a->params.has("lr"));
  EXPECT_FALSE(a->uri.params.has("lr"));
}

TEST(NameAddr, FoldedParameters) {
  auto a = parse_name_addr("<sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->params.get("tag"), "98asjd8");
}

TEST(NameAddr, StarAndOpaqueUris) {
  auto star = parse_name_addr(" * ");
  ASSERT_TRUE(star.ok());
  EXPECT_TRUE(star->is_star);
  auto http = parse_name_addr("<http://www.example.com>;tag=3");
  ASSERT_TRUE(http.ok());
  EXPECT_TRUE(http->opaque_uri);
  EXPECT_EQ(http->uri_text, "http://www.example.com");
  EXPECT_EQ(http->params.get("tag"), "3");
  auto isbn = parse_name_addr("isbn:2983792873");
  ASSERT_TRUE(isbn.ok());
  EXPECT_TRUE(isbn->opaque_uri);
}

TEST(NameAddr, MalformedAddresses) {
  for (const char* text : {
           "", "\"unterminated <sip:a@b>",
           "\"name\" sip:a@b",                            // quoted name without <>
           "Bell, Alexander <sip:a.g.bell@example.com>",  // ',' in an unquoted name
           "< sip:a@b >",                                 // LWS inside <>
           "<sip:a@b",                                    // no '>'
           "<sip:a@b> junk",                              // text after the URI
           "<sip:a@b>;;;",                                // empty parameters
           "<sip:a@b>;tag=",                              // parameter without value
           "<sip:a@b>;tag=\"x",                           // unterminated quoted value
           "sip:user@example.com?Route=%3Csip:x%3E",      // '?' needs <>
           "alan@jasomi.com",                             // no scheme
           "<sip:a@[::1>",                                // bad host
       }) {
    EXPECT_FALSE(parse_name_addr(text).ok()) << text;
  }
}

TEST(Via, FullVia) {
  auto via = parse_via(
      "SIP/2.0/UDP "
      "192.0.2.1:5060;branch=z9hG4bK776;received=198.51.100.7;rport=6000;maddr=224.2.0.1;ttl=16");
  ASSERT_TRUE(via.ok()) << via.error().message;
  EXPECT_EQ(via->protocol, "SIP/2.0");
  EXPECT_EQ(via->protocol_name, "SIP");
  EXPECT_EQ(via->protocol_version, "2.0");
  EXPECT_EQ(via->transport, "UDP");
  EXPECT_EQ(via->host, "192.0.2.1");
  EXPECT_EQ(via->port, 5060);
  EXPECT_EQ(via->branch(), "z9hG4bK776");
  EXPECT_EQ(via->received(), "198.51.100.7");
  EXPECT_EQ(via->rport(), "6000");
  EXPECT_EQ(via->params.get("maddr"), "224.2.0.1");
  EXPECT_EQ(via->params.get("ttl"), "16");
}

TEST(Via, RportFlagAndIpv6) {
  auto via = parse_via("SIP/2.0/TCP [2001:db8::9:1]:5061;rport;branch=z9hG4bKx");
  ASSERT_TRUE(via.ok());
  EXPECT_EQ(via->host, "[2001:db8::9:1]");
  EXPECT_EQ(via->port, 5061);
  EXPECT_EQ(via->rport(), "");  // present, asking for the port
  EXPECT_FALSE(via->received().has_value());
}

TEST(Via, WhitespaceEverywhereIsLegal) {
  auto via = parse_via("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2 : 5060 ;branch = 390skdjuw");
  ASSERT_TRUE(via.ok()) << via.error().message;
  EXPECT_EQ(via->protocol_name, "SIP");
  EXPECT_EQ(via->protocol_version, "2.0");
  EXPECT_EQ(via->transport, "UDP");
  EXPECT_EQ(via->host, "192.0.2.2");
  EXPECT_EQ(via->port, 5060);
  EXPECT_EQ(via->branch(), "390skdjuw");
}

TEST(Via, MalformedVias) {
  for (const char* text :
       {"", "SIP/2.0", "SIP/2.0/UDP", "SIP/2.0/UDP192.0.2.1", "SIP 2.0/UDP h",
        "SIP/2.0/UDP h:", "SIP/2.0/UDP h:99999", "SIP/2.0/UDP h;;", "SIP/2.0/UDP 192.0.2.15;;,;,,",
        "SIP/2.0/UDP h extra", "SIP/2.0/UDP [::1;branch=x", "SIP/2.0/UDP h;branch="}) {
    EXPECT_FALSE(parse_via(text).ok()) << text;
  }
}

TEST(CSeq, NumberAndMethod) {
  auto c = parse_cseq("0009\r\n  INVITE");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->number, 9u);
  EXPECT_EQ(c->method, Method::kInvite);
  EXPECT_EQ(c->method_text, "INVITE");
  auto max = parse_cseq("4294967295 FOO");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->number, 4294967295u);
  EXPECT_EQ(max->method, Method::kUnknown);
  EXPECT_EQ(max->method_text, "FOO");
}

TEST(CSeq, Malformed) {
  for (const char* text : {"", "1", "INVITE", "4294967296 INVITE", "36893488147419103232 REGISTER",
                           "1INVITE", "-1 INVITE", "1 INVITE extra", "1 INV<ITE"}) {
    EXPECT_FALSE(parse_cseq(text).ok()) << text;
  }
}

TEST(Auth, DigestCredentials) {
  auto a = parse_auth(
      "Digest username=\"bob\", realm=\"biloxi.com\",nonce=\"dcd98b\", "
      "uri=\"sip:bob@biloxi.com\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
      "response=\"6629fae4\", algorithm=MD5, opaque=\"a,b\"");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->scheme, "Digest");
  EXPECT_EQ(a->get("USERNAME"), "bob");
  EXPECT_EQ(a->get("realm"), "biloxi.com");
  EXPECT_EQ(a->get("uri"), "sip:bob@biloxi.com");
  EXPECT_EQ(a->get("qop"), "auth");
  EXPECT_EQ(a->get("nc"), "00000001");
  EXPECT_EQ(a->get("algorithm"), "MD5");
  EXPECT_EQ(a->get("opaque"), "a,b");
  EXPECT_EQ(a->params.size(), 10u);
  EXPECT_FALSE(a->get("stale").has_value());
}

TEST(Auth, ChallengeAndOddSchemes) {
  auto c = parse_auth("Digest realm=\"atlanta.com\", qop=\"auth,auth-int\", stale=FALSE");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->get("qop"), "auth,auth-int");
  EXPECT_EQ(c->get("stale"), "FALSE");
  auto odd = parse_auth("NoOneKnowsThisScheme opaque-data=here");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->scheme, "NoOneKnowsThisScheme");
  EXPECT_EQ(odd->get("opaque-data"), "here");
  auto bare = parse_auth("Digest");
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->params.empty());
  EXPECT_FALSE(parse_auth("").ok());
  EXPECT_FALSE(parse_auth("Digest realm=\"x").ok());
  EXPECT_FALSE(parse_auth("Digest realm=\"x\" nonce=\"y\"").ok());
  EXPECT_FALSE(parse_auth("Di<gest realm=x").ok());
}

TEST(SplitCommas, RespectsQuotesAndAngles) {
  EXPECT_EQ(split_commas("a, b ,c"), (Views{"a", "b", "c"}));
  EXPECT_EQ(split_commas("\"Doe, John\" <sip:j@x>, <sip:a,b@y>;q=1"),
            (Views{"\"Doe, John\" <sip:j@x>", "<sip:a,b@y>;q=1"}));
  EXPECT_EQ(split_commas("\"a \\\", b\", c"), (Views{"\"a \\\", b\"", "c"}));
  EXPECT_EQ(split_commas(" , ,a,, "), (Views{"a"}));
  EXPECT_EQ(split_commas(""), Views{});
  EXPECT_EQ(split_commas("\"open, never closed"), (Views{"\"open, never closed"}));
  EXPECT_EQ(split_commas("x>, y"), (Views{"x>", "y"}));
}

TEST(SplitTokens, TrimsAndDropsEmpties) {
  EXPECT_EQ(split_tokens("100rel, timer,\r\n path"), (Views{"100rel", "timer", "path"}));
  EXPECT_EQ(split_tokens(" , "), Views{});
}

}  // namespace
}  // namespace parley::protocol::sip
