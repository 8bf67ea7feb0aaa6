#include "sip/request_checks.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "protocol/sip/message.hpp"

namespace parley::sip {
namespace {

using protocol::sip::Message;
using protocol::sip::parse_message;

// A request with the usual headers; `extra` lines (each ending in CRLF) go before
// Content-Length, and `body` after the blank line.
std::string request(std::string_view method, std::string_view uri = "sip:alice@example.com",
                    std::string_view extra = "", std::string_view body = "") {
  std::string cseq_method(method);
  std::ostringstream out;
  out << method << " " << uri << " SIP/2.0\r\n"
      << "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
      << "Max-Forwards: 70\r\n"
      << "To: <sip:alice@example.com>\r\n"
      << "From: <sip:bob@example.org>;tag=1928301774\r\n"
      << "Call-ID: a84b4c76e66710\r\n"
      << "CSeq: 314159 " << cseq_method << "\r\n"
      << extra << "Content-Length: " << body.size() << "\r\n\r\n"
      << body;
  return out.str();
}

Message parsed(const std::string& text) {
  auto result = parse_message(text);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message) << "\n" << text;
  return result.ok() ? std::move(result.value()) : Message{};
}

RequestVerdict verdict_of(const std::string& text) {
  return classify_request(parsed(text));
}

constexpr std::string_view kSdp =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\nm=audio 49170 RTP/AVP 0\r\n";

TEST(RequestChecks, OptionsIsAnswered200) {
  EXPECT_EQ(verdict_of(request("OPTIONS")), RequestVerdict::kOptionsOk);
  EXPECT_EQ(status_code_of(RequestVerdict::kOptionsOk), 200);
}

TEST(RequestChecks, AckIsNeverAnswered) {
  EXPECT_EQ(verdict_of(request("ACK")), RequestVerdict::kNoResponse);
  // Not even when it would fail a check.
  EXPECT_EQ(verdict_of(request("ACK", "http://example.com")), RequestVerdict::kNoResponse);
  EXPECT_EQ(status_code_of(RequestVerdict::kNoResponse), 0);
}

TEST(RequestChecks, ResponsesAreNeverAnswered) {
  const std::string response =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nTo: <sip:a@b>;tag=2\r\n"
      "From: <sip:c@d>;tag=1\r\nCall-ID: r1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(verdict_of(response), RequestVerdict::kNoResponse);
}

TEST(RequestChecks, CancelFindsNothingToCancel) {
  EXPECT_EQ(verdict_of(request("CANCEL")), RequestVerdict::kNoSuchTransaction);
  EXPECT_EQ(status_code_of(RequestVerdict::kNoSuchTransaction), 481);
  // RFC 3261 §8.2.2.3: Require in a CANCEL is ignored.
  EXPECT_EQ(verdict_of(request("CANCEL", "sip:alice@example.com", "Require: foo\r\n")),
            RequestVerdict::kNoSuchTransaction);
}

TEST(RequestChecks, KnownMethodsNotServedYetGet405) {
  for (const char* method : {"INVITE", "REGISTER", "BYE", "SUBSCRIBE", "NOTIFY", "MESSAGE", "INFO",
                             "UPDATE", "PRACK", "REFER", "PUBLISH"}) {
    EXPECT_EQ(verdict_of(request(method)), RequestVerdict::kMethodNotAllowed) << method;
  }
  EXPECT_EQ(status_code_of(RequestVerdict::kMethodNotAllowed), 405);
}

TEST(RequestChecks, UnknownMethodsGet501) {
  EXPECT_EQ(verdict_of(request("FOOBAR")), RequestVerdict::kNotImplemented);
  // Method names are case-sensitive: "invite" is not INVITE.
  EXPECT_EQ(verdict_of(request("invite")), RequestVerdict::kNotImplemented);
  EXPECT_EQ(status_code_of(RequestVerdict::kNotImplemented), 501);
}

TEST(RequestChecks, UnsupportedUriSchemeGets416First) {
  EXPECT_EQ(verdict_of(request("OPTIONS", "http://example.com/")),
            RequestVerdict::kUnsupportedUriScheme);
  // The scheme check comes before the method table and before Require.
  EXPECT_EQ(verdict_of(request("FOOBAR", "mailto:x@example.com", "Require: foo\r\n")),
            RequestVerdict::kUnsupportedUriScheme);
  EXPECT_EQ(verdict_of(request("OPTIONS", "SIPS:alice@example.com")), RequestVerdict::kOptionsOk);
  EXPECT_EQ(verdict_of(request("OPTIONS", "tel:+15551234567")), RequestVerdict::kOptionsOk);
  EXPECT_EQ(status_code_of(RequestVerdict::kUnsupportedUriScheme), 416);
}

TEST(RequestChecks, RequiredExtensionsGet420WithUnsupported) {
  const Message message = parsed(
      request("OPTIONS", "sip:alice@example.com", "Require: 100rel, timer\r\nRequire: foo\r\n"));
  EXPECT_EQ(classify_request(message), RequestVerdict::kBadExtension);
  EXPECT_EQ(unsupported_option_tags(message), "100rel, timer, foo");
  const auto headers = extra_headers_for(RequestVerdict::kBadExtension, message, Advertisement{});
  ASSERT_FALSE(headers.empty());
  EXPECT_EQ(headers[0].first, "Unsupported");
  EXPECT_EQ(headers[0].second, "100rel, timer, foo");
  // Require beats the method table: an INVITE we do not serve is still told about Require.
  EXPECT_EQ(verdict_of(request("INVITE", "sip:a@b", "Require: 100rel\r\n")),
            RequestVerdict::kBadExtension);
  // Proxy-Require is for proxies; a UAS ignores it.
  EXPECT_EQ(verdict_of(request("OPTIONS", "sip:a@b", "Proxy-Require: foo\r\n")),
            RequestVerdict::kOptionsOk);
}

TEST(RequestChecks, InDialogInfoAndMessageBodiesAreLeftToTheOtherUserAgent) {
  std::string info = request("INFO", "sip:a@b", "Content-Type: application/dtmf-relay\r\n",
                             "Signal=5\r\nDuration=160\r\n");
  info.replace(info.find("To: <sip:alice@example.com>"), 27, "To: <sip:alice@example.com>;tag=abc");
  EXPECT_NE(verdict_of(info), RequestVerdict::kUnsupportedMediaType);
  // Out of dialog, the same body is ours to judge.
  EXPECT_EQ(verdict_of(request("INFO", "sip:a@b", "Content-Type: application/dtmf-relay\r\n",
                               "Signal=5\r\n")),
            RequestVerdict::kUnsupportedMediaType);
}

TEST(RequestChecks, BodiesWeCannotHandleGet415) {
  EXPECT_EQ(verdict_of(request("INVITE", "sip:a@b", "Content-Type: application/unknown\r\n", "x")),
            RequestVerdict::kUnsupportedMediaType);
  EXPECT_EQ(verdict_of(request("MESSAGE", "sip:a@b", "Content-Type: text/plain\r\n", "hello")),
            RequestVerdict::kUnsupportedMediaType);
  EXPECT_EQ(
      verdict_of(request("INVITE", "sip:a@b",
                         "Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n", kSdp)),
      RequestVerdict::kUnsupportedMediaType);
  // SDP in any case, with parameters, and identity coding is fine: the method decides.
  EXPECT_EQ(verdict_of(request("INVITE", "sip:a@b",
                               "Content-Type: Application/SDP; charset=utf-8\r\n"
                               "Content-Encoding: identity\r\n",
                               kSdp)),
            RequestVerdict::kMethodNotAllowed);
  // An OPTIONS body is ignored; a type without a body is not checked.
  EXPECT_EQ(verdict_of(request("OPTIONS", "sip:a@b", "Content-Type: text/plain\r\n", "hi")),
            RequestVerdict::kOptionsOk);
  EXPECT_EQ(verdict_of(request("INVITE", "sip:a@b", "Content-Type: text/plain\r\n")),
            RequestVerdict::kMethodNotAllowed);
  const auto headers =
      extra_headers_for(RequestVerdict::kUnsupportedMediaType, Message{}, Advertisement{});
  ASSERT_GE(headers.size(), 2U);
  EXPECT_EQ(headers[0].first, "Accept");
  EXPECT_EQ(headers[0].second, "application/sdp");
  EXPECT_EQ(headers[1].first, "Accept-Encoding");
}

TEST(RequestChecks, InviteWhoseAcceptExcludesSdpGets406) {
  EXPECT_EQ(verdict_of(request("INVITE", "sip:a@b", "Accept: text/plain\r\n")),
            RequestVerdict::kNotAcceptable);
  EXPECT_EQ(verdict_of(request("INVITE", "sip:a@b", "Accept: application/sdp;q=0\r\n")),
            RequestVerdict::kNotAcceptable);
  for (const char* accept : {"application/sdp", "text/plain, application/sdp;q=0.5",
                             "application/*", "*/*", "APPLICATION/SDP"}) {
    EXPECT_EQ(verdict_of(request("INVITE", "sip:a@b", "Accept: " + std::string(accept) + "\r\n")),
              RequestVerdict::kMethodNotAllowed)
        << accept;
  }
  // Only INVITE is held to it.
  EXPECT_EQ(verdict_of(request("OPTIONS", "sip:a@b", "Accept: text/plain\r\n")),
            RequestVerdict::kOptionsOk);
}

TEST(RequestChecks, Options200AdvertisesWhatWeDo) {
  Advertisement advertisement;
  advertisement.server = "Parley/9.9";
  const auto headers = extra_headers_for(RequestVerdict::kOptionsOk, Message{}, advertisement);
  auto find = [&](std::string_view name) -> std::string {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return "<absent>";
  };
  EXPECT_EQ(find("Allow"), "OPTIONS, ACK, CANCEL");
  EXPECT_EQ(find("Accept"), "application/sdp");
  EXPECT_EQ(find("Accept-Encoding"), "identity");
  EXPECT_EQ(find("Accept-Language"), "en");
  EXPECT_EQ(find("Supported"), "");
  EXPECT_EQ(find("Server"), "Parley/9.9");

  const auto not_allowed =
      extra_headers_for(RequestVerdict::kMethodNotAllowed, Message{}, advertisement);
  ASSERT_EQ(not_allowed.size(), 2U);
  EXPECT_EQ(not_allowed[0].first, "Allow");
  EXPECT_TRUE(extra_headers_for(RequestVerdict::kNoResponse, Message{}, advertisement).empty());
}

// The RFC 4475 / RFC 5118 torture messages against the shared verdict table: every message that
// parses gets the answer the table allows.
std::string read_file(const std::string& relative) {
  std::ifstream in(std::string(PARLEY_TEST_DATA) + "/" + relative, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool allowed(std::string_view expected, int code) {
  if (expected == "any") return true;
  if (expected == "none") return code == 0;
  if (expected == "accept") {
    return code != 0 && code != 400 && code != 413 && code != 414 && code != 494 && code != 505;
  }
  std::string_view rest = expected;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    if (std::to_string(code) == rest.substr(0, comma)) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

TEST(RequestChecks, TortureMessagesGetTheAnswersTheVerdictTableAllows) {
  std::ifstream table(std::string(PARLEY_TEST_DATA) + "/torture-verdicts.tsv");
  ASSERT_TRUE(table.good());
  std::string line;
  int checked = 0;
  while (std::getline(table, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string file, parse, server;
    fields >> file >> parse >> server;
    if (parse != "ok") continue;  // parse failures are the responder's business
    const std::string bytes = read_file(file);
    ASSERT_FALSE(bytes.empty()) << file;
    auto message = parse_message(bytes);
    if (!message.ok()) {
      ADD_FAILURE() << file << " should parse: " << message.error().message;
      continue;
    }
    const RequestVerdict verdict = classify_request(message.value());
    if (!message->is_request()) {
      // Responses are never answered, whatever the table says (TC_BCAST_V is a response that
      // the table marks "accept": processed, not answered).
      EXPECT_EQ(verdict, RequestVerdict::kNoResponse) << file;
      ++checked;
      continue;
    }
    EXPECT_TRUE(allowed(server, status_code_of(verdict)))
        << file << ": answered " << status_code_of(verdict) << " (" << describe(verdict)
        << "), table allows " << server;
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

TEST(RequestChecks, TortureSpecificAnswers) {
  auto verdict_for = [](const std::string& file) {
    auto message = parse_message(read_file(file));
    EXPECT_TRUE(message.ok()) << file;
    return message.ok() ? classify_request(message.value()) : RequestVerdict::kNoResponse;
  };
  EXPECT_EQ(verdict_for("rfc4475/TC_UNKSCM_V.dat"), RequestVerdict::kUnsupportedUriScheme);
  EXPECT_EQ(verdict_for("rfc4475/TC_NOVELSC_V.dat"), RequestVerdict::kUnsupportedUriScheme);
  EXPECT_EQ(verdict_for("rfc4475/TC_BEXT01_V.dat"), RequestVerdict::kBadExtension);
  EXPECT_EQ(verdict_for("rfc4475/TC_INVUT_V.dat"), RequestVerdict::kUnsupportedMediaType);
  EXPECT_EQ(verdict_for("rfc4475/TC_SDP01_V.dat"), RequestVerdict::kNotAcceptable);
  EXPECT_EQ(verdict_for("rfc4475/TC_INTMETH.dat"), RequestVerdict::kNotImplemented);
  EXPECT_EQ(verdict_for("rfc4475/TC_ESC02_V.dat"), RequestVerdict::kNotImplemented);
  EXPECT_EQ(verdict_for("rfc4475/TC_BCAST_V.dat"), RequestVerdict::kNoResponse);

  auto bext = parse_message(read_file("rfc4475/TC_BEXT01_V.dat"));
  ASSERT_TRUE(bext.ok());
  EXPECT_EQ(unsupported_option_tags(bext.value()),
            "nothingSupportsThis, nothingSupportsThisEither");
}

TEST(AnswerUnparsable, UsesTheFullErrorResponseWhenItCan) {
  std::string bad = request("OPTIONS");
  bad.insert(bad.find("Content-Length"), "Content-Length: 3\r\n");
  const auto parse = parse_message(bad);
  ASSERT_FALSE(parse.ok());
  const auto answer = parse_message(answer_unparsable(bad, parse.error(), "t0"));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status_code(), parse.error().code);
  EXPECT_EQ(answer->call_id(), "a84b4c76e66710");
  EXPECT_EQ(answer->to_tag(), "t0");
}

TEST(AnswerUnparsable, AnswersARequestWithoutFromToAndCallIdByViaAndCSeq) {
  const std::string insuf = read_file("rfc4475/TC_INSUF_I.dat");
  const auto parse = parse_message(insuf);
  ASSERT_FALSE(parse.ok());
  ASSERT_EQ(parse.error().code, 400);
  const std::string text = answer_unparsable(insuf, parse.error(), "t1");
  ASSERT_FALSE(text.empty());
  // The reason phrase says what is wrong, as for every other unparsable request.
  EXPECT_EQ(text.rfind("SIP/2.0 400 " + parse.error().message + "\r\n", 0), 0U) << text;
  EXPECT_NE(text.find("Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\r\n"),
            std::string::npos);
  EXPECT_NE(text.find("CSeq: 193942 INVITE\r\n"), std::string::npos);
  EXPECT_EQ(text.find("Call-ID"), std::string::npos);
  EXPECT_NE(text.find("Content-Length: 0\r\n\r\n"), std::string::npos);
}

TEST(AnswerUnparsable, DropsWhatCannotOrMustNotBeAnswered) {
  const Error bad{400, "Bad Request"};
  // Responses are never answered; code 0 means drop.
  EXPECT_EQ(
      answer_unparsable("\r\nSIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nCSeq: 1 X\r\n\r\n", bad, "t"),
      "");
  EXPECT_EQ(answer_unparsable(request("OPTIONS"), Error{0, "drop"}, "t"), "");
  // Without a Via or a CSeq a client could not match the answer.
  EXPECT_EQ(answer_unparsable("FOO sip:x SIP/2.0\r\nCSeq: 1 FOO\r\n\r\n", bad, "t"), "");
  EXPECT_EQ(answer_unparsable("FOO sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n",
                              bad, "t"),
            "");
  // A Via carrying control bytes is not echoed (no header injection through our answer).
  EXPECT_EQ(answer_unparsable(std::string("FOO sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\x01\r\n"
                                          "CSeq: 1 FOO\r\n\r\n"),
                              bad, "t"),
            "");
}

}  // namespace
}  // namespace parley::sip
