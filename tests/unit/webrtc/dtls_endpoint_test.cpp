// Two real DtlsEndpoints (OpenSSL on both sides) handshaking in memory: keys, fingerprints,
// lost flights recovered by the retransmission timer, garbage, and every way a handshake fails.

#include "webrtc/dtls_endpoint.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace parley::webrtc {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

const std::shared_ptr<const DtlsIdentity>& identity(int which) {
  static const auto identities = [] {
    std::vector<std::shared_ptr<const DtlsIdentity>> made;
    for (int i = 0; i < 3; ++i) made.push_back(*DtlsIdentity::generate());
    return made;
  }();
  return identities.at(static_cast<std::size_t>(which));
}

constexpr int kClientIdentity = 0;
constexpr int kServerIdentity = 1;
constexpr int kStranger = 2;

DtlsEndpointOptions options_for(DtlsRole role, int expected_peer) {
  DtlsEndpointOptions options;
  options.role = role;
  options.remote_fingerprint = identity(expected_peer)->fingerprint();
  options.initial_retransmit = 20ms;
  options.max_retransmit_interval = 80ms;
  return options;
}

DtlsEndpoint make(const DtlsEndpointOptions& options, int own_identity) {
  auto endpoint = DtlsEndpoint::create(identity(own_identity), options);
  EXPECT_TRUE(endpoint.ok()) << (endpoint.ok() ? "" : endpoint.error().message);
  return std::move(*endpoint);
}

bool settled(const DtlsEndpoint& endpoint) {
  return endpoint.state() != DtlsState::kConnecting && endpoint.state() != DtlsState::kNew;
}

// Carries datagrams between a client and a server in batches (one batch per call that produced
// output). `drop(to_server, batch)` loses a whole batch, like a lost flight. When nothing is in
// flight, waits for the nearer retransmission timer. Bounded in rounds and in time.
struct Wire {
  DtlsEndpoint client;
  DtlsEndpoint server;
  std::function<bool(bool to_server, int batch)> drop = [](bool, int) { return false; };
  int batches_to_server = 0;
  int batches_to_client = 0;
  int delivered = 0;

  void run(int max_rounds = 40) {
    std::vector<Datagram> to_server;
    std::vector<Datagram> to_client;
    client.start(to_server);
    server.start(to_client);
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    for (int round = 0; round < max_rounds && std::chrono::steady_clock::now() < deadline;
         ++round) {
      if (to_server.empty() && to_client.empty()) {
        if (settled(client) && settled(server)) return;
        wait_for_timers(to_server, to_client);
        continue;
      }
      deliver(to_server, server, to_client, true);
      deliver(to_client, client, to_server, false);
    }
  }

  void deliver(std::vector<Datagram>& queue, DtlsEndpoint& receiver, std::vector<Datagram>& back,
               bool to_server) {
    if (queue.empty()) return;
    const int batch = to_server ? batches_to_server++ : batches_to_client++;
    std::vector<Datagram> batch_datagrams;
    batch_datagrams.swap(queue);
    if (drop(to_server, batch)) return;
    for (const auto& datagram : batch_datagrams) {
      EXPECT_LE(datagram.size(), 1200U);
      ++delivered;
      receiver.receive(datagram, back);
    }
  }

  void wait_for_timers(std::vector<Datagram>& to_server, std::vector<Datagram>& to_client) {
    auto next = std::chrono::milliseconds(100);
    for (const auto* endpoint : {&client, &server}) {
      if (auto timeout = endpoint->retransmit_timeout()) next = std::min(next, *timeout);
    }
    std::this_thread::sleep_for(next + 1ms);
    client.on_timer(to_server);
    server.on_timer(to_client);
  }
};

Wire make_wire(DtlsEndpointOptions client_options = options_for(DtlsRole::kClient, kServerIdentity),
               DtlsEndpointOptions server_options = options_for(DtlsRole::kServer,
                                                                kClientIdentity)) {
  return Wire{make(client_options, kClientIdentity), make(server_options, kServerIdentity)};
}

Bytes rtp_packet(std::uint16_t sequence) {
  Bytes packet = {0x80,
                  0x6F,
                  static_cast<std::uint8_t>(sequence >> 8),
                  static_cast<std::uint8_t>(sequence),
                  0,
                  0,
                  0,
                  160,
                  0x11,
                  0x22,
                  0x33,
                  0x44};
  for (int i = 0; i < 160; ++i) packet.push_back(static_cast<std::uint8_t>(i));
  return packet;
}

Bytes rtcp_packet() {
  Bytes packet = {0x81, 0xC9, 0x00, 0x07, 0x11, 0x22, 0x33, 0x44};
  for (int i = 0; i < 24; ++i) packet.push_back(static_cast<std::uint8_t>(i));
  return packet;
}

// Protects on one side, unprotects on the other, and expects the plain bytes back.
void expect_carries(SrtpSession& sender, SrtpSession& receiver, const Bytes& plain, bool rtcp) {
  Bytes buffer = plain;
  buffer.resize(plain.size() + kMaxSrtpTrailerBytes);
  const auto protected_result =
      rtcp ? sender.protect_rtcp(buffer, plain.size()) : sender.protect_rtp(buffer, plain.size());
  ASSERT_TRUE(protected_result.ok()) << to_string(protected_result.status);
  buffer.resize(protected_result.size);
  EXPECT_NE(buffer, plain);
  const auto plain_result = rtcp ? receiver.unprotect_rtcp(buffer) : receiver.unprotect_rtp(buffer);
  ASSERT_TRUE(plain_result.ok()) << to_string(plain_result.status);
  buffer.resize(plain_result.size);
  EXPECT_EQ(buffer, plain);
}

void expect_media_flows(const DtlsEndpoint& client, const DtlsEndpoint& server) {
  auto client_keys = client.srtp_sessions();
  auto server_keys = server.srtp_sessions();
  ASSERT_TRUE(client_keys.ok()) << client_keys.error().message;
  ASSERT_TRUE(server_keys.ok()) << server_keys.error().message;
  for (std::uint16_t sequence = 1; sequence <= 3; ++sequence) {
    expect_carries(client_keys->outbound, server_keys->inbound, rtp_packet(sequence), false);
    expect_carries(server_keys->outbound, client_keys->inbound, rtp_packet(sequence), false);
  }
  expect_carries(client_keys->outbound, server_keys->inbound, rtcp_packet(), true);
  expect_carries(server_keys->outbound, client_keys->inbound, rtcp_packet(), true);
  // Each side's own outbound key is not its inbound key.
  Bytes buffer = rtp_packet(9);
  buffer.resize(buffer.size() + kMaxSrtpTrailerBytes);
  const auto sent = client_keys->outbound.protect_rtp(buffer, rtp_packet(9).size());
  ASSERT_TRUE(sent.ok());
  buffer.resize(sent.size);
  EXPECT_EQ(client_keys->inbound.unprotect_rtp(buffer).status, SrtpStatus::kAuthFailed);
}

class DtlsProfiles : public ::testing::TestWithParam<SrtpProfile> {};

TEST_P(DtlsProfiles, HandshakeInMemoryKeysSrtpBothWays) {
  auto client_options = options_for(DtlsRole::kClient, kServerIdentity);
  client_options.srtp_profiles = {GetParam()};
  auto wire = make_wire(client_options);
  wire.run();
  ASSERT_EQ(wire.client.state(), DtlsState::kConnected)
      << (wire.client.failure() ? wire.client.failure()->message : "");
  ASSERT_EQ(wire.server.state(), DtlsState::kConnected)
      << (wire.server.failure() ? wire.server.failure()->message : "");
  EXPECT_EQ(wire.client.srtp_profile(), GetParam());
  EXPECT_EQ(wire.server.srtp_profile(), GetParam());
  // Four flights (ClientHello, server hello..done, client key exchange..finished, server
  // finished), each fitting one or two datagrams.
  EXPECT_LE(wire.delivered, 6);
  EXPECT_EQ(wire.client.counters().retransmissions + wire.server.counters().retransmissions, 0U);
  EXPECT_FALSE(wire.client.retransmit_timeout().has_value());
  expect_media_flows(wire.client, wire.server);
}

INSTANTIATE_TEST_SUITE_P(Profiles, DtlsProfiles,
                         ::testing::Values(SrtpProfile::kAes128CmHmacSha1_80,
                                           SrtpProfile::kAeadAes128Gcm),
                         [](const auto& info) {
                           return info.param == SrtpProfile::kAeadAes128Gcm ? "AeadAes128Gcm"
                                                                            : "Aes128CmSha1_80";
                         });

TEST(DtlsEndpoint, ServerPrefersGcmWhenBothAreOffered) {
  auto wire = make_wire();
  wire.run();
  ASSERT_EQ(wire.server.state(), DtlsState::kConnected);
  EXPECT_EQ(wire.server.srtp_profile(), SrtpProfile::kAeadAes128Gcm);
}

TEST(DtlsEndpoint, KeysAreSplitAsRfc5764Section4_2) {
  auto client_options = options_for(DtlsRole::kClient, kServerIdentity);
  client_options.srtp_profiles = {SrtpProfile::kAes128CmHmacSha1_80};
  auto wire = make_wire(client_options);
  wire.run();
  ASSERT_EQ(wire.server.state(), DtlsState::kConnected);
  auto material = wire.client.export_keying_material("EXTRACTOR-dtls_srtp", 60);
  ASSERT_TRUE(material.ok());
  auto server_material = wire.server.export_keying_material("EXTRACTOR-dtls_srtp", 60);
  ASSERT_TRUE(server_material.ok());
  ASSERT_EQ(*material, *server_material);
  const std::span<const std::uint8_t> keying(*material);
  // client write key | server write key | client write salt | server write salt
  const auto client_key = keying.subspan(0, 16);
  const auto server_key = keying.subspan(16, 16);
  const auto client_salt = keying.subspan(32, 14);
  const auto server_salt = keying.subspan(46, 14);

  auto client_keys = wire.client.srtp_sessions();
  auto server_keys = wire.server.srtp_sessions();
  ASSERT_TRUE(client_keys.ok() && server_keys.ok());
  const auto check = [](SrtpSession& endpoint_outbound, std::span<const std::uint8_t> key,
                        std::span<const std::uint8_t> salt) {
    auto reference =
        SrtpSession::create(SrtpDirection::kOutbound, SrtpProfile::kAes128CmHmacSha1_80, key, salt);
    ASSERT_TRUE(reference.ok());
    Bytes ours = rtp_packet(77);
    Bytes theirs = ours;
    ours.resize(ours.size() + 10);
    theirs.resize(theirs.size() + 10);
    ASSERT_TRUE(endpoint_outbound.protect_rtp(ours, ours.size() - 10).ok());
    ASSERT_TRUE(reference->protect_rtp(theirs, theirs.size() - 10).ok());
    EXPECT_EQ(ours, theirs);
  };
  check(client_keys->outbound, client_key, client_salt);
  check(server_keys->outbound, server_key, server_salt);
}

TEST(DtlsEndpoint, WrongFingerprintFailsTheHandshake) {
  // The server expects a certificate the client does not hold.
  auto wire = make_wire(options_for(DtlsRole::kClient, kServerIdentity),
                        options_for(DtlsRole::kServer, kStranger));
  wire.run();
  ASSERT_EQ(wire.server.state(), DtlsState::kFailed);
  EXPECT_EQ(wire.server.failure()->code, static_cast<int>(DtlsFailure::kFingerprintMismatch));
  // The server's alert reaches the client, which fails too, without keys.
  EXPECT_EQ(wire.client.state(), DtlsState::kFailed);
  EXPECT_EQ(wire.client.failure()->code, static_cast<int>(DtlsFailure::kProtocol));
  EXPECT_FALSE(wire.client.srtp_sessions().ok());
  EXPECT_FALSE(wire.server.srtp_sessions().ok());
}

TEST(DtlsEndpoint, ClientChecksTheServerFingerprintToo) {
  auto wire = make_wire(options_for(DtlsRole::kClient, kStranger),
                        options_for(DtlsRole::kServer, kClientIdentity));
  wire.run();
  ASSERT_EQ(wire.client.state(), DtlsState::kFailed);
  EXPECT_EQ(wire.client.failure()->code, static_cast<int>(DtlsFailure::kFingerprintMismatch));
  EXPECT_NE(wire.server.state(), DtlsState::kConnected);
}

class LostFlight : public ::testing::TestWithParam<std::pair<bool, int>> {};

// Flights: to_server 0 = ClientHello, to_client 0 = ServerHello..Done, to_server 1 = client
// Certificate..Finished, to_client 1 = server ChangeCipherSpec+Finished.
TEST_P(LostFlight, RetransmissionTimerRecoversIt) {
  const auto [to_server, batch] = GetParam();
  auto wire = make_wire();
  bool dropped = false;
  wire.drop = [&, lost_to_server = to_server, lost_batch = batch](bool direction, int index) {
    if (dropped || direction != lost_to_server || index != lost_batch) return false;
    dropped = true;
    return true;
  };
  wire.run();
  ASSERT_TRUE(dropped);
  ASSERT_EQ(wire.client.state(), DtlsState::kConnected)
      << (wire.client.failure() ? wire.client.failure()->message : "");
  ASSERT_EQ(wire.server.state(), DtlsState::kConnected)
      << (wire.server.failure() ? wire.server.failure()->message : "");
  EXPECT_GE(wire.client.counters().retransmissions + wire.server.counters().retransmissions, 1U);
  EXPECT_LE(wire.delivered, 10);
  expect_media_flows(wire.client, wire.server);
}

INSTANTIATE_TEST_SUITE_P(EachFlight, LostFlight,
                         ::testing::Values(std::pair{true, 0}, std::pair{false, 0},
                                           std::pair{true, 1}, std::pair{false, 1}),
                         [](const auto& info) {
                           return std::string(info.param.first ? "ToServer" : "ToClient") +
                                  std::to_string(info.param.second);
                         });

TEST(DtlsEndpoint, GarbageDuringTheHandshakeIsDroppedAndCounted) {
  auto wire = make_wire();
  const std::vector<Bytes> garbage = {
      {},
      {22},
      {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x00, 1, 2, 3},  // length past the end
      {0x80, 0x00, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0},            // RTP, not DTLS
      {24, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},                 // content type 24
      {22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},                 // TLS, not DTLS
  };
  int calls = 0;
  wire.drop = [&](bool to_server, int) {
    // Before every real batch, the receiver first gets every piece of garbage.
    std::vector<Datagram> ignored;
    for (const auto& bytes : garbage) {
      (to_server ? wire.server : wire.client).receive(bytes, ignored);
    }
    ++calls;
    EXPECT_TRUE(ignored.empty());
    return false;
  };
  wire.run();
  ASSERT_EQ(wire.client.state(), DtlsState::kConnected);
  ASSERT_EQ(wire.server.state(), DtlsState::kConnected);
  EXPECT_EQ(wire.client.counters().datagrams_dropped + wire.server.counters().datagrams_dropped,
            garbage.size() * static_cast<std::size_t>(calls));
  expect_media_flows(wire.client, wire.server);
}

TEST(DtlsEndpoint, RecordShapedGarbageNeverConnectsOrCrashes) {
  auto server = make(options_for(DtlsRole::kServer, kClientIdentity), kServerIdentity);
  std::vector<Datagram> out;
  // Well-formed record headers around random handshake bodies: OpenSSL discards or refuses
  // them; the endpoint must end up connecting never, and stay usable or fail cleanly.
  std::uint32_t seed = 12345;
  for (int i = 0; i < 50; ++i) {
    Bytes record = {22, 0xFE, 0xFF, 0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(i), 0, 40};
    for (int j = 0; j < 40; ++j) {
      seed = seed * 1103515245U + 12345U;
      record.push_back(static_cast<std::uint8_t>(seed >> 16));
    }
    server.receive(record, out);
  }
  EXPECT_NE(server.state(), DtlsState::kConnected);
  EXPECT_EQ(server.counters().datagrams_received, 50U);
}

TEST(DtlsEndpoint, PeerThatNeverAnswersFailsWithTimeout) {
  auto options = options_for(DtlsRole::kClient, kServerIdentity);
  options.max_retransmits = 2;
  auto client = make(options, kClientIdentity);
  std::vector<Datagram> out;
  client.start(out);
  ASSERT_EQ(out.size(), 1U);  // the ClientHello
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (client.state() == DtlsState::kConnecting && std::chrono::steady_clock::now() < deadline) {
    const auto timeout = client.retransmit_timeout();
    ASSERT_TRUE(timeout.has_value());
    std::this_thread::sleep_for(*timeout + 1ms);
    client.on_timer(out);
  }
  ASSERT_EQ(client.state(), DtlsState::kFailed);
  EXPECT_EQ(client.failure()->code, static_cast<int>(DtlsFailure::kTimeout));
  EXPECT_EQ(client.counters().retransmissions, 2U);
  EXPECT_EQ(out.size(), 3U);  // the hello and its two retransmissions
  EXPECT_FALSE(client.retransmit_timeout().has_value());
}

TEST(DtlsEndpoint, HandshakeFailsAfterTooManyDatagrams) {
  auto server_options = options_for(DtlsRole::kServer, kClientIdentity);
  server_options.max_handshake_datagrams = 3;
  auto server = make(server_options, kServerIdentity);
  auto client = make(options_for(DtlsRole::kClient, kServerIdentity), kClientIdentity);
  std::vector<Datagram> hello;
  client.start(hello);
  ASSERT_FALSE(hello.empty());
  std::vector<Datagram> out;
  for (int i = 0; i < 4; ++i) server.receive(hello.front(), out);
  ASSERT_EQ(server.state(), DtlsState::kFailed);
  EXPECT_EQ(server.failure()->code, static_cast<int>(DtlsFailure::kTooManyDatagrams));
  // Afterwards everything is dropped and counted.
  server.receive(hello.front(), out);
  EXPECT_EQ(server.counters().datagrams_dropped, 1U);
}

TEST(DtlsEndpoint, NoCommonSrtpProfileFailsBothSides) {
  auto client_options = options_for(DtlsRole::kClient, kServerIdentity);
  client_options.srtp_profiles = {SrtpProfile::kAeadAes128Gcm};
  auto server_options = options_for(DtlsRole::kServer, kClientIdentity);
  server_options.srtp_profiles = {SrtpProfile::kAes128CmHmacSha1_80};
  auto wire = make_wire(client_options, server_options);
  wire.run();
  ASSERT_EQ(wire.server.state(), DtlsState::kFailed);
  EXPECT_EQ(wire.server.failure()->code, static_cast<int>(DtlsFailure::kNoSrtpProfile));
  EXPECT_NE(wire.client.state(), DtlsState::kConnected);
}

TEST(DtlsEndpoint, CloseNotifyClosesThePeer) {
  auto wire = make_wire();
  wire.run();
  ASSERT_EQ(wire.server.state(), DtlsState::kConnected);
  std::vector<Datagram> out;
  wire.client.close(out);
  EXPECT_EQ(wire.client.state(), DtlsState::kClosed);
  ASSERT_FALSE(out.empty());
  std::vector<Datagram> ignored;
  for (const auto& datagram : out) wire.server.receive(datagram, ignored);
  EXPECT_EQ(wire.server.state(), DtlsState::kClosed);
}

TEST(DtlsEndpoint, RefusesBadOptions) {
  auto options = options_for(DtlsRole::kServer, kClientIdentity);
  options.remote_fingerprint = "sha-1 00:11";
  EXPECT_FALSE(DtlsEndpoint::create(identity(kServerIdentity), options).ok());
  options = options_for(DtlsRole::kServer, kClientIdentity);
  options.srtp_profiles.clear();
  EXPECT_FALSE(DtlsEndpoint::create(identity(kServerIdentity), options).ok());
  options = options_for(DtlsRole::kServer, kClientIdentity);
  options.mtu = 100;
  EXPECT_FALSE(DtlsEndpoint::create(identity(kServerIdentity), options).ok());
  EXPECT_FALSE(DtlsEndpoint::create(nullptr, options_for(DtlsRole::kServer, 0)).ok());
}

TEST(DtlsEndpoint, DemultiplexesByFirstByte) {
  EXPECT_TRUE(DtlsEndpoint::is_dtls(Bytes{22, 0xFE, 0xFD}));
  EXPECT_TRUE(DtlsEndpoint::is_dtls(Bytes{63}));
  EXPECT_FALSE(DtlsEndpoint::is_dtls(Bytes{0, 1}));     // STUN
  EXPECT_FALSE(DtlsEndpoint::is_dtls(Bytes{0x80, 0}));  // RTP
  EXPECT_FALSE(DtlsEndpoint::is_dtls(Bytes{}));
}

}  // namespace
}  // namespace parley::webrtc
