#pragma once
// The B2BUA's seam to the media plane. The B2BUA knows SIP offer/answer timing (which message
// carries an offer and which the answer, RFC 3264 and RFC 3261 §13.2.1); the media layer above
// knows what an SDP means and where RTP goes. The B2BUA hands every application/sdp body it
// relays to the call's CallMedia and sends on the body it gets back, so each user agent sees
// only Parley's addresses (media anchoring).
//
// Without a MediaFactory (B2buaOptions::media is null) bodies pass through unchanged.
//
// Thread-safety: a CallMedia belongs to its call's worker loop and is used only there; a
// MediaFactory is called on every worker loop and must be safe for that.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace parley::sip {

enum class MediaSide : std::uint8_t { kCaller = 0, kCallee = 1 };

class CallMedia {
 public:
  virtual ~CallMedia() = default;
  // An SDP offer from `from`'s user agent; returns the offer to send the other leg. On failure
  // Error::code is the status to answer the offerer with (488 unacceptable, 400 malformed, 503
  // out of media ports) and Error::message its reason.
  virtual Result<std::string> offer(MediaSide from, std::string_view sdp) = 0;
  // The SDP answer from `from` to the last offer of the other side; returns the answer to send
  // the offerer. The same answer again (a 2xx after an 18x) yields the same bytes.
  virtual Result<std::string> answer(MediaSide from, std::string_view sdp) = 0;
  // The last offer returned by offer(), rendered for a WebRTC user agent (a browser reached over
  // SIP over WebSocket): ICE-lite, DTLS-SRTP, rtcp-mux. The B2BUA sends it instead of the plain
  // offer to such a branch; whichever answers decides what the leg is. Error 488 when this
  // server does no WebRTC media.
  virtual Result<std::string> webrtc_offer(MediaSide to) = 0;
  // The last offer returned by offer(), rendered as SRTP keyed by SDES (RTP/SAVP with Parley's
  // a=crypto lines, RFC 4568) for a phone reached over TLS. Sent instead of the plain offer;
  // the answer decides what the leg is. Error 488 when this server does not offer SDES.
  virtual Result<std::string> sdes_offer(MediaSide to) {
    (void)to;
    return Error{488, "SDES-SRTP is not offered"};
  }
  // Call transfer: a new user agent takes over `to`'s leg. Returns a fresh offer for it, built
  // from what the other side's user agent (the one that stays) negotiated last, restricted to
  // the codec it uses now (plus what Parley can transcode to), so that the staying user agent
  // needs no re-INVITE. The new agent's answer goes to answer(to, ...), which re-points `to`'s
  // leg of the relay; until then media between the current parties flows on unchanged.
  // webrtc_offer(to) renders this offer for a browser. Error 488 before any negotiation.
  virtual Result<std::string> transfer_offer(MediaSide to) {
    (void)to;
    return Error{488, "media transfer not supported"};
  }
  // When media last flowed on either leg (creation time before any), for the media timeout.
  virtual TimePoint last_media() const = 0;
};

struct CallMediaInfo {
  std::uint64_t call = 0;  // the B2BUA's call number, for logs
  std::string caller;
  std::string callee;
  // The caller's tenant (the one its call record belongs to) and the caller leg's Call-ID:
  // what a recording is filed under, and whose policy applies.
  std::int64_t tenant_id = 0;
  std::string tenant_domain{};
  std::string call_id{};
};

class MediaFactory {
 public:
  virtual ~MediaFactory() = default;
  // A CallMedia for a new call, on the calling worker's loop. Error::code as in offer().
  virtual Result<std::unique_ptr<CallMedia>> create(const CallMediaInfo& info) = 0;
};

// A call Parley answers itself: a conference room, voicemail, an IVR menu, an echo test. Media
// ends here (in media/ and the pbx/ application behind it) instead of going on to a callee.
class LocalSession {
 public:
  virtual ~LocalSession() = default;
  // The caller's SDP offer (in the INVITE, a re-INVITE or an UPDATE); returns our answer.
  // Error::code as in CallMedia::offer.
  virtual Result<std::string> answer(std::string_view offer) = 0;
  // When media last arrived (creation time before any), for the media timeout.
  virtual TimePoint last_media() const = 0;
  // Right after create() the B2BUA hands the session the way to pass the caller on (an IVR
  // choice, decision 0022): `redirect(target)` asks, acted on in a later turn of the loop, to
  // put the caller through to `target` — a number of the caller's tenant as if the caller had
  // dialled it (its whole plan: forwarding on no answer or busy, then its voicemail; decision
  // 0058), "agent:<extension>" for that extension's devices only (a queue's offer), or
  // "app:<application>" for another application. While a number rings this session goes on;
  // once it answers (or the other application has answered) this session is destroyed and the
  // caller gets a re-INVITE to the new media. If the target cannot be reached the session stays
  // and hears on_redirect_failed() with the status a caller would have got.
  virtual void set_redirect(std::function<void(std::string target)> redirect) { (void)redirect; }
  virtual void on_redirect_failed(int status) { (void)status; }
  // The redirect's target answered: the session is destroyed right after this returns (a call
  // queue counts the caller as answered and credits the agent, decision 0023, rather than
  // counting the caller as gone). `extension` is the number of the device that answered (one of
  // the ringing stage's extensions); empty when another application took the caller.
  virtual void on_redirect_answered(std::string_view extension) { (void)extension; }
  // A short outcome for whoever sent the caller here by a blind transfer: the reason phrase of
  // the transferor's final NOTIFY ("Parked at 701", decision 0030). Empty = "OK".
  virtual std::string summary() const { return {}; }
  // The other party the caller talks to through the application (the parked caller for its
  // retriever); empty when there is none, and then a REFER from the caller is refused (403).
  virtual std::string connected_party() const { return {}; }
  // The caller sent a blind transfer (REFER) to `target`, an extension of the call's tenant
  // other than both parties: the session passes its connected party on to `target` (a
  // retrieved parked call, decision 0041) and the caller's call then ends. An error is the
  // REFER's answer.
  virtual Result<void> transfer(std::string_view target) {
    (void)target;
    return Error{403, "Transfer Not Supported Here"};
  }
};

class LocalSessionFactory {
 public:
  virtual ~LocalSessionFactory() = default;
  // A session for `application` (CallPlan::application, e.g. "conference:3001"), on the calling
  // worker's loop. `hang_up` ends the call from the application's side (the caller gets BYE);
  // it may be called at any time while the session lives, also from within the session's own
  // callbacks: the B2BUA acts on it on a later turn of the loop, never re-entrantly. Error::code
  // is the status for the caller (404 no such application, 486 room full, 503 no media ports).
  virtual Result<std::unique_ptr<LocalSession>> create(const CallMediaInfo& info,
                                                       std::string_view application,
                                                       std::function<void()> hang_up) = 0;
};

}  // namespace parley::sip
