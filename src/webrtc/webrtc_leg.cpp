#include "webrtc/webrtc_leg.hpp"

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/rtp/rtp_packet.hpp"
#include "protocol/stun/demux.hpp"
#include "protocol/stun/ice_lite.hpp"
#include "webrtc/dtls_endpoint.hpp"

namespace parley::webrtc {
namespace {

namespace stun = protocol::stun;
using media::SecureLeg;

stun::TransportAddress to_stun(const net::SocketAddress& address) {
  if (address.is_v6()) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address.data());  // NOLINT
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &v6->sin6_addr, bytes.size());
    return stun::TransportAddress::ipv6(bytes, address.port());
  }
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(address.data());  // NOLINT
  std::array<std::uint8_t, 4> bytes{};
  std::memcpy(bytes.data(), &v4->sin_addr, bytes.size());
  return stun::TransportAddress::ipv4(bytes, address.port());
}

class WebRtcLeg final : public SecureLeg {
 public:
  WebRtcLeg(std::shared_ptr<const DtlsIdentity> identity, stun::IceCredentials credentials)
      : identity_(std::move(identity)) {
    local_.ice_ufrag = std::move(credentials.ufrag);
    local_.ice_pwd = std::move(credentials.pwd);
    local_.fingerprint = identity_->fingerprint();
  }

  const media::SecureLocal& local() const override { return local_; }

  void set_remote(const media::SecureRemote& remote) override {
    const bool same_ice =
        remote_ && remote_->ice_ufrag == remote.ice_ufrag && remote_->ice_pwd == remote.ice_pwd;
    const bool same_dtls = remote_ && remote_->fingerprint == remote.fingerprint &&
                           remote_->dtls_client == remote.dtls_client;
    remote_ = remote;
    if (!same_ice) {
      // An ICE restart: the browser checks again, maybe from elsewhere.
      address_.reset();
      nominated_ = false;
    }
    if (same_dtls && dtls_) return;
    start_dtls();
  }

  Received receive(std::span<std::uint8_t>& bytes, const net::SocketAddress& from, TimePoint now,
                   Sender& sender) override {
    (void)now;
    switch (stun::classify_packet(bytes)) {
      case stun::PacketKind::kStun:
        return on_stun(bytes, from, sender);
      case stun::PacketKind::kDtls:
        return on_dtls(bytes, from, sender);
      case stun::PacketKind::kRtp:
        return on_srtp(bytes);
      case stun::PacketKind::kDrop:
        break;
    }
    ++stats_.other_dropped;
    return Received::kDropped;
  }

  std::optional<std::size_t> protect(std::span<std::uint8_t> slot, std::size_t size,
                                     bool rtcp) override {
    if (!sessions_) return std::nullopt;
    const SrtpResult result = rtcp ? sessions_->outbound.protect_rtcp(slot, size)
                                   : sessions_->outbound.protect_rtp(slot, size);
    if (!result.ok()) return std::nullopt;
    return result.size;
  }

  std::optional<net::SocketAddress> media_address() const override { return address_; }

  void on_timer(TimePoint now, Sender& sender) override {
    (void)now;
    if (!dtls_ || !address_) return;
    std::vector<Datagram> out;
    dtls_->on_timer(out);
    send_all(out, sender);
    note_dtls_state();
  }

  bool wants_timer() const override {
    return dtls_ && dtls_->state() == DtlsState::kConnecting &&
           dtls_->retransmit_timeout().has_value();
  }

  const media::SecureLegStats& stats() const override { return stats_; }

 private:
  void start_dtls() {
    sessions_.reset();
    dtls_.reset();
    stats_.dtls_connected = false;
    stats_.dtls_failure.clear();
    DtlsEndpointOptions options;
    options.role = remote_->dtls_client ? DtlsRole::kClient : DtlsRole::kServer;
    options.remote_fingerprint = remote_->fingerprint;
    auto endpoint = DtlsEndpoint::create(identity_, options);
    if (!endpoint.ok()) {
      stats_.dtls_failure = endpoint.error().message;
      return;
    }
    dtls_.emplace(std::move(endpoint).value());
  }

  Received on_stun(std::span<std::uint8_t> bytes, const net::SocketAddress& from, Sender& sender) {
    std::array<std::uint8_t, stun::kIceResponseBufferBytes> response{};
    const stun::IceLiteCredentials credentials{local_.ice_ufrag, local_.ice_pwd,
                                               remote_ ? remote_->ice_ufrag : std::string_view()};
    const stun::IceBindingResult result =
        stun::answer_binding_request(bytes, to_stun(from), credentials, response);
    switch (result.action) {
      case stun::IceAction::kSendSuccess:
        ++stats_.stun_requests;
        sender.send(from, std::span(response).first(result.response_size));
        if (!address_ || (result.nominated && (!nominated_ || *address_ != from))) {
          address_ = from;
          nominated_ = nominated_ || result.nominated;
          // A DTLS client starts its handshake once it knows where the browser is.
          if (dtls_ && dtls_->state() == DtlsState::kNew && dtls_->role() == DtlsRole::kClient) {
            std::vector<Datagram> out;
            dtls_->start(out);
            send_all(out, sender);
          }
        }
        return Received::kConsumed;
      case stun::IceAction::kSendError:
        ++stats_.stun_dropped;
        sender.send(from, std::span(response).first(result.response_size));
        return Received::kConsumed;
      case stun::IceAction::kIgnore:
        return Received::kConsumed;
      case stun::IceAction::kDrop:
        break;
    }
    ++stats_.stun_dropped;
    return Received::kDropped;
  }

  Received on_dtls(std::span<std::uint8_t> bytes, const net::SocketAddress& from, Sender& sender) {
    // Only the address that proved the ICE password may talk DTLS to us.
    if (!dtls_ || !address_ || *address_ != from) {
      ++stats_.dtls_dropped;
      return Received::kDropped;
    }
    std::vector<Datagram> out;
    dtls_->receive(bytes, out);
    send_all(out, sender);
    note_dtls_state();
    return Received::kConsumed;
  }

  Received on_srtp(std::span<std::uint8_t>& bytes) {
    if (!sessions_) {
      ++stats_.srtp_before_keys;
      return Received::kDropped;
    }
    const bool rtcp = protocol::rtp::is_rtcp(bytes);
    const SrtpResult result =
        rtcp ? sessions_->inbound.unprotect_rtcp(bytes) : sessions_->inbound.unprotect_rtp(bytes);
    if (!result.ok()) {
      ++stats_.srtp_auth_failed;
      return Received::kDropped;
    }
    bytes = bytes.first(result.size);
    return rtcp ? Received::kRtcp : Received::kRtp;
  }

  void note_dtls_state() {
    if (!dtls_) return;
    if (dtls_->state() == DtlsState::kConnected && !sessions_) {
      auto sessions = dtls_->srtp_sessions();
      if (sessions.ok()) {
        sessions_.emplace(std::move(sessions).value());
        stats_.dtls_connected = true;
      } else {
        stats_.dtls_failure = sessions.error().message;
      }
    } else if (dtls_->state() == DtlsState::kFailed && stats_.dtls_failure.empty()) {
      stats_.dtls_failure = dtls_->failure() ? dtls_->failure()->message : "failed";
    }
  }

  void send_all(const std::vector<Datagram>& out, Sender& sender) {
    if (!address_) return;
    for (const Datagram& datagram : out) sender.send(*address_, datagram);
  }

  std::shared_ptr<const DtlsIdentity> identity_;
  media::SecureLocal local_;
  std::optional<media::SecureRemote> remote_;
  std::optional<net::SocketAddress> address_;
  bool nominated_ = false;
  std::optional<DtlsEndpoint> dtls_;
  std::optional<DtlsSrtpSessions> sessions_;
  media::SecureLegStats stats_;
};

}  // namespace

Result<std::unique_ptr<media::SecureLeg>> WebRtcLegFactory::create() {
  auto credentials = stun::generate_ice_credentials();
  if (!credentials.ok()) return credentials.error();
  return std::unique_ptr<media::SecureLeg>(
      std::make_unique<WebRtcLeg>(identity_, std::move(credentials).value()));
}

}  // namespace parley::webrtc
