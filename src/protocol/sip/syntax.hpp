#pragma once
// Private to protocol/sip: the character classes of RFC 3261 §25.1 and the small scanners the
// message, URI and header parsers share. Everything here works on string_views and never
// allocates. Indices returned as std::string_view::npos mean "malformed".

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/sip/header_id.hpp"

namespace parley::protocol::sip::detail {

enum CharClass : std::uint16_t {
  kAlpha = 1u << 0,
  kDigit = 1u << 1,
  kHex = 1u << 2,
  kToken = 1u << 3,       // token: alphanum - . ! % * _ + ` ' ~
  kUnreserved = 1u << 4,  // alphanum - _ . ! ~ * ' ( )
  kUser = 1u << 5,        // unreserved and & = + $ , ; ? /   (escapes handled apart)
  kPassword = 1u << 6,    // unreserved and & = + $ ,
  kParam = 1u << 7,       // unreserved and [ ] / : & + $
  kHeader = 1u << 8,      // unreserved and [ ] / ? : + $
  kHost = 1u << 9,        // alphanum - . _   (underscore tolerated, seen in the wild)
  kLws = 1u << 10,        // SP HT CR LF: folded header values keep their CRLFs
  kScheme = 1u << 11,     // alphanum + - .
  kGenValue = 1u << 12,   // token and : [ ]  (a host, even an unbracketed IPv6 per RFC 5118)
};

struct CharTable {
  std::uint16_t bits[256] = {};
};

consteval CharTable make_char_table() {
  CharTable t;
  auto add = [&t](std::string_view chars, std::uint16_t cls) {
    for (char c : chars) t.bits[static_cast<unsigned char>(c)] |= cls;
  };
  constexpr std::string_view kAlphaChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  constexpr std::string_view kDigitChars = "0123456789";
  const std::uint16_t alnum_classes =
      kToken | kUnreserved | kUser | kPassword | kParam | kHeader | kHost | kScheme | kGenValue;
  add(kAlphaChars, kAlpha | alnum_classes);
  add(kDigitChars, kDigit | kHex | alnum_classes);
  add("abcdefABCDEF", kHex);
  add("-.!%*_+`'~", kToken | kGenValue);
  add("-_.!~*'()", kUnreserved | kUser | kPassword | kParam | kHeader);
  add("&=+$,;?/", kUser);
  add("&=+$,", kPassword);
  add("[]/:&+$", kParam);
  add("[]/?:+$", kHeader);
  add("-._", kHost);
  add(" \t\r\n", kLws);
  add("+-.", kScheme);
  add(":[]", kGenValue);
  return t;
}

inline constexpr CharTable kCharTable = make_char_table();

// Token characters mapped to their lowercase form, every other byte to 0: one lookup both
// validates a header name and folds its case.
struct LowerTable {
  char map[256] = {};
};
consteval LowerTable make_lower_token_table() {
  LowerTable t;
  for (int c = 0; c < 256; ++c) {
    if ((kCharTable.bits[c] & kToken) != 0) {
      t.map[c] = static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
  }
  return t;
}
inline constexpr LowerTable kLowerToken = make_lower_token_table();

// The longest header name header_id_from_name knows: "Content-Disposition".
inline constexpr std::size_t kLongestHeaderName = 19;

// header_id_from_name for a name already lowercased; only the first
// min(size, kLongestHeaderName) bytes of `lower` are read.
HeaderId header_id_from_lower(const char* lower, std::size_t size);

constexpr bool is(char c, std::uint16_t cls) {
  return (kCharTable.bits[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr bool is_lws(char c) {
  return is(c, kLws);
}
constexpr bool is_token_char(char c) {
  return is(c, kToken);
}
constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

constexpr std::size_t skip_lws(std::string_view s, std::size_t i) {
  while (i < s.size() && is_lws(s[i])) ++i;
  return i;
}

constexpr std::string_view trim_lws(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_lws(s[b])) ++b;
  while (e > b && is_lws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// ASCII case-insensitive equality.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Index just past the token starting at i (== i when there is none).
constexpr std::size_t scan_token(std::string_view s, std::size_t i) {
  while (i < s.size() && is_token_char(s[i])) ++i;
  return i;
}

// s[i] is '"'. Returns the index just past the closing quote, or npos when unterminated.
// A backslash escapes the next byte, whatever it is (quoted-pair, RFC 3261 §25.1).
constexpr std::size_t skip_quoted(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Calls f(part) for each top-level comma-separated part of a header value: commas inside
// quoted strings or <...> do not split. Parts are trimmed of LWS; empty parts are skipped.
template <typename F>
void for_each_comma_part(std::string_view value, F&& f) {
  // Fast paths first: most list values hold one element, or commas without quotes or angle
  // brackets (Allow, Supported), and memchr scans those far faster than the state machine.
  if (value.find(',') == std::string_view::npos) {
    const std::string_view part = trim_lws(value);
    if (!part.empty()) f(part);
    return;
  }
  if (value.find('"') == std::string_view::npos && value.find('<') == std::string_view::npos) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = value.find(',', start);
      const std::string_view part = trim_lws(value.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      if (!part.empty()) f(part);
      if (comma == std::string_view::npos) return;
      start = comma + 1;
    }
  }
  std::size_t start = 0;
  int angle = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>') {
      if (angle > 0) --angle;
    } else if (c == ',' && angle == 0) {
      const std::string_view part = trim_lws(value.substr(start, i - start));
      if (!part.empty()) f(part);
      start = i + 1;
    }
  }
  const std::string_view part = trim_lws(value.substr(start < value.size() ? start : value.size()));
  if (!part.empty()) f(part);
}

// True when every byte is in `cls` or is a well-formed %HH escape.
constexpr bool valid_escaped(std::string_view s, std::uint16_t cls) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return false;
      if (!is(s[i + 1], kHex) || !is(s[i + 2], kHex)) return false;
      i += 2;
    } else if (!is(s[i], cls)) {
      return false;
    }
  }
  return true;
}

bool is_ipv4(std::string_view s);
// An IPv6 address without brackets, per RFC 3986 / RFC 5954 (so "::" at most once, no ":::").
bool is_ipv6(std::string_view s);

// Scans a host (hostname, IPv4 address or bracketed IPv6 reference) starting at i. Returns the
// index just past it, or npos when there is no valid host there.
std::size_t scan_host(std::string_view s, std::size_t i);

// Parses 1..5 digits no larger than 65535.
bool parse_port(std::string_view digits, std::uint16_t& port);

// Validates `*( SEMI generic-param )` where SEMI and EQUAL allow LWS around them (RFC 3261
// §25.1), starting at s[i] == ';' and running to the end of s. Empty parameters fail.
bool valid_generic_params(std::string_view s, std::size_t i);

}  // namespace parley::protocol::sip::detail
