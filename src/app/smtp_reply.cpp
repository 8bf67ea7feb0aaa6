#include "app/smtp_reply.hpp"

namespace parley::app {
namespace {

Error bad_reply(const std::string& why) {
  return make_error(0, "not an SMTP reply: " + why);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Result<std::optional<SmtpReply>> parse_smtp_reply(std::string_view input) {
  SmtpReply reply;
  std::size_t at = 0;
  while (true) {
    const std::size_t end = input.find("\r\n", at);
    const std::string_view rest = input.substr(at);
    if (end == std::string_view::npos) {
      // Incomplete, unless what is there can already never become a valid line.
      if (rest.size() > kMaxSmtpReplyLine) return bad_reply("a line is too long");
      if (rest.find('\n') != std::string_view::npos) return bad_reply("a bare LF");
      return std::optional<SmtpReply>{};
    }
    const std::string_view line = input.substr(at, end - at);
    if (line.size() > kMaxSmtpReplyLine) return bad_reply("a line is too long");
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2])) {
      return bad_reply("a line does not start with a three-digit code");
    }
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 200 || code > 599) return bad_reply("code " + std::to_string(code));
    if (reply.code != 0 && code != reply.code) return bad_reply("the code changes mid-reply");
    reply.code = code;
    const bool last = line.size() == 3 || line[3] == ' ';
    if (!last && line[3] != '-') return bad_reply("no space or hyphen after the code");
    const std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
    for (const char c : text) {
      if (c == '\0' || c == '\n' || c == '\r') return bad_reply("a control character");
    }
    if (reply.lines.size() == kMaxSmtpReplyLines) return bad_reply("too many lines");
    reply.lines.emplace_back(text);
    at = end + 2;
    if (last) {
      reply.consumed = at;
      return std::optional<SmtpReply>{std::move(reply)};
    }
  }
}

}  // namespace parley::app
