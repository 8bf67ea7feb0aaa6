#include "media/rtp_relay.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "base/os_random.hpp"
#include "media/recording_tap.hpp"
#include "media/rtcp_reporter.hpp"
#include "media/rtp_relay_stream.hpp"
#include "net/datagram_socket.hpp"
#include "net/loop_timer.hpp"
#include "net/worker_pool.hpp"
#include "protocol/rtp/rtcp_report.hpp"
#include "protocol/rtp/rtp_packet.hpp"

namespace parley::media {
namespace {

namespace rtp = protocol::rtp;

// RTP over UDP/IPv4 on an Ethernet path fits 1,472 bytes; a larger datagram is not RTP we relay
// (fragmented or a flood) and is dropped and counted by the socket (truncated()). The slot size
// sets the per-socket buffer memory, and an overloaded relay touches every slot.
constexpr std::size_t kMaxDatagram = 1500;
// RTCP comes every few seconds per stream (RFC 3550 §6.2): a small batch is plenty.
constexpr std::size_t kRtcpBatch = 2;
// Pairs tried when binding fails because something outside the pool holds them (each retry
// starts at a pseudo-random pair: PortPool::release_taken).
constexpr int kBindAttempts = 64;
constexpr std::uint8_t kMarkerBit = 0x80;
// Room SRTP needs after a packet: the SRTCP index (4) and the longest tag we negotiate (16).
constexpr std::size_t kSrtpOverhead = 20;
// Frames generated to carry a DTMF tone (the output ptime of a Transcoder by default), and at
// most how many at once (a burst after a late first event packet).
constexpr std::size_t kGeneratedFrameMs = 20;
constexpr std::size_t kMaxGeneratedFrames = 10;
// How often a WebRTC leg's DTLS handshake gets a chance to retransmit.
constexpr auto kSecureTick = std::chrono::milliseconds(100);
// Music on hold: one frame per tick; a loop that stalled longer than kMaxGeneratedFrames ticks
// skips ahead instead of bursting.
constexpr auto kHoldFrame = std::chrono::milliseconds(MusicOnHold::kFrameMs);
// Our own compound report: SR with one block (52 bytes) and the SDES CNAME (24).
constexpr std::size_t kReportBytes = 128;

std::size_t index(Leg leg) {
  return static_cast<std::size_t>(leg);
}

// The same IP as `address` with another port (for the implicit RTCP port, RFC 3605).
class RtpRelayImpl;

// Sends a WebRTC leg's STUN answers and DTLS flights out of its RTP socket.
class LegSender final : public SecureLeg::Sender {
 public:
  net::DatagramSocket* socket = nullptr;
  void send(const net::SocketAddress& to, std::span<const std::uint8_t> bytes) override {
    if (socket != nullptr) (void)socket->queue_send(to, bytes);
  }
};

// One leg: its sockets, what its SDP said, how far latching went, its counters, and the plan
// and output stream for packets received from it.
struct LegState {
  LegState(std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t timestamp,
           std::uint32_t rtcp_seed)
      : stream(ssrc, sequence, timestamp), rtcp(rtcp_seed) {}

  std::uint16_t port = 0;
  std::unique_ptr<net::DatagramSocket> rtp_socket;
  std::unique_ptr<net::DatagramSocket> rtcp_socket;

  bool has_remote = false;
  LegRemote remote;
  net::SocketAddress sdp_rtp;   // empty when the SDP gave no usable address (port 0)
  net::SocketAddress sdp_rtcp;  // RTCP destination from the SDP (RTP address with rtcp-mux)
  TimePoint window_end{};       // until then any source of negotiated RTP may latch
  std::optional<net::SocketAddress> latched_rtcp;

  LegStats stats;
  Forwarding forwarding;  // for packets received from this leg
  OutgoingStream stream;  // what this leg's packets become on the other leg
  // Where the last audio this leg sent started in `stream` (RFC 4733 events made from its
  // tones are stamped from it).
  std::optional<std::uint32_t> last_audio_timestamp;
  // RTCP Parley terminates: what it sends to and receives from this leg's user agent.
  RtcpReporter rtcp;

  // The last RFC 4733 event reported from this leg (events repeat their timestamp).
  bool event_seen = false;
  std::uint32_t event_timestamp = 0;

  std::unique_ptr<SecureLeg> secure;  // WebRTC or SDES leg; null for plain RTP
  LegSender sender;
  // When the next music-on-hold frame from this leg's direction is due (set while
  // forwarding.hold_music is).
  std::optional<std::chrono::steady_clock::time_point> hold_due;
  std::optional<net::SocketAddress> secure_destination;  // cache for rtp_destination()
};

// ICE, not the SDP and latching, decides this leg's media address (a WebRTC leg).
bool uses_ice(const LegState& leg) {
  return leg.secure != nullptr && leg.secure->uses_ice();
}

// SplitMix64 over one seed from the OS: the dozen random words a relay needs per call. A
// std::mt19937 filled its 624-word state for them, ~10,000 instructions per call (decision 0049).
class CallRandom {
 public:
  explicit CallRandom(std::uint64_t seed) : state_(seed) {}
  std::uint32_t operator()() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return static_cast<std::uint32_t>((z ^ (z >> 31U)) >> 32U);
  }

 private:
  std::uint64_t state_;
};

class RtpRelayImpl final : public RtpRelay, public net::DatagramSocket::Listener {
 public:
  RtpRelayImpl(net::WorkerPool& pool, std::size_t worker, PortPool& ports, const Clock& clock,
               const RelayOptions& options, CallRandom& random)
      : pool_(pool),
        worker_(worker),
        ports_(ports),
        clock_(clock),
        options_(options),
        legs_{LegState(random(), static_cast<std::uint16_t>(random()), random(), random()),
              LegState(random(), static_cast<std::uint16_t>(random()), random(), random())},
        last_rtp_(clock.now()),
        secure_timer_(pool, worker, [this] { on_secure_timer(); }),
        hold_timer_(pool, worker, [this] { on_hold_timer(); }),
        rtcp_timer_(pool, worker, [this] { on_rtcp_timer(); }) {
    // RFC 7022: a random CNAME per call, the same on both legs (one participant).
    static constexpr std::string_view kHex = "0123456789abcdef";
    for (std::size_t i = 0; i < cname_.size(); i += 8) {
      std::uint32_t bits = random();
      for (std::size_t j = i; j < i + 8 && j < cname_.size(); ++j, bits >>= 4U) {
        cname_[j] = kHex[bits & 0xFU];
      }
    }
  }

  ~RtpRelayImpl() override {
    PortParking* parking = ports_.parking();
    for (LegState& leg : legs_) {
      leg.sender.socket = nullptr;
      if (parking != nullptr && leg.port != 0 && leg.rtp_socket && leg.rtcp_socket) {
        PortPair pair;
        pair.port = leg.port;
        pair.rtp = std::move(leg.rtp_socket);
        pair.rtcp = std::move(leg.rtcp_socket);
        parking->park(worker_, std::move(pair));
        continue;
      }
      // Close before the ports go back, so the next owner of the port can bind it.
      leg.rtp_socket.reset();
      leg.rtcp_socket.reset();
      if (leg.port != 0) ports_.release(leg.port);
    }
  }

  RtpRelayImpl(const RtpRelayImpl&) = delete;
  RtpRelayImpl& operator=(const RtpRelayImpl&) = delete;

  Result<void> bind(Leg which);
  void adopt(LegState& leg, PortPair pair);

  std::uint16_t local_port(Leg leg) const override { return legs_[index(leg)].port; }
  void set_remote(Leg leg, const LegRemote& remote) override;
  void set_forwarding(Leg from, Forwarding forwarding) override {
    LegState& leg = legs_[index(from)];
    leg.forwarding = std::move(forwarding);
    leg.stream.restart();
    leg.last_audio_timestamp.reset();
    update_rtcp_termination();
    if (!leg.forwarding.hold_music) {
      leg.hold_due.reset();
    } else if (!leg.hold_due) {
      leg.hold_due = std::chrono::steady_clock::now();
    }
    arm_hold_timer();
  }
  const LegStats& stats(Leg leg) const override { return legs_[index(leg)].stats; }
  void set_secure(Leg which, std::unique_ptr<SecureLeg> secure) override {
    LegState& leg = legs_[index(which)];
    leg.secure = std::move(secure);
    leg.sender.socket = leg.rtp_socket.get();
    leg.secure_destination.reset();
    arm_secure_timer();
  }
  SecureLeg* secure(Leg which) override { return legs_[index(which)].secure.get(); }
  TimePoint last_rtp() const override { return last_rtp_; }
  void set_listener(RtpRelay::Listener* listener) override { listener_ = listener; }
  void set_recording_tap(std::shared_ptr<RecordingTap> tap) override { tap_ = std::move(tap); }

  void on_datagrams(net::DatagramSocket& socket, std::span<net::ReceivedDatagram> batch) override;

 private:
  void on_rtp(Leg from, net::ReceivedDatagram& datagram, TimePoint now);
  void on_rtcp(Leg from, net::ReceivedDatagram& datagram, TimePoint now, bool muxed);
  void on_event(Leg from, LegState& leg, const rtp::RtpView& view);
  bool accept_rtp_source(LegState& leg, const net::SocketAddress& source, bool negotiated,
                         TimePoint now);
  bool accept_rtcp_source(LegState& leg, const net::SocketAddress& source, bool muxed,
                          TimePoint now);
  void transcode(LegState& from, LegState& to, const net::SocketAddress& destination,
                 const rtp::RtpView& view, TimePoint now);
  void send_frame(LegState& from, LegState& to, const net::SocketAddress& destination,
                  const EncodedFrame& frame, TimePoint now) {
    send_frame(from, to, destination, frame, now, from.forwarding.transcode_output_pt,
               from.forwarding.output_clock_rate);
  }
  void send_frame(LegState& from, LegState& to, const net::SocketAddress& destination,
                  const EncodedFrame& frame, TimePoint now, int payload_type,
                  std::uint32_t clock_rate);
  bool send_generated(LegState& from, LegState& to, const net::SocketAddress& destination,
                      int payload_type, bool marker, std::uint32_t timestamp,
                      std::span<const std::uint8_t> payload);
  void event_to_tone(LegState& from, LegState& to, const net::SocketAddress& destination,
                     const rtp::RtpView& view, TimePoint now);
  void tone_to_event(Leg from_leg, LegState& from, LegState& to,
                     const net::SocketAddress& destination, const rtp::RtpView& view);
  const net::SocketAddress* rtp_destination(LegState& leg);
  // Queues plain RTP/RTCP `bytes` for `to`, protected first when `to` is a WebRTC leg.
  bool send_to(LegState& to, net::DatagramSocket& socket, const net::SocketAddress& destination,
               std::span<const std::uint8_t> bytes, bool rtcp);
  void flush(LegState& leg);
  void arm_secure_timer();
  void on_secure_timer();
  void arm_hold_timer();
  void on_hold_timer();
  // RTCP is terminated while either direction is transcoded.
  void update_rtcp_termination();
  void arm_rtcp_timer();
  void on_rtcp_timer();
  void send_report(LegState& to, LegState& other_leg, TimePoint now);
  // Where RTCP for `to` goes and through which socket; null when nowhere now.
  const net::SocketAddress* rtcp_destination(LegState& to, net::DatagramSocket*& socket);

  net::WorkerPool& pool_;
  std::size_t worker_;
  PortPool& ports_;
  const Clock& clock_;
  RelayOptions options_;
  std::array<LegState, 2> legs_;
  TimePoint last_rtp_;
  RtpRelay::Listener* listener_ = nullptr;
  std::shared_ptr<RecordingTap> tap_;
  net::LoopTimer secure_timer_;
  net::LoopTimer hold_timer_;
  net::LoopTimer rtcp_timer_;
  bool terminates_rtcp_ = false;
  std::array<char, 16> cname_{};
};

void RtpRelayImpl::adopt(LegState& leg, PortPair pair) {
  leg.port = pair.port;
  leg.rtp_socket = std::move(pair.rtp);
  leg.rtcp_socket = std::move(pair.rtcp);
  leg.rtp_socket->reassign(*this);
  leg.rtcp_socket->reassign(*this);
}

Result<void> RtpRelayImpl::bind(Leg which) {
  LegState& leg = legs_[index(which)];
  PortParking* parking = ports_.parking();
  if (parking != nullptr) {
    if (auto pair = parking->take(worker_, /*range_exhausted=*/false)) {
      adopt(leg, std::move(*pair));
      return {};
    }
  }
  net::DatagramSocketOptions socket_options;
  socket_options.batch = options_.batch;
  socket_options.max_datagram = kMaxDatagram;
  std::string last_error = "no port tried";
  for (int attempt = 0; attempt < kBindAttempts; ++attempt) {
    const auto port = ports_.acquire();
    if (!port) {
      if (parking != nullptr) {
        if (auto pair = parking->take(worker_, /*range_exhausted=*/true)) {
          adopt(leg, std::move(*pair));
          return {};
        }
        parking->release_everywhere(worker_);
      }
      return make_error(503, "RTP port range exhausted");
    }
    auto rtp_socket = net::DatagramSocket::open(
        pool_, worker_, options_.bind_address.with_port(*port), *this, socket_options);
    if (rtp_socket) {
      net::DatagramSocketOptions rtcp_options = socket_options;
      rtcp_options.batch = std::min(socket_options.batch, kRtcpBatch);
      auto rtcp_socket = net::DatagramSocket::open(
          pool_, worker_, options_.bind_address.with_port(static_cast<std::uint16_t>(*port + 1)),
          *this, rtcp_options);
      if (rtcp_socket) {
        leg.port = *port;
        leg.rtp_socket = std::move(*rtp_socket);
        leg.rtcp_socket = std::move(*rtcp_socket);
        return {};
      }
      last_error = rtcp_socket.error().message;
    } else {
      last_error = rtp_socket.error().message;
    }
    // Taken by something outside the pool: leave it for later and try elsewhere in the range.
    ports_.release_taken(*port);
  }
  return make_error(503, "cannot bind RTP ports: " + last_error);
}

void RtpRelayImpl::set_remote(Leg which, const LegRemote& remote) {
  LegState& leg = legs_[index(which)];
  const bool had_remote = leg.has_remote;
  const net::SocketAddress previous_rtp = leg.sdp_rtp;
  const net::SocketAddress previous_rtcp = leg.sdp_rtcp;
  leg.has_remote = true;
  leg.remote = remote;
  leg.sdp_rtp = remote.rtp.port() != 0 ? remote.rtp : net::SocketAddress{};
  if (leg.sdp_rtp.empty()) {
    leg.sdp_rtcp = {};
  } else if (remote.rtcp_mux) {
    leg.sdp_rtcp = leg.sdp_rtp;
  } else if (!remote.rtcp.empty() && remote.rtcp.port() != 0) {
    leg.sdp_rtcp = remote.rtcp;
  } else {
    leg.sdp_rtcp = leg.sdp_rtp.with_port(static_cast<std::uint16_t>(leg.sdp_rtp.port() + 1));
  }
  // The same SDP address again (a re-INVITE to hold, resume or refresh) keeps the latch: a
  // silent phone behind NAT still gets its media (music on hold) at the source it latched to,
  // and no stranger may take the leg over in a new window (RTP bleed). Only an SDP naming a new
  // address may move a latched leg: then open a new window (decision 0047).
  if (had_remote && leg.stats.latched && !leg.sdp_rtp.empty() && leg.sdp_rtp == previous_rtp &&
      leg.sdp_rtcp == previous_rtcp) {
    return;
  }
  leg.stats.latched.reset();
  leg.latched_rtcp.reset();
  leg.window_end = clock_.now() + options_.latch_window;
}

void RtpRelayImpl::on_datagrams(net::DatagramSocket& socket,
                                std::span<net::ReceivedDatagram> batch) {
  Leg from = Leg::kA;
  bool rtcp_socket = false;
  if (&socket == legs_[1].rtp_socket.get()) {
    from = Leg::kB;
  } else if (&socket == legs_[0].rtcp_socket.get()) {
    rtcp_socket = true;
  } else if (&socket == legs_[1].rtcp_socket.get()) {
    from = Leg::kB;
    rtcp_socket = true;
  }
  const TimePoint now = clock_.now();
  LegState& leg = legs_[index(from)];
  for (net::ReceivedDatagram& datagram : batch) {
    if (leg.secure) {
      // WebRTC multiplexes everything on the RTP port (RFC 7983, RFC 5761); nothing is expected
      // on the RTCP port. An SDES leg may use both ports, as plain RTP does.
      if (rtcp_socket && leg.secure->uses_ice()) {
        ++leg.stats.dropped_malformed;
        continue;
      }
      switch (leg.secure->receive(datagram.bytes, datagram.from, now, leg.sender)) {
        case SecureLeg::Received::kRtp:
          if (rtcp_socket) {
            ++leg.stats.dropped_malformed;
          } else {
            on_rtp(from, datagram, now);
          }
          break;
        case SecureLeg::Received::kRtcp:
          on_rtcp(from, datagram, now, /*muxed=*/!rtcp_socket);
          break;
        case SecureLeg::Received::kConsumed:
        case SecureLeg::Received::kDropped:
          break;
      }
      continue;
    }
    if (rtcp_socket) {
      on_rtcp(from, datagram, now, /*muxed=*/false);
    } else if (rtp::is_rtcp(datagram.bytes)) {
      on_rtcp(from, datagram, now, /*muxed=*/true);  // RFC 5761 demultiplexing
    } else {
      on_rtp(from, datagram, now);
    }
  }
  flush(legs_[index(other(from))]);
  if (leg.secure && leg.secure->wants_timer()) arm_secure_timer();
}

void RtpRelayImpl::arm_secure_timer() {
  const bool wanted = std::any_of(legs_.begin(), legs_.end(), [](const LegState& leg) {
    return leg.secure != nullptr && leg.secure->wants_timer();
  });
  if (!wanted) {
    secure_timer_.cancel();
  } else if (!secure_timer_.deadline()) {
    secure_timer_.arm(std::chrono::steady_clock::now() + kSecureTick);
  }
}

void RtpRelayImpl::on_secure_timer() {
  const TimePoint now = clock_.now();
  for (LegState& leg : legs_) {
    if (leg.secure == nullptr || !leg.secure->wants_timer()) continue;
    leg.secure->on_timer(now, leg.sender);
    flush(leg);
  }
  arm_secure_timer();
}

void RtpRelayImpl::arm_hold_timer() {
  std::optional<std::chrono::steady_clock::time_point> earliest;
  for (const LegState& leg : legs_) {
    if (leg.hold_due && (!earliest || *leg.hold_due < *earliest)) earliest = leg.hold_due;
  }
  if (!earliest) {
    hold_timer_.cancel();
  } else if (hold_timer_.deadline() != earliest) {
    hold_timer_.arm(*earliest);
  }
}

// Sends the music frames that are due to every held leg, one per 20 ms of wall-clock time.
void RtpRelayImpl::on_hold_timer() {
  const auto wall = std::chrono::steady_clock::now();
  const TimePoint now = clock_.now();
  for (std::size_t from_index = 0; from_index < legs_.size(); ++from_index) {
    LegState& from = legs_[from_index];
    LegState& to = legs_[1 - from_index];
    if (!from.hold_due || from.forwarding.hold_music == nullptr) continue;
    if (wall - *from.hold_due > kHoldFrame * kMaxGeneratedFrames) *from.hold_due = wall;
    const net::SocketAddress* destination = rtp_destination(to);
    // hold_due is at most kMaxGeneratedFrames frames behind `wall`, so this loop is bounded.
    while (*from.hold_due <= wall) {
      *from.hold_due += kHoldFrame;
      if (destination == nullptr) continue;  // the held party takes no media now
      EncodedFrame frame;
      if (!from.forwarding.hold_music->next(frame)) {
        ++from.stats.dropped_payload;
        continue;
      }
      const std::uint64_t sent = to.stats.rtp_sent;
      send_frame(from, to, *destination, frame, now, from.forwarding.hold_music_pt,
                 from.forwarding.hold_music->clock_rate());
      if (to.stats.rtp_sent != sent) ++to.stats.hold_frames_sent;
    }
    flush(to);
  }
  arm_hold_timer();
}

bool RtpRelayImpl::send_to(LegState& to, net::DatagramSocket& socket,
                           const net::SocketAddress& destination,
                           std::span<const std::uint8_t> bytes, bool rtcp) {
  if (!to.secure) return socket.queue_send(destination, bytes);
  const std::span<std::uint8_t> slot = socket.send_buffer();
  if (bytes.size() + kSrtpOverhead > slot.size()) return false;
  std::memcpy(slot.data(), bytes.data(), bytes.size());
  const auto size = to.secure->protect(slot, bytes.size(), rtcp);
  if (!size) return false;
  socket.commit_send(destination, *size);
  return true;
}

bool RtpRelayImpl::accept_rtp_source(LegState& leg, const net::SocketAddress& source,
                                     bool negotiated, TimePoint now) {
  if (uses_ice(leg)) {
    // ICE decides: only the address that proved the ICE password carries this leg's media.
    const auto address = leg.secure->media_address();
    if (!address || *address != source) return false;
    leg.stats.latched = address;
    return true;
  }
  if (leg.stats.latched) return *leg.stats.latched == source;
  if (!leg.has_remote) return false;
  // The SDP address always latches; any other source only with media the leg negotiated and
  // while the window is open (RTP bleed: a stranger spraying the port must not take the call).
  if ((!leg.sdp_rtp.empty() && source == leg.sdp_rtp) || (negotiated && now < leg.window_end)) {
    leg.stats.latched = source;
    return true;
  }
  return false;
}

bool RtpRelayImpl::accept_rtcp_source(LegState& leg, const net::SocketAddress& source, bool muxed,
                                      TimePoint now) {
  if (uses_ice(leg)) {
    const auto address = leg.secure->media_address();
    return muxed && address && *address == source;
  }
  if (muxed) {
    // On the RTP port RTCP follows the RTP latch; before it, the SDP address or the window.
    if (leg.stats.latched) return *leg.stats.latched == source;
    return leg.has_remote && (source == leg.sdp_rtp || now < leg.window_end);
  }
  if (leg.latched_rtcp) return *leg.latched_rtcp == source;
  if (!leg.has_remote) return false;
  if ((!leg.sdp_rtcp.empty() && source == leg.sdp_rtcp) || now < leg.window_end) {
    leg.latched_rtcp = source;
    return true;
  }
  return false;
}

const net::SocketAddress* RtpRelayImpl::rtp_destination(LegState& leg) {
  if (!leg.has_remote || !leg.remote.receives) return nullptr;  // hold: send nothing
  if (uses_ice(leg)) {
    leg.secure_destination = leg.secure->media_address();
    return leg.secure_destination ? &*leg.secure_destination : nullptr;
  }
  if (leg.stats.latched) return &*leg.stats.latched;
  return leg.sdp_rtp.empty() ? nullptr : &leg.sdp_rtp;
}

void RtpRelayImpl::on_rtp(Leg from_leg, net::ReceivedDatagram& datagram, TimePoint now) {
  LegState& from = legs_[index(from_leg)];
  LegState& to = legs_[index(other(from_leg))];
  const auto view = rtp::parse_rtp(datagram.bytes);
  if (!view) {
    ++from.stats.dropped_malformed;
    return;
  }
  const Forwarding& plan = from.forwarding;
  const bool transcoded =
      plan.transcoder != nullptr && view->payload_type == plan.transcode_input_pt;
  const std::int16_t mapped = plan.payload_map[view->payload_type];
  const bool event = plan.dtmf_input_pt >= 0 && view->payload_type == plan.dtmf_input_pt;
  const bool negotiated = transcoded || mapped >= 0 || event;
  if (!accept_rtp_source(from, datagram.from, negotiated, now)) {
    ++from.stats.dropped_foreign;
    return;
  }
  if (!negotiated) {
    ++from.stats.dropped_payload;
    return;
  }
  ++from.stats.rtp_received;
  last_rtp_ = now;
  from.rtcp.reception().on_packet(view->ssrc, view->sequence, view->timestamp, now,
                                  plan.input_clock_rate);
  if (tap_) {
    (void)tap_->push(static_cast<std::uint8_t>(from_leg), view->payload_type, view->sequence,
                     view->timestamp, view->payload, now);
  }
  if (event) on_event(from_leg, from, *view);
  if (plan.hold_music != nullptr) {
    ++from.stats.dropped_payload;  // this leg holds: the other hears music, not this stream
    return;
  }
  const bool translated_event = event && plan.events_to_tones != nullptr && plan.transcoder;
  if (!transcoded && mapped < 0 && !translated_event) {
    ++from.stats.dropped_payload;  // an event the other leg cannot take
    return;
  }

  const net::SocketAddress* destination = rtp_destination(to);
  if (destination == nullptr) {
    ++from.stats.dropped_payload;
    return;
  }
  if (translated_event) {
    event_to_tone(from, to, *destination, *view, now);
    return;
  }
  if (transcoded) {
    if (plan.events_to_tones != nullptr) plan.events_to_tones->on_audio(now);
    transcode(from, to, *destination, *view, now);
    if (plan.tones_to_events != nullptr) tone_to_event(from_leg, from, to, *destination, *view);
    return;
  }
  // Passthrough: rewrite the header in the receive buffer, then queue it on the other leg.
  const OutgoingStream::Stamp stamp = from.stream.map(
      view->ssrc, view->sequence, view->timestamp, view->marker, now, plan.output_clock_rate,
      /*sequential=*/plan.transcoder != nullptr || plan.tones_to_events != nullptr);
  const std::span<std::uint8_t> bytes = datagram.bytes;
  rtp::set_payload_type(bytes, static_cast<std::uint8_t>(mapped));
  if (stamp.marker) bytes[1] |= kMarkerBit;
  rtp::set_sequence(bytes, stamp.sequence);
  rtp::set_timestamp(bytes, stamp.timestamp);
  rtp::set_ssrc(bytes, from.stream.ssrc());
  if (send_to(to, *to.rtp_socket, *destination, bytes, /*rtcp=*/false)) {
    ++to.stats.rtp_sent;
    to.rtcp.on_sent(view->payload.size());
    if (!event) to.rtcp.on_sent_audio(stamp.timestamp, now);
  } else {
    ++from.stats.dropped_payload;
  }
  from.last_audio_timestamp = stamp.timestamp;
  if (plan.tones_to_events != nullptr) tone_to_event(from_leg, from, to, *destination, *view);
}

void RtpRelayImpl::transcode(LegState& from, LegState& to, const net::SocketAddress& destination,
                             const rtp::RtpView& view, TimePoint now) {
  Forwarding& plan = from.forwarding;
  plan.transcoder->push(view.sequence, view.timestamp, view.payload);
  for (EncodedFrame frame; plan.transcoder->pop(frame); frame = EncodedFrame{}) {
    send_frame(from, to, destination, frame, now);
  }
}

void RtpRelayImpl::send_frame(LegState& from, LegState& to, const net::SocketAddress& destination,
                              const EncodedFrame& frame, TimePoint now, int payload_type,
                              std::uint32_t clock_rate) {
  if (rtp::kRtpHeaderBytes + frame.payload.size() + kSrtpOverhead >
      to.rtp_socket->send_buffer().size()) {
    ++from.stats.dropped_payload;
    return;
  }
  const OutgoingStream::Stamp stamp = from.stream.next_frame(frame.samples, now, clock_rate);
  from.last_audio_timestamp = stamp.timestamp;
  const std::span<std::uint8_t> slot = to.rtp_socket->send_buffer();
  rtp::write_header(slot, static_cast<std::uint8_t>(payload_type), stamp.marker || frame.marker,
                    stamp.sequence, stamp.timestamp, from.stream.ssrc());
  if (!frame.payload.empty()) {
    std::memcpy(slot.data() + rtp::kRtpHeaderBytes, frame.payload.data(), frame.payload.size());
  }
  std::size_t size = rtp::kRtpHeaderBytes + frame.payload.size();
  if (to.secure) {
    const auto protected_size = to.secure->protect(slot, size, /*rtcp=*/false);
    if (!protected_size) {
      ++from.stats.dropped_payload;
      return;
    }
    size = *protected_size;
  }
  to.rtp_socket->commit_send(destination, size);
  ++to.stats.rtp_sent;
  to.rtcp.on_sent(frame.payload.size());
  to.rtcp.on_sent_audio(stamp.timestamp, now);
}

bool RtpRelayImpl::send_generated(LegState& from, LegState& to,
                                  const net::SocketAddress& destination, int payload_type,
                                  bool marker, std::uint32_t timestamp,
                                  std::span<const std::uint8_t> payload) {
  const std::span<std::uint8_t> slot = to.rtp_socket->send_buffer();
  if (rtp::kRtpHeaderBytes + payload.size() + kSrtpOverhead > slot.size()) return false;
  rtp::write_header(slot, static_cast<std::uint8_t>(payload_type), marker,
                    from.stream.take_sequence(), timestamp, from.stream.ssrc());
  std::memcpy(slot.data() + rtp::kRtpHeaderBytes, payload.data(), payload.size());
  std::size_t size = rtp::kRtpHeaderBytes + payload.size();
  if (to.secure) {
    const auto protected_size = to.secure->protect(slot, size, /*rtcp=*/false);
    if (!protected_size) return false;
    size = *protected_size;
  }
  to.rtp_socket->commit_send(destination, size);
  ++to.stats.rtp_sent;
  to.rtcp.on_sent(payload.size());
  return true;
}

// An RFC 4733 packet for a leg without telephone-event: its tone rides on the audio, or on
// frames generated here while the sender is quiet.
void RtpRelayImpl::event_to_tone(LegState& from, LegState& to,
                                 const net::SocketAddress& destination, const rtp::RtpView& view,
                                 TimePoint now) {
  Forwarding& plan = from.forwarding;
  const auto parsed = rtp::parse_telephone_event(view.payload);
  if (!parsed) {
    ++from.stats.dropped_payload;
    return;
  }
  plan.events_to_tones->on_event(view.timestamp, *parsed, now);
  const auto frame_samples =
      static_cast<std::size_t>(plan.transcoder->output_sample_rate()) * kGeneratedFrameMs / 1000;
  std::size_t owed =
      std::min(plan.events_to_tones->frames_owed(frame_samples, now), kMaxGeneratedFrames);
  for (EncodedFrame frame; owed > 0 && plan.transcoder->generate(frame); --owed) {
    send_frame(from, to, destination, frame, now);
  }
}

// Audio from a leg without telephone-event, already relayed: digits heard in it go to the
// other leg as RFC 4733 events.
void RtpRelayImpl::tone_to_event(Leg from_leg, LegState& from, LegState& to,
                                 const net::SocketAddress& destination, const rtp::RtpView& view) {
  const Forwarding& plan = from.forwarding;
  if (plan.dtmf_output_pt < 0 || !from.last_audio_timestamp) return;
  const auto packets = plan.tones_to_events->push(view.payload, *from.last_audio_timestamp);
  if (const auto digit = plan.tones_to_events->began(); digit && listener_ != nullptr) {
    listener_->on_dtmf_digit(from_leg, *digit);
  }
  for (const TonesToEvents::Packet& packet : packets) {
    std::array<std::uint8_t, 4> payload{};
    rtp::write_telephone_event(payload, packet.event);
    if (!send_generated(from, to, destination, plan.dtmf_output_pt, packet.marker, packet.timestamp,
                        payload)) {
      ++from.stats.dropped_payload;
    }
  }
}

void RtpRelayImpl::on_event(Leg from_leg, LegState& leg, const rtp::RtpView& view) {
  if (leg.event_seen && leg.event_timestamp == view.timestamp) return;  // same event, again
  const auto parsed = rtp::parse_telephone_event(view.payload);
  if (!parsed) return;
  leg.event_seen = true;
  leg.event_timestamp = view.timestamp;
  static constexpr std::string_view kDigits = "0123456789*#ABCD";
  if (listener_ != nullptr && parsed->event < kDigits.size()) {
    listener_->on_dtmf_digit(from_leg, kDigits[parsed->event]);
  }
}

void RtpRelayImpl::on_rtcp(Leg from_leg, net::ReceivedDatagram& datagram, TimePoint now,
                           bool muxed) {
  LegState& from = legs_[index(from_leg)];
  LegState& to = legs_[index(other(from_leg))];
  if (!rtp::valid_rtcp(datagram.bytes)) {
    ++from.stats.dropped_malformed;
    return;
  }
  if (!accept_rtcp_source(from, datagram.from, muxed, now)) {
    ++from.stats.dropped_foreign;
    return;
  }
  ++from.stats.rtcp_received;
  if (terminates_rtcp_) {
    // A transcoded pair's reports describe streams the other side never sees: kept here.
    // valid_rtcp() passed; a compound without a report (RFC 5506 reduced size) is consumed too.
    if (const auto reports = rtp::parse_rtcp_reports(datagram.bytes)) {
      from.rtcp.on_reports(*reports, to.stream.ssrc(), now,
                           ntp_time(std::chrono::system_clock::now()));
      if (from.rtcp.peer()) from.stats.peer = from.rtcp.peer();
    }
    ++from.stats.rtcp_terminated;
    return;
  }
  if (from.forwarding.hold_music != nullptr || !to.has_remote || !to.remote.receives) {
    ++from.stats.dropped_payload;
    return;
  }
  net::DatagramSocket* socket = nullptr;
  const net::SocketAddress* destination = rtcp_destination(to, socket);
  if (destination == nullptr) {
    ++from.stats.dropped_payload;
    return;
  }
  rtp::set_rtcp_sender_ssrc(datagram.bytes, from.stream.ssrc());
  if (send_to(to, *socket, *destination, datagram.bytes, /*rtcp=*/true)) {
    ++to.stats.rtcp_sent;
  } else {
    ++from.stats.dropped_payload;
  }
}

const net::SocketAddress* RtpRelayImpl::rtcp_destination(LegState& to,
                                                         net::DatagramSocket*& socket) {
  socket = to.rtcp_socket.get();
  if (to.remote.rtcp_mux || uses_ice(to)) {
    socket = to.rtp_socket.get();
    return rtp_destination(to);
  }
  if (to.latched_rtcp) return &*to.latched_rtcp;
  if (!to.sdp_rtcp.empty()) return &to.sdp_rtcp;
  return nullptr;
}

void RtpRelayImpl::update_rtcp_termination() {
  const bool terminates = std::any_of(legs_.begin(), legs_.end(), [](const LegState& leg) {
    return leg.forwarding.transcoder != nullptr;
  });
  if (terminates == terminates_rtcp_) return;
  terminates_rtcp_ = terminates;
  const TimePoint now = clock_.now();
  for (LegState& leg : legs_) {
    if (terminates) {
      leg.rtcp.start(now, options_.rtcp_interval);
    } else {
      leg.rtcp.stop();
    }
  }
  arm_rtcp_timer();
}

void RtpRelayImpl::arm_rtcp_timer() {
  std::optional<TimePoint> earliest;
  for (const LegState& leg : legs_) {
    const auto& due = leg.rtcp.next_report();
    if (due && (!earliest || *due < *earliest)) earliest = due;
  }
  if (!earliest) {
    rtcp_timer_.cancel();
    return;
  }
  // Report times are on the relay's clock; the loop's timer runs on the steady clock.
  const auto wait = std::max(*earliest - clock_.now(), Duration::zero());
  rtcp_timer_.arm(std::chrono::steady_clock::now() + wait);
}

void RtpRelayImpl::on_rtcp_timer() {
  const TimePoint now = clock_.now();
  for (std::size_t i = 0; i < legs_.size(); ++i) {
    const auto& due = legs_[i].rtcp.next_report();
    if (due && *due <= now) send_report(legs_[i], legs_[1 - i], now);
  }
  arm_rtcp_timer();
}

// Parley's report to `to`'s user agent about the stream it sends there (other_leg's packets,
// rewritten) and the one it receives from there.
void RtpRelayImpl::send_report(LegState& to, LegState& other_leg, TimePoint now) {
  std::array<std::uint8_t, kReportBytes> report{};
  const std::size_t size = to.rtcp.write_report(
      report, now, ntp_time(std::chrono::system_clock::now()), other_leg.stream.ssrc(),
      other_leg.forwarding.output_clock_rate, std::string_view(cname_.data(), cname_.size()));
  to.rtcp.reschedule(now);
  if (size == 0 || !to.has_remote || !to.remote.receives) return;
  net::DatagramSocket* socket = nullptr;
  const net::SocketAddress* destination = rtcp_destination(to, socket);
  if (destination == nullptr) return;
  if (send_to(to, *socket, *destination, std::span<const std::uint8_t>(report.data(), size),
              /*rtcp=*/true)) {
    ++to.stats.rtcp_sent;
    ++to.stats.rtcp_reports_sent;
  }
  flush(to);
}

void RtpRelayImpl::flush(LegState& leg) {
  if (leg.rtp_socket->queued() > 0) leg.rtp_socket->flush();
  if (leg.rtcp_socket->queued() > 0) leg.rtcp_socket->flush();
  leg.stats.send_failures = leg.rtp_socket->send_failures() + leg.rtcp_socket->send_failures();
}

}  // namespace

Result<std::unique_ptr<RtpRelay>> RtpRelay::create(net::WorkerPool& pool, std::size_t worker,
                                                   PortPool& ports, const Clock& clock,
                                                   const RelayOptions& options) {
  if (options.bind_address.empty()) return make_error(503, "no RTP bind address");
  // SSRCs and initial sequence numbers and timestamps are random (RFC 3550 §5.1); one seed per
  // call from the OS is cheap next to the four binds.
  CallRandom random(base::os_random_u64());
  auto relay = std::make_unique<RtpRelayImpl>(pool, worker, ports, clock, options, random);
  for (const Leg leg : {Leg::kA, Leg::kB}) {
    if (auto bound = relay->bind(leg); !bound) return bound.error();
  }
  return std::unique_ptr<RtpRelay>(std::move(relay));
}

}  // namespace parley::media
