#pragma once
// A "browser" for the WebRTC tests, made of Parley's own parts: its SDP offer, the ICE binding
// request Chrome sends a lite peer, and a DTLS client with its own certificate whose SRTP
// sessions protect what it sends and check what it gets. It talks over a UdpTestPeer on
// 127.0.0.1 to whatever terminates the leg (the relay's MediaService, a LocalEndpoint). Not a
// test target itself.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "media/codecs/codec.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "protocol/sdp/session_description.hpp"
#include "protocol/stun/integrity.hpp"
#include "protocol/stun/message.hpp"
#include "protocol/stun/writer.hpp"
#include "support/udp_test_peer.hpp"
#include "webrtc/dtls_endpoint.hpp"
#include "webrtc/dtls_identity.hpp"

namespace parley::webrtc::test {

using Bytes = std::vector<std::uint8_t>;

inline const protocol::sdp::Attribute* attribute(const protocol::sdp::Media& media,
                                                 std::string_view name) {
  for (const auto& item : media.attributes) {
    if (item.name == name) return &item;
  }
  return nullptr;
}

inline bool has_session_attribute(const protocol::sdp::SessionDescription& description,
                                  std::string_view name, std::string_view value) {
  for (const auto& item : description.attributes) {
    if (item.name == name && item.value == value) return true;
  }
  return false;
}

// What a browser would offer: opus, PCMU and telephone-event over DTLS-SRTP with ICE
// credentials and actpass, bundled with a video stream.
inline std::string browser_offer(std::uint16_t port, const std::string& fingerprint) {
  const std::string p = std::to_string(port);
  return "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
         "a=group:BUNDLE 0 1\r\na=msid-semantic: WMS stream\r\n"
         "m=audio " +
         p +
         " UDP/TLS/RTP/SAVPF 111 0 126\r\n"
         "c=IN IP4 127.0.0.1\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
         "a=candidate:1 1 udp 2122260223 127.0.0.1 " +
         p +
         " typ host generation 0\r\n"
         "a=ice-ufrag:brws\r\na=ice-pwd:browserpasswordbrowser1\r\na=ice-options:trickle\r\n"
         "a=fingerprint:" +
         fingerprint +
         "\r\na=setup:actpass\r\na=mid:0\r\n"
         "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
         "a=sendrecv\r\na=msid:stream track\r\na=rtcp-mux\r\n"
         "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
         "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
         "a=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n"
         "a=ssrc:1111 cname:browser\r\n"
         "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
         "a=ice-ufrag:brws\r\na=ice-pwd:browserpasswordbrowser1\r\n"
         "a=fingerprint:" +
         fingerprint +
         "\r\na=setup:actpass\r\na=rtcp-mux\r\n"
         "a=rtpmap:96 VP8/90000\r\n";
}

// A binding request as Chrome sends it to a lite peer: USERNAME "theirs:ours", PRIORITY,
// ICE-CONTROLLING, USE-CANDIDATE, signed with the lite agent's password.
inline Bytes binding_request(const std::string& username, const std::string& password,
                             bool nominate, std::uint8_t id = 7) {
  namespace stun = protocol::stun;
  Bytes out(512);
  stun::TransactionId transaction;
  transaction.bytes.fill(id);
  stun::MessageWriter writer(out, stun::MessageClass::kRequest, stun::kMethodBinding, transaction);
  writer.add_username(username);
  writer.add_priority(0x6e0001ff);
  writer.add_ice_controlling(0x1122334455667788ULL);
  if (nominate) writer.add_use_candidate();
  writer.add_message_integrity(stun::short_term_key(password));
  writer.add_fingerprint();
  out.resize(writer.finish().value());
  return out;
}

class TestBrowser {
 public:
  TestBrowser() {
    auto identity = DtlsIdentity::generate();
    EXPECT_TRUE(identity.ok());
    identity_ = std::move(identity).value();
  }

  parley::test::UdpTestPeer& socket() { return socket_; }
  std::string offer() const { return browser_offer(socket_.port(), identity_->fingerprint()); }

  // Runs the ICE check and the DTLS handshake (as the client: the far end answered passive)
  // against the audio stream of `answer`.
  void connect(const protocol::sdp::SessionDescription& answer) {
    using namespace std::chrono_literals;
    namespace stun = protocol::stun;
    ASSERT_FALSE(answer.media.empty());
    const protocol::sdp::Media& audio = answer.media[0];
    far_port_ = audio.port;
    ASSERT_NE(attribute(audio, "ice-ufrag"), nullptr);
    ASSERT_NE(attribute(audio, "fingerprint"), nullptr);
    password_ = attribute(audio, "ice-pwd")->value;
    username_ = attribute(audio, "ice-ufrag")->value + ":brws";
    socket_.send(far_port_, binding_request(username_, password_, true));
    auto response = socket_.receive();
    ASSERT_TRUE(response.has_value());
    auto parsed = stun::parse_message(*response);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->message_class, stun::MessageClass::kSuccessResponse);
    EXPECT_TRUE(stun::verify_message_integrity(*parsed, stun::short_term_key(password_)));

    DtlsEndpointOptions options;
    options.role = DtlsRole::kClient;
    options.remote_fingerprint = attribute(audio, "fingerprint")->value;
    auto endpoint = DtlsEndpoint::create(identity_, options);
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    dtls_.emplace(std::move(endpoint).value());
    std::vector<Datagram> out;
    dtls_->start(out);
    for (int round = 0; round < 20 && dtls_->state() != DtlsState::kConnected; ++round) {
      for (const Datagram& datagram : out) socket_.send(far_port_, datagram);
      out.clear();
      // Media may already arrive (a LocalEndpoint sends from its first tick): skip it.
      auto got = socket_.receive(500ms);
      if (got && protocol::rtp::parse_rtp(*got).has_value()) continue;
      if (got) {
        dtls_->receive(*got, out);
      } else {
        dtls_->on_timer(out);
      }
    }
    for (const Datagram& datagram : out) socket_.send(far_port_, datagram);
    ASSERT_EQ(dtls_->state(), DtlsState::kConnected);
    auto sessions = dtls_->srtp_sessions();
    ASSERT_TRUE(sessions.ok());
    srtp_.emplace(std::move(sessions).value());
  }

  std::uint16_t far_port() const { return far_port_; }
  const std::string& username() const { return username_; }

  Bytes protect(Bytes packet) {
    const std::size_t size = packet.size();
    packet.resize(size + kMaxSrtpTrailerBytes);
    const SrtpResult result = srtp_->outbound.protect_rtp(packet, size);
    EXPECT_TRUE(result.ok());
    packet.resize(result.size);
    return packet;
  }
  // Decodes (Opus, payload type 111) the SRTP packets that arrive until none comes for `quiet`
  // or `at_most` did, appending the PCM to `heard`; a packet that does not authenticate or
  // decode fails the test. SRTCP (muxed) is authenticated and counted toward `at_most`.
  void hear_opus(media::AudioCodec& opus, std::vector<std::int16_t>& heard,
                 std::chrono::milliseconds quiet, int at_most = 1000) {
    std::vector<std::int16_t> pcm(5760);
    for (int count = 0; count < at_most; ++count) {
      auto got = socket_.receive(quiet);
      if (!got) return;
      if (protocol::rtp::is_rtcp(*got)) {
        // Parley's own reports on a transcoded leg (rtcp-mux): they must authenticate too.
        Bytes report = *got;
        ASSERT_TRUE(srtp_->inbound.unprotect_rtcp(report).ok())
            << "an RTCP packet from the far end did not authenticate";
        continue;
      }
      const auto clear = unprotect(*got);
      ASSERT_TRUE(clear.has_value()) << "a packet from the far end did not authenticate";
      const auto view = protocol::rtp::parse_rtp(*clear);
      ASSERT_TRUE(view.has_value());
      ASSERT_EQ(view->payload_type, 111);
      const auto samples = opus.decode(view->payload, pcm);
      ASSERT_TRUE(samples.ok());
      heard.insert(heard.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(*samples));
    }
  }

  // Plain RTP from SRTP the far end sent, nullopt when it does not authenticate.
  std::optional<Bytes> unprotect(Bytes packet) {
    const SrtpResult clear = srtp_->inbound.unprotect_rtp(packet);
    if (!clear.ok()) return std::nullopt;
    packet.resize(clear.size);
    return packet;
  }

 private:
  parley::test::UdpTestPeer socket_;
  std::shared_ptr<const DtlsIdentity> identity_;
  std::uint16_t far_port_ = 0;
  std::string username_;
  std::string password_;
  std::optional<DtlsEndpoint> dtls_;
  std::optional<DtlsSrtpSessions> srtp_;
};

}  // namespace parley::webrtc::test
