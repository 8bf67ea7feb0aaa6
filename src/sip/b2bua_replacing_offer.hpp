#pragma once
// The offer an INVITE with Replaces is crossed with (decisions 0031, 0047): the relay's fresh
// offer for the replaced side (CallMedia::transfer_offer: what the party that stays uses now),
// rendered for the newcomer as a picker's is (decision 0043): the WebRTC rendering for a browser
// (its offer is UDP/TLS/RTP/SAVPF), ours with a=crypto for an SDES phone, else plain. The party
// that stays keeps its own transport; only the replaced side's leg changes. Runs on the call's
// worker, like every CallMedia operation.

#include <string>

#include "base/result.hpp"
#include "sip/b2bua_pickup_sdp.hpp"
#include "sip/call_media.hpp"

namespace parley::sip {

// Errors are transfer_offer's (488 before any negotiation) or the rendering's (488 WebRTC or
// SDES not enabled, 503 no DTLS leg could be made).
Result<std::string> replacing_offer(CallMedia& media, MediaSide replaced, CrossedSecurity newcomer);

}  // namespace parley::sip
