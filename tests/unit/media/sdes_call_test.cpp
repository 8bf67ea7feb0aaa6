// An SDES-SRTP phone end to end through the media plane, with real sockets on loopback:
// MediaService answers the phone's RTP/SAVP offer with its own key, the relay decrypts what the
// phone sends and encrypts what it gets, and a plain RTP phone sits on the other leg. Then the
// other way: Parley offers SRTP to a callee (sdes_offer) and takes the callee's answer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "media/call_media.hpp"
#include "media/rtp_relay.hpp"
#include "media/sdes_negotiation.hpp"
#include "net/worker_pool.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "protocol/sdp/crypto_attribute.hpp"
#include "protocol/sdp/session_description.hpp"
#include "srtp_test_util.hpp"
#include "support/udp_test_peer.hpp"

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;
namespace sdp = protocol::sdp;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using sip::MediaSide;

constexpr std::string_view kPhoneKey = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

// srtp's test ports (53000-53999); parallel test processes each take their own slice.
std::uint16_t port_base() {
  return static_cast<std::uint16_t>(53000 + (::getpid() % 40) * 24);
}

Bytes rtp_packet(std::uint16_t seq, std::uint8_t fill) {
  Bytes bytes(rtp::kRtpHeaderBytes + 160, fill);
  rtp::write_header(bytes, 0, false, seq, 160U * seq, 0xB0B);
  return bytes;
}

std::string sdp_of(std::uint16_t port, std::string_view protocol, std::string_view extra) {
  return "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio " +
         std::to_string(port) + " " + std::string(protocol) +
         " 0\r\na=rtpmap:0 PCMU/8000\r\na=rtcp-mux\r\n" + std::string(extra);
}

std::vector<std::string> crypto_values(const sdp::Media& media) {
  std::vector<std::string> values;
  for (const auto& attribute : media.attributes) {
    if (attribute.name == "crypto") values.push_back(attribute.value);
  }
  return values;
}

using sdes_test::seal;
using sdes_test::srtp_session_of;

class SdesCallTest : public ::testing::Test {
 protected:
  SdesCallTest() : pool_(1), ports_(port_base(), static_cast<std::uint16_t>(port_base() + 23)) {
    pool_.start();
  }
  ~SdesCallTest() override {
    test::run_on(pool_, [this] { call_.reset(); });
    pool_.shutdown(std::chrono::milliseconds(200));
  }

  void make_service(SdesPolicy policy = SdesPolicy::kOfferOverTls) {
    MediaOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    options.sdes = policy;
    service_ = std::make_unique<MediaService>(pool_, ports_, clock_, options);
  }

  // offer(from = caller), then answer(from = callee); `sdes_to_callee` sends sdes_offer().
  struct Exchange {
    Result<std::string> offer = Error{};
    Result<std::string> answer = Error{};
  };
  Exchange exchange(const std::string& offer, bool sdes_to_callee,
                    const std::function<std::string(const std::string&)>& answer_for) {
    Exchange result;
    test::run_on(pool_, [&] {
      auto created = service_->create(sip::CallMediaInfo{1, "1001", "1002"});
      EXPECT_TRUE(created.ok());
      call_ = std::move(created).value();
      result.offer = call_->offer(MediaSide::kCaller, offer);
      if (result.offer.ok() && sdes_to_callee) result.offer = call_->sdes_offer(MediaSide::kCallee);
      if (result.offer.ok()) {
        result.answer = call_->answer(MediaSide::kCallee, answer_for(*result.offer));
      }
    });
    return result;
  }

  net::WorkerPool pool_;
  PortPool ports_;
  SteadyClock clock_;
  std::unique_ptr<MediaService> service_;
  std::unique_ptr<sip::CallMedia> call_;
  test::UdpTestPeer secure_phone_;
  test::UdpTestPeer plain_phone_;
  std::string offered_;  // the a=crypto line of ours the callee took
};

TEST_F(SdesCallTest, AnSdesCallerTalksToAPlainCalleeBothWays) {
  make_service();
  const std::string phone_crypto = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kPhoneKey);
  const auto result =
      exchange(sdp_of(secure_phone_.port(), "RTP/SAVP", "a=crypto:" + phone_crypto + "\r\n"), false,
               [this](const std::string&) { return sdp_of(plain_phone_.port(), "RTP/AVP", ""); });
  ASSERT_TRUE(result.offer.ok()) << result.offer.error().message;
  ASSERT_TRUE(result.answer.ok()) << result.answer.error().message;

  // The callee sees plain RTP/AVP and no key; the caller gets RTP/SAVP with our own key.
  auto relayed = sdp::parse(*result.offer);
  ASSERT_TRUE(relayed.ok());
  EXPECT_EQ(relayed->media[0].protocol, "RTP/AVP");
  EXPECT_TRUE(crypto_values(relayed->media[0]).empty());
  auto answer = sdp::parse(*result.answer);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->media[0].protocol, "RTP/SAVP");
  const auto ours = crypto_values(answer->media[0]);
  ASSERT_EQ(ours.size(), 1U);
  EXPECT_TRUE(ours[0].starts_with("1 AES_CM_128_HMAC_SHA1_80 inline:"));
  EXPECT_EQ(ours[0].find(kPhoneKey), std::string::npos);

  SrtpSession phone_out = srtp_session_of(phone_crypto, SrtpDirection::kOutbound);
  SrtpSession phone_in = srtp_session_of(ours[0], SrtpDirection::kInbound);
  const std::uint16_t secure_side = answer->media[0].port;
  const std::uint16_t plain_side = relayed->media[0].port;

  // SRTP in from the secure phone, plain RTP out to the other.
  secure_phone_.send(secure_side, seal(phone_out, rtp_packet(10, 0x11)));
  auto at_plain = plain_phone_.receive();
  ASSERT_TRUE(at_plain.has_value());
  auto view = rtp::parse_rtp(*at_plain);
  ASSERT_TRUE(view.has_value());
  ASSERT_EQ(view->payload.size(), 160U);
  EXPECT_EQ(view->payload[0], 0x11);

  // Plain in, SRTP out that the secure phone's session authenticates.
  plain_phone_.send(plain_side, rtp_packet(20, 0x22));
  auto at_secure = secure_phone_.receive();
  ASSERT_TRUE(at_secure.has_value());
  EXPECT_EQ(at_secure->size(), rtp::kRtpHeaderBytes + 160 + 10);
  Bytes packet = *at_secure;
  const auto opened = phone_in.unprotect_rtp(packet);
  ASSERT_TRUE(opened.ok()) << to_string(opened.status);
  auto clear = rtp::parse_rtp(std::span(packet).first(opened.size));
  ASSERT_TRUE(clear.has_value());
  EXPECT_EQ(clear->payload[0], 0x22);

  // Forged, replayed and unencrypted packets from the secure phone never reach the other.
  Bytes forged = seal(phone_out, rtp_packet(11, 0x33));
  forged[rtp::kRtpHeaderBytes + 5] ^= 0x01U;
  secure_phone_.send(secure_side, forged);
  const Bytes good = seal(phone_out, rtp_packet(12, 0x44));
  secure_phone_.send(secure_side, good);
  auto delivered = plain_phone_.receive();
  ASSERT_TRUE(delivered.has_value());
  EXPECT_EQ(rtp::parse_rtp(*delivered)->payload[0], 0x44);
  secure_phone_.send(secure_side, good);                  // replayed
  secure_phone_.send(secure_side, rtp_packet(13, 0x55));  // plain RTP on an SRTP leg
  EXPECT_FALSE(plain_phone_.receive(300ms).has_value());
}

TEST_F(SdesCallTest, ParleyOffersSrtpToACalleeAndKeysItsAnswer) {
  make_service();
  std::string callee_crypto;
  const auto result =
      exchange(sdp_of(plain_phone_.port(), "RTP/AVP", ""), true, [&](const std::string& offer) {
        auto parsed = sdp::parse(offer);
        EXPECT_TRUE(parsed.ok());
        EXPECT_EQ(parsed->media[0].protocol, "RTP/SAVP");
        const auto lines = crypto_values(parsed->media[0]);
        EXPECT_EQ(lines.size(), 2U);
        // The callee takes our SHA1_32 line (tag 2) and answers with its own key.
        callee_crypto = "2 AES_CM_128_HMAC_SHA1_32 inline:" + std::string(kPhoneKey);
        offered_ = lines.size() == 2 ? lines[1] : std::string();
        return sdp_of(secure_phone_.port(), "RTP/SAVP", "a=crypto:" + callee_crypto + "\r\n");
      });
  ASSERT_TRUE(result.offer.ok()) << result.offer.error().message;
  ASSERT_TRUE(result.answer.ok()) << result.answer.error().message;
  ASSERT_TRUE(offered_.starts_with("2 AES_CM_128_HMAC_SHA1_32 inline:"));
  auto answer = sdp::parse(*result.answer);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->media[0].protocol, "RTP/AVP");
  EXPECT_TRUE(crypto_values(answer->media[0]).empty());
  auto offer = sdp::parse(*result.offer);
  ASSERT_TRUE(offer.ok());

  SrtpSession callee_out = srtp_session_of(callee_crypto, SrtpDirection::kOutbound);
  SrtpSession callee_in = srtp_session_of(offered_, SrtpDirection::kInbound);
  secure_phone_.send(offer->media[0].port, seal(callee_out, rtp_packet(5, 0x66)));
  auto at_plain = plain_phone_.receive();
  ASSERT_TRUE(at_plain.has_value());
  EXPECT_EQ(rtp::parse_rtp(*at_plain)->payload[0], 0x66);

  plain_phone_.send(answer->media[0].port, rtp_packet(6, 0x77));
  auto at_secure = secure_phone_.receive();
  ASSERT_TRUE(at_secure.has_value());
  EXPECT_EQ(at_secure->size(), rtp::kRtpHeaderBytes + 160 + 4);  // the 32-bit tag
  Bytes packet = *at_secure;
  const auto opened = callee_in.unprotect_rtp(packet);
  ASSERT_TRUE(opened.ok()) << to_string(opened.status);
  EXPECT_EQ(packet[rtp::kRtpHeaderBytes], 0x77);
}

TEST_F(SdesCallTest, PolicyDecidesWhetherSrtpIsAcceptedOrOffered) {
  make_service(SdesPolicy::kOff);
  const std::string crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kPhoneKey);
  auto refused =
      exchange(sdp_of(secure_phone_.port(), "RTP/SAVP", crypto + "\r\n"), false,
               [this](const std::string&) { return sdp_of(plain_phone_.port(), "RTP/AVP", ""); });
  ASSERT_FALSE(refused.offer.ok());
  EXPECT_EQ(refused.offer.error().code, 488);

  make_service(SdesPolicy::kAccept);
  auto not_offered =
      exchange(sdp_of(plain_phone_.port(), "RTP/AVP", ""), true,
               [this](const std::string&) { return sdp_of(plain_phone_.port(), "RTP/AVP", ""); });
  ASSERT_FALSE(not_offered.offer.ok());
  EXPECT_EQ(not_offered.offer.error().code, 488);
}

TEST_F(SdesCallTest, AnSrtpOfferWithoutAUsableKeyIs488) {
  make_service();
  for (const std::string& extra :
       {std::string(), "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" + std::string(kPhoneKey),
        std::string("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:dG9vIHNob3J0\r\n")}) {
    auto result = exchange(
        sdp_of(secure_phone_.port(), "RTP/SAVP", extra.empty() ? "" : extra + "\r\n"), false,
        [this](const std::string&) { return sdp_of(plain_phone_.port(), "RTP/AVP", ""); });
    ASSERT_FALSE(result.offer.ok());
    EXPECT_EQ(result.offer.error().code, 488) << result.offer.error().message;
  }
}

// Decision 0048: a blind transfer (or redirect) to a phone over TLS. The B2BUA asks for the
// transfer offer and renders it with sdes_offer for the new phone; its SRTP answer re-points
// the callee's leg of the relay, keyed both ways, while the caller's plain leg stays as it is.
TEST_F(SdesCallTest, ATransferTargetOverTlsGetsSrtpOnItsNewLeg) {
  make_service();
  test::UdpTestPeer transferee_phone;
  const auto first = exchange(
      sdp_of(plain_phone_.port(), "RTP/AVP", ""), false,
      [&](const std::string& /*offer*/) { return sdp_of(secure_phone_.port(), "RTP/AVP", ""); });
  ASSERT_TRUE(first.answer.ok()) << first.answer.error().message;
  std::string new_crypto = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kPhoneKey);
  Result<std::string> offered = Error{};
  Result<std::string> accepted = Error{};
  test::run_on(pool_, [&] {
    offered = call_->transfer_offer(MediaSide::kCallee);
    if (offered.ok()) offered = call_->sdes_offer(MediaSide::kCallee);
    if (offered.ok()) {
      accepted = call_->answer(MediaSide::kCallee, sdp_of(transferee_phone.port(), "RTP/SAVP",
                                                          "a=crypto:" + new_crypto + "\r\n"));
    }
  });
  ASSERT_TRUE(offered.ok()) << offered.error().message;
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  auto offer = sdp::parse(*offered);
  ASSERT_TRUE(offer.ok());
  EXPECT_EQ(offer->media[0].protocol, "RTP/SAVP");
  const auto ours = crypto_values(offer->media[0]);
  ASSERT_FALSE(ours.empty());
  ASSERT_TRUE(ours[0].starts_with("1 AES_CM_128_HMAC_SHA1_80 inline:")) << ours[0];

  SrtpSession phone_out = srtp_session_of(new_crypto, SrtpDirection::kOutbound);
  SrtpSession phone_in = srtp_session_of(ours[0], SrtpDirection::kInbound);
  transferee_phone.send(offer->media[0].port, seal(phone_out, rtp_packet(7, 0x55)));
  auto at_caller = plain_phone_.receive();
  ASSERT_TRUE(at_caller.has_value());
  EXPECT_EQ(rtp::parse_rtp(*at_caller)->payload[0], 0x55) << "decrypted for the plain caller";

  auto caller_answer = sdp::parse(*first.answer);
  ASSERT_TRUE(caller_answer.ok());
  plain_phone_.send(caller_answer->media[0].port, rtp_packet(8, 0x44));
  auto at_phone = transferee_phone.receive();
  ASSERT_TRUE(at_phone.has_value());
  Bytes packet = *at_phone;
  const auto opened = phone_in.unprotect_rtp(packet);
  ASSERT_TRUE(opened.ok()) << to_string(opened.status);
  EXPECT_EQ(packet[rtp::kRtpHeaderBytes], 0x44);
}

}  // namespace
}  // namespace parley::media
