#pragma once
// The offer a new leg's branch gets when it depends on how the target is reached: a browser
// (SIP over WebSocket) needs the WebRTC rendering (ICE-lite, DTLS-SRTP), a phone registered over
// TLS gets SDES-SRTP (RFC 4568, decision 0033), anyone else the plain offer. Shared by the legs
// Parley makes on its own: blind transfer and application redirects (decision 0048), as ring
// stages already do.

#include <optional>
#include <string>

#include "sip/call_media.hpp"
#include "sip/transport.hpp"

namespace parley::sip {

// The rendering of `media`'s pending offer for a target reached over `transport` on `side`, or
// nullopt when the plain offer is the one to send (also when the rendering is refused, e.g.
// SDES off: the plain offer is then still worth trying).
std::optional<std::string> secured_branch_offer(CallMedia& media, MediaSide side,
                                                TransportKind transport);

}  // namespace parley::sip
