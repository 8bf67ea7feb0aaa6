#pragma once
// The checks a UAS makes on every request before any routing (RFC 3261 §8.2), and the answer
// this server gives while it has no routing at all. Pure functions over a parsed Message: no
// sockets, no state, no clock, so the transaction user can reuse them once it exists.
//
// Order (RFC 4475's torture verdicts rely on it): Request-URI scheme (416), Require (420),
// Content-Type / Content-Encoding of a body (415), Accept of an INVITE (406), then the method:
// OPTIONS 200, ACK nothing, CANCEL 481, known methods not served yet 405, unknown methods 501.
// The method comes last on purpose: a request we could never understand is told why, whether
// or not we serve its method today.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"

namespace parley::sip {

enum class RequestVerdict : std::uint8_t {
  kNoResponse,            // a response, or an ACK: never answered
  kOptionsOk,             // 200 to OPTIONS
  kUnsupportedUriScheme,  // 416
  kBadExtension,          // 420
  kUnsupportedMediaType,  // 415
  kNotAcceptable,         // 406
  kNoSuchTransaction,     // 481 to a CANCEL (nothing to cancel yet)
  kMethodNotAllowed,      // 405
  kNotImplemented,        // 501
};

// The status code to send for a verdict; 0 for kNoResponse.
int status_code_of(RequestVerdict verdict);
// A short description for logs ("unsupported URI scheme").
std::string_view describe(RequestVerdict verdict);

// The §8.2.2-8.2.3 header and content checks alone (416, 420, 415, 406); nullopt when the
// request passes them. Does not look at the method table. ACK and CANCEL skip the Require check
// (RFC 3261 §8.2.2.3); an OPTIONS body is ignored.
std::optional<RequestVerdict> check_request_headers(const protocol::sip::Message& request);

// The whole decision for a parsed message: kNoResponse for responses and ACKs, then the header
// checks, then the method table.
RequestVerdict classify_request(const protocol::sip::Message& request);

// The option-tags of every Require header, comma-separated, for the Unsupported header of a 420
// (we support no extension yet, so every required one is unsupported).
std::string unsupported_option_tags(const protocol::sip::Message& request);

// The answer to bytes that parse_message() rejected with `error` (a status code, or 0 to drop):
// protocol::sip::build_error_response() when it can build one; otherwise, when only From, To or
// Call-ID are missing, a response with the Vias and CSeq alone, which is all a client needs to
// match it to its transaction (RFC 3261 §17.1.3; RFC 4475 §3.3 asks for a 400 to INSUF, a
// request without From, To and Call-ID). "" when nothing can be answered (responses, code 0,
// no Via or CSeq). Header values with control bytes are never echoed.
std::string answer_unparsable(std::string_view raw, const Error& error, std::string_view to_tag);

// What this server advertises. Everything is text ready for a header value.
struct Advertisement {
  std::string server = "Parley";               // Server header
  std::string allow = "OPTIONS, ACK, CANCEL";  // the methods we really serve
  std::string accept = "application/sdp";
  std::string accept_encoding = "identity";
  std::string accept_language = "en";
  std::string supported;  // option-tags; empty: none
};

// The header fields to add to a response for `verdict` (Server, and Allow, Accept, Unsupported
// ... as RFC 3261 §8.2 and §11.2 ask). `request` is read only for kBadExtension.
protocol::sip::ExtraHeaders extra_headers_for(RequestVerdict verdict,
                                              const protocol::sip::Message& request,
                                              const Advertisement& advertisement);

}  // namespace parley::sip
