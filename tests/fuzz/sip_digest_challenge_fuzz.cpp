// Feeds arbitrary bytes as WWW-Authenticate / Proxy-Authenticate values of a 401 or 407 (the
// provider's side of a trunk is untrusted input) through pick_challenge and, when a challenge
// is chosen, authorization_value: nothing may crash, and what we would send must stay one
// header line.
//
// The first input byte picks 401 or 407 (low bit); the rest is split at '\n' into header values.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/sip/message.hpp"
#include "sip/digest_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool proxy = (data[0] & 1) != 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);  // NOLINT
  const std::string_view name = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
  std::string text =
      proxy ? "SIP/2.0 407 Proxy Authentication Required\r\n" : "SIP/2.0 401 Unauthorized\r\n";
  text +=
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfuzz\r\n"
      "From: <sip:acme@provider.example>;tag=1\r\nTo: <sip:acme@provider.example>;tag=2\r\n"
      "Call-ID: fuzz\r\nCSeq: 1 REGISTER\r\n";
  std::size_t start = 0;
  while (start <= rest.size()) {
    const std::size_t end = std::min(rest.find('\n', start), rest.size());
    text.append(name).append(": ").append(rest.substr(start, end - start)).append("\r\n");
    start = end + 1;
  }
  text += "Content-Length: 0\r\n\r\n";
  auto response = parley::protocol::sip::parse_message(text);
  if (!response.ok()) return 0;
  for (std::string_view realm : {std::string_view(), std::string_view("provider.example")}) {
    auto challenge = parley::sip::pick_challenge(*response, realm);
    if (!challenge) continue;
    const std::string value =
        parley::sip::authorization_value(*challenge, {.username = "acme\"x",
                                                      .password = "pw",
                                                      .method = "REGISTER",
                                                      .digest_uri = "sip:provider.example",
                                                      .nc = 1,
                                                      .cnonce = "c"});
    // Quoted values are re-escaped, so nothing from the challenge can end our header line.
    if (value.find('\r') != std::string::npos || value.find('\n') != std::string::npos) {
      std::abort();
    }
  }
  return 0;
}
