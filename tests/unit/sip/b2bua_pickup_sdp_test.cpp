// answer_crossed_offers (decision 0031): the two answers Parley makes itself when a picker's or
// replacer's offer meets the relay's outstanding offer.

#include "sip/b2bua_pickup_sdp.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::sip {
namespace {

// What the relay offered the rung devices: PCMU, PCMA, G722 and telephone-event.
const std::string kRelayOffer =
    "v=0\r\no=parley 11 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 9 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";

std::string offer(std::string_view media, std::string_view extra = {}) {
  return "v=0\r\no=- 5 5 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
         std::string(media) + std::string(extra);
}

bool has(const std::string& text, std::string_view line) {
  return text.find(line) != std::string::npos;
}

TEST(AnswerCrossedOffersTest, BothSidesGetTheNewcomersCodecWithItsNumbers) {
  const auto answers = answer_crossed_offers(
      kRelayOffer, offer("m=audio 51000 RTP/AVP 18 8 96\r\n",
                         "a=rtpmap:18 G729/8000\r\na=rtpmap:8 PCMA/8000\r\n"
                         "a=rtpmap:96 telephone-event/8000\r\na=sendrecv\r\n"));
  ASSERT_TRUE(answers.ok()) << answers.error().message;
  // As if the newcomer had answered the relay: its address and port, PCMA (G729 was not
  // offered by the relay) and its telephone-event number.
  EXPECT_TRUE(has(answers->relay_answer, "c=IN IP4 127.0.0.1")) << answers->relay_answer;
  EXPECT_TRUE(has(answers->relay_answer, "m=audio 51000 RTP/AVP 8 96\r\n"))
      << answers->relay_answer;
  // Our answer to the newcomer: the relay's address and port, the same codecs.
  EXPECT_TRUE(has(answers->newcomer_answer, "c=IN IP4 10.0.0.1")) << answers->newcomer_answer;
  EXPECT_TRUE(has(answers->newcomer_answer, "m=audio 40000 RTP/AVP 8 96\r\n"))
      << answers->newcomer_answer;
  EXPECT_FALSE(has(answers->newcomer_answer, "G729"));
  EXPECT_FALSE(has(answers->newcomer_answer, "PCMU"));
}

TEST(AnswerCrossedOffersTest, DirectionsMirrorTheNewcomersOffer) {
  const auto answers =
      answer_crossed_offers(kRelayOffer, offer("m=audio 51002 RTP/AVP 0\r\n", "a=sendonly\r\n"));
  ASSERT_TRUE(answers.ok());
  EXPECT_TRUE(has(answers->relay_answer, "a=sendonly")) << answers->relay_answer;
  EXPECT_TRUE(has(answers->newcomer_answer, "a=recvonly")) << answers->newcomer_answer;
}

TEST(AnswerCrossedOffersTest, OtherStreamsOfTheNewcomerAreRefused) {
  const auto answers = answer_crossed_offers(
      kRelayOffer,
      offer("m=video 51010 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 51012 RTP/AVP 0\r\n"));
  ASSERT_TRUE(answers.ok()) << answers.error().message;
  const std::string& ours = answers->newcomer_answer;
  const auto video = ours.find("m=video 0 ");
  const auto audio = ours.find("m=audio 40000 RTP/AVP 0");
  EXPECT_NE(video, std::string::npos) << ours;
  EXPECT_NE(audio, std::string::npos) << ours;
  EXPECT_LT(video, audio);  // in the offer's order (RFC 3264 §6)
  // The relay offered audio only: its "answer" has one stream.
  EXPECT_TRUE(has(answers->relay_answer, "m=audio 51012 RTP/AVP 0"));
  EXPECT_FALSE(has(answers->relay_answer, "m=video"));
}

TEST(AnswerCrossedOffersTest, RefusalsSayWhy) {
  auto nothing_common = answer_crossed_offers(
      kRelayOffer, offer("m=audio 51004 RTP/AVP 18\r\n", "a=rtpmap:18 G729/8000\r\n"));
  ASSERT_FALSE(nothing_common.ok());
  EXPECT_EQ(nothing_common.error().code, 488);
  auto encrypted = answer_crossed_offers(
      kRelayOffer, offer("m=audio 51006 RTP/SAVP 0\r\n",
                         "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                         "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"));
  ASSERT_FALSE(encrypted.ok());
  EXPECT_EQ(encrypted.error().code, 488);
  auto video_only = answer_crossed_offers(
      kRelayOffer, offer("m=video 51008 RTP/AVP 96\r\n", "a=rtpmap:96 H264/90000\r\n"));
  ASSERT_FALSE(video_only.ok());
  EXPECT_EQ(video_only.error().code, 488);
  auto garbage = answer_crossed_offers(kRelayOffer, "hello");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, 400);
  auto broken_relay = answer_crossed_offers("", offer("m=audio 51000 RTP/AVP 0\r\n"));
  ASSERT_FALSE(broken_relay.ok());
  EXPECT_EQ(broken_relay.error().code, 500);
}

// What CallMedia::webrtc_offer renders for the callee side (decision 0011).
const std::string kRelayWebRtcOffer =
    "v=0\r\no=parley 11 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "a=ice-lite\r\nm=audio 40000 UDP/TLS/RTP/SAVPF 111 0 101\r\na=rtpmap:111 opus/48000/2\r\n"
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=rtcp-mux\r\na=mid:0\r\n"
    "a=ice-ufrag:ours\r\na=ice-pwd:ourpasswordourpassword\r\n"
    "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n"
    "a=candidate:1 1 UDP 2130706431 10.0.0.1 40000 typ host\r\na=end-of-candidates\r\n";

// A browser picking up: BUNDLE with its own mids, ICE and DTLS of its own.
const std::string kBrowserPickerOffer =
    "v=0\r\no=- 99 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a1 v1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:a1\r\n"
    "a=ice-ufrag:brws\r\na=ice-pwd:browserpasswordbrowser1\r\n"
    "a=fingerprint:sha-256 CC:DD\r\na=setup:actpass\r\na=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v1\r\n"
    "a=rtpmap:96 VP8/90000\r\n";

TEST(AnswerCrossedOffersTest, ABrowserPickerGetsOurIceAndDtlsWithItsOwnMids) {
  EXPECT_EQ(crossed_security(kBrowserPickerOffer), CrossedSecurity::kWebRtc);
  EXPECT_EQ(crossed_security(offer("m=audio 51000 RTP/AVP 0\r\n")), CrossedSecurity::kPlain);
  const auto answers = answer_crossed_offers(kRelayWebRtcOffer, kBrowserPickerOffer);
  ASSERT_TRUE(answers.ok()) << answers.error().message;
  const std::string& ours = answers->newcomer_answer;
  EXPECT_TRUE(has(ours, "m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\n")) << ours;
  EXPECT_TRUE(has(ours, "a=ice-ufrag:ours")) << ours;
  EXPECT_TRUE(has(ours, "a=fingerprint:sha-256 AA:BB")) << ours;
  EXPECT_TRUE(has(ours, "a=setup:passive")) << ours;
  EXPECT_FALSE(has(ours, "a=setup:actpass")) << ours;
  EXPECT_TRUE(has(ours, "a=mid:a1")) << ours;
  EXPECT_FALSE(has(ours, "a=mid:0")) << ours;
  EXPECT_TRUE(has(ours, "a=group:BUNDLE a1\r\n")) << ours;
  EXPECT_TRUE(has(ours, "a=ice-lite")) << ours;
  EXPECT_TRUE(has(ours, "m=video 0 ")) << ours;
  EXPECT_TRUE(has(ours, "a=mid:v1")) << ours;  // a refused stream keeps its mid
  // As if the browser had answered the relay: its credentials and fingerprint, setup as it
  // said (actpass: the relay takes the DTLS server role).
  const std::string& relay = answers->relay_answer;
  EXPECT_TRUE(has(relay, "a=ice-ufrag:brws")) << relay;
  EXPECT_TRUE(has(relay, "a=fingerprint:sha-256 CC:DD")) << relay;
  EXPECT_TRUE(has(relay, "UDP/TLS/RTP/SAVPF 111")) << relay;

  // A browser that waits (setup:passive) is answered active.
  std::string waiting = kBrowserPickerOffer;
  waiting.replace(waiting.find("a=setup:actpass"), 15, "a=setup:passive");
  const auto active = answer_crossed_offers(kRelayWebRtcOffer, waiting);
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(has(active->newcomer_answer, "a=setup:active")) << active->newcomer_answer;
}

TEST(AnswerCrossedOffersTest, AnSdesPickerAndTheRelayEachGetTheOthersKeyUnderTheirTags) {
  // CallMedia::sdes_offer's rendering: tag 1 SHA1_80, tag 2 SHA1_32, each with its own key.
  const std::string relay =
      "v=0\r\no=parley 11 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 40000 RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n"
      "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC\r\n";
  const std::string picker = offer(
      "m=audio 51000 RTP/SAVP 0\r\n",
      "a=rtpmap:0 PCMU/8000\r\n"
      "a=crypto:7 AEAD_AES_256_GCM "
      "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyBsaW5lIGxlbmd0aA\r\n"
      "a=crypto:8 AES_CM_128_HMAC_SHA1_32 inline:Q0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0ND\r\n");
  EXPECT_EQ(crossed_security(picker), CrossedSecurity::kSdes);
  const auto answers = answer_crossed_offers(relay, picker);
  ASSERT_TRUE(answers.ok()) << answers.error().message;
  EXPECT_TRUE(has(answers->newcomer_answer, "m=audio 40000 RTP/SAVP 0\r\n"))
      << answers->newcomer_answer;
  EXPECT_TRUE(has(answers->newcomer_answer,
                  "a=crypto:8 AES_CM_128_HMAC_SHA1_32 "
                  "inline:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC\r\n"))
      << answers->newcomer_answer;
  EXPECT_FALSE(has(answers->newcomer_answer, "QUFB")) << answers->newcomer_answer;
  EXPECT_TRUE(has(answers->relay_answer,
                  "a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
                  "inline:Q0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0ND\r\n"))
      << answers->relay_answer;
  EXPECT_FALSE(has(answers->relay_answer, "crypto:7")) << answers->relay_answer;

  const std::string no_common =
      offer("m=audio 51000 RTP/SAVP 0\r\n",
            "a=crypto:1 AEAD_AES_256_GCM inline:"
            "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyBsaW5lIGxlbmd0aA\r\n");
  const auto refused = answer_crossed_offers(relay, no_common);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 488);
  // A transport other than the relay's rendering is refused too.
  const auto mismatch = answer_crossed_offers(kRelayOffer, kBrowserPickerOffer);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, 488);
}

}  // namespace
}  // namespace parley::sip
