#pragma once
// SMTP replies (RFC 5321 §4.2): one or more lines "NNN-text" ending with "NNN text" (or a bare
// "NNN"), each ended by CRLF. parse_smtp_reply() reads one whole reply from the front of what
// the server sent so far; the SMTP client (smtp_client.hpp) calls it as bytes arrive.
//
// Pure: no I/O, so it is fuzzed alone (tests/fuzz/smtp_reply_fuzz.cpp).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace parley::app {

// Longer reply lines or more lines than this are a broken or hostile server, not a reply.
inline constexpr std::size_t kMaxSmtpReplyLine = 1000;  // RFC 5321 §4.5.3.1.5 says 512
inline constexpr std::size_t kMaxSmtpReplyLines = 100;

struct SmtpReply {
  int code = 0;                    // 200..599
  std::vector<std::string> lines;  // the text after "NNN-" / "NNN ", one per line
  std::size_t consumed = 0;        // bytes of the input this reply took, CRLFs included

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
};

// nullopt: the reply is not complete yet (read more). Error: not an SMTP reply (a bad code, the
// code changing between lines, a line or reply over the limits, a bare LF or NUL).
Result<std::optional<SmtpReply>> parse_smtp_reply(std::string_view input);

}  // namespace parley::app
