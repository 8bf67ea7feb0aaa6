// SrtpSession against RFC 3711: the libsrtp2 crypto kernel checked with the Appendix B.2
// keystream, and our wrapper checked byte for byte against SRTP computed independently here
// (RFC 3711 §4.3 key derivation, §4.1.1 AES-CM and §4.2 HMAC-SHA1-80 with OpenSSL EVP), so a
// wrapper that mis-keys, mis-orders key and salt or mis-indexes packets fails.

#include "media/srtp_session.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// libsrtp2 exports its cipher and hash descriptors, but only its private headers declare them.
extern "C" {
extern const srtp_cipher_type_t srtp_aes_icm_128;
extern const srtp_cipher_type_t srtp_aes_gcm_128;
extern const srtp_auth_type_t srtp_hmac;
}

namespace parley::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes hex(std::string_view text) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// RFC 3711 Appendix B.3.
const Bytes kMasterKey = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
const Bytes kMasterSalt = hex("0EC675AD498AFEEBB6960B3AABE6");

// AES-128 in counter mode from a 16-byte initial counter block, with OpenSSL.
Bytes aes_ctr(const Bytes& key, const std::array<std::uint8_t, 16>& iv, const Bytes& input) {
  Bytes out(input.size());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int length = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr, key.data(), iv.data()), 1);
  EXPECT_EQ(
      EVP_EncryptUpdate(ctx, out.data(), &length, input.data(), static_cast<int>(input.size())), 1);
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

// RFC 3711 §4.3.1 with key_derivation_rate 0: x = (label << 48) XOR master salt, the keystream
// of AES-CM under the master key from IV x * 2^16.
Bytes derive(const Bytes& master_key, const Bytes& master_salt, std::uint8_t label,
             std::size_t length) {
  std::array<std::uint8_t, 16> iv{};
  std::copy(master_salt.begin(), master_salt.end(), iv.begin());
  iv[7] ^= label;
  return aes_ctr(master_key, iv, Bytes(length, 0));
}

struct SessionKeys {
  Bytes cipher, auth, salt;
};

SessionKeys derive_rtp(const Bytes& key, const Bytes& salt) {
  return {derive(key, salt, 0, 16), derive(key, salt, 1, 20), derive(key, salt, 2, 14)};
}

SessionKeys derive_rtcp(const Bytes& key, const Bytes& salt) {
  return {derive(key, salt, 3, 16), derive(key, salt, 4, 20), derive(key, salt, 5, 14)};
}

// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).
std::array<std::uint8_t, 16> packet_iv(const Bytes& session_salt, std::uint32_t ssrc,
                                       std::uint64_t index) {
  std::array<std::uint8_t, 16> iv{};
  std::copy(session_salt.begin(), session_salt.end(), iv.begin());
  for (int i = 0; i < 4; ++i) iv[4 + i] ^= static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<std::uint8_t>(index >> (40 - 8 * i));
  return iv;
}

Bytes hmac_sha1_80(const Bytes& key, const Bytes& message) {
  unsigned char digest[20];
  unsigned int length = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), digest,
       &length);
  return Bytes(digest, digest + 10);
}

std::uint32_t read32(const Bytes& bytes, std::size_t at) {
  return std::uint32_t{bytes[at]} << 24 | std::uint32_t{bytes[at + 1]} << 16 |
         std::uint32_t{bytes[at + 2]} << 8 | bytes[at + 3];
}

// SRTP of a packet with a 12-byte header and no CSRCs or extension (RFC 3711 §3.1).
Bytes reference_srtp(const Bytes& plain, std::uint32_t roc) {
  const auto keys = derive_rtp(kMasterKey, kMasterSalt);
  const std::uint16_t sequence = static_cast<std::uint16_t>(plain[2] << 8 | plain[3]);
  const std::uint64_t index = (std::uint64_t{roc} << 16) | sequence;
  Bytes payload(plain.begin() + 12, plain.end());
  Bytes out(plain.begin(), plain.begin() + 12);
  const Bytes encrypted =
      aes_ctr(keys.cipher, packet_iv(keys.salt, read32(plain, 8), index), payload);
  out.insert(out.end(), encrypted.begin(), encrypted.end());
  Bytes authenticated = out;
  for (int i = 0; i < 4; ++i)
    authenticated.push_back(static_cast<std::uint8_t>(roc >> (24 - 8 * i)));
  const Bytes tag = hmac_sha1_80(keys.auth, authenticated);
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

// SRTCP (RFC 3711 §3.4): encrypted after the first 8 bytes, then E||index, then the tag.
Bytes reference_srtcp(const Bytes& plain, std::uint32_t index) {
  const auto keys = derive_rtcp(kMasterKey, kMasterSalt);
  Bytes out(plain.begin(), plain.begin() + 8);
  const Bytes encrypted = aes_ctr(keys.cipher, packet_iv(keys.salt, read32(plain, 4), index),
                                  Bytes(plain.begin() + 8, plain.end()));
  out.insert(out.end(), encrypted.begin(), encrypted.end());
  const std::uint32_t e_index = 0x80000000U | index;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(e_index >> (24 - 8 * i)));
  const Bytes tag = hmac_sha1_80(keys.auth, out);
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

Bytes rtp_packet(std::uint16_t sequence, std::size_t payload_bytes) {
  Bytes packet = {0x80,
                  0x0F,
                  static_cast<std::uint8_t>(sequence >> 8),
                  static_cast<std::uint8_t>(sequence),
                  0xDE,
                  0xCA,
                  0xFB,
                  0xAD,
                  0xCA,
                  0xFE,
                  0xBA,
                  0xBE};
  for (std::size_t i = 0; i < payload_bytes; ++i) packet.push_back(0xAB);
  return packet;
}

// A receiver report with one report block (RFC 3550 §6.4.2), 32 bytes.
Bytes rtcp_packet() {
  Bytes packet = hex("81C90007CAFEBABE");
  for (int i = 0; i < 24; ++i) packet.push_back(static_cast<std::uint8_t>(i));
  return packet;
}

SrtpSession make(SrtpDirection direction, SrtpProfile profile = SrtpProfile::kAes128CmHmacSha1_80,
                 const SrtpSessionOptions& options = {}) {
  const Bytes salt(kMasterSalt.begin(),
                   kMasterSalt.begin() + static_cast<long>(master_salt_bytes(profile)));
  auto session = SrtpSession::create(direction, profile, kMasterKey, salt, options);
  EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.error().message);
  return std::move(*session);
}

Bytes protect(SrtpSession& session, const Bytes& plain, bool rtcp = false) {
  Bytes buffer = plain;
  buffer.resize(plain.size() + kMaxSrtpTrailerBytes);
  const auto result =
      rtcp ? session.protect_rtcp(buffer, plain.size()) : session.protect_rtp(buffer, plain.size());
  EXPECT_TRUE(result.ok()) << to_string(result.status);
  buffer.resize(result.size);
  return buffer;
}

TEST(SrtpReference, KeyDerivationMatchesRfc3711AppendixB3) {
  const auto keys = derive_rtp(kMasterKey, kMasterSalt);
  EXPECT_EQ(keys.cipher, hex("C61E7A93744F39EE10734AFE3FF7A087"));
  EXPECT_EQ(keys.salt, hex("30CBBC08863D8C85D49DB34A9AE1"));
  EXPECT_EQ(keys.auth, hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
}

TEST(SrtpReference, AesCmKeystreamMatchesRfc3711AppendixB2) {
  const Bytes key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
  std::array<std::uint8_t, 16> iv{};
  const Bytes salt = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  std::copy(salt.begin(), salt.end(), iv.begin());
  EXPECT_EQ(aes_ctr(key, iv, Bytes(48, 0)),
            hex("E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
                "41E95B3BB0A2E8DD477901E4FCA894C0"));
}

TEST(LibsrtpSelfTest, CryptoKernelPassesItsKnownAnswers) {
  // The first session runs srtp_init(), which self-tests every cipher and hash it loads;
  // creating one fails if any of them fails.
  ASSERT_TRUE(SrtpSession::create(SrtpDirection::kInbound, SrtpProfile::kAes128CmHmacSha1_80,
                                  kMasterKey, kMasterSalt)
                  .ok());
  EXPECT_EQ(srtp_cipher_type_self_test(&srtp_aes_icm_128), srtp_err_status_ok);
  EXPECT_EQ(srtp_cipher_type_self_test(&srtp_aes_gcm_128), srtp_err_status_ok);
  EXPECT_EQ(srtp_auth_type_self_test(&srtp_hmac), srtp_err_status_ok);
}

TEST(LibsrtpSelfTest, AesIcmReproducesRfc3711AppendixB2) {
  ASSERT_TRUE(SrtpSession::create(SrtpDirection::kInbound, SrtpProfile::kAes128CmHmacSha1_80,
                                  kMasterKey, kMasterSalt)
                  .ok());
  // libsrtp's AES-ICM takes key || salt and XORs the IV into the salted counter, so a zero IV
  // gives the B.2 counter F0F1...FD0000.
  const Bytes key_and_salt = hex("2B7E151628AED2A6ABF7158809CF4F3CF0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  std::array<std::uint8_t, 16> index{};
  const Bytes zeros(48, 0);
  const Bytes keystream =
      hex("E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
          "41E95B3BB0A2E8DD477901E4FCA894C0");
  const srtp_cipher_test_case_t b2 = {static_cast<int>(key_and_salt.size()),
                                      key_and_salt.data(),
                                      index.data(),
                                      static_cast<unsigned>(zeros.size()),
                                      zeros.data(),
                                      static_cast<unsigned>(keystream.size()),
                                      keystream.data(),
                                      0,
                                      nullptr,
                                      0,
                                      nullptr};
  EXPECT_EQ(srtp_cipher_type_test(&srtp_aes_icm_128, &b2), srtp_err_status_ok);
}

TEST(SrtpSession, ProtectsRtpExactlyAsRfc3711) {
  auto session = make(SrtpDirection::kOutbound);
  const Bytes plain = rtp_packet(0x1234, 16);
  const Bytes expected = reference_srtp(plain, 0);
  EXPECT_EQ(protect(session, plain), expected);
  // The same packet as published with libsrtp's own test driver.
  EXPECT_EQ(expected, hex("800F1234DECAFBADCAFEBABE4E55DC4CE79978D88CA4D215949D2402B78D6ACC"
                          "99EA179B8DBB"));
}

TEST(SrtpSession, RolloverCounterAdvancesAcrossSequenceWrap) {
  auto session = make(SrtpDirection::kOutbound);
  EXPECT_EQ(protect(session, rtp_packet(0xFFFF, 40)), reference_srtp(rtp_packet(0xFFFF, 40), 0));
  EXPECT_EQ(protect(session, rtp_packet(0x0000, 40)), reference_srtp(rtp_packet(0x0000, 40), 1));
}

TEST(SrtpSession, ProtectsRtcpExactlyAsRfc3711) {
  auto session = make(SrtpDirection::kOutbound);
  const Bytes plain = rtcp_packet();
  const Bytes protected_bytes = protect(session, plain, true);
  ASSERT_EQ(protected_bytes.size(), plain.size() + rtcp_trailer_bytes(session.profile()));
  const std::uint32_t e_index = read32(protected_bytes, plain.size());
  ASSERT_NE(e_index & 0x80000000U, 0U);  // E: encrypted
  EXPECT_EQ(protected_bytes, reference_srtcp(plain, e_index & 0x7FFFFFFFU));
  // A second packet takes the next SRTCP index.
  const Bytes next = protect(session, plain, true);
  EXPECT_EQ(next, reference_srtcp(plain, (e_index & 0x7FFFFFFFU) + 1));
}

TEST(SrtpSession, UnprotectsReferencePackets) {
  auto session = make(SrtpDirection::kInbound);
  Bytes srtp = reference_srtp(rtp_packet(7, 100), 0);
  auto result = session.unprotect_rtp(srtp);
  ASSERT_TRUE(result.ok()) << to_string(result.status);
  srtp.resize(result.size);
  EXPECT_EQ(srtp, rtp_packet(7, 100));

  Bytes srtcp = reference_srtcp(rtcp_packet(), 5);
  result = session.unprotect_rtcp(srtcp);
  ASSERT_TRUE(result.ok()) << to_string(result.status);
  srtcp.resize(result.size);
  EXPECT_EQ(srtcp, rtcp_packet());
  EXPECT_EQ(session.counters().packets, 2U);
}

class SrtpProfiles : public ::testing::TestWithParam<SrtpProfile> {};

TEST_P(SrtpProfiles, RoundTripsRtpAndRtcp) {
  auto sender = make(SrtpDirection::kOutbound, GetParam());
  auto receiver = make(SrtpDirection::kInbound, GetParam());
  for (std::uint16_t sequence = 100; sequence < 110; ++sequence) {
    Bytes packet = protect(sender, rtp_packet(sequence, 160));
    ASSERT_EQ(packet.size(), 12 + 160 + rtp_trailer_bytes(GetParam()));
    EXPECT_NE(Bytes(packet.begin() + 12, packet.begin() + 172), Bytes(160, 0xAB));
    const auto result = receiver.unprotect_rtp(packet);
    ASSERT_TRUE(result.ok()) << to_string(result.status);
    packet.resize(result.size);
    EXPECT_EQ(packet, rtp_packet(sequence, 160));
  }
  Bytes report = protect(sender, rtcp_packet(), true);
  ASSERT_EQ(report.size(), rtcp_packet().size() + rtcp_trailer_bytes(GetParam()));
  const auto result = receiver.unprotect_rtcp(report);
  ASSERT_TRUE(result.ok()) << to_string(result.status);
  report.resize(result.size);
  EXPECT_EQ(report, rtcp_packet());
}

TEST_P(SrtpProfiles, TamperedPacketsFailAuthentication) {
  auto sender = make(SrtpDirection::kOutbound, GetParam());
  auto receiver = make(SrtpDirection::kInbound, GetParam());
  const Bytes packet = protect(sender, rtp_packet(1, 50));
  for (const std::size_t at : {std::size_t{1}, std::size_t{20}, packet.size() - 1}) {
    Bytes tampered = packet;
    tampered[at] ^= 0x01;
    EXPECT_EQ(receiver.unprotect_rtp(tampered).status, SrtpStatus::kAuthFailed) << at;
  }
  const Bytes report = protect(sender, rtcp_packet(), true);
  Bytes tampered = report;
  tampered[10] ^= 0x80;
  EXPECT_EQ(receiver.unprotect_rtcp(tampered).status, SrtpStatus::kAuthFailed);
  EXPECT_EQ(receiver.counters().auth_failures, 4U);
  // The genuine packets still pass afterwards.
  Bytes genuine = packet;
  EXPECT_TRUE(receiver.unprotect_rtp(genuine).ok());
}

TEST_P(SrtpProfiles, ReplayedPacketsFailReplayCheck) {
  auto sender = make(SrtpDirection::kOutbound, GetParam());
  auto receiver = make(SrtpDirection::kInbound, GetParam());
  const Bytes packet = protect(sender, rtp_packet(500, 20));
  Bytes first = packet;
  ASSERT_TRUE(receiver.unprotect_rtp(first).ok());
  Bytes again = packet;
  EXPECT_EQ(receiver.unprotect_rtp(again).status, SrtpStatus::kReplayed);

  const Bytes report = protect(sender, rtcp_packet(), true);
  Bytes report_first = report;
  ASSERT_TRUE(receiver.unprotect_rtcp(report_first).ok());
  Bytes report_again = report;
  EXPECT_EQ(receiver.unprotect_rtcp(report_again).status, SrtpStatus::kReplayed);
  EXPECT_EQ(receiver.counters().replays, 2U);
}

TEST_P(SrtpProfiles, TruncatedInputIsRefusedCleanly) {
  auto sender = make(SrtpDirection::kOutbound, GetParam());
  auto receiver = make(SrtpDirection::kInbound, GetParam());
  const Bytes packet = protect(sender, rtp_packet(9, 30));
  for (std::size_t length = 0; length < 12 + rtp_trailer_bytes(GetParam()); ++length) {
    Bytes cut(packet.begin(), packet.begin() + static_cast<long>(length));
    const auto status = receiver.unprotect_rtp(cut).status;
    EXPECT_TRUE(status == SrtpStatus::kMalformed || status == SrtpStatus::kAuthFailed) << length;
  }
  for (std::size_t length = 0; length < 8 + rtcp_trailer_bytes(GetParam()); ++length) {
    Bytes cut(packet.begin(), packet.begin() + static_cast<long>(length));
    EXPECT_EQ(receiver.unprotect_rtcp(cut).status, SrtpStatus::kMalformed) << length;
  }
  // A header whose CSRC count and extension run past the packet.
  Bytes overlong = packet;
  overlong[0] = 0x9F;
  EXPECT_EQ(receiver.unprotect_rtp(overlong).status, SrtpStatus::kMalformed);
  Bytes not_v2 = packet;
  not_v2[0] = 0x40;
  EXPECT_EQ(receiver.unprotect_rtp(not_v2).status, SrtpStatus::kMalformed);
  EXPECT_EQ(receiver.counters().packets, 0U);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpProfiles,
                         ::testing::Values(SrtpProfile::kAes128CmHmacSha1_80,
                                           SrtpProfile::kAes128CmHmacSha1_32,
                                           SrtpProfile::kAeadAes128Gcm),
                         [](const auto& info) {
                           switch (info.param) {
                             case SrtpProfile::kAeadAes128Gcm:
                               return "AeadAes128Gcm";
                             case SrtpProfile::kAes128CmHmacSha1_32:
                               return "Aes128CmSha1_32";
                             default:
                               return "Aes128CmSha1_80";
                           }
                         });

TEST(SrtpSession, ProtectNeedsRoomForTheTrailer) {
  auto session = make(SrtpDirection::kOutbound);
  Bytes buffer = rtp_packet(1, 20);
  const std::size_t size = buffer.size();
  buffer.resize(size + 9);
  EXPECT_EQ(session.protect_rtp(buffer, size).status, SrtpStatus::kNoRoom);
  EXPECT_EQ(session.protect_rtp(buffer, buffer.size() + 1).status, SrtpStatus::kMalformed);
  buffer.resize(size + 10);
  EXPECT_TRUE(session.protect_rtp(buffer, size).ok());
}

TEST(SrtpSession, EachSessionWorksInOneDirectionOnly) {
  auto outbound = make(SrtpDirection::kOutbound);
  auto inbound = make(SrtpDirection::kInbound);
  Bytes packet = rtp_packet(3, 20);
  packet.resize(packet.size() + kMaxSrtpTrailerBytes);
  EXPECT_EQ(inbound.protect_rtp(packet, 32).status, SrtpStatus::kWrongDirection);
  EXPECT_EQ(outbound.unprotect_rtp(packet).status, SrtpStatus::kWrongDirection);
}

TEST(SrtpSession, RefusesKeysOfTheWrongLength) {
  EXPECT_FALSE(SrtpSession::create(SrtpDirection::kInbound, SrtpProfile::kAes128CmHmacSha1_80,
                                   Bytes(15, 1), Bytes(14, 2))
                   .ok());
  EXPECT_FALSE(SrtpSession::create(SrtpDirection::kInbound, SrtpProfile::kAeadAes128Gcm,
                                   Bytes(16, 1), Bytes(14, 2))
                   .ok());
  SrtpSessionOptions narrow;
  narrow.replay_window = 10;
  EXPECT_FALSE(SrtpSession::create(SrtpDirection::kInbound, SrtpProfile::kAes128CmHmacSha1_80,
                                   Bytes(16, 1), Bytes(14, 2), narrow)
                   .ok());
}

}  // namespace
}  // namespace parley::media
