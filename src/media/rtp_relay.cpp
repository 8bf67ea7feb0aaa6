#include "media/rtp_relay.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include "media/rtp_relay_stream.hpp"
#include "net/datagram_socket.hpp"
#include "net/worker_pool.hpp"
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
// Ports tried when binding fails because something outside the pool holds them.
constexpr int kBindAttempts = 16;
constexpr std::uint8_t kMarkerBit = 0x80;

std::size_t index(Leg leg) {
  return static_cast<std::size_t>(leg);
}

// The same IP as `address` with another port (for the implicit RTCP port, RFC 3605).
net::SocketAddress with_port(const net::SocketAddress& address, std::uint16_t port) {
  return net::SocketAddress::parse(address.ip(), port).value_or(net::SocketAddress{});
}

class RtpRelayImpl;

// One leg: its sockets, what its SDP said, how far latching went, its counters, and the plan
// and output stream for packets received from it.
struct LegState {
  LegState(std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t timestamp)
      : stream(ssrc, sequence, timestamp) {}

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
};

class RtpRelayImpl final : public RtpRelay, public net::DatagramSocket::Listener {
 public:
  RtpRelayImpl(net::WorkerPool& pool, std::size_t worker, PortPool& ports, const Clock& clock,
               const RelayOptions& options, std::mt19937& random)
      : pool_(pool),
        worker_(worker),
        ports_(ports),
        clock_(clock),
        options_(options),
        legs_{LegState(random(), static_cast<std::uint16_t>(random()), random()),
              LegState(random(), static_cast<std::uint16_t>(random()), random())},
        last_rtp_(clock.now()) {}

  ~RtpRelayImpl() override {
    for (LegState& leg : legs_) {
      // Close before the ports go back, so the next owner of the port can bind it.
      leg.rtp_socket.reset();
      leg.rtcp_socket.reset();
      if (leg.port != 0) ports_.release(leg.port);
    }
  }

  RtpRelayImpl(const RtpRelayImpl&) = delete;
  RtpRelayImpl& operator=(const RtpRelayImpl&) = delete;

  Result<void> bind(Leg which);

  std::uint16_t local_port(Leg leg) const override { return legs_[index(leg)].port; }
  void set_remote(Leg leg, const LegRemote& remote) override;
  void set_forwarding(Leg from, Forwarding forwarding) override {
    LegState& leg = legs_[index(from)];
    leg.forwarding = std::move(forwarding);
    leg.stream.restart();
  }
  const LegStats& stats(Leg leg) const override { return legs_[index(leg)].stats; }
  TimePoint last_rtp() const override { return last_rtp_; }

  void on_datagrams(net::DatagramSocket& socket, std::span<net::ReceivedDatagram> batch) override;

 private:
  void on_rtp(Leg from, net::ReceivedDatagram& datagram, TimePoint now);
  void on_rtcp(Leg from, net::ReceivedDatagram& datagram, TimePoint now, bool muxed);
  bool accept_rtp_source(LegState& leg, const net::SocketAddress& source, bool negotiated,
                         TimePoint now);
  bool accept_rtcp_source(LegState& leg, const net::SocketAddress& source, bool muxed,
                          TimePoint now);
  void transcode(LegState& from, LegState& to, const net::SocketAddress& destination,
                 const rtp::RtpView& view, TimePoint now);
  const net::SocketAddress* rtp_destination(const LegState& leg) const;
  void flush(LegState& leg);

  net::WorkerPool& pool_;
  std::size_t worker_;
  PortPool& ports_;
  const Clock& clock_;
  RelayOptions options_;
  std::array<LegState, 2> legs_;
  TimePoint last_rtp_;
};

Result<void> RtpRelayImpl::bind(Leg which) {
  LegState& leg = legs_[index(which)];
  net::DatagramSocketOptions socket_options;
  socket_options.batch = options_.batch;
  socket_options.max_datagram = kMaxDatagram;
  std::string last_error = "no port tried";
  for (int attempt = 0; attempt < kBindAttempts; ++attempt) {
    const auto port = ports_.acquire();
    if (!port) return make_error(503, "RTP port range exhausted");
    auto rtp_socket = net::DatagramSocket::open(
        pool_, worker_, with_port(options_.bind_address, *port), *this, socket_options);
    if (rtp_socket) {
      net::DatagramSocketOptions rtcp_options = socket_options;
      rtcp_options.batch = std::min(socket_options.batch, kRtcpBatch);
      auto rtcp_socket = net::DatagramSocket::open(
          pool_, worker_, with_port(options_.bind_address, static_cast<std::uint16_t>(*port + 1)),
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
    // Taken by something outside the pool: leave it for later and try the next pair. The
    // round-robin pool does not hand it out again before going round the range.
    ports_.release(*port);
  }
  return make_error(503, "cannot bind RTP ports: " + last_error);
}

void RtpRelayImpl::set_remote(Leg which, const LegRemote& remote) {
  LegState& leg = legs_[index(which)];
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
    leg.sdp_rtcp = with_port(leg.sdp_rtp, static_cast<std::uint16_t>(leg.sdp_rtp.port() + 1));
  }
  // A new SDP is the only thing that may move a latched leg: open a new window.
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
  for (net::ReceivedDatagram& datagram : batch) {
    if (rtcp_socket) {
      on_rtcp(from, datagram, now, /*muxed=*/false);
    } else if (rtp::is_rtcp(datagram.bytes)) {
      on_rtcp(from, datagram, now, /*muxed=*/true);  // RFC 5761 demultiplexing
    } else {
      on_rtp(from, datagram, now);
    }
  }
  flush(legs_[index(other(from))]);
}

bool RtpRelayImpl::accept_rtp_source(LegState& leg, const net::SocketAddress& source,
                                     bool negotiated, TimePoint now) {
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

const net::SocketAddress* RtpRelayImpl::rtp_destination(const LegState& leg) const {
  if (!leg.has_remote || !leg.remote.receives) return nullptr;  // hold: send nothing
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
  const bool negotiated = transcoded || mapped >= 0;
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

  const net::SocketAddress* destination = rtp_destination(to);
  if (destination == nullptr) {
    ++from.stats.dropped_payload;
    return;
  }
  if (transcoded) {
    transcode(from, to, *destination, *view, now);
    return;
  }
  // Passthrough: rewrite the header in the receive buffer, then queue it on the other leg.
  const OutgoingStream::Stamp stamp =
      from.stream.map(view->ssrc, view->sequence, view->timestamp, view->marker, now,
                      plan.output_clock_rate, /*sequential=*/plan.transcoder != nullptr);
  const std::span<std::uint8_t> bytes = datagram.bytes;
  rtp::set_payload_type(bytes, static_cast<std::uint8_t>(mapped));
  if (stamp.marker) bytes[1] |= kMarkerBit;
  rtp::set_sequence(bytes, stamp.sequence);
  rtp::set_timestamp(bytes, stamp.timestamp);
  rtp::set_ssrc(bytes, from.stream.ssrc());
  if (to.rtp_socket->queue_send(*destination, bytes)) {
    ++to.stats.rtp_sent;
  } else {
    ++from.stats.dropped_payload;
  }
}

void RtpRelayImpl::transcode(LegState& from, LegState& to, const net::SocketAddress& destination,
                             const rtp::RtpView& view, TimePoint now) {
  Forwarding& plan = from.forwarding;
  plan.transcoder->push(view.sequence, view.timestamp, view.payload);
  for (EncodedFrame frame; plan.transcoder->pop(frame); frame = EncodedFrame{}) {
    const std::span<std::uint8_t> slot = to.rtp_socket->send_buffer();
    if (rtp::kRtpHeaderBytes + frame.payload.size() > slot.size()) {
      ++from.stats.dropped_payload;
      continue;
    }
    const OutgoingStream::Stamp stamp =
        from.stream.next_frame(frame.samples, now, plan.output_clock_rate);
    rtp::write_header(slot, static_cast<std::uint8_t>(plan.transcode_output_pt),
                      stamp.marker || frame.marker, stamp.sequence, stamp.timestamp,
                      from.stream.ssrc());
    if (!frame.payload.empty()) {
      std::memcpy(slot.data() + rtp::kRtpHeaderBytes, frame.payload.data(), frame.payload.size());
    }
    to.rtp_socket->commit_send(destination, rtp::kRtpHeaderBytes + frame.payload.size());
    ++to.stats.rtp_sent;
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
  // A transcoded direction's reports would describe a stream the other side never sees.
  if (from.forwarding.transcoder != nullptr || !to.has_remote || !to.remote.receives) {
    ++from.stats.dropped_payload;
    return;
  }
  const net::SocketAddress* destination = nullptr;
  net::DatagramSocket* socket = to.rtcp_socket.get();
  if (to.remote.rtcp_mux) {
    destination = rtp_destination(to);
    socket = to.rtp_socket.get();
  } else if (to.latched_rtcp) {
    destination = &*to.latched_rtcp;
  } else if (!to.sdp_rtcp.empty()) {
    destination = &to.sdp_rtcp;
  }
  if (destination == nullptr) {
    ++from.stats.dropped_payload;
    return;
  }
  rtp::set_rtcp_sender_ssrc(datagram.bytes, from.stream.ssrc());
  if (socket->queue_send(*destination, datagram.bytes)) {
    ++to.stats.rtcp_sent;
  } else {
    ++from.stats.dropped_payload;
  }
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
  std::random_device entropy;
  std::mt19937 random(entropy());
  auto relay = std::make_unique<RtpRelayImpl>(pool, worker, ports, clock, options, random);
  for (const Leg leg : {Leg::kA, Leg::kB}) {
    if (auto bound = relay->bind(leg); !bound) return bound.error();
  }
  return std::unique_ptr<RtpRelay>(std::move(relay));
}

}  // namespace parley::media
