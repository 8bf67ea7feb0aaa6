// libFuzzer target: the SMTP reply parser (app/smtp_reply.hpp, decision 0034) reads whatever a
// relay sends; it must never crash, and what it accepts must keep its promises: a code of
// 200-599, at least one line, a consumed length inside the input that ends in CRLF, and the
// same reply when parsed again from exactly the consumed bytes.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/smtp_reply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  namespace app = parley::app;
  auto parsed = app::parse_smtp_reply(input);
  if (!parsed.ok() || !parsed->has_value()) return 0;
  const app::SmtpReply& reply = **parsed;
  if (reply.code < 200 || reply.code > 599 || reply.lines.empty() ||
      reply.lines.size() > app::kMaxSmtpReplyLines || reply.consumed > input.size() ||
      reply.consumed < 5 || input.substr(reply.consumed - 2, 2) != "\r\n") {
    std::abort();
  }
  auto again = app::parse_smtp_reply(input.substr(0, reply.consumed));
  if (!again.ok() || !again->has_value() || (*again)->code != reply.code ||
      (*again)->lines != reply.lines || (*again)->consumed != reply.consumed) {
    std::abort();
  }
  return 0;
}
