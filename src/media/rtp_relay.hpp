#pragma once
// RtpRelay: the media anchor of one call. Two legs (A = caller, B = callee), each with a local
// RTP port (and RTCP on the next port unless rtcp-mux) bound on the call's worker loop. RTP that
// leg A's user agent sends to its local port goes out of leg B's socket to B's user agent, and
// the other way round, rewritten on the way:
//   * payload type mapped per direction (dynamic types may differ per leg), or handed to a
//     Transcoder whose output is framed in new RTP headers;
//   * SSRC, sequence number and timestamp rewritten so that each outgoing stream is one
//     continuous stream with our own SSRC, even when the input SSRC changes (re-INVITE,
//     transfer, hold and resume);
//   * RTCP relayed to the other leg's RTCP destination (rtcp-mux aware), or, once either
//     direction is transcoded, terminated: each leg's reports are parsed, validated and kept
//     (LSR for our report blocks, the peer's view of our stream), never relayed, and Parley sends
//     each leg reports of its own about every 5 s (RtcpReporter, decision 0039).
//
// Latching (symmetric RTP and the "RTP bleed" defence): each leg sends to the address its SDP
// named until it latches. A leg latches to the first source of valid RTP that is either the SDP
// address, or — within `latch_window` after set_remote() — any source sending valid RTP with a
// payload type the leg negotiated (NAT is evident). Once latched, packets from every other source
// are dropped and counted; only a new set_remote() naming another address opens a new window: the
// same address again (hold, resume, a refresh) keeps the latch (decision 0047), so a silent
// phone behind NAT still gets its music on hold and nobody can take the leg over meanwhile.
//
// Recording: with a RecordingTap set, every accepted RTP packet of both legs (after SRTP
// decryption) is copied into it for the recording writer; copying never allocates or blocks.
// DTMF: RFC 4733 events a leg sends with its telephone-event payload type are reported as digits
// to the Listener (once per event), whether or not they are relayed, for feature codes; so are
// in-band digits found on a leg whose Forwarding translates them into events.
//
// Music on hold: a direction whose Forwarding carries `hold_music` sends generated frames on a
// 20 ms timer of the worker loop instead of relaying (see Forwarding).
//
// WebRTC legs (set_secure) see the same relay through a SecureLeg that terminates STUN and DTLS
// and turns SRTP into RTP on the way in and back on the way out.
//
// Lifetime: created and destroyed on its worker's thread; the destructor closes the sockets and
// returns the ports to the PortPool. All methods run on that thread.
//
// Steady state allocates nothing per packet: receive and send batches are preallocated.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "media/dtmf_translator.hpp"
#include "media/music_on_hold.hpp"
#include "media/port_parking.hpp"
#include "media/rtcp_reporter.hpp"
#include "media/secure_leg.hpp"
#include "media/transcoder.hpp"
#include "net/address.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::media {

class RecordingTap;

enum class Leg : std::uint8_t { kA = 0, kB = 1 };
inline Leg other(Leg leg) {
  return leg == Leg::kA ? Leg::kB : Leg::kA;
}

// Even RTP ports from an inclusive range, shared by every worker. Port p is handed out with
// p + 1 reserved for its RTCP. Thread-safe.
class PortPool {
 public:
  PortPool(std::uint16_t first, std::uint16_t last);
  // The round robin starts at pair `start_seed % capacity()` instead of the first: a server
  // passes a random seed, so two servers sharing a range (or a restart while the old process's
  // ports linger) do not walk the same ports in the same order, and the next port is not
  // predictable from outside.
  PortPool(std::uint16_t first, std::uint16_t last, std::uint64_t start_seed);
  ~PortPool();
  PortPool(const PortPool&) = delete;
  PortPool& operator=(const PortPool&) = delete;
  // An even port not in use, or nullopt when the range is exhausted. Round-robin through the
  // range, so a port just released is not reused at once (late packets of the last call).
  std::optional<std::uint16_t> acquire();
  void release(std::uint16_t port);
  // Releases a pair acquire() gave out that could not be bound because something outside the
  // pool holds it (another program, or another server given the same range, whose ports come
  // in long runs), and moves the round robin to a pseudo-random pair: the next attempt does not
  // walk the rest of that run one port at a time.
  void release_taken(std::uint16_t port);
  std::size_t in_use() const;  // parked pairs included
  std::size_t capacity() const;

  // Relays of `pool`'s workers keep their pairs bound between calls (PortParking, decision
  // 0060). Once, before the pool runs; this PortPool must live until the pool's shutdown()
  // returned, and the pool until this PortPool is gone.
  void enable_parking(net::WorkerPool& pool, const ParkingOptions& options);
  // Null unless enabled.
  PortParking* parking() { return parking_.get(); }

 private:
  mutable std::mutex mutex_;
  std::uint16_t first_;
  std::vector<bool> used_;    // guarded by mutex_, index (port - first_) / 2
  std::size_t next_ = 0;      // guarded by mutex_
  std::size_t in_use_ = 0;    // guarded by mutex_
  std::uint64_t jump_state_;  // guarded by mutex_; splitmix64 state for release_taken()
  // Last: destroyed first, releasing its ports into the members above.
  std::unique_ptr<PortParking> parking_;
};

// What a leg's SDP says about where its user agent receives.
struct LegRemote {
  net::SocketAddress rtp;   // port 0 = the stream is rejected or on hold without address
  net::SocketAddress rtcp;  // ignored with rtcp_mux; empty = rtp port + 1
  bool rtcp_mux = false;
  bool sends = true;     // the UA will send media (sendrecv/sendonly from its point of view)
  bool receives = true;  // we may send it media (sendrecv/recvonly); false = hold: we send nothing
};

// How RTP received on one leg is sent out of the other.
struct Forwarding {
  Forwarding() { payload_map.fill(-1); }
  // Passthrough: received payload type -> sent payload type; -1 = drop (counted).
  std::array<std::int16_t, 128> payload_map;
  // Transcoding: packets of `transcode_input_pt` go through `transcoder`; its frames go out with
  // `transcode_output_pt`. payload_map still applies to other types (telephone-event).
  std::unique_ptr<Transcoder> transcoder;
  int transcode_input_pt = -1;
  int transcode_output_pt = -1;
  std::uint32_t output_clock_rate = 8000;  // of the output codec, for timestamp continuity
  std::uint32_t input_clock_rate = 8000;   // of what this leg sends, for its jitter (RFC 3550)
  // The telephone-event payload type this leg sends (-1 = none): its events are reported as
  // digits, and relayed only when payload_map maps the type.
  int dtmf_input_pt = -1;
  // DTMF translation when only one leg negotiated telephone-event (see dtmf_translator.hpp).
  // Events of dtmf_input_pt become tones mixed into `transcoder`'s output (which must be set,
  // with this as its mixer), frames generated while the leg sends only events.
  std::unique_ptr<EventsToTones> events_to_tones;
  // This leg's audio is scanned for tones; digits go out as events of `dtmf_output_pt`.
  std::unique_ptr<TonesToEvents> tones_to_events;
  int dtmf_output_pt = -1;
  // Music on hold (this leg holds the call): while set, RTP from this leg is still accepted,
  // counted, recorded and scanned for digits but not relayed; instead the other leg gets
  // `hold_music`'s frames every 20 ms as payload type `hold_music_pt`, on this direction's one
  // continuous outgoing stream (so resuming continues its sequence numbers). Nothing is sent
  // while the other leg takes no media either (both parties hold).
  std::unique_ptr<MusicOnHold> hold_music;
  int hold_music_pt = -1;
};

struct RelayOptions {
  net::SocketAddress bind_address;  // local IP to bind the legs' sockets to (port ignored)
  Duration latch_window = std::chrono::seconds(10);
  // Datagrams per recvmmsg/sendmmsg on RTP sockets. One socket carries one stream (50 packets/s
  // for 20 ms frames), so a wake-up rarely finds more than one or two; a socket also drains
  // several batches per wake-up. Receive and send slots (batch × 1,500 bytes each) are per socket.
  std::size_t batch = 8;
  // The minimum RTCP report interval where RTCP is terminated (RFC 3550 §6.2: 5 s).
  Duration rtcp_interval = std::chrono::seconds(5);
};

struct LegStats {
  std::uint64_t rtp_received = 0;  // valid RTP accepted from this leg's UA
  std::uint64_t rtp_sent = 0;      // RTP sent to this leg's UA
  std::uint64_t rtcp_received = 0;
  std::uint64_t rtcp_sent = 0;
  std::uint64_t dropped_malformed = 0;  // not RTP/RTCP
  std::uint64_t dropped_foreign = 0;    // from a source other than the latched one
  std::uint64_t dropped_payload = 0;    // payload type not negotiated / no destination / hold
  std::uint64_t send_failures = 0;
  std::uint64_t hold_frames_sent = 0;         // music-on-hold frames sent to this leg's UA
  std::uint64_t rtcp_terminated = 0;          // valid RTCP from this leg's UA consumed here
  std::uint64_t rtcp_reports_sent = 0;        // Parley's own reports sent to this leg's UA
  std::optional<PeerReception> peer;          // what this leg's UA last reported of our stream
  std::optional<net::SocketAddress> latched;  // the source this leg latched to
};

class RtpRelay {
 public:
  // Told of what the relay sees, on its worker loop.
  class Listener {
   public:
    virtual ~Listener() = default;
    // A new RFC 4733 event from `leg`'s user agent: '0'-'9', '*', '#', 'A'-'D'.
    virtual void on_dtmf_digit(Leg leg, char digit) = 0;
  };

  // Binds both legs' sockets (ports from `ports`) on worker `worker` of `pool`. Must run on that
  // worker's thread. Error (code 503) when the range is exhausted or binding fails.
  static Result<std::unique_ptr<RtpRelay>> create(net::WorkerPool& pool, std::size_t worker,
                                                  PortPool& ports, const Clock& clock,
                                                  const RelayOptions& options);
  virtual ~RtpRelay() = default;

  // The RTP port this leg's user agent must send to (put into the SDP we send that leg).
  virtual std::uint16_t local_port(Leg leg) const = 0;
  // From the leg's SDP (offer or answer); again on every new SDP of that leg.
  virtual void set_remote(Leg leg, const LegRemote& remote) = 0;
  // How packets received from `from` are sent to the other leg. Replaces the previous plan.
  virtual void set_forwarding(Leg from, Forwarding forwarding) = 0;
  virtual const LegStats& stats(Leg leg) const = 0;
  // Makes `leg` a WebRTC leg (ICE-lite, DTLS-SRTP, rtcp-mux) handled by `secure`, or a plain one
  // again with nullptr. Latching then follows ICE: media goes to the address that proved the ICE
  // password, and only packets from it that pass SRTP authentication are relayed.
  virtual void set_secure(Leg leg, std::unique_ptr<SecureLeg> secure) = 0;
  virtual SecureLeg* secure(Leg leg) = 0;
  // When valid RTP last arrived on either leg (the creation time before any).
  virtual TimePoint last_rtp() const = 0;
  // Borrowed; null = nobody listens.
  virtual void set_listener(Listener* listener) = 0;
  // Starts copying accepted RTP of both legs into `tap` (channel 0 = leg A); null stops.
  virtual void set_recording_tap(std::shared_ptr<RecordingTap> tap) = 0;
};

}  // namespace parley::media
