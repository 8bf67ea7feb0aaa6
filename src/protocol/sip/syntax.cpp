#include "protocol/sip/syntax.hpp"

namespace parley::protocol::sip::detail {

bool is_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t digits = 0;
    unsigned value = 0;
    while (i < s.size() && is(s[i], kDigit) && digits < 4) {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++parts;
    if (i == s.size()) return parts == 4;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

bool is_ipv6(std::string_view s) {
  const std::size_t n = s.size();
  if (n < 2) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s[0] == ':') {
    if (s[1] != ':') return false;  // a single leading colon is never valid
    compressed = true;
    i = 2;
    if (i == n) return true;  // "::"
  }
  while (i < n) {
    const std::size_t start = i;
    while (i < n && is(s[i], kHex) && i - start < 5) ++i;
    if (i < n && s[i] == '.') {
      // An embedded IPv4 address ends the address and counts as two groups.
      if (!is_ipv4(s.substr(start))) return false;
      groups += 2;
      break;
    }
    const std::size_t digits = i - start;
    if (digits == 0 || digits > 4) return false;
    ++groups;
    if (groups > 8) return false;
    if (i == n) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < n && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == n) break;
    } else if (i == n) {
      return false;  // trailing single colon
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

std::size_t scan_host(std::string_view s, std::size_t i) {
  constexpr auto kNpos = std::string_view::npos;
  if (i >= s.size()) return kNpos;
  if (s[i] == '[') {
    const std::size_t close = s.find(']', i + 1);
    if (close == kNpos || !is_ipv6(s.substr(i + 1, close - i - 1))) return kNpos;
    return close + 1;
  }
  const std::size_t start = i;
  while (i < s.size() && is(s[i], kHost)) ++i;
  if (i == start) return kNpos;
  return i;
}

bool parse_port(std::string_view digits, std::uint16_t& port) {
  if (digits.empty() || digits.size() > 5) return false;
  std::uint32_t value = 0;
  for (char c : digits) {
    if (!is(c, kDigit)) return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool valid_generic_params(std::string_view s, std::size_t i) {
  const std::size_t n = s.size();
  while (i < n) {
    if (s[i] != ';') return false;
    i = skip_lws(s, i + 1);
    const std::size_t name_end = scan_token(s, i);
    if (name_end == i) return false;
    i = skip_lws(s, name_end);
    if (i < n && s[i] == '=') {
      i = skip_lws(s, i + 1);
      if (i < n && s[i] == '"') {
        i = skip_quoted(s, i);
        if (i == std::string_view::npos) return false;
      } else {
        const std::size_t start = i;
        while (i < n && is(s[i], kGenValue)) ++i;
        if (i == start) return false;
      }
      i = skip_lws(s, i);
    }
  }
  return true;
}

}  // namespace parley::protocol::sip::detail
