// A desk phone with SDES-SRTP calling an application (decision 0043): LocalEndpoint answers its
// RTP/SAVP offer with a key of its own, decrypts what the phone sends before the jitter buffer
// and encrypts what it plays, with real sockets on loopback and an echo listener behind it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "local_endpoint_test_util.hpp"
#include "media/codecs/registry.hpp"
#include "media/codecs/tone.hpp"
#include "media/local_endpoint.hpp"
#include "media/rtp_relay.hpp"
#include "media/sdes_negotiation.hpp"
#include "media/srtp_session.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "protocol/sdp/crypto_attribute.hpp"
#include "protocol/sdp/session_description.hpp"
#include "srtp_test_util.hpp"

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;
namespace sdp = protocol::sdp;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

constexpr std::string_view kPhoneLine =
    "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

// webrtc's test ports (62000-62999): 62800 up for this file.
std::uint16_t port_base() {
  return static_cast<std::uint16_t>(62800 + (::getpid() % 50) * 4);
}

using sdes_test::srtp_session_of;

class LocalEndpointSdesTest : public ::testing::Test {
 protected:
  LocalEndpointSdesTest()
      : pool_(1), ports_(port_base(), static_cast<std::uint16_t>(port_base() + 3)) {
    pool_.start();
  }
  ~LocalEndpointSdesTest() override {
    test::run_on(pool_, [this] { endpoint_.reset(); });
    pool_.shutdown(std::chrono::milliseconds(200));
  }

  Result<std::string> answer(const std::string& offer, bool sdes = true) {
    LocalEndpointOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    options.sdes = sdes;
    Result<std::string> result = Error{500, "not run"};
    test::run_on(pool_, [&] {
      if (!endpoint_) {
        auto made = LocalEndpoint::create(pool_, 0, ports_, clock_, options, listener_);
        ASSERT_TRUE(made.ok()) << made.error().message;
        endpoint_ = std::move(made).value();
      }
      result = endpoint_->answer(offer);
    });
    return result;
  }

  std::string phone_offer() const {
    return test::offer_sdp(phone_.port(), {"0 PCMU/8000"},
                           "a=rtcp-mux\r\na=crypto:" + std::string(kPhoneLine) + "\r\n",
                           "RTP/SAVP");
  }

  net::WorkerPool pool_;
  PortPool ports_;
  SteadyClock clock_;
  test::EchoListener listener_;
  std::unique_ptr<LocalEndpoint> endpoint_;
  test::UdpPeer phone_;
};

TEST_F(LocalEndpointSdesTest, RefusesSdesWhenTurnedOff) {
  auto refused = answer(phone_offer(), /*sdes=*/false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 488);
}

TEST_F(LocalEndpointSdesTest, ThePhoneHearsItsOwnToneBackOverSrtpAndKeepsTheKeysOnAReInvite) {
  auto text = answer(phone_offer());
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto parsed = sdp::parse(*text);
  ASSERT_TRUE(parsed.ok());
  const sdp::Media& audio = parsed->media[0];
  EXPECT_EQ(audio.protocol, "RTP/SAVP");
  std::string ours;
  for (const auto& attribute : audio.attributes) {
    if (attribute.name == "crypto") ours = attribute.value;
  }
  ASSERT_TRUE(ours.starts_with("1 AES_CM_128_HMAC_SHA1_80 inline:")) << *text;
  EXPECT_EQ(ours.find("PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"), std::string::npos);
  // The same offer again (a re-INVITE): the same key, so the SRTP sessions go on.
  auto again = answer(phone_offer());
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->find(ours), std::string::npos);

  SrtpSession to_endpoint = srtp_session_of(kPhoneLine, SrtpDirection::kOutbound);
  SrtpSession from_endpoint = srtp_session_of(ours, SrtpDirection::kInbound);
  auto pcmu = create_codec({"PCMU", 8000, 1, "", CodecUse::kBoth});
  ASSERT_TRUE(pcmu.ok());
  constexpr double kPi = 3.14159265358979323846;
  std::vector<std::int16_t> heard;
  std::uint64_t plain_seen = 0;
  for (int frame = 0; frame < 40; ++frame) {
    std::vector<std::int16_t> pcm(160);
    for (std::size_t i = 0; i < pcm.size(); ++i) {
      const double t = static_cast<double>(frame * 160 + static_cast<int>(i)) / 8000.0;
      pcm[i] = static_cast<std::int16_t>(8000.0 * std::sin(2.0 * kPi * 1000.0 * t));
    }
    Bytes packet(rtp::kRtpHeaderBytes + 160);
    auto size = (*pcmu)->encode(pcm, std::span(packet).subspan(rtp::kRtpHeaderBytes));
    ASSERT_TRUE(size.ok());
    packet.resize(rtp::kRtpHeaderBytes + *size);
    rtp::write_header(packet, 0, frame == 0, static_cast<std::uint16_t>(50 + frame),
                      static_cast<std::uint32_t>(frame * 160), 0xB0B);
    phone_.send(endpoint_->local_port(), sdes_test::seal(to_endpoint, packet));
    // The endpoint sends one frame per 20 ms of its own clock, whatever it hears: reading one
    // frame per frame sent keeps the test at that pace, so the echo never runs dry (reading two
    // made the test send at half the rate on a quiet machine, and the echo came back gapped).
    for (int read = 0; read < 1; ++read) {
      auto got = phone_.receive(40ms);
      if (!got) break;
      Bytes bytes = *got;
      const auto clear = from_endpoint.unprotect_rtp(bytes);
      if (!clear.ok()) {
        ++plain_seen;
        continue;
      }
      auto view = rtp::parse_rtp(std::span(bytes).first(clear.size));
      ASSERT_TRUE(view.has_value());
      std::vector<std::int16_t> decoded(view->payload.size());
      ASSERT_TRUE((*pcmu)->decode(view->payload, decoded).ok());
      heard.insert(heard.end(), decoded.begin(), decoded.end());
    }
  }
  EXPECT_EQ(plain_seen, 0U);
  // Its first frames were silence (nothing to echo yet): judge the best 200 ms.
  ASSERT_GE(heard.size(), 20U * 160U);
  double best = -100.0;
  for (std::size_t at = 0; at + 1600 <= heard.size(); at += 160) {
    best = std::max(
        best,
        tone_to_residual_db(std::span<const std::int16_t>(heard).subspan(at, 1600), 1000.0, 8000));
  }
  EXPECT_GT(best, 10.0);
}

}  // namespace
}  // namespace parley::media
