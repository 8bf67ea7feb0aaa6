#pragma once
// The Replaces header field (RFC 3891 §6.1) and its use inside a Refer-To URI's header part
// (`sip:1003@example.com?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2`, RFC 3515 §2.1): the
// dialog an attended transfer or a pickup-style INVITE wants to take over.
//
// RFC 3891 names the tags from the point of view of the user agent that RECEIVES the INVITE
// with Replaces: `to-tag` is that agent's own (local) tag, `from-tag` the remote one. Both are
// mandatory. Pure: parsing allocates only the result; safe from any thread.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::protocol::sip {

struct Replaces {
  std::string call_id;
  std::string to_tag;    // the receiving agent's local tag
  std::string from_tag;  // the receiving agent's remote tag
  bool early_only = false;
  bool operator==(const Replaces&) const = default;
};

// Longest Replaces value accepted (a Call-ID and two tags fit many times over).
inline constexpr std::size_t kMaxReplacesLength = 1024;

// Parses a Replaces header field value: `callid *( ";" replaces-param )`. Unknown generic
// parameters are ignored; a missing or repeated to-tag/from-tag, an empty or malformed Call-ID
// or tag fails with code 400.
Result<Replaces> parse_replaces(std::string_view value);

// The Replaces value embedded in a URI's header part (Uri::headers: `name=value` pairs joined by
// '&', still %-escaped), unescaped; std::nullopt when there is none. A malformed escape, or
// Replaces given twice, fails with code 400.
Result<std::optional<std::string>> replaces_in_uri_headers(std::string_view headers);

}  // namespace parley::protocol::sip
