#include "protocol/sip/response.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/sip/headers.hpp"

namespace parley::protocol::sip {
namespace {

const std::string kInvite =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, SIP/2.0/TCP "
    "p2.example.com;branch=z9hG4bKp2\r\n"
    "Via: SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKc;rport\r\n"
    "Max-Forwards: 68\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: call-1@client\r\n"
    "CSeq: 314 INVITE\r\n"
    "Contact: <sip:alice@client.example.com>\r\n"
    "Content-Length: 0\r\n\r\n";

Message parse(std::string_view bytes) {
  auto m = parse_message(bytes);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? std::move(m).value() : Message{};
}

TEST(Response, CopiesTheDialogHeadersAndAddsTheTag) {
  const Message request = parse(kInvite);
  ResponseOptions options;
  options.status_code = 486;
  options.to_tag = "b7";
  options.extra_headers = {{"Retry-After", "60"}, {"Server", "Parley"}};
  const std::string text = build_response(request, options);
  EXPECT_EQ(text,
            "SIP/2.0 486 Busy Here\r\n"
            "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1\r\n"
            "Via: SIP/2.0/TCP p2.example.com;branch=z9hG4bKp2\r\n"
            "Via: SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKc;rport\r\n"
            "From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
            "To: <sip:bob@example.com>;tag=b7\r\n"
            "Call-ID: call-1@client\r\n"
            "CSeq: 314 INVITE\r\n"
            "Retry-After: 60\r\n"
            "Server: Parley\r\n"
            "Content-Length: 0\r\n\r\n");
  const Message response = parse(text);
  EXPECT_EQ(response.status_code(), 486);
  EXPECT_EQ(response.to_tag(), "b7");
  EXPECT_EQ(response.top_via_branch(), "z9hG4bKp1");
}

TEST(Response, TryingNeverGetsATagAndAnExistingTagIsKept) {
  const Message request = parse(kInvite);
  ResponseOptions trying;
  trying.status_code = 100;
  trying.to_tag = "zz";
  const Message t = parse(build_response(request, trying));
  EXPECT_EQ(t.reason_phrase(), "Trying");
  EXPECT_EQ(t.to_tag(), "");

  std::string in_dialog = kInvite;
  in_dialog.replace(in_dialog.find("To: <sip:bob@example.com>"), 25,
                    "To: <sip:bob@example.com>;tag=old");
  ResponseOptions ok;
  ok.to_tag = "new";
  const Message r = parse(build_response(parse(in_dialog), ok));
  EXPECT_EQ(r.to_tag(), "old");
  EXPECT_EQ(r.first(HeaderId::kTo), "<sip:bob@example.com>;tag=old");
}

TEST(Response, BodyContentTypeAndReason) {
  const Message request = parse(kInvite);
  ResponseOptions options;
  options.status_code = 200;
  options.reason = "Fine";
  options.to_tag = "t";
  options.content_type = "application/sdp";
  options.body = "v=0\r\n";
  const Message r = parse(build_response(request, options));
  EXPECT_EQ(r.reason_phrase(), "Fine");
  EXPECT_EQ(r.first(HeaderId::kContentType), "application/sdp");
  EXPECT_EQ(r.first(HeaderId::kContentLength), "5");
  EXPECT_EQ(r.body(), "v=0\r\n");
  EXPECT_EQ(r.cseq_number(), 314u);
  EXPECT_EQ(r.call_id(), "call-1@client");
}

TEST(Response, DefaultReasons) {
  EXPECT_EQ(default_reason(200), "OK");
  EXPECT_EQ(default_reason(404), "Not Found");
  EXPECT_EQ(default_reason(416), "Unsupported URI Scheme");
  EXPECT_EQ(default_reason(505), "Version Not Supported");
  EXPECT_EQ(default_reason(299), "Unknown");
}

TEST(ErrorResponse, AnswersAMalformedRequest) {
  const std::string bad =
      "INVITE sip:user@example.com SIP/2.0\r\nTo: sip:j.user@example.com\r\n"
      "From: sip:caller@example.net;tag=93942939o2\r\nMax-Forwards: 80\r\n"
      "Call-ID: clerr.0ha0isndaksdjweiafasdk3\r\nCSeq: 8 INVITE\r\n"
      "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523\r\n"
      "Content-Length: 9999\r\n\r\nv=0\r\n";
  auto parsed = parse_message(bad);
  ASSERT_FALSE(parsed.ok());
  const std::string text = build_error_response(bad, parsed.error(), "srv");
  const Message r = parse(text);
  EXPECT_EQ(r.status_code(), 400);
  EXPECT_EQ(r.reason_phrase(), parsed.error().message);
  EXPECT_EQ(r.top_via_branch(), "z9hG4bK-39234-23523");
  EXPECT_EQ(r.to_tag(), "srv");
  EXPECT_EQ(r.from_tag(), "93942939o2");
  EXPECT_EQ(r.cseq_number(), 8u);
  EXPECT_EQ(r.body(), "");
}

TEST(ErrorResponse, NothingToAnswer) {
  const Error bad_request{400, "Bad Request"};
  EXPECT_EQ(build_error_response("INVITE sip:x SIP/2.0\r\nTo: <sip:x@y>\r\n\r\n", bad_request), "");
  EXPECT_EQ(build_error_response("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n", bad_request), "");
  EXPECT_EQ(build_error_response(kInvite, Error{0, "drop"}), "");
  // Header values with control bytes are not echoed; the rest still makes an answer.
  std::string injected = kInvite;
  injected.replace(injected.find("Call-ID: call-1@client"), 22, std::string("Call-ID: a\x01x", 12));
  const std::string answer = build_error_response(injected, bad_request);
  EXPECT_NE(answer, "");
  EXPECT_EQ(answer.find('\x01'), std::string::npos);
  EXPECT_EQ(answer.find("Call-ID"), std::string::npos);
}

TEST(ErrorResponse, ViaAndCSeqAreEnough) {
  // RFC 4475 INSUF: no From, To or Call-ID, still answered so the client can match it.
  const std::string answer = build_error_response(
      "INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKq\r\nCSeq: 1 INVITE\r\n\r\n",
      Error{400, "Missing Headers"});
  EXPECT_EQ(answer,
            "SIP/2.0 400 Missing Headers\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKq\r\n"
            "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace parley::protocol::sip
