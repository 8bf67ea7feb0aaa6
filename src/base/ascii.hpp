#pragma once
// ASCII case folding for protocol text (SIP, SDP and HTTP tokens, header names, hosts): every
// protocol Parley speaks defines case-insensitivity over ASCII only. Inline and locale-free;
// std::tolower is a call into the C library per character (~480 per relayed call in the SIP
// transaction keys alone) and follows the process locale.

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::base {

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Equal but for the case of ASCII letters.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

inline void append_lower(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  out.append(text);
  for (std::size_t i = start; i < out.size(); ++i) out[i] = ascii_lower(out[i]);
}

}  // namespace parley::base
