#pragma once
// What the server transport does to the top Via of a received request (RFC 3261 §18.2.1,
// RFC 3581 §4): add `received=<source IP>` when the sent-by host is not the packet's source
// address, and fill an empty `rport` with the source port (then `received` is always added).
// Every response copies the stamped Via, so it reaches a client behind NAT at the address the
// request really came from.

#include <optional>
#include <string>

#include "net/address.hpp"
#include "protocol/sip/message.hpp"

namespace parley::sip {

// The request's bytes with the top Via stamped, or nullopt when nothing needs to change (or the
// Via is unusable: the transaction layer drops such requests anyway). Not for responses.
std::optional<std::string> stamp_top_via(const protocol::sip::Message& request,
                                         const net::SocketAddress& source);

// The same stamp applied to the parsed request itself, which stays parsed: the receive path's
// way, saving the second parse of every stamped request (decision 0044). True when it changed.
bool stamp_top_via_in_place(protocol::sip::Message& request, const net::SocketAddress& source);

}  // namespace parley::sip
