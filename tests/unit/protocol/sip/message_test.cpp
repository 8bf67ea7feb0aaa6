#include "protocol/sip/message.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/sip/headers.hpp"

namespace parley::protocol::sip {
namespace {

// A minimal valid request; `extra` goes after the mandatory headers.
std::string request(std::string_view extra = "", std::string_view body = "",
                    std::string_view start = "OPTIONS sip:bob@example.com SIP/2.0") {
  std::string m(start);
  m += "\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
       "From: <sip:alice@example.com>;tag=ft\r\n"
       "To: <sip:bob@example.com>\r\n"
       "Call-ID: c1@192.0.2.1\r\n"
       "CSeq: 1 OPTIONS\r\n";
  m += extra;
  m += "\r\n";
  m += body;
  return m;
}

int error_code(std::string_view bytes, const ParseLimits& limits = {}) {
  auto m = parse_message(bytes, limits);
  return m.ok() ? -1 : m.error().code;
}

TEST(Message, ParsesARequest) {
  auto m = parse_message(request("Max-Forwards: 70\r\nContent-Length: 4\r\n", "abcdEXTRA"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->is_request());
  EXPECT_EQ(m->method(), Method::kOptions);
  EXPECT_EQ(m->method_text(), "OPTIONS");
  EXPECT_EQ(m->request_uri(), "sip:bob@example.com");
  EXPECT_EQ(m->version(), "SIP/2.0");
  EXPECT_EQ(m->call_id(), "c1@192.0.2.1");
  EXPECT_EQ(m->cseq_number(), 1u);
  EXPECT_EQ(m->cseq_method(), Method::kOptions);
  EXPECT_EQ(m->from_tag(), "ft");
  EXPECT_EQ(m->to_tag(), "");
  EXPECT_EQ(m->top_via(), "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1");
  EXPECT_EQ(m->top_via_branch(), "z9hG4bK1");
  EXPECT_EQ(m->max_forwards(), 70);
  EXPECT_EQ(m->body(), "abcd");  // bytes after Content-Length are ignored
  EXPECT_EQ(m->raw().substr(m->raw().size() - 4), "abcd");
  EXPECT_EQ(m->headers().size(), 7u);
}

TEST(Message, MovingKeepsViewsValid) {
  auto parsed = parse_message(request());
  ASSERT_TRUE(parsed.ok());
  Message moved = std::move(parsed).value();
  Message again = std::move(moved);
  EXPECT_EQ(again.call_id(), "c1@192.0.2.1");
  EXPECT_EQ(again.first(HeaderId::kTo), "<sip:bob@example.com>");
}

TEST(Message, ParsesAResponse) {
  auto m = parse_message(
      "SIP/2.0 180 Ringing Now\r\n"
      "v: SIP/2.0/UDP a.example.com;branch=z9hG4bKa, SIP/2.0/UDP b.example.com;branch=z9hG4bKb\r\n"
      "f: <sip:a@x>;tag=1\r\nt: <sip:b@y>;tag=2\r\ni: cid\r\nCSeq: 7 INVITE\r\nl: 0\r\n\r\n");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_FALSE(m->is_request());
  EXPECT_EQ(m->status_code(), 180);
  EXPECT_EQ(m->reason_phrase(), "Ringing Now");
  EXPECT_EQ(m->count(HeaderId::kVia), 2u);
  EXPECT_EQ(m->top_via_branch(), "z9hG4bKa");
  EXPECT_EQ(m->to_tag(), "2");
  EXPECT_EQ(m->cseq_method(), Method::kInvite);
  EXPECT_EQ(m->name(m->headers()[0]), "v");
}

TEST(Message, HeaderNamesAreCaseInsensitiveAndCompact) {
  auto m = parse_message(request("sUpPoRtEd: timer\r\nX-Custom : one\r\nk: 100rel\r\n"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->count(HeaderId::kSupported), 2u);
  EXPECT_EQ(m->first("SUPPORTED"), "timer");
  EXPECT_EQ(m->first("k"), "timer");
  EXPECT_EQ(m->first("x-custom"), "one");
  EXPECT_EQ(m->first("Missing"), "");
  EXPECT_FALSE(m->has(HeaderId::kRoute));
}

TEST(Message, FoldedLinesAndBareLineFeeds) {
  const std::string bytes =
      "INVITE sip:bob@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
      "From: <sip:a@x>\n ;tag=55\n"
      "To: <sip:bob@example.com>\r\n"
      "Call-ID: fold\r\n"
      "CSeq: 5\r\n\tINVITE\n"
      "Subject: one\n\t two\r\n  three\n"
      "\n"
      "body";
  auto m = parse_message(bytes);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->from_tag(), "55");
  EXPECT_EQ(m->cseq_number(), 5u);
  EXPECT_EQ(m->first(HeaderId::kSubject), "one\n\t two\r\n  three");
  EXPECT_EQ(m->body(), "body");
}

TEST(Message, ListHeadersAreSplitOutsideQuotesAndAngles) {
  auto m =
      parse_message(request("Contact: \"Doe, J\" <sip:j,k@x;a=b>;q=0.5, <sip:k@y>\r\n"
                            "Route: <sip:p1;lr>,<sip:p2;lr>\r\nRoute: <sip:p3;lr>\r\n"
                            "Allow: INVITE, ACK,,BYE\r\n"
                            "Authorization: Digest username=\"a\", realm=\"b\"\r\n"
                            "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->count(HeaderId::kContact), 2u);
  EXPECT_EQ(m->first(HeaderId::kContact), "\"Doe, J\" <sip:j,k@x;a=b>;q=0.5");
  EXPECT_EQ(m->count(HeaderId::kRoute), 3u);
  EXPECT_EQ(m->count(HeaderId::kAllow), 3u);
  EXPECT_EQ(m->count(HeaderId::kAuthorization), 1u);
  EXPECT_EQ(m->first(HeaderId::kAuthorization), "Digest username=\"a\", realm=\"b\"");
  EXPECT_EQ(m->first(HeaderId::kDate), "Sat, 13 Nov 2010 23:29:00 GMT");
}

TEST(Message, ContactStarAndEmptyValues) {
  auto m = parse_message(request("Contact: *\r\nExpires: 0\r\nSupported:\r\nSubject:   \r\n"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->first(HeaderId::kContact), "*");
  EXPECT_TRUE(m->has(HeaderId::kSupported));
  EXPECT_EQ(m->first(HeaderId::kSupported), "");
  EXPECT_EQ(m->first(HeaderId::kSubject), "");
}

TEST(Message, LeadingCrlfsAreSkipped) {
  auto m = parse_message("\r\n\r\n" + request());
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->raw().substr(0, 7), "OPTIONS");
}

TEST(Message, MissingContentLengthMeansRestOfDatagram) {
  auto m = parse_message(request("", "v=0\r\nrest"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->body(), "v=0\r\nrest");
  auto no_blank_line = parse_message(request().substr(0, request().size() - 2));
  ASSERT_TRUE(no_blank_line.ok());
  EXPECT_EQ(no_blank_line->body(), "");
}

TEST(Message, ArbitraryBytesInBodyAndValues) {
  std::string body("\0\r\x01\xff", 4);
  auto m = parse_message(request("X-Bin: a\rb\x01\xc3\xa9\r\nContent-Length: 4\r\n", body));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->body(), body);
  EXPECT_EQ(m->first("X-Bin"), "a\rb\x01\xc3\xa9");
}

TEST(Message, MandatoryHeaders) {
  const std::string full = request();
  for (std::string_view line :
       {"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n",
        "From: <sip:alice@example.com>;tag=ft\r\n", "To: <sip:bob@example.com>\r\n",
        "Call-ID: c1@192.0.2.1\r\n", "CSeq: 1 OPTIONS\r\n"}) {
    std::string without = full;
    without.erase(without.find(line), line.size());
    EXPECT_EQ(error_code(without), 400) << line;
  }
}

TEST(Message, SingleValuedHeadersAppearOnce) {
  for (std::string_view extra :
       {"To: <sip:x@y>\r\n", "f: <sip:x@y>;tag=2\r\n", "i: other\r\n", "CSeq: 1 OPTIONS\r\n",
        "Content-Length: 0\r\nl: 0\r\n", "Max-Forwards: 1\r\nMax-Forwards: 1\r\n",
        "Content-Type: a/b\r\nc: a/b\r\n"}) {
    EXPECT_EQ(error_code(request(extra)), 400) << extra;
  }
}

TEST(Message, MalformedFieldValues) {
  EXPECT_EQ(error_code(request("Content-Length: -1\r\n")), 400);
  EXPECT_EQ(error_code(request("Content-Length: 1x\r\n")), 400);
  EXPECT_EQ(error_code(request("Content-Length: 99999999999999999999\r\n")), 400);
  EXPECT_EQ(error_code(request("Content-Length: 5\r\n", "abc")), 400);
  EXPECT_EQ(error_code(request("Max-Forwards: 256\r\n")), 400);
  EXPECT_EQ(error_code(request("Max-Forwards: -1\r\n")), 400);
  EXPECT_EQ(error_code(request("Contact: sip:a@b?x=y\r\n")), 400);
  EXPECT_EQ(error_code(request("Via: SIP/2.0/UDP\r\n")), 400);
  EXPECT_EQ(error_code(request("Via: SIP/2.0/UDP h, ,SIP/2.0/UDP h;;\r\n")), 400);
  EXPECT_EQ(error_code(request("Broken header\r\n")), 400);
  EXPECT_EQ(error_code(request(": no name\r\n")), 400);
  EXPECT_EQ(error_code(request("Bad<Name: x\r\n")), 400);
  std::string continuation_first = request();
  continuation_first.insert(continuation_first.find("\r\n") + 2, " folded\r\n");
  EXPECT_EQ(error_code(continuation_first), 400);
  std::string bad_cseq = request();
  bad_cseq.replace(bad_cseq.find("CSeq: 1 OPTIONS"), 15, "CSeq: 1 INVITE");
  EXPECT_EQ(error_code(bad_cseq), 400);
  std::string bad_from = request();
  bad_from.replace(bad_from.find("From: <sip:alice"), 16, "From: \"x <sip:alice");
  EXPECT_EQ(error_code(bad_from), 400);
}

TEST(Message, RequestLine) {
  EXPECT_EQ(error_code(request("", "", "OPTIONS sip:bob@example.com SIP/3.0")), 505);
  EXPECT_EQ(error_code(request("", "", "OPTIONS sip:bob@example.com SIP/2")), 400);
  EXPECT_EQ(error_code(request("", "", "OPTIONS sip:bob@example.com HTTP/1.1")), 400);
  EXPECT_EQ(error_code(request("", "", "OPTIONS <sip:bob@example.com> SIP/2.0")), 400);
  EXPECT_EQ(error_code(request("", "", "OPTIONS sip:bob@example.com; lr SIP/2.0")), 400);
  EXPECT_EQ(error_code(request("", "", "OPTIONS  sip:bob@example.com SIP/2.0")), 400);
  EXPECT_EQ(error_code(request("", "", "OPTIONS sip:bob@example.com SIP/2.0 ")), 400);
  EXPECT_EQ(error_code(request("", "", "OPTIONS sip:bob@example.com")), 400);
  EXPECT_EQ(error_code(request("", "", "OPTIONS sip:bob@[::1 SIP/2.0")), 400);
  EXPECT_EQ(error_code(request("", "", "OPTIONS bob@example.com SIP/2.0")), 400);
  EXPECT_EQ(error_code(request("", "", "OPTIONS sip:a\tb@example.com SIP/2.0")), 400);
  // A method that is not a token: not SIP at all, nothing to answer.
  EXPECT_EQ(error_code(request("", "", "OPT@IONS sip:bob@example.com SIP/2.0")), 0);
  EXPECT_EQ(error_code(std::string("\x00\x01\x02\x03", 4)), 0);
  EXPECT_EQ(error_code(""), 0);
  EXPECT_EQ(error_code("\r\n\r\n"), 0);
  // Lowercase version literal is still SIP/2.0; an unknown scheme is recorded, not rejected.
  EXPECT_EQ(error_code(request("", "", "OPTIONS sip:bob@example.com sip/2.0")), -1);
  auto other = parse_message(request("", "", "OPTIONS urn:service:sos SIP/2.0"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->request_uri(), "urn:service:sos");
  EXPECT_EQ(parse_uri(other->request_uri()).error().code, 416);
}

TEST(Message, MalformedResponsesAreDropped) {
  const std::string tail =
      "\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\n"
      "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n";
  EXPECT_EQ(error_code("SIP/2.0 200 OK" + tail), -1);
  EXPECT_EQ(error_code("SIP/2.0 200" + tail), -1);
  for (std::string_view line :
       {"SIP/2.0 2000 OK", "SIP/2.0 20 OK", "SIP/2.0 099 Low", "SIP/2.0 700 High",
        "SIP/2.0 4294967301 Big", "SIP/3.0 200 OK", "SIP/2.0 2x0 OK", "SIP/2.0"}) {
    EXPECT_EQ(error_code(std::string(line) + tail), 0) << line;
  }
  EXPECT_EQ(error_code("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nCSeq: 1 INVITE\r\n\r\n"), 0);
  std::string overflow = "SIP/2.0 200 OK" + tail;
  overflow.replace(overflow.find("CSeq: 1"), 7, "CSeq: 9292394834772304023312");
  EXPECT_EQ(error_code(overflow), 0);
  // A response's CSeq method need not match anything.
  std::string other_method = "SIP/2.0 200 OK" + tail;
  EXPECT_EQ(error_code(other_method), -1);
}

TEST(Message, Limits) {
  const std::string m = request();
  ParseLimits small;
  small.max_message_bytes = m.size() - 1;
  EXPECT_EQ(error_code(m, small), 413);
  EXPECT_EQ(error_code("SIP/2.0 200 OK\r\n" + std::string(70000, 'x')), 0);

  ParseLimits fields;
  fields.max_header_fields = 5;
  EXPECT_EQ(error_code(m, fields), -1);
  EXPECT_EQ(error_code(request("Route: <sip:a>\r\n"), fields), 400);
  EXPECT_EQ(error_code(request("Route: <sip:a>, <sip:b>, <sip:c>\r\n"), fields), 400);

  ParseLimits lines;
  lines.max_line_bytes = 100;
  EXPECT_EQ(error_code(request("X-Long: " + std::string(200, 'a') + "\r\n"), lines), 400);
  EXPECT_EQ(error_code(request("X-Fold: a\r\n " + std::string(120, 'a') + "\r\n"), lines), 400);

  ParseLimits uris;
  uris.max_uri_bytes = 20;
  EXPECT_EQ(
      error_code(request("", "", "OPTIONS sip:" + std::string(30, 'b') + "@example.com SIP/2.0"),
                 uris),
      414);
}

TEST(Message, ManyHeadersStayLinear) {
  // 5,000 header lines under the default 256-field limit fail fast with 400, not slowly.
  std::string extra;
  for (int i = 0; i < 5000; ++i) extra += "X-H: v\r\n";
  EXPECT_EQ(error_code(request(extra)), 400);
  ParseLimits big;
  big.max_header_fields = 10000;
  EXPECT_EQ(error_code(request(extra), big), -1);
}

TEST(Message, SerialiseWritesOneLinePerValue) {
  auto m = parse_message(request("Route: <sip:a;lr>, <sip:b;lr>\r\nContent-Length: 2\r\n", "hi"));
  ASSERT_TRUE(m.ok());
  const std::string out = serialise(*m);
  EXPECT_NE(out.find("\r\nRoute: <sip:a;lr>\r\nRoute: <sip:b;lr>\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(0, 37), "OPTIONS sip:bob@example.com SIP/2.0\r\n");
  EXPECT_EQ(out.substr(out.size() - 6), "\r\n\r\nhi");
  auto again = parse_message(out);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->count(HeaderId::kRoute), 2u);
  EXPECT_EQ(again->body(), "hi");

  auto response = parse_message(
      "SIP/2.0 100 \r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@x>;tag=1\r\n"
      "To: <sip:b@y>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(serialise(*response).substr(0, 15), "SIP/2.0 100 \r\nV");
}

}  // namespace
}  // namespace parley::protocol::sip
