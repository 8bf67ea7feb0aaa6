#pragma once
// Answers for two SDP offers that cross (decision 0031). When a new user agent takes over one
// side of a call with an INVITE of its own (call pickup by *8 or **EXT, an INVITE with
// Replaces), two offers meet: the relay's offer for that side (the one the rung devices got, or
// CallMedia::transfer_offer's) and the newcomer's offer in its INVITE. Neither agent can be
// asked for an answer without another round trip, so Parley answers both itself:
//   relay_answer     the newcomer's side as if it had answered the relay's offer: its
//                    addresses, the first voice codec of its offer that the relay offered too
//                    (plus telephone-event when both have it), numbered as the newcomer numbers
//                    them. The B2BUA hands it to CallMedia::answer(side, ...), which points the
//                    relay's leg at the newcomer and maps payload types (or transcodes).
//   newcomer_answer  the 200's body for the newcomer: the relay's addresses for that side, the
//                    same codecs with the newcomer's numbers, the newcomer's streams in order
//                    (any but the first audio one refused with port 0, RFC 3264 §6).
// Secure newcomers (decision 0043): the relay's offer must then be the rendering that carries
// Parley's keys for that side, chosen by crossed_security(): CallMedia::webrtc_offer for a
// browser (UDP/TLS/RTP/SAVPF), CallMedia::sdes_offer for an SDES phone (RTP/SAVP(F)). For WebRTC
// the newcomer's ICE credentials, fingerprint and setup go into relay_answer (CallMedia takes
// its DTLS role from them) and newcomer_answer carries ours, with setup:passive (active when the
// newcomer said passive), its mids and BUNDLE group. For SDES both sides agree on the first
// line of the newcomer whose suite Parley offered: relay_answer names our tag with the
// newcomer's key, newcomer_answer the newcomer's tag with our key of that suite. The other
// party's leg keeps whatever transport it has (plain, SDES or WebRTC): only this side changes.
//
// Pure text work on protocol/sdp values; safe from any thread.

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::sip {

struct CrossedAnswers {
  std::string relay_answer;
  std::string newcomer_answer;
};

// How the newcomer's offer protects its audio: which rendering of the relay's offer to cross it
// with. kPlain also for offers that do not parse or have no audio (answer_crossed_offers then
// says why).
enum class CrossedSecurity : std::uint8_t { kPlain, kWebRtc, kSdes };
CrossedSecurity crossed_security(std::string_view newcomer_offer);

// Error::code is the status for the newcomer: 400 its SDP does not parse, 488 no audio stream,
// no codec in common, a transport other than the relay's offer, no a=crypto line in common,
// 500 the relay's own offer does not parse (a defect).
Result<CrossedAnswers> answer_crossed_offers(std::string_view relay_offer,
                                             std::string_view newcomer_offer);

}  // namespace parley::sip
