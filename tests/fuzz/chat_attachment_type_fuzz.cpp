// libFuzzer target: the chat attachment type checks (src/chat/attachment_type.hpp). The first
// line of the input is a Content-Type value, the rest the file. Nothing may crash; a type
// that is not accepted never matches; a cleaned media type has no parameters or spaces.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "chat/attachment_type.hpp"
#include "chat/chat_attachments.hpp"

namespace chat = parley::chat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view header = input.substr(0, newline);
  const std::string_view bytes =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const std::string type = chat::media_type_of(header);
  if (type.find(';') != std::string::npos) std::abort();
  if (!type.empty() && (type.front() == ' ' || type.back() == ' ')) std::abort();
  const bool matches = chat::content_matches(type, bytes);
  if (matches && !chat::is_accepted_attachment_type(type)) std::abort();
  const std::string name = chat::attachment_display_name(bytes.substr(0, 600));
  if (name.empty() || name.size() > chat::kMaxAttachmentNameBytes) std::abort();
  if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos) std::abort();
  return 0;
}
