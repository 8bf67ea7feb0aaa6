#include "chat/chat_protocol.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <nlohmann/json.hpp>

namespace parley::chat {

namespace {

using Json = nlohmann::json;

struct TypeName {
  RequestType type;
  std::string_view name;
};

constexpr std::array kTypes{
    TypeName{RequestType::kConversations, "conversations"},
    TypeName{RequestType::kOpenDirect, "open_direct"},
    TypeName{RequestType::kCreateChannel, "create_channel"},
    TypeName{RequestType::kAddMember, "add_member"},
    TypeName{RequestType::kRemoveMember, "remove_member"},
    TypeName{RequestType::kPost, "post"},
    TypeName{RequestType::kEdit, "edit"},
    TypeName{RequestType::kDelete, "delete"},
    TypeName{RequestType::kHistory, "history"},
    TypeName{RequestType::kSearch, "search"},
    TypeName{RequestType::kRead, "read"},
    TypeName{RequestType::kTyping, "typing"},
};

constexpr std::array<std::string_view, 11> kFields{"id",     "type",  "conversation", "message",
                                                   "before", "limit", "extension",    "name",
                                                   "body",   "query", "members"};

Error bad(std::string message) {
  return make_error(400, std::move(message));
}

ClientId read_id(const Json& object) {
  const auto found = object.find("id");
  if (found == object.end()) return {};
  if (found->is_number_integer()) {
    if (found->is_number_unsigned() &&
        found->get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return {};
    }
    return found->get<std::int64_t>();
  }
  if (found->is_string()) {
    const auto& text = found->get_ref<const std::string&>();
    if (text.size() <= kMaxClientIdBytes) return text;
  }
  return {};
}

// A positive integer id (conversation, message, before).
Result<std::int64_t> positive(const Json& object, std::string_view field) {
  const auto found = object.find(field);
  if (found == object.end()) return bad("'" + std::string(field) + "' is required");
  if (!found->is_number_integer()) {
    return bad("'" + std::string(field) + "' must be a positive integer");
  }
  if (found->is_number_unsigned()) {
    const auto value = found->get<std::uint64_t>();
    if (value == 0 ||
        value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return bad("'" + std::string(field) + "' must be a positive integer");
    }
    return static_cast<std::int64_t>(value);
  }
  const auto value = found->get<std::int64_t>();
  if (value <= 0) return bad("'" + std::string(field) + "' must be a positive integer");
  return value;
}

Result<std::string> text(const Json& object, std::string_view field) {
  const auto found = object.find(field);
  if (found == object.end()) return bad("'" + std::string(field) + "' is required");
  if (!found->is_string()) return bad("'" + std::string(field) + "' must be a string");
  return found->get<std::string>();
}

Result<ChatRequest> decode(const Json& object, ChatRequest request) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
      return bad("unknown field '" + key + "'");
    }
  }
  if (object.contains("id") && std::holds_alternative<std::monostate>(request.id)) {
    return bad("'id' must be a string of at most " + std::to_string(kMaxClientIdBytes) +
               " bytes or an integer");
  }
  auto type_text = text(object, "type");
  if (!type_text) return type_text.error();
  const auto type = std::find_if(kTypes.begin(), kTypes.end(),
                                 [&](const TypeName& t) { return t.name == *type_text; });
  if (type == kTypes.end()) return bad("unknown request type '" + *type_text + "'");
  request.type = type->type;

  const auto need_id = [&](std::string_view field, std::int64_t& into) -> Result<void> {
    auto value = positive(object, field);
    if (!value) return value.error();
    into = *value;
    return {};
  };
  const auto need_text = [&](std::string_view field, std::string& into) -> Result<void> {
    auto value = text(object, field);
    if (!value) return value.error();
    into = std::move(value).value();
    return {};
  };
  const auto optional_limit = [&]() -> Result<void> {
    const auto found = object.find("limit");
    if (found == object.end()) return {};
    if (!found->is_number_integer() || found->get<std::int64_t>() < 1 ||
        found->get<std::int64_t>() > static_cast<std::int64_t>(store::kMaxChatPage)) {
      return bad("'limit' must be an integer from 1 to " + std::to_string(store::kMaxChatPage));
    }
    request.limit = static_cast<std::size_t>(found->get<std::int64_t>());
    return {};
  };

  Result<void> ok;
  switch (request.type) {
    case RequestType::kConversations:
      break;
    case RequestType::kOpenDirect:
      ok = need_text("extension", request.extension);
      break;
    case RequestType::kCreateChannel: {
      ok = need_text("name", request.name);
      const auto members = object.find("members");
      if (ok && members != object.end()) {
        if (!members->is_array() || members->size() > kMaxChannelMembers) {
          return bad("'members' must be an array of at most " + std::to_string(kMaxChannelMembers) +
                     " extension numbers");
        }
        for (const auto& member : *members) {
          if (!member.is_string()) return bad("'members' must hold extension numbers as strings");
          request.members.push_back(member.get<std::string>());
        }
      }
      break;
    }
    case RequestType::kAddMember:
    case RequestType::kRemoveMember:
      ok = need_id("conversation", request.conversation);
      if (ok) ok = need_text("extension", request.extension);
      break;
    case RequestType::kPost:
      ok = need_id("conversation", request.conversation);
      if (ok) ok = need_text("body", request.body);
      break;
    case RequestType::kEdit:
      ok = need_id("message", request.message);
      if (ok) ok = need_text("body", request.body);
      break;
    case RequestType::kDelete:
      ok = need_id("message", request.message);
      break;
    case RequestType::kHistory:
      ok = need_id("conversation", request.conversation);
      if (ok && object.contains("before")) {
        auto before = positive(object, "before");
        if (!before) return before.error();
        request.before = *before;
      }
      if (ok) ok = optional_limit();
      break;
    case RequestType::kSearch:
      ok = need_text("query", request.query);
      if (ok) ok = optional_limit();
      break;
    case RequestType::kRead:
      ok = need_id("conversation", request.conversation);
      if (ok) ok = need_id("message", request.message);
      break;
    case RequestType::kTyping:
      ok = need_id("conversation", request.conversation);
      break;
  }
  if (!ok) return ok.error();
  return request;
}

}  // namespace

std::string_view to_text(RequestType type) {
  for (const TypeName& entry : kTypes) {
    if (entry.type == type) return entry.name;
  }
  return "unknown";
}

ParsedRequest parse_request(std::string_view input) {
  if (input.size() > kMaxRequestBytes) {
    return {{},
            make_error(413, "the request is over " + std::to_string(kMaxRequestBytes) + " bytes")};
  }
  if (json_nesting(input, kMaxRequestDepth) > kMaxRequestDepth) {
    return {{},
            bad("the request is nested more than " + std::to_string(kMaxRequestDepth) + " deep")};
  }
  const Json object = Json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return {{}, bad("the request is not valid JSON (or not UTF-8)")};
  if (!object.is_object()) return {{}, bad("the request must be a JSON object")};
  ChatRequest request;
  request.id = read_id(object);
  ClientId id = request.id;
  return {std::move(id), decode(object, std::move(request))};
}

}  // namespace parley::chat
