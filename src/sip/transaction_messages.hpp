#pragma once
// Requests a transaction derives from the request it was created for. Pure text building over
// parsed messages; used by the client transaction and offered to TUs (CANCEL).

#include <string>

#include "protocol/sip/message.hpp"

namespace parley::sip {

// The ACK a client INVITE transaction sends for a 3xx-6xx response (RFC 3261 §17.1.1.3):
// the INVITE's Request-URI, its top Via only (same branch), its Route fields, From, Call-ID,
// the response's To (with the UAS's tag), "CSeq: <INVITE's number> ACK", Max-Forwards: 70 and
// no body.
std::string build_failure_ack(const protocol::sip::Message& invite,
                              const protocol::sip::Message& response);

// A CANCEL for `invite` (RFC 3261 §9.1): same Request-URI, top Via (same branch, so the UAS
// finds the INVITE transaction), Route, From, To, Call-ID, "CSeq: <INVITE's number> CANCEL",
// Max-Forwards: 70 and no body. Send it with TransactionLayer::send_request to the INVITE's
// peer, and only after a provisional response arrived (§9.1).
std::string build_cancel(const protocol::sip::Message& invite);

}  // namespace parley::sip
