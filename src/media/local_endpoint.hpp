#pragma once
// LocalEndpoint: one RTP leg that ends at Parley (decision 0018): the media half of a call
// Parley answers itself (echo test, conference room, voicemail, IVR, park). Where the RtpRelay
// joins two legs, this one turns one leg into PCM for an application and the application's PCM
// back into RTP.
//
// SDP (answer() to every offer of the caller, RFC 3264): the first audio stream is answered with
// the best codec Parley supports among those offered (Opus > G.722 > PCMU > PCMA, the offerer's
// payload type numbers), telephone-event when offered (8 kHz preferred), rtcp-mux when offered,
// a=ptime:20, our address and a port of the shared PortPool; every other stream is refused (port
// 0). Hold (RFC 3264 §8.4): an offer that is sendonly or inactive (or c=0.0.0.0) is answered
// recvonly or inactive and we send nothing until a sendrecv/recvonly offer resumes. A re-offer
// that still lists the codec in use keeps it (and the decoder and encoder state).
//
// Secure callers (decision 0043) get the relay's SecureLeg seam here too, one per endpoint:
// a browser's UDP/TLS/RTP/SAVPF offer (with LocalEndpointOptions::webrtc) is answered ICE-lite
// with our credentials, fingerprint and one host candidate (webrtc_sdp.hpp); ICE then decides
// where media goes and which source is taken (everything multiplexed on the RTP port), DTLS
// runs on the endpoint's own retransmission timer, and SRTP is decrypted before the jitter
// buffer and encrypted after the encoder. Until DTLS has keyed SRTP nothing is sent and the
// Listener is not asked for frames (a prompt starts when the caller can hear it). An RTP/SAVP(F)
// offer with SDES keys (with LocalEndpointOptions::sdes) is answered with our key
// (sdes_negotiation.hpp) and keeps the plain-RTP latching and ports. Without the option such offers
// get 488.
//
// Latching, as the relay does it (the "RTP bleed" defence): media goes to the SDP address until
// the leg latches to the first source of RTP that is either the SDP address or, within
// `latch_window` of an SDP, any source sending a negotiated payload type (NAT); once latched,
// packets from any other source are dropped. A new offer opens a new window.
//
// Receiving: RTP of the chosen codec goes through a jitter buffer, is decoded (with the codec's
// concealment for packets given up on) and resampled to the endpoint's rate, and reaches the
// Listener as 20 ms frames (on_audio) as soon as they are complete. RFC 4733 events of the
// negotiated telephone-event type are reported once as a begin and once as an end per key
// press (repeated and end packets of the same event are recognised by their timestamp). RTCP
// is received and counted, not answered.
//
// Payload mode (Listener::on_payload/fill_payload): an application may take the received
// payloads undecoded and hand back encoded frames; the endpoint still owns sockets, latching,
// DTMF, hold and the RTP stream, and falls back to fill_frame() for a tick without a payload.
//
// Sending: a timer of the worker loop fires every 20 ms; each tick asks the Listener for one
// frame (fill_frame; silence when it has none), encodes it and sends it on one continuous RTP
// stream with our own SSRC, sequence numbers and timestamps (a pause, e.g. on hold, advances the
// timestamp by the wall-clock time and sets the marker). A loop that stalled catches up at most
// a few frames and then skips ahead.
//
// The endpoint's rate is 16 kHz when the first codec negotiated is wideband (G.722, Opus: Opus
// is decoded and encoded at 16 kHz directly) and 8 kHz for G.711; it stays for the endpoint's
// life (a later codec change is resampled), so an application sizes its buffers once.
//
// Lifetime and threads: created, used and destroyed on one worker loop (the call's); the
// Listener is borrowed, called on that loop, and must outlive the endpoint. It may call
// answer() or the accessors from a callback but must not destroy the endpoint there. The
// destructor closes the sockets and returns the port to the pool.
//
// Steady state allocates nothing per packet or frame: socket batches, jitter buffer, codec and
// resampler states and PCM frames are sized when a codec is chosen.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "media/secure_leg.hpp"
#include "media/transcoder.hpp"
#include "net/address.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::media {

class PortPool;

struct LocalEndpointOptions {
  net::SocketAddress bind_address;  // local IP for the RTP socket (port ignored)
  std::string advertised_address;   // c= address in our SDP; empty = bind_address's IP
  Duration latch_window = std::chrono::seconds(10);
  int jitter_frames = 2;  // packets held to reorder before a gap is concealed
  // WebRTC callers (ICE-lite, DTLS-SRTP); null = their offers get 488. Borrowed, outlives us.
  SecureLegFactory* webrtc = nullptr;
  // Answer SDES-SRTP offers (RTP/SAVP with a=crypto); false = 488 ([media] sdes = "off").
  bool sdes = true;
};

// A key press as RFC 4733 reports it: '0'-'9', '*', '#', 'A'-'D'.
struct DtmfDigit {
  char digit = 0;
  bool end = false;                      // false: the key went down; true: it was released
  std::chrono::milliseconds duration{};  // with end: how long it was held
};

struct LocalEndpointStats {
  std::uint64_t rtp_received = 0;       // accepted RTP (audio and events)
  std::uint64_t rtp_sent = 0;           // frames sent
  std::uint64_t rtcp_received = 0;      // accepted, not answered
  std::uint64_t dropped_foreign = 0;    // from a source other than the latched one
  std::uint64_t dropped_payload = 0;    // payload type not negotiated, undecodable
  std::uint64_t dropped_malformed = 0;  // neither RTP nor RTCP
  std::uint64_t frames_decoded = 0;
  std::uint64_t frames_concealed = 0;
  std::uint64_t send_failures = 0;  // refused by the kernel
  std::uint64_t dropped_dtmf = 0;   // key presses over the rate limit (a DTMF storm)
  // Ticks with nothing sent because a secure leg has no keys yet (DTLS handshake).
  std::uint64_t unprotected_frames = 0;
  std::optional<net::SocketAddress> latched;
};

class LocalEndpoint {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // One 20 ms frame of what the caller sends, at sample_rate(); valid during the call only.
    virtual void on_audio(std::span<const std::int16_t> pcm) = 0;
    // A key press of the caller (RFC 4733), begin and end once each.
    virtual void on_dtmf(const DtmfDigit& digit) = 0;
    // The next 20 ms frame to send (pcm.size() samples at sample_rate()). False = nothing to
    // say: silence is sent, so the stream stays continuous.
    virtual bool fill_frame(std::span<std::int16_t> pcm) = 0;

    // Payload mode, for an application that decodes and encodes itself (the conference mixer:
    // one decoder per participant, encodes shared among listeners). One received RTP payload
    // of the voice codec in use, before the jitter buffer; true = taken, so it is neither
    // decoded nor reported through on_audio.
    virtual bool on_payload(std::uint16_t sequence, std::uint32_t timestamp,
                            std::span<const std::uint8_t> payload) {
      (void)sequence;
      (void)timestamp;
      (void)payload;
      return false;
    }
    // Payload mode: the next 20 ms frame, already encoded in the codec in use, written into
    // `out`; returns its size, or 0 for none, in which case fill_frame() is asked as usual.
    virtual std::size_t fill_payload(std::span<std::uint8_t> out) {
      (void)out;
      return 0;
    }
  };

  // Binds the RTP and RTCP sockets (a port pair from `ports`) on worker `worker` of `pool`; must
  // run on that worker's thread. Error 503 when the range is exhausted or binding fails.
  static Result<std::unique_ptr<LocalEndpoint>> create(net::WorkerPool& pool, std::size_t worker,
                                                       PortPool& ports, const Clock& clock,
                                                       const LocalEndpointOptions& options,
                                                       Listener& listener);
  virtual ~LocalEndpoint() = default;

  // Our SDP answer to the caller's offer. Error::code is the SIP status: 400 malformed SDP, 488
  // nothing usable (no audio stream, no codec Parley speaks, secure profile).
  virtual Result<std::string> answer(std::string_view offer) = 0;

  virtual std::uint16_t local_port() const = 0;
  // 8000 or 16000 once a codec is negotiated; 0 before.
  virtual int sample_rate() const = 0;
  // PCM samples per 20 ms frame at sample_rate().
  std::size_t frame_samples() const { return static_cast<std::size_t>(sample_rate()) / 50; }
  // The voice codec in use (encoding, clock rate, fmtp), once negotiated.
  virtual const std::optional<CodecSpec>& codec() const = 0;
  // Whether we send media now (false before an offer and while the caller holds).
  virtual bool sending() const = 0;
  // When valid RTP last arrived (creation time before any), for the media timeout.
  virtual TimePoint last_media() const = 0;
  virtual const LocalEndpointStats& stats() const = 0;
  // The secure leg's counters (STUN, DTLS, SRTP); null for a plain RTP caller.
  virtual const SecureLegStats* secure_stats() const = 0;
};

}  // namespace parley::media
