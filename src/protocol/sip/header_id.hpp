#pragma once
#include <cstdint>
#include <string_view>

namespace parley::protocol::sip {

// Header fields the stack looks at. Names are case-insensitive; compact forms (RFC 3261 §7.3.3,
// and the registered ones: o Event, u Allow-Events, r Refer-To, b Referred-By, k Supported,
// x Session-Expires) map to the same id.
enum class HeaderId : std::uint8_t {
  kOther,
  kAccept,
  kAcceptEncoding,
  kAcceptLanguage,
  kAllow,
  kAllowEvents,
  kAuthorization,
  kCallId,
  kContact,
  kContentDisposition,
  kContentEncoding,
  kContentLength,
  kContentType,
  kCSeq,
  kDate,
  kEvent,
  kExpires,
  kFrom,
  kMaxForwards,
  kMinExpires,
  kPath,
  kProxyAuthenticate,
  kProxyAuthorization,
  kProxyRequire,
  kRecordRoute,
  kReferTo,
  kReferredBy,
  kRequire,
  kRetryAfter,
  kRoute,
  kServer,
  kSessionExpires,
  kSubject,
  kSupported,
  kTimestamp,
  kTo,
  kUnsupported,
  kUserAgent,
  kVia,
  kWarning,
  kWwwAuthenticate,
};

HeaderId header_id_from_name(std::string_view name);  // case-insensitive, compact forms too
std::string_view canonical_name(HeaderId id);         // "Call-ID", "CSeq", "WWW-Authenticate"

// Whether a header may carry several comma-separated values (RFC 3261 §7.3.1). Headers that do
// not (and the auth headers, whose commas separate parameters) are never split.
bool is_list_header(HeaderId id);

}  // namespace parley::protocol::sip
