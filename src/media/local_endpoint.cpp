#include "media/local_endpoint.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <vector>

#include "base/ascii.hpp"
#include "base/token_bucket.hpp"
#include "media/mixer/mixer_encoder.hpp"
#include "media/mixer/mixer_input.hpp"
#include "media/rtp_relay.hpp"
#include "media/rtp_relay_stream.hpp"
#include "media/sdes_negotiation.hpp"
#include "media/webrtc_sdp.hpp"
#include "net/datagram_socket.hpp"
#include "net/loop_timer.hpp"
#include "protocol/rtp/rtp_packet.hpp"
#include "protocol/sdp/session_description.hpp"

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;
namespace sdp = protocol::sdp;

constexpr std::size_t kMaxDatagram = 1500;
constexpr std::size_t kRtpBatch = 8;
constexpr std::size_t kRtcpBatch = 2;
// Pairs tried when something outside the pool holds them (PortPool::release_taken).
constexpr int kBindAttempts = 16;
// Room SRTP needs after the RTP packet (authentication tag, or GCM's tag).
constexpr std::size_t kSrtpOverhead = 20;
// How often a DTLS handshake in progress is given the chance to retransmit.
constexpr auto kSecureTick = std::chrono::milliseconds(100);
constexpr auto kFrame = std::chrono::milliseconds(20);
// A loop that stalled longer than this many frames skips ahead instead of bursting.
constexpr int kMaxCatchUpFrames = 5;
// Decoded audio waiting to become whole 20 ms frames: covers the longest ptime we take (120 ms).
constexpr int kQueueFrames = 6;
constexpr std::string_view kDigits = "0123456789*#ABCD";
// Key presses an application hears at most: a burst as long as a pasted number, then faster than
// any person (an RFC 4733 digit takes at least 40 ms of tone and 40 ms of pause) or auto-dialler.
constexpr double kDigitsPerSecond = 15;
constexpr double kDigitBurst = 30;

using base::iequals;

bool is_wideband(const sdp::Format& format) {
  return iequals(format.encoding, "opus") || iequals(format.encoding, "G722");
}

// The codecs we answer with, best first: Opus (wideband, FEC, concealment), G.722 (wideband),
// then G.711 with µ-law before A-law (the RTP/AVP default, RFC 3551).
struct Preferred {
  std::string_view encoding;
  int clock_rate;
  std::string_view our_fmtp;  // what we ask of the sender in our answer
};
constexpr std::array<Preferred, 4> kPreferred{{{"opus", 48000, "useinbandfec=1"},
                                               {"G722", 8000, ""},
                                               {"PCMU", 8000, ""},
                                               {"PCMA", 8000, ""}}};

std::optional<net::SocketAddress> address_of(std::string_view ip, std::uint16_t port) {
  if (ip.find(':') != std::string_view::npos) {
    return net::SocketAddress::parse("[" + std::string(ip) + "]:" + std::to_string(port));
  }
  return net::SocketAddress::parse(ip, port);
}

CodecSpec spec_of(const sdp::Format& format) {
  return CodecSpec{format.encoding, format.clock_rate, format.channels, format.fmtp};
}

enum class Security : std::uint8_t { kPlain, kWebRtc, kSdes };

// What one offer asks of us, read from its first audio stream.
struct Offered {
  Security security = Security::kPlain;
  std::size_t audio_index = 0;
  sdp::Format voice;
  std::string_view our_fmtp;
  std::optional<sdp::Format> events;
  net::SocketAddress rtp;  // empty: no address (old-style hold)
  bool rtcp_mux = false;
  sdp::Direction direction = sdp::Direction::kSendRecv;
};

Result<Security> security_of(const sdp::Media& media, const LocalEndpointOptions& options) {
  if (is_webrtc_protocol(media.protocol)) {
    if (options.webrtc == nullptr) return Error{488, "WebRTC media is not enabled"};
    return Security::kWebRtc;
  }
  if (is_sdes_protocol(media.protocol)) {
    if (!options.sdes) return Error{488, "SDES-SRTP is not accepted"};
    return Security::kSdes;
  }
  if (media.protocol.find("SAVP") != std::string::npos) {
    return Error{488, "Secure media (" + media.protocol + ") is not supported"};
  }
  return Security::kPlain;
}

Result<Offered> read_offer(const sdp::SessionDescription& offer,
                           const LocalEndpointOptions& options) {
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::Media& media = offer.media[i];
    if (!iequals(media.type, "audio") || media.port == 0) continue;
    if (!media.is_rtp()) return Error{488, "Audio stream is not RTP"};
    const auto security = security_of(media, options);
    if (!security.ok()) return security.error();
    Offered offered;
    offered.security = *security;
    offered.audio_index = i;
    const sdp::Format* voice = nullptr;
    for (const Preferred& preferred : kPreferred) {
      for (const sdp::Format& format : media.formats) {
        if (iequals(format.encoding, preferred.encoding) &&
            format.clock_rate == preferred.clock_rate &&
            can_transcode(format.encoding, format.clock_rate)) {
          voice = &format;
          offered.our_fmtp = preferred.our_fmtp;
          break;
        }
      }
      if (voice != nullptr) break;
    }
    if (voice == nullptr) return Error{488, "No codec Parley speaks (Opus, G722, PCMU, PCMA)"};
    offered.voice = *voice;
    for (const sdp::Format& format : media.formats) {
      if (!iequals(format.encoding, "telephone-event")) continue;
      if (!offered.events || format.clock_rate == 8000) offered.events = format;
    }
    offered.rtcp_mux = media.rtcp_mux;
    offered.direction = media.effective_direction(offer.direction);
    // ICE, not c= (0.0.0.0 or an mDNS name in browsers), says where a WebRTC agent receives.
    if (offered.security == Security::kWebRtc) {
      offered.rtcp_mux = true;
      return offered;
    }
    const sdp::Connection* connection = offer.connection_for(i);
    if (connection == nullptr) return Error{488, "SDP has no connection address for audio"};
    if (connection->address != "0.0.0.0" && connection->address != "::") {
      const auto rtp_address = address_of(connection->address, media.port);
      if (!rtp_address) return Error{488, "SDP connection address must be an IP address"};
      offered.rtp = *rtp_address;
    }
    return offered;
  }
  return Error{488, "SDP has no audio stream"};
}

// Sends a secure leg's STUN answers and DTLS flights out of the endpoint's RTP socket.
class RtpSocketSender final : public SecureLeg::Sender {
 public:
  net::DatagramSocket* socket = nullptr;
  void send(const net::SocketAddress& to, std::span<const std::uint8_t> bytes) override {
    if (socket != nullptr) (void)socket->queue_send(to, bytes);
  }
};

class LocalEndpointImpl final : public LocalEndpoint, public net::DatagramSocket::Listener {
 public:
  LocalEndpointImpl(net::WorkerPool& pool, std::size_t worker, PortPool& ports, const Clock& clock,
                    const LocalEndpointOptions& options, LocalEndpoint::Listener& listener,
                    std::mt19937& random)
      : pool_(pool),
        worker_(worker),
        ports_(ports),
        clock_(clock),
        options_(options),
        listener_(listener),
        stream_(random(), static_cast<std::uint16_t>(random()), random()),
        last_media_(clock.now()),
        timer_(pool, worker, [this] { on_tick(); }),
        secure_timer_(pool, worker, [this] { on_secure_timer(); }) {
    if (options_.advertised_address.empty())
      options_.advertised_address = options_.bind_address.ip();
    origin_.username = "parley";
    origin_.session_id = std::to_string(((std::uint64_t{random()} << 32U) | random()) >> 1U);
    origin_.version = 1;
    origin_.address_type = options_.bind_address.is_v6() ? "IP6" : "IP4";
    origin_.address = options_.advertised_address;
  }

  ~LocalEndpointImpl() override {
    timer_.cancel();
    secure_timer_.cancel();
    // Closed before the port goes back, so that its next owner can bind it.
    rtp_socket_.reset();
    rtcp_socket_.reset();
    if (port_ != 0) ports_.release(port_);
  }

  LocalEndpointImpl(const LocalEndpointImpl&) = delete;
  LocalEndpointImpl& operator=(const LocalEndpointImpl&) = delete;

  Result<void> bind();

  Result<std::string> answer(std::string_view text) override;
  std::uint16_t local_port() const override { return port_; }
  int sample_rate() const override { return rate_; }
  const std::optional<CodecSpec>& codec() const override { return codec_; }
  bool sending() const override { return sending_; }
  TimePoint last_media() const override { return last_media_; }
  const LocalEndpointStats& stats() const override {
    if (input_) {
      stats_.frames_decoded = decoded_before_ + input_->frames_decoded();
      stats_.frames_concealed = concealed_before_ + input_->frames_concealed();
    }
    stats_.send_failures = rtp_socket_ ? rtp_socket_->send_failures() : 0;
    return stats_;
  }
  const SecureLegStats* secure_stats() const override {
    return secure_ ? &secure_->stats() : nullptr;
  }

  void on_datagrams(net::DatagramSocket& socket, std::span<net::ReceivedDatagram> batch) override;

 private:
  Result<void> use_codec(const Offered& offered);
  Result<void> use_security(const sdp::SessionDescription& offer, const Offered& offered);
  bool uses_ice() const { return secure_ != nullptr && secure_->uses_ice(); }
  void arm_secure_timer();
  void on_secure_timer();
  void flush_sent() {
    if (rtp_socket_->queued() > 0) rtp_socket_->flush();
  }
  bool accept_source(const net::SocketAddress& source, bool negotiated, TimePoint now);
  void on_rtp(const rtp::RtpView& view, const net::SocketAddress& from, TimePoint now);
  void on_secure_datagram(net::ReceivedDatagram& datagram, bool rtcp_port, TimePoint now);
  void on_event(const rtp::RtpView& view, TimePoint now);
  void update_timer();
  void on_tick();
  void send_frame(const net::SocketAddress& destination, TimePoint now);
  const net::SocketAddress* destination() {
    if (uses_ice()) {
      ice_destination_ = secure_->media_address();
      return ice_destination_ ? &*ice_destination_ : nullptr;
    }
    if (stats_.latched) return &*stats_.latched;
    return sdp_rtp_.empty() ? nullptr : &sdp_rtp_;
  }

  net::WorkerPool& pool_;
  std::size_t worker_;
  PortPool& ports_;
  const Clock& clock_;
  LocalEndpointOptions options_;
  LocalEndpoint::Listener& listener_;

  std::uint16_t port_ = 0;
  std::unique_ptr<net::DatagramSocket> rtp_socket_;
  std::unique_ptr<net::DatagramSocket> rtcp_socket_;

  // What the caller's last offer said.
  bool has_remote_ = false;
  net::SocketAddress sdp_rtp_;
  TimePoint window_end_{};
  bool remote_receives_ = false;
  bool sending_ = false;

  // The codec in use and its payload types (the offerer's numbers).
  std::optional<CodecSpec> codec_;
  int voice_pt_ = -1;
  int event_pt_ = -1;
  int event_clock_rate_ = 8000;
  int rate_ = 0;
  std::unique_ptr<MixerInput> input_;
  std::unique_ptr<MixerEncoder> encoder_;
  std::uint32_t codec_clock_rate_ = 8000;
  std::uint64_t decoded_before_ = 0;  // counts of replaced inputs
  std::uint64_t concealed_before_ = 0;
  std::vector<std::int16_t> in_frame_;
  std::vector<std::int16_t> out_frame_;

  // RFC 4733: the latest event (its packets repeat with one timestamp) and whether it ended.
  bool event_seen_ = false;
  std::uint32_t event_ssrc_ = 0;
  std::uint32_t event_timestamp_ = 0;
  bool event_ended_ = false;
  bool event_dropped_ = false;  // over the digit budget: its end is not reported either
  TokenBucket digit_budget_{kDigitsPerSecond, kDigitBurst};

  OutgoingStream stream_;
  std::optional<std::chrono::steady_clock::time_point> due_;
  TimePoint last_media_;
  mutable LocalEndpointStats stats_;
  sdp::Origin origin_;
  std::string last_answer_;
  net::LoopTimer timer_;

  // A WebRTC or SDES caller's SRTP (and ICE, DTLS); null for plain RTP.
  std::unique_ptr<SecureLeg> secure_;
  std::optional<SdesKeys> sdes_keys_;  // what an SDES leg was keyed with
  RtpSocketSender sender_;
  std::optional<net::SocketAddress> ice_destination_;  // cache for destination()
  net::LoopTimer secure_timer_;
};

Result<void> LocalEndpointImpl::bind() {
  net::DatagramSocketOptions rtp_options;
  rtp_options.batch = kRtpBatch;
  rtp_options.max_datagram = kMaxDatagram;
  net::DatagramSocketOptions rtcp_options = rtp_options;
  rtcp_options.batch = kRtcpBatch;
  std::string last_error = "no port tried";
  for (int attempt = 0; attempt < kBindAttempts; ++attempt) {
    const auto port = ports_.acquire();
    if (!port) return Error{503, "RTP port range exhausted"};
    const net::SocketAddress rtp_address = options_.bind_address.with_port(*port);
    const net::SocketAddress rtcp_address =
        options_.bind_address.with_port(static_cast<std::uint16_t>(*port + 1));
    auto rtp_socket = net::DatagramSocket::open(pool_, worker_, rtp_address, *this, rtp_options);
    if (rtp_socket) {
      auto rtcp_socket =
          net::DatagramSocket::open(pool_, worker_, rtcp_address, *this, rtcp_options);
      if (rtcp_socket) {
        port_ = *port;
        rtp_socket_ = std::move(*rtp_socket);
        sender_.socket = rtp_socket_.get();
        rtcp_socket_ = std::move(*rtcp_socket);
        return {};
      }
      last_error = rtcp_socket.error().message;
    } else {
      last_error = rtp_socket.error().message;
    }
    // Held by something outside the pool: leave it for later and try elsewhere in the range.
    ports_.release_taken(*port);
  }
  return Error{503, "cannot bind RTP ports: " + last_error};
}

Result<void> LocalEndpointImpl::use_codec(const Offered& offered) {
  const CodecSpec wanted = spec_of(offered.voice);
  const bool same = codec_ && iequals(codec_->encoding, wanted.encoding) &&
                    codec_->clock_rate == wanted.clock_rate && codec_->fmtp == wanted.fmtp;
  if (!same) {
    const int rate = rate_ != 0 ? rate_ : (is_wideband(offered.voice) ? 16000 : 8000);
    auto input = MixerInput::create(
        wanted, MixerInputOptions{rate, std::max(options_.jitter_frames, 0), kQueueFrames});
    if (!input) return Error{488, input.error().message};
    auto encoder = MixerEncoder::create(wanted, rate);
    if (!encoder) return Error{488, encoder.error().message};
    if (input_) {
      decoded_before_ += input_->frames_decoded();
      concealed_before_ += input_->frames_concealed();
    }
    rate_ = rate;
    input_ = std::move(input).value();
    encoder_ = std::move(encoder).value();
    codec_ = wanted;
    codec_clock_rate_ = static_cast<std::uint32_t>(offered.voice.clock_rate);
    in_frame_.assign(frame_samples(), 0);
    out_frame_.assign(frame_samples(), 0);
  }
  voice_pt_ = offered.voice.payload_type;
  event_pt_ = offered.events ? offered.events->payload_type : -1;
  event_clock_rate_ =
      offered.events && offered.events->clock_rate > 0 ? offered.events->clock_rate : 8000;
  return {};
}

Result<std::string> LocalEndpointImpl::answer(std::string_view text) {
  auto parsed = sdp::parse(text);
  if (!parsed.ok()) return Error{400, "Malformed SDP: " + parsed.error().message};
  const sdp::SessionDescription& offer = *parsed;
  auto offered = read_offer(offer, options_);
  if (!offered.ok()) return offered.error();
  if (auto used = use_codec(*offered); !used.ok()) return used.error();
  if (auto secured = use_security(offer, *offered); !secured.ok()) return secured.error();

  has_remote_ = true;
  sdp_rtp_ = offered->rtp;
  remote_receives_ = sdp::receives(offered->direction) && (uses_ice() || !sdp_rtp_.empty());
  // A new SDP is the only thing that may move a latched leg (see the relay).
  stats_.latched.reset();
  window_end_ = clock_.now() + options_.latch_window;
  update_timer();

  sdp::SessionDescription out;
  out.origin = origin_;
  out.connection = sdp::Connection{origin_.address_type, options_.advertised_address, {}};
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::Media& theirs = offer.media[i];
    sdp::Media ours;
    ours.type = theirs.type;
    ours.protocol = theirs.protocol;
    if (i != offered->audio_index) {
      // Refused (RFC 3264 §6): same formats, port 0.
      ours.port = 0;
      ours.formats = theirs.formats;
      ours.raw_formats = theirs.raw_formats;
      out.media.push_back(std::move(ours));
      continue;
    }
    ours.port = port_;
    sdp::Format voice = offered->voice;
    voice.fmtp = std::string(offered->our_fmtp);
    voice.has_rtpmap = true;
    ours.formats.push_back(std::move(voice));
    if (offered->events) {
      sdp::Format events = *offered->events;
      events.fmtp = "0-15";
      events.has_rtpmap = true;
      ours.formats.push_back(std::move(events));
    }
    ours.ptime = 20;
    ours.rtcp_mux = offered->rtcp_mux;
    ours.direction = sdp::reverse(offered->direction);
    if (offered->security == Security::kSdes)
      ours.attributes.push_back(sdes_keys_->local_attribute());
    out.media.push_back(std::move(ours));
  }
  if (offered->security == Security::kWebRtc) {
    render_webrtc_answer(out, offer, offered->audio_index, secure_->local(),
                         options_.advertised_address);
  }
  std::string answer_text = sdp::serialise(out);
  if (!last_answer_.empty() && answer_text != last_answer_) {
    ++origin_.version;
    out.origin.version = origin_.version;
    answer_text = sdp::serialise(out);
  }
  last_answer_ = answer_text;
  return answer_text;
}

// Keeps the leg's SRTP state when the keys or the DTLS association stay (a re-INVITE, hold):
// the replay windows and rollover counters go on, and a browser need not handshake again.
Result<void> LocalEndpointImpl::use_security(const sdp::SessionDescription& offer,
                                             const Offered& offered) {
  switch (offered.security) {
    case Security::kWebRtc: {
      auto remote = webrtc_remote_of(offer, offered.audio_index);
      if (!remote.ok()) return remote.error();
      if (!uses_ice()) {
        auto made = options_.webrtc->create();
        if (!made.ok()) return Error{503, made.error().message};
        secure_ = std::move(made).value();
        ice_destination_.reset();
      }
      sdes_keys_.reset();
      secure_->set_remote(*remote);
      break;
    }
    case Security::kSdes: {
      auto keys =
          answer_sdes(offer.media[offered.audio_index], sdes_keys_ ? &*sdes_keys_ : nullptr);
      if (!keys.ok()) return keys.error();
      if (!(secure_ != nullptr && sdes_keys_ && same_keys(*sdes_keys_, *keys))) {
        auto leg = keys->make_leg();
        if (!leg.ok()) return leg.error();
        secure_ = std::move(leg).value();
      }
      sdes_keys_ = std::move(keys).value();
      break;
    }
    case Security::kPlain:
      secure_.reset();
      sdes_keys_.reset();
      break;
  }
  arm_secure_timer();
  return {};
}

void LocalEndpointImpl::arm_secure_timer() {
  if (secure_ == nullptr || !secure_->wants_timer()) {
    secure_timer_.cancel();
  } else if (!secure_timer_.deadline()) {
    secure_timer_.arm(std::chrono::steady_clock::now() + kSecureTick);
  }
}

void LocalEndpointImpl::on_secure_timer() {
  if (secure_ != nullptr && secure_->wants_timer()) {
    secure_->on_timer(clock_.now(), sender_);
    flush_sent();
  }
  arm_secure_timer();
}

void LocalEndpointImpl::update_timer() {
  sending_ = has_remote_ && remote_receives_ && encoder_ != nullptr;
  if (!sending_) {
    due_.reset();
    timer_.cancel();
    return;
  }
  if (!due_) {
    due_ = std::chrono::steady_clock::now();
    timer_.arm(*due_);
  }
}

void LocalEndpointImpl::on_tick() {
  if (!sending_ || !due_) return;
  const auto wall = std::chrono::steady_clock::now();
  if (wall - *due_ > kFrame * kMaxCatchUpFrames) *due_ = wall;
  const TimePoint now = clock_.now();
  // due_ is at most kMaxCatchUpFrames frames behind `wall`: bounded.
  while (*due_ <= wall) {
    *due_ += kFrame;
    if (const net::SocketAddress* to = destination()) send_frame(*to, now);
  }
  flush_sent();
  timer_.arm(*due_);
}

void LocalEndpointImpl::send_frame(const net::SocketAddress& destination, TimePoint now) {
  const std::span<std::uint8_t> slot = rtp_socket_->send_buffer();
  if (slot.size() <= rtp::kRtpHeaderBytes) {
    ++stats_.dropped_payload;
    return;
  }
  // Until a browser's DTLS handshake has keyed SRTP nothing can be sent, and the application's
  // audio is left unread: a greeting or prompt starts when the caller can hear it.
  if (uses_ice() && !secure_->stats().dtls_connected) {
    ++stats_.unprotected_frames;
    return;
  }
  // A secure leg's SRTP tag goes after the payload, in the same slot.
  const std::size_t reserved = secure_ ? kSrtpOverhead : 0;
  if (slot.size() <= rtp::kRtpHeaderBytes + reserved) {
    ++stats_.dropped_payload;
    return;
  }
  const std::span<std::uint8_t> body =
      slot.subspan(rtp::kRtpHeaderBytes, slot.size() - rtp::kRtpHeaderBytes - reserved);
  std::size_t size = std::min(listener_.fill_payload(body), body.size());
  // The listener may have answered a re-offer that stopped sending.
  if (!sending_ || encoder_ == nullptr) return;
  if (size == 0) {
    const std::span<std::int16_t> pcm(out_frame_);
    if (!listener_.fill_frame(pcm)) std::fill(pcm.begin(), pcm.end(), std::int16_t{0});
    if (!sending_ || encoder_ == nullptr) return;
    const std::span<const std::uint8_t> payload = encoder_->encode(pcm);
    if (payload.empty() || payload.size() > body.size()) {
      ++stats_.dropped_payload;
      return;
    }
    std::memcpy(body.data(), payload.data(), payload.size());
    size = payload.size();
  }
  const OutgoingStream::Stamp stamp =
      stream_.next_frame(encoder_->tick_samples(), now, codec_clock_rate_);
  rtp::write_header(slot, static_cast<std::uint8_t>(voice_pt_), stamp.marker, stamp.sequence,
                    stamp.timestamp, stream_.ssrc());
  std::size_t wire_size = rtp::kRtpHeaderBytes + size;
  if (secure_) {
    const auto protected_size = secure_->protect(slot, wire_size, /*rtcp=*/false);
    if (!protected_size) {
      ++stats_.unprotected_frames;  // DTLS not finished yet: nothing may leave in the clear
      return;
    }
    wire_size = *protected_size;
  }
  rtp_socket_->commit_send(destination, wire_size);
  ++stats_.rtp_sent;
}

bool LocalEndpointImpl::accept_source(const net::SocketAddress& source, bool negotiated,
                                      TimePoint now) {
  if (uses_ice()) {
    // ICE decides: only the address that proved the ICE password carries the caller's media.
    const auto address = secure_->media_address();
    if (!address || *address != source) return false;
    stats_.latched = address;
    return true;
  }
  if (stats_.latched) return *stats_.latched == source;
  if (!has_remote_) return false;
  // The SDP address always latches; another source only with negotiated media while the
  // window is open (a stranger spraying the port must not take the call).
  if ((!sdp_rtp_.empty() && source == sdp_rtp_) || (negotiated && now < window_end_)) {
    stats_.latched = source;
    return true;
  }
  return false;
}

void LocalEndpointImpl::on_datagrams(net::DatagramSocket& socket,
                                     std::span<net::ReceivedDatagram> batch) {
  const TimePoint now = clock_.now();
  const bool rtcp_port = &socket == rtcp_socket_.get();
  for (net::ReceivedDatagram& datagram : batch) {
    if (secure_) {
      on_secure_datagram(datagram, rtcp_port, now);
      continue;
    }
    if (rtcp_port || rtp::is_rtcp(datagram.bytes)) {
      if (rtp::valid_rtcp(datagram.bytes)) {
        ++stats_.rtcp_received;
      } else {
        ++stats_.dropped_malformed;
      }
      continue;
    }
    const auto view = rtp::parse_rtp(datagram.bytes);
    if (!view) {
      ++stats_.dropped_malformed;
      continue;
    }
    on_rtp(*view, datagram.from, now);
  }
  flush_sent();  // a secure leg's STUN answers and DTLS flights
  arm_secure_timer();
}

void LocalEndpointImpl::on_secure_datagram(net::ReceivedDatagram& datagram, bool rtcp_port,
                                           TimePoint now) {
  // WebRTC multiplexes everything on the RTP port (RFC 7983, RFC 5761); an SDES leg may use
  // both ports, as plain RTP does.
  if (rtcp_port && secure_->uses_ice()) {
    ++stats_.dropped_malformed;
    return;
  }
  switch (secure_->receive(datagram.bytes, datagram.from, now, sender_)) {
    case SecureLeg::Received::kRtp: {
      std::optional<rtp::RtpView> view;
      if (!rtcp_port) view = rtp::parse_rtp(datagram.bytes);
      if (!view) {
        ++stats_.dropped_malformed;
        return;
      }
      on_rtp(*view, datagram.from, now);
      return;
    }
    case SecureLeg::Received::kRtcp:
      ++stats_.rtcp_received;
      return;
    case SecureLeg::Received::kConsumed:
    case SecureLeg::Received::kDropped:
      return;
  }
}

void LocalEndpointImpl::on_rtp(const rtp::RtpView& view, const net::SocketAddress& from,
                               TimePoint now) {
  const bool voice = input_ != nullptr && view.payload_type == voice_pt_;
  const bool event = event_pt_ >= 0 && view.payload_type == event_pt_;
  if (!accept_source(from, voice || event, now)) {
    ++stats_.dropped_foreign;
    return;
  }
  if (!voice && !event) {
    ++stats_.dropped_payload;
    return;
  }
  ++stats_.rtp_received;
  last_media_ = now;
  if (event) {
    on_event(view, now);
    return;
  }
  if (listener_.on_payload(view.sequence, view.timestamp, view.payload)) return;
  input_->push(view.sequence, view.timestamp, view.payload);
  // Bounded by the input's queue (kQueueFrames frames).
  while (input_ != nullptr && input_->take(in_frame_)) listener_.on_audio(in_frame_);
}

void LocalEndpointImpl::on_event(const rtp::RtpView& view, TimePoint now) {
  const auto parsed = rtp::parse_telephone_event(view.payload);
  if (!parsed || parsed->event >= kDigits.size()) {
    ++stats_.dropped_payload;
    return;
  }
  const char digit = kDigits[parsed->event];
  const std::uint32_t timestamp = view.timestamp;
  if (event_seen_ && view.ssrc != event_ssrc_) event_seen_ = false;  // a new source: new timing
  if (event_seen_ && timestamp != event_timestamp_) {
    // Serial number arithmetic: a packet of an earlier event (reordered, or a late repeat of
    // its end) starts nothing.
    if (static_cast<std::int32_t>(timestamp - event_timestamp_) < 0) return;
  }
  if (!event_seen_ || timestamp != event_timestamp_) {
    event_seen_ = true;
    event_ssrc_ = view.ssrc;
    event_timestamp_ = timestamp;
    event_ended_ = false;
    // A storm of key presses (a fuzzer, a broken phone, an attacker) reaches no application:
    // menus, PINs and conference controls see at most a human's pace.
    event_dropped_ = !digit_budget_.take(now);
    if (event_dropped_) {
      ++stats_.dropped_dtmf;
      return;
    }
    listener_.on_dtmf(DtmfDigit{digit, false, {}});
  }
  if (event_dropped_) return;
  if (parsed->end && !event_ended_) {
    event_ended_ = true;
    const auto ms = std::chrono::milliseconds(std::int64_t{parsed->duration} * 1000 /
                                              std::max(event_clock_rate_, 1));
    listener_.on_dtmf(DtmfDigit{digit, true, ms});
  }
}

}  // namespace

Result<std::unique_ptr<LocalEndpoint>> LocalEndpoint::create(net::WorkerPool& pool,
                                                             std::size_t worker, PortPool& ports,
                                                             const Clock& clock,
                                                             const LocalEndpointOptions& options,
                                                             Listener& listener) {
  if (options.bind_address.empty()) return Error{503, "no RTP bind address"};
  // Random SSRC, first sequence number and timestamp (RFC 3550 §5.1).
  std::random_device entropy;
  std::mt19937 random(entropy());
  auto endpoint =
      std::make_unique<LocalEndpointImpl>(pool, worker, ports, clock, options, listener, random);
  if (auto bound = endpoint->bind(); !bound.ok()) return bound.error();
  return std::unique_ptr<LocalEndpoint>(std::move(endpoint));
}

}  // namespace parley::media
