#pragma once
// The chat protocol's requests (docs/chat-protocol.md): one JSON object per WebSocket text
// message, {"id": <client id>, "type": "<request>", ...fields}. parse_request() turns the text
// into a ChatRequest or an error with the HTTP-like code to answer with, and always recovers the
// client id when it can so the error reply can echo it.
//
// Strict on purpose: unknown types and unknown fields are errors (a client bug shows at once),
// ids and numbers must be integers in range, strings are UTF-8 (the JSON parser checks), and
// the text is refused before parsing when it is nested deeper than kMaxRequestDepth or longer
// than kMaxRequestBytes. Pure: no I/O; fuzzed by tests/fuzz/chat_json_fuzz.cpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/json_depth.hpp"
#include "base/result.hpp"
#include "store/chat_store.hpp"

namespace parley::chat {

inline constexpr std::size_t kMaxRequestBytes = std::size_t{256} * 1024;
inline constexpr int kMaxRequestDepth = 3;  // {"members": ["1001"]} is depth 2
inline constexpr std::size_t kMaxClientIdBytes = 128;
inline constexpr std::size_t kMaxChannelMembers = 500;

// The client's "id" as sent (a string or an integer); monostate when absent or unusable.
using ClientId = std::variant<std::monostate, std::int64_t, std::string>;

enum class RequestType : std::uint8_t {
  kConversations,  // list mine with unread counts
  kOpenDirect,     // extension
  kCreateChannel,  // name, members?
  kAddMember,      // conversation, extension
  kRemoveMember,   // conversation, extension
  kPost,           // conversation, body
  kEdit,           // message, body
  kDelete,         // message
  kHistory,        // conversation, before?, limit?
  kSearch,         // query, limit?
  kRead,           // conversation, message
  kTyping,         // conversation
};
std::string_view to_text(RequestType type);  // the wire name: "post", "open_direct" ...

struct ChatRequest {
  ClientId id;
  RequestType type = RequestType::kConversations;
  store::ConversationId conversation = 0;
  store::MessageId message = 0;
  std::optional<store::MessageId> before;
  std::size_t limit = 0;  // 0 = the service's default page
  std::string extension;
  std::string name;
  std::string body;
  std::string query;
  std::vector<std::string> members;
};

struct ParsedRequest {
  ClientId id;                  // recovered even when the request is refused, where possible
  Result<ChatRequest> request;  // error code 400 (bad request) or 413 (too large)
};

ParsedRequest parse_request(std::string_view text);

// Nesting depth of JSON text outside strings, stopping early past `max` (returns max + 1):
// base's json_depth under the name the chat tests and fuzz target know.
inline int json_nesting(std::string_view text, int max) {
  return json_depth(text, max);
}

}  // namespace parley::chat
