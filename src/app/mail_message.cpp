#include "app/mail_message.hpp"

#include <array>

namespace parley::app {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::size_t kBase64LineLength = 76;  // RFC 2045 §6.8
constexpr std::size_t kMaxHeaderValue = 200;

// Body text with every line break made CRLF and no line over 998 characters (RFC 5322 §2.1.1).
std::string crlf_lines(std::string_view text) {
  std::string out;
  std::size_t column = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') continue;
    if (c == '\n' || column == 998) {
      out += "\r\n";
      column = 0;
      if (c == '\n') continue;
    }
    out += c;
    ++column;
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t triple = (std::uint32_t{bytes[i]} << 16) |
                                 (std::uint32_t{bytes[i + 1]} << 8) | std::uint32_t{bytes[i + 2]};
    out += kAlphabet[(triple >> 18) & 63];
    out += kAlphabet[(triple >> 12) & 63];
    out += kAlphabet[(triple >> 6) & 63];
    out += kAlphabet[triple & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t triple = std::uint32_t{bytes[i]} << 16;
    if (left == 2) triple |= std::uint32_t{bytes[i + 1]} << 8;
    out += kAlphabet[(triple >> 18) & 63];
    out += kAlphabet[(triple >> 12) & 63];
    out += left == 2 ? kAlphabet[(triple >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string header_safe(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kMaxHeaderValue)) {
    out += (c >= ' ' && c < 127) ? c : '?';
  }
  return out;
}

std::string mail_date(std::time_t when) {
  std::tm utc{};
  gmtime_r(&when, &utc);
  std::array<char, 64> text{};
  const std::size_t length =
      std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return std::string(text.data(), length);
}

std::string compose_mail(const MailMessage& message) {
  // Base64 never contains "=_"; the text could (it quotes the caller), so the boundary grows
  // until the text does not hold it (bounded: each round makes it longer than the text).
  std::string boundary = "=_parley_" + header_safe(message.message_id.substr(1, 40));
  while (message.text.find(boundary) != std::string::npos) boundary += "_";
  std::string out;
  out += "From: <" + header_safe(message.from) + ">\r\n";
  out += "To: <" + header_safe(message.to) + ">\r\n";
  out += "Subject: " + header_safe(message.subject) + "\r\n";
  out += "Date: " + mail_date(message.date) + "\r\n";
  out += "Message-ID: " + header_safe(message.message_id) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n";
  out += "\r\n";
  out += "This is a MIME message.\r\n";
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  out += crlf_lines(message.text);
  out += "--" + boundary + "\r\n";
  const std::string filename = header_safe(message.attachment.filename);
  out += "Content-Type: " + header_safe(message.attachment.content_type) + "; name=\"" + filename +
         "\"\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Content-Disposition: attachment; filename=\"" + filename + "\"\r\n";
  out += "\r\n";
  const std::string encoded = base64_encode(message.attachment.bytes);
  for (std::size_t at = 0; at < encoded.size(); at += kBase64LineLength) {
    out.append(encoded, at, kBase64LineLength);
    out += "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  bool line_start = true;
  for (const char c : message) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n';
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace parley::app
