// Dialog state (RFC 3261 §12): creation on both sides, matching, CSeq order, target refresh,
// and the text of in-dialog requests.

#include "sip/dialog.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/sip/message.hpp"

namespace parley::sip {
namespace {

using protocol::sip::HeaderId;
using protocol::sip::Message;

Message parse(const std::string& text) {
  auto message = protocol::sip::parse_message(text);
  EXPECT_TRUE(message.ok()) << text;
  return message.ok() ? std::move(message).value() : Message{};
}

Peer peer() {
  Peer p;
  p.remote = *net::SocketAddress::parse("192.0.2.10:5060");
  p.local = *net::SocketAddress::parse("192.0.2.1:5060");
  return p;
}

const std::string kInvite =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    "Record-Route: <sip:p3.example.com;lr>\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: call-1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.10:5060;ob>\r\n"
    "Content-Length: 0\r\n\r\n";

const std::string kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
    "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    "Record-Route: <sip:p3.example.com;lr>\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>;tag=b1\r\n"
    "Call-ID: call-1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Contact: \"Bob\" <sip:bob@198.51.100.7:5062;transport=udp>;expires=60\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(DialogTest, UasDialogTakesRecordRouteInOrderAndTheCallersContact) {
  auto dialog = make_uas_dialog(parse(kInvite), "ours", peer());
  ASSERT_TRUE(dialog.ok());
  EXPECT_EQ(dialog->call_id, "call-1");
  EXPECT_EQ(dialog->local_tag, "ours");
  EXPECT_EQ(dialog->remote_tag, "a1");
  EXPECT_EQ(dialog->local_party, "<sip:bob@example.com>;tag=ours");
  EXPECT_EQ(dialog->remote_party, "\"Alice\" <sip:alice@example.com>;tag=a1");
  EXPECT_EQ(dialog->remote_target, "sip:alice@192.0.2.10:5060;ob");
  EXPECT_EQ(dialog->route_set,
            "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>, <sip:p3.example.com;lr>");
  EXPECT_EQ(dialog->remote_cseq, 7U);
  EXPECT_TRUE(dialog->remote_cseq_known);
  EXPECT_EQ(dialog->local_cseq, 0U);
}

TEST(DialogTest, UasDialogNeedsFromTagAndContact) {
  std::string no_contact = kInvite;
  no_contact.erase(no_contact.find("Contact:"),
                   std::string("Contact: <sip:alice@192.0.2.10:5060;ob>\r\n").size());
  auto missing = make_uas_dialog(parse(no_contact), "ours", peer());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, 400);

  std::string no_tag = kInvite;
  no_tag.replace(no_tag.find(";tag=a1"), 7, "");
  EXPECT_FALSE(make_uas_dialog(parse(no_tag), "ours", peer()).ok());
}

TEST(DialogTest, UacDialogReversesRecordRouteAndUsesTheAnswersContact) {
  auto dialog = make_uac_dialog(parse(kInvite), parse(kOk), peer());
  ASSERT_TRUE(dialog.ok());
  EXPECT_EQ(dialog->local_tag, "a1");
  EXPECT_EQ(dialog->remote_tag, "b1");
  EXPECT_EQ(dialog->local_party, "\"Alice\" <sip:alice@example.com>;tag=a1");
  EXPECT_EQ(dialog->remote_party, "<sip:bob@example.com>;tag=b1");
  EXPECT_EQ(dialog->remote_target, "sip:bob@198.51.100.7:5062;transport=udp");
  EXPECT_EQ(dialog->route_set,
            "<sip:p3.example.com;lr>, <sip:p2.example.com;lr>, <sip:p1.example.com;lr>");
  EXPECT_EQ(dialog->local_cseq, 7U);
  EXPECT_FALSE(dialog->remote_cseq_known);
}

TEST(DialogTest, UacDialogWithoutContactTargetsTheRequestUri) {
  std::string ok = kOk;
  ok.erase(ok.find("Contact:"), ok.find("Content-Length") - ok.find("Contact:"));
  auto dialog = make_uac_dialog(parse(kInvite), parse(ok), peer());
  ASSERT_TRUE(dialog.ok());
  EXPECT_EQ(dialog->remote_target, "sip:bob@example.com");
}

TEST(DialogTest, MatchingUsesCallIdAndBothTags) {
  auto dialog = make_uac_dialog(parse(kInvite), parse(kOk), peer());
  ASSERT_TRUE(dialog.ok());
  EXPECT_TRUE(matches_response(*dialog, parse(kOk)));
  std::string other = kOk;
  other.replace(other.find(";tag=b1"), 7, ";tag=b2");
  EXPECT_FALSE(matches_response(*dialog, parse(other)));

  const std::string bye =
      "BYE sip:alice@192.0.2.10 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKb\r\n"
      "From: <sip:bob@example.com>;tag=b1\r\n"
      "To: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
      "Call-ID: call-1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
  EXPECT_TRUE(matches_request(*dialog, parse(bye)));
  std::string wrong_call = bye;
  wrong_call.replace(wrong_call.find("call-1"), 6, "call-2");
  EXPECT_FALSE(matches_request(*dialog, parse(wrong_call)));
}

TEST(DialogTest, LowerRemoteCSeqIsOutOfOrder) {
  auto dialog = make_uas_dialog(parse(kInvite), "ours", peer());
  ASSERT_TRUE(dialog.ok());
  auto request_with = [](std::uint32_t cseq) {
    return parse(
        "BYE sip:bob@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
        "From: <sip:a@b>;tag=a1\r\nTo: <sip:b@b>;tag=ours\r\nCall-ID: call-1\r\n"
        "CSeq: " +
        std::to_string(cseq) + " BYE\r\nContent-Length: 0\r\n\r\n");
  };
  EXPECT_FALSE(accept_remote_cseq(*dialog, request_with(6)));
  EXPECT_EQ(dialog->remote_cseq, 7U);
  EXPECT_TRUE(accept_remote_cseq(*dialog, request_with(9)));
  EXPECT_EQ(dialog->remote_cseq, 9U);
  EXPECT_FALSE(accept_remote_cseq(*dialog, request_with(8)));
}

TEST(DialogTest, TargetRefreshReplacesTheRemoteTarget) {
  auto dialog = make_uac_dialog(parse(kInvite), parse(kOk), peer());
  ASSERT_TRUE(dialog.ok());
  std::string refreshed = kOk;
  refreshed.replace(refreshed.find("198.51.100.7:5062"), 17, "198.51.100.8:5070");
  EXPECT_TRUE(refresh_target(*dialog, parse(refreshed)));
  EXPECT_EQ(dialog->remote_target, "sip:bob@198.51.100.8:5070;transport=udp");
  std::string star = kOk;
  star.replace(star.find("\"Bob\" <sip:bob@198.51.100.7:5062;transport=udp>;expires=60"),
               std::string("\"Bob\" <sip:bob@198.51.100.7:5062;transport=udp>;expires=60").size(),
               "*");
  EXPECT_FALSE(refresh_target(*dialog, parse(star)));
  EXPECT_EQ(dialog->remote_target, "sip:bob@198.51.100.8:5070;transport=udp");
}

TEST(DialogTest, BuildsAnInDialogRequest) {
  auto dialog = make_uac_dialog(parse(kInvite), parse(kOk), peer());
  ASSERT_TRUE(dialog.ok());
  DialogRequest request;
  request.method = "INFO";
  request.cseq = 8;
  request.via = "SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKq";
  request.user_agent = "Parley";
  request.max_forwards = 69;
  request.extra_lines = "Info-Package: dtmf\r\n";
  request.content_type = "application/dtmf-relay";
  request.body = "Signal=1\r\n";
  EXPECT_EQ(build_request(*dialog, request),
            "INFO sip:bob@198.51.100.7:5062;transport=udp SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKq\r\n"
            "Max-Forwards: 69\r\n"
            "Route: <sip:p3.example.com;lr>, <sip:p2.example.com;lr>, <sip:p1.example.com;lr>\r\n"
            "From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
            "To: <sip:bob@example.com>;tag=b1\r\n"
            "Call-ID: call-1\r\n"
            "CSeq: 8 INFO\r\n"
            "User-Agent: Parley\r\n"
            "Info-Package: dtmf\r\n"
            "Content-Type: application/dtmf-relay\r\n"
            "Content-Length: 10\r\n"
            "\r\n"
            "Signal=1\r\n");
  EXPECT_TRUE(parse(build_request(*dialog, request)).is_request());
}

TEST(DialogTest, ViaAndContactForEachTransport) {
  EXPECT_EQ(make_via(TransportKind::kTcp, "192.0.2.1:5060", "z9hG4bKx"),
            "SIP/2.0/TCP 192.0.2.1:5060;rport;branch=z9hG4bKx");
  EXPECT_EQ(make_contact(TransportKind::kUdp, "1001", "192.0.2.1:5060"),
            "<sip:1001@192.0.2.1:5060>");
  EXPECT_EQ(make_contact(TransportKind::kWss, "", "[2001:db8::1]:443"),
            "<sip:[2001:db8::1]:443;transport=wss>");
}

}  // namespace
}  // namespace parley::sip
