#pragma once
// MediaService: anchors the media of every call in an RtpRelay and does the SDP offer/answer
// for both legs (RFC 3264), as the B2BUA's sip::MediaFactory.
//
// What a user agent sees: every SDP it receives names Parley's address and a port of the call's
// relay, and Parley's own o= line (one session id per leg, version bumped whenever what we send
// that leg changes). Offers are relayed with the offerer's codecs first and, when transcoding is
// on, every other codec Parley can transcode to appended, so the answerer may pick one the
// offerer lacks. From the answer:
//   * a codec both sides have → passthrough, payload types mapped per leg;
//   * otherwise → the offerer gets its own first transcodable codec in its answer and each
//     direction runs through a Transcoder;
//   * telephone-event is passed through when both legs negotiate it; when only one does (and
//     transcoding is on), events from that leg become in-band tones for the other, and tones
//     from the other leg become events (dtmf_translator.hpp). Relayed offers carry
//     telephone-event/8000 even when the offerer lacks it, so an answerer can take it.
// Only the first audio stream is anchored. Other streams (video, application) are disabled
// (port 0) in what we relay and in our answers: Parley does not yet relay video, and letting a
// stream bypass the anchor would leak the peers' addresses to each other.
//
// WebRTC legs (UDP/TLS/RTP/SAVPF with ICE and a DTLS fingerprint) are terminated here when a
// SecureLegFactory is configured: what Parley sends such a leg is an ICE-lite description with
// its own credentials, certificate fingerprint and one host candidate (the relay port, rtcp-mux,
// BUNDLE of the audio stream alone), and the relay decrypts and re-encrypts its media. The other
// leg sees plain RTP/AVP.
//
// SDES-SRTP legs (RTP/SAVP or RTP/SAVPF with a=crypto, RFC 4568; decision 0033): an offer from
// a phone is answered with the first a=crypto line Parley can use and a fresh key of its own, and
// the relay decrypts and re-encrypts that leg (sdes_leg.hpp); the other leg sees plain RTP/AVP
// (or WebRTC). sdes_offer() renders the pending offer as SRTP for a phone the B2BUA reaches over
// TLS. With SdesPolicy::kOff, or without a usable a=crypto line, RTP/SAVP is refused with 488.
//
// Recording (decision in docs/decisions/0008-media-anchoring.md): with a RecordingWriter and a
// RecordingPolicy configured, a call the policy records has its relay tapped from the start;
// a call whose policy allows it is recorded on demand when either party sends the feature code
// (`record_toggle`, RFC 4733 digits; docs/feature-codes.md), which toggles recording. The
// recording ends with the call (the CallMedia is destroyed) or the next toggle.
//
// Hold (RFC 3264 §8.4; decision in docs/decisions/0017-music-on-hold.md): a side whose offer
// says sendonly or inactive (or c=0.0.0.0) holds the call. With MediaOptions::music_on_hold the
// held side is offered sendonly (Parley sends it music), the holder is answered recvonly or
// inactive, and once the answer arrives the relay plays the clip to the held side in its codec
// instead of relaying the holder's RTP. A sendrecv offer resumes. An answerer that answers a
// sendrecv or sendonly offer with sendonly or inactive holds too (it held earlier and the other
// side re-offered); when both hold, neither side takes media and nothing is sent.
//
// Errors (Error::code is the SIP status for the sender): 400 malformed SDP, 488 nothing usable
// (no audio, no codec in common and none transcodable, secure profile), 503 no free ports.
//
// Thread-safety: create() may be called on any worker loop; each CallMedia it returns lives on
// that loop.

#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.hpp"
#include "media/audio_player.hpp"
#include "media/recording_policy.hpp"
#include "media/recording_writer.hpp"
#include "media/rtp_relay.hpp"
#include "media/secure_leg.hpp"
#include "net/address.hpp"
#include "sip/call_media.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::media {

// When SDES-SRTP is used (decision 0033).
enum class SdesPolicy : std::uint8_t {
  kOff,           // RTP/SAVP offers are refused with 488; never offered
  kAccept,        // SDES offers are answered; Parley never offers SDES itself
  kOfferOverTls,  // also offered to phones reached over TLS (sdes_offer)
};

struct MediaOptions {
  net::SocketAddress bind_address;  // IP the relay sockets bind to (port ignored)
  std::string advertised_address;   // c= address we put in SDP; empty = bind_address's IP
  Duration latch_window = std::chrono::seconds(10);
  bool transcoding = true;  // offer transcodable codecs the offerer lacks
  // With transcoding: offer telephone-event to an answerer when the offerer lacks it, and
  // translate between RFC 4733 events and in-band DTMF tones when only one leg has it.
  bool dtmf_translation = true;
  // WebRTC legs (ICE-lite, DTLS-SRTP); null = such offers are refused with 488. Borrowed.
  SecureLegFactory* webrtc = nullptr;
  // Browsers get Opus when they offer it or we offer them a call, even if the phone on the
  // other leg speaks only G.711: the browser leg usually crosses the internet, where Opus's
  // in-band FEC and concealment matter, and the phone's leg stays on the LAN. Costs a
  // transcoder per such call; false = pass a shared codec through.
  bool webrtc_prefers_opus = true;
  SdesPolicy sdes = SdesPolicy::kOfferOverTls;
  // Call recording; both null = no recording. Borrowed.
  RecordingWriter* recorder = nullptr;
  const RecordingPolicy* recording_policy = nullptr;
  // The DTMF sequence that toggles recording on demand; its digits must come within
  // `feature_code_gap` of each other.
  std::string record_toggle = "*1";
  Duration feature_code_gap = std::chrono::seconds(3);
  // What a held party hears (decision 0017); null = no music on hold: hold offers and answers
  // are relayed as they are and the holder's own stream (if any) reaches the held party.
  std::shared_ptr<const AudioClip> music_on_hold;
};

class MediaService final : public sip::MediaFactory {
 public:
  MediaService(net::WorkerPool& pool, PortPool& ports, const Clock& clock, MediaOptions options);
  Result<std::unique_ptr<sip::CallMedia>> create(const sip::CallMediaInfo& info) override;

 private:
  net::WorkerPool& pool_;
  PortPool& ports_;
  const Clock& clock_;
  MediaOptions options_;
};

}  // namespace parley::media
