// libFuzzer target: arbitrary datagrams into a server DtlsEndpoint, optionally after a genuine
// ClientHello (so the fuzzer reaches the states after it) and with a genuine client answering
// what the server sends. The endpoint must never crash, never connect to anyone but the genuine
// client, and never send a datagram larger than its MTU. The a=fingerprint parser gets the raw
// input too.
//
// Input: byte 0 holds flags (bit 0: genuine ClientHello first; bit 1: let the genuine client
// answer afterwards); then datagrams, each a 2-byte big-endian length and that many bytes.

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "fuzz_require.hpp"
#include "webrtc/dtls_endpoint.hpp"

namespace webrtc = parley::webrtc;

namespace {

const std::shared_ptr<const webrtc::DtlsIdentity>& identity(bool client) {
  static const auto server_identity = *webrtc::DtlsIdentity::generate();
  static const auto client_identity = *webrtc::DtlsIdentity::generate();
  return client ? client_identity : server_identity;
}

webrtc::DtlsEndpoint make(webrtc::DtlsRole role) {
  webrtc::DtlsEndpointOptions options;
  options.role = role;
  const bool client = role == webrtc::DtlsRole::kClient;
  options.remote_fingerprint = identity(!client)->fingerprint();
  auto endpoint = webrtc::DtlsEndpoint::create(identity(client), options);
  fuzz::require(endpoint.ok());
  return std::move(*endpoint);
}

void check_sent(const std::vector<webrtc::Datagram>& sent) {
  for (const auto& datagram : sent) fuzz::require(!datagram.empty() && datagram.size() <= 1200);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)webrtc::parse_fingerprint(std::string_view(reinterpret_cast<const char*>(data), size));
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  std::span<const std::uint8_t> input(data + 1, size - 1);

  auto server = make(webrtc::DtlsRole::kServer);
  auto client = make(webrtc::DtlsRole::kClient);
  std::vector<webrtc::Datagram> to_server;
  std::vector<webrtc::Datagram> to_client;
  if ((flags & 1U) != 0) {
    client.start(to_server);
    for (const auto& datagram : to_server) server.receive(datagram, to_client);
    to_server.clear();
  }

  for (int count = 0; input.size() >= 2 && count < 64; ++count) {
    const std::size_t length =
        std::min<std::size_t>((std::size_t{input[0]} << 8) | input[1], input.size() - 2);
    server.receive(input.subspan(2, length), to_client);
    input = input.subspan(2 + length);
  }
  server.on_timer(to_client);
  (void)server.retransmit_timeout();
  check_sent(to_client);

  if ((flags & 2U) != 0) {
    for (int round = 0; round < 4 && (!to_client.empty() || !to_server.empty()); ++round) {
      for (const auto& datagram : to_client) client.receive(datagram, to_server);
      to_client.clear();
      for (const auto& datagram : to_server) server.receive(datagram, to_client);
      to_server.clear();
      check_sent(to_client);
    }
  }

  if (server.state() == webrtc::DtlsState::kConnected) {
    // Only the genuine client holds the key behind the expected fingerprint.
    fuzz::require((flags & 1U) != 0);
    fuzz::require(server.srtp_profile().has_value());
    fuzz::require(server.srtp_sessions().ok());
  }
  if (server.state() == webrtc::DtlsState::kFailed) fuzz::require(server.failure().has_value());
  std::vector<webrtc::Datagram> closing;
  server.close(closing);
  check_sent(closing);
  return 0;
}
