#pragma once
// Dialog: the state RFC 3261 §12 keeps for one SIP dialog, seen from our side, and the text
// builders for the requests we send inside it (BYE, re-INVITE, the ACK for a 2xx).
//
// A dialog holds only what in-dialog requests need: the Call-ID, both tags, the From/To values
// to put in our requests (each already carrying its tag), the remote target, the route set,
// both CSeq counters, and the Peer (flow) the remote UA is reached on. Nothing refers back to a
// parsed message, so a dialog outlives the messages that created it.
//
// Where requests go: always to `peer`, the flow the remote UA used (for the UAS side, where its
// INVITE came from; for the UAC side, where its registration came from). The Request-URI is the
// remote target and Route is the route set, as §12.2.1.1 says, but the packet follows the flow,
// because the remote target of a phone behind NAT is an address nobody can reach (RFC 5626 and
// every deployed registrar behave this way).
//
// Thread-safety: a value type; the B2BUA owns each dialog on its worker loop.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "protocol/sip/message.hpp"
#include "sip/transport.hpp"

namespace parley::sip {

struct Dialog {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  std::string local_party;        // From of our requests, with ;tag=local_tag
  std::string remote_party;       // To of our requests, with ;tag=remote_tag
  std::string remote_target;      // Request-URI of our requests (the remote Contact URI)
  std::string route_set;          // Route value(s) in sending order, comma-joined; empty = none
  std::uint32_t local_cseq = 0;   // the last CSeq we used; the next request uses local_cseq + 1
  std::uint32_t remote_cseq = 0;  // the highest CSeq the remote side used
  bool remote_cseq_known = false;
  Peer peer;
};

// The dialog a UAS creates when it answers `request` (an INVITE) with `local_tag` in its To
// (§12.1.1): route set = Record-Route in order, remote target = the request's Contact.
// Fails (code 400) when the request has no From tag or no usable Contact.
Result<Dialog> make_uas_dialog(const protocol::sip::Message& request, std::string_view local_tag,
                               const Peer& peer);

// The dialog a UAC creates from the `request` it sent and a 2xx (or 1xx with a To tag)
// `response` (§12.1.2): route set = Record-Route reversed, remote target = the response's
// Contact (the request's Request-URI when it has none), local CSeq = the request's.
Result<Dialog> make_uac_dialog(const protocol::sip::Message& request,
                               const protocol::sip::Message& response, const Peer& peer);

// Whether an in-dialog request names this dialog from the remote side: same Call-ID, its To tag
// is our local tag and its From tag is the remote tag (§12.2.2).
bool matches_request(const Dialog& dialog, const protocol::sip::Message& request);
// Whether a response to one of our requests belongs to this dialog: same Call-ID, its From tag
// is our local tag and its To tag the remote tag.
bool matches_response(const Dialog& dialog, const protocol::sip::Message& response);

// §12.2.2: a request whose CSeq is lower than the last one seen from the remote side is out of
// order (answer 500). Otherwise records the new CSeq and returns true. ACK and CANCEL carry the
// CSeq of the request they belong to and must not be passed here.
bool accept_remote_cseq(Dialog& dialog, const protocol::sip::Message& request);

// Target refresh (§12.2): a re-INVITE or UPDATE, or a 2xx to one, carrying a Contact replaces
// the remote target. Returns false when the Contact is present but unusable.
bool refresh_target(Dialog& dialog, const protocol::sip::Message& message);

// What goes into one request built by build_request(), besides the dialog's fields.
struct DialogRequest {
  std::string_view method;      // "BYE", "INVITE", "ACK" ...
  std::uint32_t cseq = 0;       // the CSeq number to use
  std::string_view via;         // the whole Via value, including its branch
  std::string_view contact;     // Contact value, or empty for none
  std::string_view user_agent;  // User-Agent value, or empty for none
  int max_forwards = 70;
  std::string_view extra_lines;   // whole header lines, each ending in CRLF
  std::string_view content_type;  // with a body
  std::string_view body;
};

// A request inside `dialog`: Request-URI = remote target, Route = route set, From = local party,
// To = remote party, the dialog's Call-ID, then `request`'s fields. Does not advance the CSeq
// counters (the caller picks the number: local_cseq + 1 for a new request, the INVITE's number
// for its ACK).
std::string build_request(const Dialog& dialog, const DialogRequest& request);

// "SIP/2.0/UDP host:port;rport;branch=..." for a request we send over `transport`.
std::string make_via(TransportKind transport, std::string_view host_port, std::string_view branch);

// "<sip:user@host:port>" (";transport=tcp" and so on for transports other than UDP); `user`
// may be empty.
std::string make_contact(TransportKind transport, std::string_view user,
                         std::string_view host_port);

}  // namespace parley::sip
