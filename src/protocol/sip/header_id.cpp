#include "protocol/sip/header_id.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "protocol/sip/syntax.hpp"

namespace parley::protocol::sip {
namespace {

using detail::to_lower;

// `n` is already lowercased and as long as `lower`; a fixed-size memcmp compiles to a few loads.
template <std::size_t N>
bool eq(const char* n, const char (&lower)[N]) {
  return std::memcmp(n, lower, N - 1) == 0;
}

constexpr std::array<std::string_view, static_cast<std::size_t>(HeaderId::kWwwAuthenticate) + 1>
    kCanonical = {
        "",
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Allow",
        "Allow-Events",
        "Authorization",
        "Call-ID",
        "Contact",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Length",
        "Content-Type",
        "CSeq",
        "Date",
        "Event",
        "Expires",
        "From",
        "Max-Forwards",
        "Min-Expires",
        "Path",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Proxy-Require",
        "Record-Route",
        "Refer-To",
        "Referred-By",
        "Require",
        "Retry-After",
        "Route",
        "Server",
        "Session-Expires",
        "Subject",
        "Supported",
        "Timestamp",
        "To",
        "Unsupported",
        "User-Agent",
        "Via",
        "Warning",
        "WWW-Authenticate",
};

HeaderId compact(char c) {
  switch (to_lower(c)) {
    case 'i':
      return HeaderId::kCallId;
    case 'm':
      return HeaderId::kContact;
    case 'e':
      return HeaderId::kContentEncoding;
    case 'l':
      return HeaderId::kContentLength;
    case 'c':
      return HeaderId::kContentType;
    case 'f':
      return HeaderId::kFrom;
    case 's':
      return HeaderId::kSubject;
    case 'k':
      return HeaderId::kSupported;
    case 't':
      return HeaderId::kTo;
    case 'v':
      return HeaderId::kVia;
    case 'o':
      return HeaderId::kEvent;
    case 'u':
      return HeaderId::kAllowEvents;
    case 'r':
      return HeaderId::kReferTo;
    case 'b':
      return HeaderId::kReferredBy;
    case 'x':
      return HeaderId::kSessionExpires;
    default:
      return HeaderId::kOther;
  }
}

}  // namespace

HeaderId header_id_from_name(std::string_view name) {
  char lower[detail::kLongestHeaderName];
  const std::size_t size = std::min(name.size(), detail::kLongestHeaderName);
  for (std::size_t i = 0; i < size; ++i) lower[i] = to_lower(name[i]);
  return detail::header_id_from_lower(lower, name.size());
}

// Called for every header line of every message: a switch on the length and first letter
// leaves at most two candidate names to compare.
HeaderId detail::header_id_from_lower(const char* n, std::size_t size) {
  if (size == 0 || size > kLongestHeaderName) return HeaderId::kOther;
  if (size == 1) return compact(n[0]);
  const char first = n[0];
  switch (size) {
    case 2:
      if (eq(n, "to")) return HeaderId::kTo;
      break;
    case 3:
      if (eq(n, "via")) return HeaderId::kVia;
      break;
    case 4:
      switch (first) {
        case 'c':
          if (eq(n, "cseq")) return HeaderId::kCSeq;
          break;
        case 'd':
          if (eq(n, "date")) return HeaderId::kDate;
          break;
        case 'f':
          if (eq(n, "from")) return HeaderId::kFrom;
          break;
        case 'p':
          if (eq(n, "path")) return HeaderId::kPath;
          break;
        default:
          break;
      }
      break;
    case 5:
      switch (first) {
        case 'a':
          if (eq(n, "allow")) return HeaderId::kAllow;
          break;
        case 'e':
          if (eq(n, "event")) return HeaderId::kEvent;
          break;
        case 'r':
          if (eq(n, "route")) return HeaderId::kRoute;
          break;
        default:
          break;
      }
      break;
    case 6:
      if (first == 'a' && eq(n, "accept")) return HeaderId::kAccept;
      if (first == 's' && eq(n, "server")) return HeaderId::kServer;
      break;
    case 7:
      switch (first) {
        case 'c':
          if (eq(n, "call-id")) return HeaderId::kCallId;
          if (eq(n, "contact")) return HeaderId::kContact;
          break;
        case 'e':
          if (eq(n, "expires")) return HeaderId::kExpires;
          break;
        case 'r':
          if (eq(n, "require")) return HeaderId::kRequire;
          break;
        case 's':
          if (eq(n, "subject")) return HeaderId::kSubject;
          break;
        case 'w':
          if (eq(n, "warning")) return HeaderId::kWarning;
          break;
        default:
          break;
      }
      break;
    case 8:
      if (eq(n, "refer-to")) return HeaderId::kReferTo;
      break;
    case 9:
      if (first == 's' && eq(n, "supported")) return HeaderId::kSupported;
      if (first == 't' && eq(n, "timestamp")) return HeaderId::kTimestamp;
      break;
    case 10:
      if (eq(n, "user-agent")) return HeaderId::kUserAgent;
      break;
    case 11:
      switch (first) {
        case 'm':
          if (eq(n, "min-expires")) return HeaderId::kMinExpires;
          break;
        case 'r':
          if (eq(n, "referred-by")) return HeaderId::kReferredBy;
          if (eq(n, "retry-after")) return HeaderId::kRetryAfter;
          break;
        case 'u':
          if (eq(n, "unsupported")) return HeaderId::kUnsupported;
          break;
        default:
          break;
      }
      break;
    case 12:
      switch (first) {
        case 'a':
          if (eq(n, "allow-events")) return HeaderId::kAllowEvents;
          break;
        case 'c':
          if (eq(n, "content-type")) return HeaderId::kContentType;
          break;
        case 'm':
          if (eq(n, "max-forwards")) return HeaderId::kMaxForwards;
          break;
        case 'r':
          if (eq(n, "record-route")) return HeaderId::kRecordRoute;
          break;
        default:
          break;
      }
      break;
    case 13:
      if (first == 'a' && eq(n, "authorization")) return HeaderId::kAuthorization;
      if (first == 'p' && eq(n, "proxy-require")) return HeaderId::kProxyRequire;
      break;
    case 14:
      if (eq(n, "content-length")) return HeaderId::kContentLength;
      break;
    case 15:
      if (first == 'a') {
        if (eq(n, "accept-encoding")) return HeaderId::kAcceptEncoding;
        if (eq(n, "accept-language")) return HeaderId::kAcceptLanguage;
      } else if (first == 's' && eq(n, "session-expires")) {
        return HeaderId::kSessionExpires;
      }
      break;
    case 16:
      if (first == 'c' && eq(n, "content-encoding")) return HeaderId::kContentEncoding;
      if (first == 'w' && eq(n, "www-authenticate")) return HeaderId::kWwwAuthenticate;
      break;
    case 18:
      if (eq(n, "proxy-authenticate")) return HeaderId::kProxyAuthenticate;
      break;
    case 19:
      if (first == 'c' && eq(n, "content-disposition")) return HeaderId::kContentDisposition;
      if (first == 'p' && eq(n, "proxy-authorization")) return HeaderId::kProxyAuthorization;
      break;
    default:
      break;
  }
  return HeaderId::kOther;
}

std::string_view canonical_name(HeaderId id) {
  const auto index = static_cast<std::size_t>(id);
  return index < kCanonical.size() ? kCanonical[index] : std::string_view();
}

bool is_list_header(HeaderId id) {
  switch (id) {
    case HeaderId::kAccept:
    case HeaderId::kAcceptEncoding:
    case HeaderId::kAcceptLanguage:
    case HeaderId::kAllow:
    case HeaderId::kAllowEvents:
    case HeaderId::kContact:
    case HeaderId::kContentEncoding:
    case HeaderId::kPath:
    case HeaderId::kProxyRequire:
    case HeaderId::kRecordRoute:
    case HeaderId::kRequire:
    case HeaderId::kRoute:
    case HeaderId::kSupported:
    case HeaderId::kUnsupported:
    case HeaderId::kVia:
    case HeaderId::kWarning:
      return true;
    default:
      return false;
  }
}

}  // namespace parley::protocol::sip
