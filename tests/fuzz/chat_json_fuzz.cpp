// libFuzzer target: the chat protocol's request parser (docs/chat-protocol.md). Nothing may
// crash; a refusal always says why with a 400 or 413; an accepted request was not nested past
// the limit and its fields keep their documented ranges.

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "chat/chat_protocol.hpp"

namespace chat = parley::chat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = chat::parse_request(input);
  if (!parsed.request) {
    const auto& error = parsed.request.error();
    if ((error.code != 400 && error.code != 413) || error.message.empty()) std::abort();
    return 0;
  }
  const chat::ChatRequest& request = *parsed.request;
  if (chat::json_nesting(input, chat::kMaxRequestDepth) > chat::kMaxRequestDepth) std::abort();
  if (request.conversation < 0 || request.message < 0) std::abort();
  if (request.before && *request.before <= 0) std::abort();
  if (request.limit > parley::store::kMaxChatPage) std::abort();
  if (request.members.size() > chat::kMaxChannelMembers) std::abort();
  if (const auto* id = std::get_if<std::string>(&request.id);
      id != nullptr && id->size() > chat::kMaxClientIdBytes) {
    std::abort();
  }
  (void)chat::to_text(request.type);
  return 0;
}
