#pragma once
// Helpers for the SDES tests: the SRTP session an a=crypto line keys, and sealing a plain RTP
// packet with it. Not a test target itself.

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "media/sdes_negotiation.hpp"
#include "media/srtp_session.hpp"
#include "protocol/sdp/crypto_attribute.hpp"

namespace parley::media::sdes_test {

// The session `crypto` (an a=crypto value) keys in `direction`.
inline SrtpSession srtp_session_of(std::string_view crypto, SrtpDirection direction) {
  auto line = protocol::sdp::parse_crypto(crypto);
  EXPECT_TRUE(line.ok());
  const protocol::sdp::CryptoKey& key = line->keys.front();
  auto made = SrtpSession::create(direction, srtp_profile_of(line->suite),
                                  key.master_key(line->suite), key.master_salt(line->suite));
  EXPECT_TRUE(made.ok());
  return std::move(made).value();
}

// `packet` (plain RTP) protected by `out`.
inline std::vector<std::uint8_t> seal(SrtpSession& out, std::vector<std::uint8_t> packet) {
  const std::size_t plain = packet.size();
  packet.resize(plain + kMaxSrtpTrailerBytes);
  const auto sealed = out.protect_rtp(packet, plain);
  EXPECT_TRUE(sealed.ok());
  packet.resize(sealed.size);
  return packet;
}

}  // namespace parley::media::sdes_test
