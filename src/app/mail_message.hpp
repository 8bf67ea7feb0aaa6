#pragma once
// Internet mail messages (RFC 5322) with one attachment (MIME, RFC 2045/2046), as voicemail to
// e-mail sends them, and the DATA transparency of RFC 5321 §4.5.2 (dot-stuffing).
//
// Header values come partly from callers (a caller id in the subject), so every header value is
// reduced to printable ASCII on one line: a CR or LF from a caller can never start a header of
// its own. Lines end in CRLF; the attachment is base64 in lines of 76 characters.
//
// Pure: no I/O.

#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <string_view>

namespace parley::app {

struct MailAttachment {
  std::string filename;      // e.g. "voicemail-42.wav"
  std::string content_type;  // e.g. "audio/wav"
  std::span<const std::uint8_t> bytes;
};

struct MailMessage {
  std::string from;  // addr-spec, e.g. "parley@pbx.example.com"
  std::string to;    // addr-spec
  std::string subject;
  std::string text;  // the plain-text body (UTF-8 allowed; sent as 8bit-free quoted lines)
  std::time_t date = 0;
  std::string message_id;  // "<id@host>", unique
  MailAttachment attachment;
};

std::string base64_encode(std::span<const std::uint8_t> bytes);
// `text` as one header value: printable ASCII only (anything else becomes '?'), no line breaks,
// at most 200 characters.
std::string header_safe(std::string_view text);
// "Mon, 07 Dec 2026 01:40:05 +0000" (RFC 5322 §3.3), in UTC.
std::string mail_date(std::time_t when);
// The whole message, headers and body, every line ended by CRLF.
std::string compose_mail(const MailMessage& message);
// `message` as the DATA phase sends it: every line that starts with '.' gets one more, the last
// line is ended by CRLF, and the ".\r\n" that ends DATA follows.
std::string dot_stuff(std::string_view message);

}  // namespace parley::app
