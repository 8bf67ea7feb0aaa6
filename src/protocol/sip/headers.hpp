#pragma once
// Structured views of the header values the stack needs (RFC 3261 §20, §25.1). Each parser takes
// one value as Message::first() or a HeaderField returns it (already comma-split) and returns
// views into that text.

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "protocol/sip/method.hpp"
#include "protocol/sip/uri.hpp"

namespace parley::protocol::sip {

// name-addr or addr-spec with header parameters: From, To, Contact, Route, Record-Route, Path.
// In the addr-spec form (no < >) everything after the first ';' is a header parameter, and a
// URI holding ',' or '?' is malformed (RFC 3261 §20.10). An absolute URI of another scheme
// (http:, isbn:, RFC 4475 §3.3.2) is accepted with `opaque_uri` set and `uri` left empty.
struct NameAddr {
  std::string_view display_name;  // unquoted text, quotes removed, escapes kept
  std::string_view uri_text;      // the URI as written, without < >
  Uri uri;
  ParamList params;         // header params after the URI: ;tag=..;expires=..;q=..
  bool is_star = false;     // Contact: *
  bool opaque_uri = false;  // scheme other than sip/sips/tel; only uri_text is set
};
Result<NameAddr> parse_name_addr(std::string_view value);

// One Via value: SIP/2.0/UDP host:port;params. LWS is allowed around '/', ':', ';' and '='.
struct Via {
  std::string_view protocol;          // "SIP/2.0" as written (may hold LWS around the '/')
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  std::string_view transport;         // "UDP", "TCP", "TLS", "WS" ... as written
  std::string_view host;              // IPv6 kept in brackets
  std::optional<std::uint16_t> port;
  ParamList params;
  std::optional<std::string_view> branch() const { return params.get("branch"); }
  std::optional<std::string_view> received() const { return params.get("received"); }
  std::optional<std::string_view> rport() const { return params.get("rport"); }  // "" = asked
};
Result<Via> parse_via(std::string_view value);

// CSeq: a number that fits 32 bits, LWS, a method token (case-sensitive).
struct CSeq {
  std::uint32_t number = 0;
  Method method = Method::kUnknown;
  std::string_view method_text;
};
Result<CSeq> parse_cseq(std::string_view value);

// Authorization / Proxy-Authorization / WWW-Authenticate / Proxy-Authenticate:
//   scheme param=value, param="quoted", ...
// Quoted values are returned between their quotes with backslash escapes kept.
struct AuthParams {
  std::string_view scheme;                                            // "Digest"
  std::vector<std::pair<std::string_view, std::string_view>> params;  // quoted values unquoted
  std::optional<std::string_view> get(std::string_view name) const;   // case-insensitive
};
Result<AuthParams> parse_auth(std::string_view value);

// A token list such as Supported, Require, Allow: "100rel, timer" -> each token.
std::vector<std::string_view> split_tokens(std::string_view value);

// Splits a header value at top-level commas: not inside quotes or <...>. Used by the parser
// for list headers; exposed for tests. Parts are trimmed of LWS and empty parts are dropped.
std::vector<std::string_view> split_commas(std::string_view value);

}  // namespace parley::protocol::sip
