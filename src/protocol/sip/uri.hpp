#pragma once
// SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966), parsed into views of the text they came from.
// The caller keeps that text alive (usually a Message).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::protocol::sip {

enum class UriScheme : std::uint8_t { kSip, kSips, kTel };

// A `;name=value` or `;name` parameter list, kept as written. Lookup is case-insensitive on the
// name; values are returned as written (still %-escaped).
class ParamList {
 public:
  ParamList() = default;
  explicit ParamList(std::string_view text) : text_(text) {}  // text starts after the first ';'
  std::optional<std::string_view> get(std::string_view name) const;  // "" for a flag parameter
  bool has(std::string_view name) const { return get(name).has_value(); }
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
};

struct Uri {
  UriScheme scheme = UriScheme::kSip;
  std::string_view user;      // still %-escaped; for tel: the number
  std::string_view password;  // rare, kept for completeness
  std::string_view host;      // IPv6 references keep their brackets: "[::1]"
  std::optional<std::uint16_t> port;
  ParamList params;          // ;transport=tcp;lr ...
  std::string_view headers;  // after '?', still escaped, without the '?'

  bool is_secure() const { return scheme == UriScheme::kSips; }
};

// Parses an absolute URI. Schemes other than sip/sips/tel fail with code 416.
Result<Uri> parse_uri(std::string_view text);

// Decodes %HH escapes. Fails on a malformed escape. "%00" decodes to a NUL byte.
Result<std::string> unescape(std::string_view text);

}  // namespace parley::protocol::sip
