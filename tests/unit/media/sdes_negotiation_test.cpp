// SDES offer/answer (RFC 4568 §7) and the SdesLeg: the keys an offer and its answer carry key
// two independent pairs of SRTP sessions that interoperate, line choice, re-offers and refusals.

#include "media/sdes_negotiation.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "media/sdes_leg.hpp"
#include "protocol/rtp/rtp_packet.hpp"

namespace parley::media {
namespace {

namespace sdp = protocol::sdp;
namespace rtp = protocol::rtp;
using Bytes = std::vector<std::uint8_t>;

constexpr std::string_view kPhoneKey = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
constexpr std::string_view kOtherKey = "NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj";

sdp::Media audio_with(std::vector<std::string> crypto_values) {
  sdp::Media media;
  media.type = "audio";
  media.port = 4000;
  media.protocol = "RTP/SAVP";
  for (auto& value : crypto_values) media.attributes.push_back({"crypto", std::move(value), true});
  return media;
}

Bytes rtp_packet(std::uint16_t sequence, std::uint8_t fill) {
  Bytes bytes(rtp::kRtpHeaderBytes + 160, fill);
  rtp::write_header(bytes, 0, false, sequence, 160U * sequence, 0xABCD);
  return bytes;
}

// The phone's side: SRTP sessions keyed from the a=crypto lines as a phone would read them.
SrtpSession session_from(const sdp::CryptoAttribute& line, SrtpDirection direction) {
  const sdp::CryptoKey& key = line.keys.front();
  auto session = SrtpSession::create(direction, srtp_profile_of(line.suite),
                                     key.master_key(line.suite), key.master_salt(line.suite));
  EXPECT_TRUE(session.ok());
  return std::move(session).value();
}

struct NullSender final : SecureLeg::Sender {
  void send(const net::SocketAddress&, std::span<const std::uint8_t>) override {}
};

// Phone -> Parley and Parley -> phone through `leg`, with the phone's sessions keyed from the
// phone's own line and Parley's answer line.
void expect_media_both_ways(SecureLeg& leg, const sdp::CryptoAttribute& phone_line,
                            const sdp::CryptoAttribute& parley_line) {
  SrtpSession phone_out = session_from(phone_line, SrtpDirection::kOutbound);
  SrtpSession phone_in = session_from(parley_line, SrtpDirection::kInbound);
  NullSender sender;
  for (std::uint16_t sequence = 1; sequence <= 5; ++sequence) {
    Bytes packet = rtp_packet(sequence, 0x11);
    const std::size_t plain = packet.size();
    packet.resize(plain + kMaxSrtpTrailerBytes);
    const auto sealed = phone_out.protect_rtp(packet, plain);
    ASSERT_TRUE(sealed.ok());
    packet.resize(sealed.size);
    std::span<std::uint8_t> bytes(packet);
    ASSERT_EQ(leg.receive(bytes, {}, {}, sender), SecureLeg::Received::kRtp);
    EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), rtp_packet(sequence, 0x11));

    Bytes back = rtp_packet(sequence, 0x22);
    back.resize(back.size() + kMaxSrtpTrailerBytes);
    const auto size = leg.protect(back, rtp::kRtpHeaderBytes + 160, /*rtcp=*/false);
    ASSERT_TRUE(size.has_value());
    back.resize(*size);
    const auto opened = phone_in.unprotect_rtp(back);
    ASSERT_TRUE(opened.ok()) << to_string(opened.status);
    back.resize(opened.size);
    EXPECT_EQ(back, rtp_packet(sequence, 0x22));
  }
}

TEST(SdesNegotiation, AnswerKeysInteroperateWithThePhonesSessions) {
  for (const std::string_view suite : {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"}) {
    const std::string phone_value = "5 " + std::string(suite) + " inline:" + std::string(kPhoneKey);
    auto keys = answer_sdes(audio_with({phone_value}), nullptr);
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    EXPECT_EQ(keys->tag, 5U);
    const sdp::Attribute answer = keys->local_attribute();
    EXPECT_EQ(answer.name, "crypto");
    auto parley_line = sdp::parse_crypto(answer.value);
    ASSERT_TRUE(parley_line.ok());
    EXPECT_EQ(parley_line->tag, 5U);
    EXPECT_EQ(to_string(parley_line->suite), suite);
    // A fresh key of our own, not an echo of the phone's.
    EXPECT_EQ(answer.value.find(kPhoneKey), std::string::npos);

    auto leg = keys->make_leg();
    ASSERT_TRUE(leg.ok());
    auto phone_line = sdp::parse_crypto(phone_value);
    ASSERT_TRUE(phone_line.ok());
    expect_media_both_ways(**leg, *phone_line, *parley_line);
  }
}

TEST(SdesNegotiation, GcmAnswersInteroperateToo) {
  Bytes gcm(28, 0x5A);
  const std::string value = "1 AEAD_AES_128_GCM inline:" + sdp::encode_base64(gcm);
  auto keys = answer_sdes(audio_with({value}), nullptr);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  auto leg = keys->make_leg();
  ASSERT_TRUE(leg.ok());
  expect_media_both_ways(**leg, *sdp::parse_crypto(value),
                         *sdp::parse_crypto(keys->local_attribute().value));
}

TEST(SdesNegotiation, TakesTheFirstUsableLineAndSkipsTheRest) {
  auto keys = answer_sdes(
      audio_with({"1 AES_256_CM_HMAC_SHA1_80 inline:" + std::string(kOtherKey),
                  "2 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kPhoneKey) + "|2^20|1:4",
                  "3 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kPhoneKey) + " KDR=3",
                  "4 AES_CM_128_HMAC_SHA1_32 inline:" + std::string(kOtherKey),
                  "5 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kPhoneKey)}),
      nullptr);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(keys->tag, 4U);
  EXPECT_EQ(keys->suite, sdp::CryptoSuite::kAesCm128HmacSha1_32);
}

TEST(SdesNegotiation, NothingUsableIs488) {
  for (const auto& lines : std::vector<std::vector<std::string>>{
           {},
           {"1 AES_256_CM_HMAC_SHA1_80 inline:" + std::string(kOtherKey)},
           {"1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ="},
           {"1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kPhoneKey) + "|1:4"}}) {
    auto keys = answer_sdes(audio_with(lines), nullptr);
    ASSERT_FALSE(keys.ok());
    EXPECT_EQ(keys.error().code, 488);
    EXPECT_EQ(keys.error().message.find(kPhoneKey), std::string::npos);
  }
}

TEST(SdesNegotiation, AReofferWithTheSameKeyKeepsTheSessionsAndANewKeyGetsANewAnswer) {
  const std::string value = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kPhoneKey);
  auto first = answer_sdes(audio_with({value}), nullptr);
  ASSERT_TRUE(first.ok());
  auto again = answer_sdes(audio_with({value}), &*first);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(same_keys(*first, *again));
  auto rekeyed = answer_sdes(
      audio_with({"1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kOtherKey)}), &*first);
  ASSERT_TRUE(rekeyed.ok());
  EXPECT_FALSE(same_keys(*first, *rekeyed));
  EXPECT_NE(first->local_attribute().value, rekeyed->local_attribute().value);
}

TEST(SdesNegotiation, OurOfferAndThePhonesAnswerKeyOneLeg) {
  auto offer = SdesOffer::fresh();
  ASSERT_TRUE(offer.ok());
  const auto lines = offer->attributes();
  ASSERT_EQ(lines.size(), 2U);
  auto first = sdp::parse_crypto(lines[0].value);
  auto second = sdp::parse_crypto(lines[1].value);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->suite, sdp::CryptoSuite::kAesCm128HmacSha1_80);
  EXPECT_EQ(second->suite, sdp::CryptoSuite::kAesCm128HmacSha1_32);
  EXPECT_NE(first->tag, second->tag);
  EXPECT_NE(sdp::encode_base64(first->keys.front().bytes()),
            sdp::encode_base64(second->keys.front().bytes()));

  // The phone takes our second line and answers with its own key under the same tag.
  const std::string phone_value =
      std::to_string(second->tag) + " AES_CM_128_HMAC_SHA1_32 inline:" + std::string(kOtherKey);
  auto keys = accept_sdes_answer(*offer, audio_with({phone_value}));
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(keys->suite, sdp::CryptoSuite::kAesCm128HmacSha1_32);
  auto leg = keys->make_leg();
  ASSERT_TRUE(leg.ok());
  expect_media_both_ways(**leg, *sdp::parse_crypto(phone_value), *second);
}

TEST(SdesNegotiation, AnswersThatMatchNoOfferedLineAre488) {
  auto offer = SdesOffer::fresh();
  ASSERT_TRUE(offer.ok());
  const std::string key = " inline:" + std::string(kOtherKey);
  for (const auto& lines : std::vector<std::vector<std::string>>{
           {},
           {"9 AES_CM_128_HMAC_SHA1_80" + key},
           {"1 AES_CM_128_HMAC_SHA1_32" + key},
           {"1 AES_CM_128_HMAC_SHA1_80" + key, "2 AES_CM_128_HMAC_SHA1_32" + key},
           {"1 AES_CM_128_HMAC_SHA1_80 inline:bad"}}) {
    auto keys = accept_sdes_answer(*offer, audio_with(lines));
    ASSERT_FALSE(keys.ok());
    EXPECT_EQ(keys.error().code, 488);
  }
}

TEST(SdesLeg, DropsAndCountsForgedReplayedAndPlainPackets) {
  const std::string value = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kPhoneKey);
  auto keys = answer_sdes(audio_with({value}), nullptr);
  ASSERT_TRUE(keys.ok());
  auto made = keys->make_leg();
  ASSERT_TRUE(made.ok());
  SecureLeg& leg = **made;
  EXPECT_FALSE(leg.uses_ice());
  SrtpSession phone_out = session_from(*sdp::parse_crypto(value), SrtpDirection::kOutbound);
  NullSender sender;

  Bytes sealed = rtp_packet(7, 0x33);
  sealed.resize(sealed.size() + kMaxSrtpTrailerBytes);
  sealed.resize(phone_out.protect_rtp(sealed, rtp::kRtpHeaderBytes + 160).size);

  Bytes forged = sealed;
  forged[rtp::kRtpHeaderBytes + 1] ^= 0x40U;
  std::span<std::uint8_t> forged_bytes(forged);
  EXPECT_EQ(leg.receive(forged_bytes, {}, {}, sender), SecureLeg::Received::kDropped);

  Bytes plain = rtp_packet(8, 0x44);
  std::span<std::uint8_t> plain_bytes(plain);
  EXPECT_EQ(leg.receive(plain_bytes, {}, {}, sender), SecureLeg::Received::kDropped);

  Bytes first = sealed;
  std::span<std::uint8_t> first_bytes(first);
  EXPECT_EQ(leg.receive(first_bytes, {}, {}, sender), SecureLeg::Received::kRtp);
  Bytes replayed = sealed;
  std::span<std::uint8_t> replayed_bytes(replayed);
  EXPECT_EQ(leg.receive(replayed_bytes, {}, {}, sender), SecureLeg::Received::kDropped);

  Bytes runt{0x80, 0x00, 0x01};
  std::span<std::uint8_t> runt_bytes(runt);
  EXPECT_EQ(leg.receive(runt_bytes, {}, {}, sender), SecureLeg::Received::kDropped);

  EXPECT_EQ(leg.stats().srtp_auth_failed, 3U);  // forged, plain, replayed
  EXPECT_EQ(leg.stats().other_dropped, 1U);     // the runt
  const auto& counters = static_cast<SdesLeg&>(leg).inbound_counters();
  EXPECT_EQ(counters.auth_failures, 2U);
  EXPECT_EQ(counters.replays, 1U);
  EXPECT_EQ(counters.packets, 1U);
}

}  // namespace
}  // namespace parley::media
