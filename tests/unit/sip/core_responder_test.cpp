#include "sip/core_responder.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/message.hpp"

namespace parley::sip {
namespace {

using protocol::sip::HeaderId;
using protocol::sip::Message;
using protocol::sip::parse_message;

class RecordingTransport final : public Transport {
 public:
  struct Sent {
    Peer to;
    std::string bytes;
  };
  bool send(const Peer& to, std::string_view bytes) override {
    sent.push_back({to, std::string(bytes)});
    return accept;
  }
  std::vector<Sent> sent;
  bool accept = true;
};

struct Fixture {
  Fixture() : responder(CoreResponder::Options{transport, clock, advertisement(), 42, 5}) {
    from.transport = TransportKind::kUdp;
    from.remote = *net::SocketAddress::parse("192.0.2.7:40000");
    from.local = *net::SocketAddress::parse("127.0.0.1:5060");
  }
  static Advertisement advertisement() {
    Advertisement a;
    a.server = "Parley/test";
    return a;
  }
  void receive(const std::string& bytes) {
    responder.on_inbound(parse_message(bytes), bytes, from);
  }
  Message last_response() {
    EXPECT_FALSE(transport.sent.empty());
    if (transport.sent.empty()) return {};
    auto response = parse_message(transport.sent.back().bytes);
    EXPECT_TRUE(response.ok()) << transport.sent.back().bytes;
    return response.ok() ? std::move(response.value()) : Message{};
  }

  RecordingTransport transport;
  ManualClock clock;
  CoreResponder responder;
  Peer from;
};

std::string request(std::string_view method, std::string_view to_params = "") {
  return std::string(method) +
         " sip:alice@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKfirst;rport\r\n"
         "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKsecond\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:alice@example.com>" +
         std::string(to_params) +
         "\r\n"
         "From: <sip:bob@example.org>;tag=abc\r\n"
         "Call-ID: call-1@example.org\r\n"
         "CSeq: 7 " +
         std::string(method) + "\r\nContent-Length: 0\r\n\r\n";
}

TEST(CoreResponder, AnswersOptionsToTheSourceAddress) {
  Fixture f;
  f.receive(request("OPTIONS"));
  ASSERT_EQ(f.transport.sent.size(), 1U);
  // RFC 3581 behaviour: the packet's source, not the Via sent-by.
  EXPECT_EQ(f.transport.sent[0].to.remote, f.from.remote);
  EXPECT_EQ(f.transport.sent[0].to.transport, TransportKind::kUdp);

  const Message response = f.last_response();
  EXPECT_FALSE(response.is_request());
  EXPECT_EQ(response.status_code(), 200);
  EXPECT_EQ(response.call_id(), "call-1@example.org");
  EXPECT_EQ(response.cseq_number(), 7U);
  EXPECT_EQ(response.top_via_branch(), "z9hG4bKfirst");
  EXPECT_EQ(response.count(HeaderId::kVia), 2U);
  EXPECT_EQ(response.from_tag(), "abc");
  EXPECT_EQ(response.to_tag().size(), 16U);
  EXPECT_EQ(response.first(HeaderId::kAllow), "OPTIONS");  // first of the comma-split list
  EXPECT_EQ(response.count(HeaderId::kAllow), 3U);
  EXPECT_EQ(response.first(HeaderId::kServer), "Parley/test");
  EXPECT_EQ(response.first(HeaderId::kAccept), "application/sdp");
  EXPECT_EQ(f.responder.stats().options_ok, 1U);
  EXPECT_EQ(f.responder.stats().answered, 1U);
}

TEST(CoreResponder, EachAnswerGetsAFreshToTagButKeepsAnExistingOne) {
  Fixture f;
  f.receive(request("OPTIONS"));
  f.receive(request("OPTIONS"));
  ASSERT_EQ(f.transport.sent.size(), 2U);
  const auto first = parse_message(f.transport.sent[0].bytes);
  const auto second = parse_message(f.transport.sent[1].bytes);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->to_tag(), second->to_tag());

  f.receive(request("OPTIONS", ";tag=theirs"));
  EXPECT_EQ(f.last_response().to_tag(), "theirs");
}

TEST(CoreResponder, RejectsPerTheChecks) {
  Fixture f;
  f.receive(request("INVITE"));
  EXPECT_EQ(f.last_response().status_code(), 405);
  EXPECT_EQ(f.last_response().count(HeaderId::kAllow), 3U);
  f.receive(request("FOO"));
  EXPECT_EQ(f.last_response().status_code(), 501);
  f.receive(request("CANCEL"));
  EXPECT_EQ(f.last_response().status_code(), 481);

  std::string with_require = request("OPTIONS");
  with_require.insert(with_require.find("Content-Length"), "Require: 100rel\r\n");
  f.receive(with_require);
  EXPECT_EQ(f.last_response().status_code(), 420);
  EXPECT_EQ(f.last_response().first(HeaderId::kUnsupported), "100rel");
  EXPECT_EQ(f.responder.stats().rejected, 4U);
}

TEST(CoreResponder, NeverAnswersAckOrResponses) {
  Fixture f;
  f.receive(request("ACK"));
  f.receive(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nTo: <sip:a@b>;tag=2\r\n"
      "From: <sip:c@d>;tag=1\r\nCall-ID: r\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  // A response that does not even parse is dropped as well.
  f.receive("SIP/2.0 99999 Whatever\r\nCall-ID: x\r\n\r\n");
  EXPECT_TRUE(f.transport.sent.empty());
  EXPECT_EQ(f.responder.stats().dropped, 3U);
}

TEST(CoreResponder, AnswersAnUnparsableRequestWhenItCan) {
  Fixture f;
  // Two Content-Length values that disagree: a 400, with enough headers to route it.
  std::string bad = request("OPTIONS");
  bad.insert(bad.find("Content-Length"), "Content-Length: 5\r\n");
  auto parse = parse_message(bad);
  ASSERT_FALSE(parse.ok());
  f.receive(bad);
  ASSERT_EQ(f.transport.sent.size(), 1U);
  const Message response = f.last_response();
  EXPECT_EQ(response.status_code(), 400);
  EXPECT_EQ(response.call_id(), "call-1@example.org");
  EXPECT_FALSE(response.to_tag().empty());
  EXPECT_EQ(f.responder.stats().unparsable_answered, 1U);

  // Garbage with nothing to route an answer by is dropped.
  f.receive("this is not SIP at all\r\n\r\n");
  EXPECT_EQ(f.transport.sent.size(), 1U);
}

TEST(CoreResponder, TortureVersionMismatchGets505) {
  std::ifstream in(std::string(PARLEY_TEST_DATA) + "/rfc4475/TC_BADVERS_V.dat", std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_FALSE(bytes.empty());
  Fixture f;
  f.receive(bytes);
  ASSERT_EQ(f.transport.sent.size(), 1U);
  EXPECT_EQ(f.last_response().status_code(), 505);
}

TEST(CoreResponder, CountsSendFailures) {
  Fixture f;
  f.transport.accept = false;
  f.receive(request("OPTIONS"));
  EXPECT_EQ(f.responder.stats().send_failures, 1U);
  EXPECT_EQ(f.responder.stats().answered, 0U);
}

TEST(RejectionLog, AdmitsAFewPerSecondThenSummarises) {
  ManualClock clock;
  RejectionLog log(clock, 3);
  EXPECT_TRUE(log.admit());
  EXPECT_TRUE(log.admit());
  EXPECT_TRUE(log.admit());
  EXPECT_FALSE(log.admit());
  EXPECT_FALSE(log.admit());
  EXPECT_EQ(log.suppressed_total(), 2U);
  clock.advance(std::chrono::milliseconds(999));
  EXPECT_FALSE(log.admit());
  clock.advance(std::chrono::milliseconds(2));
  EXPECT_TRUE(log.admit());  // a new window
  EXPECT_EQ(log.suppressed_total(), 3U);
}

}  // namespace
}  // namespace parley::sip
