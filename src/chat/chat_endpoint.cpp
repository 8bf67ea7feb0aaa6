#include "chat/chat_endpoint.hpp"

#include <nlohmann/json.hpp>
#include <variant>

#include "chat/chat_protocol.hpp"

namespace parley::chat {

namespace {

using Json = nlohmann::json;

Json id_json(const ClientId& id) {
  if (const auto* number = std::get_if<std::int64_t>(&id)) return *number;
  if (const auto* text = std::get_if<std::string>(&id)) return *text;
  return nullptr;
}

std::string dump(const Json& value) {
  // Replace invalid UTF-8 rather than throw: every string we hold was checked, but a reply must
  // never take the session down.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json message_json(const store::ChatMessage& message) {
  return Json{{"id", message.id},
              {"conversation", message.conversation_id},
              {"sender", message.sender},
              {"body", message.body},
              {"created_at", message.created_at},
              {"edited_at", message.edited_at ? Json(*message.edited_at) : Json(nullptr)},
              {"deleted", message.deleted}};
}

// Present only when the message carries files.
void add_attachments(Json& message, const std::vector<store::ChatAttachment>& attachments) {
  if (attachments.empty()) return;
  Json list = Json::array();
  for (const auto& attachment : attachments) {
    list.push_back({{"id", attachment.id},
                    {"name", attachment.original_name},
                    {"content_type", attachment.content_type},
                    {"size", attachment.size_bytes},
                    {"url", "/api/v1/chat/messages/" + std::to_string(attachment.message_id) +
                                "/attachments/" + std::to_string(attachment.id)}});
  }
  message["attachments"] = std::move(list);
}

Json message_json(ChatService& service, const store::ChatMessage& message) {
  Json json = message_json(message);
  if (!message.deleted) {
    if (auto attachments = service.attachments(message.id)) add_attachments(json, *attachments);
  }
  return json;
}

Json messages_json(ChatService& service, const std::vector<store::ChatMessage>& messages) {
  Json list = Json::array();
  for (const auto& message : messages) list.push_back(message_json(service, message));
  return list;
}

Json members_json(const std::vector<store::ChatMember>& members) {
  Json list = Json::array();
  for (const auto& member : members) {
    list.push_back({{"extension", member.extension},
                    {"role", std::string(to_text(member.role))},
                    {"last_read", member.last_read}});
  }
  return list;
}

Json conversation_json(const ConversationView& view) {
  return Json{{"id", view.conversation.id},
              {"kind", std::string(to_text(view.conversation.kind))},
              {"name", view.conversation.name},
              {"created_at", view.conversation.created_at},
              {"members", members_json(view.members)}};
}

// With each conversation's members: a client names a direct conversation after the other
// member and shows read receipts from their markers without asking again.
Json summaries_json(ChatService& service, const ChatUser& user,
                    const std::vector<store::ConversationSummary>& summaries) {
  Json list = Json::array();
  for (const auto& summary : summaries) {
    auto view = service.conversation(user, summary.conversation.id);
    list.push_back({{"id", summary.conversation.id},
                    {"kind", std::string(to_text(summary.conversation.kind))},
                    {"name", summary.conversation.name},
                    {"last_read", summary.last_read},
                    {"last_message_id", summary.last_message_id},
                    {"unread", summary.unread},
                    {"members", view ? members_json(view->members) : Json::array()}});
  }
  return list;
}

std::vector<std::string> extensions_of(const ConversationView& view) {
  std::vector<std::string> extensions;
  extensions.reserve(view.members.size());
  for (const auto& member : view.members) extensions.push_back(member.extension);
  return extensions;
}

std::string error_reply(const ClientId& id, const Error& error) {
  return dump(Json{{"type", "error"},
                   {"id", id_json(id)},
                   {"code", error.code == 0 ? 500 : error.code},
                   {"message", error.message}});
}

std::string ok_reply(const ClientId& id, Json fields) {
  Json reply{{"type", "ok"}, {"id", id_json(id)}};
  reply.update(fields);
  return dump(reply);
}

}  // namespace

std::string error_event(int code, std::string_view message) {
  return dump(Json{{"type", "error"}, {"id", nullptr}, {"code", code}, {"message", message}});
}

std::string ChatEndpoint::connect(SessionId session, const ChatUser& user) {
  const bool first = hub_.attach(session, user.tenant_id, user.extension);
  if (first) {
    hub_.deliver_to_tenant(
        user.tenant_id,
        dump(Json{{"type", "presence"}, {"extension", user.extension}, {"status", "available"}}),
        session);
  }
  auto conversations = service_.conversations(user);
  Json welcome{{"type", "welcome"}, {"extension", user.extension}};
  welcome["conversations"] =
      conversations ? summaries_json(service_, user, *conversations) : Json::array();
  if (!conversations) welcome["error"] = conversations.error().message;
  return dump(welcome);
}

void ChatEndpoint::disconnect(SessionId session) {
  const auto detached = hub_.detach(session);
  if (detached && detached->last) {
    hub_.deliver_to_tenant(detached->tenant_id, dump(Json{{"type", "presence"},
                                                          {"extension", detached->extension},
                                                          {"status", "offline"}}));
  }
}

void ChatEndpoint::announce(const ChatUser& sender, const store::ChatMessage& message) {
  auto view = service_.conversation(sender, message.conversation_id);
  if (!view) return;
  hub_.deliver(sender.tenant_id, extensions_of(*view), message_event("message", message));
}

std::string ChatEndpoint::message_event(std::string_view type, const store::ChatMessage& message) {
  return dump(Json{{"type", type}, {"message", message_json(service_, message)}});
}

Result<store::ChatMessage> ChatEndpoint::post_direct(const ChatUser& sender,
                                                     std::string_view recipient,
                                                     std::string_view body) {
  auto view = service_.open_direct(sender, recipient);
  if (!view) return view.error();
  auto message = service_.post(sender, view->conversation.id, body);
  if (!message) return message.error();
  // Every session, the sender's own included: the sender wrote it on another device.
  hub_.deliver(sender.tenant_id, extensions_of(*view),
               dump(Json{{"type", "message"}, {"message", message_json(*message)}}));
  if (posted_) posted_(sender, *view, *message);
  return message;
}

std::string ChatEndpoint::handle(SessionId session, const ChatUser& user, std::string_view text) {
  auto parsed = parse_request(text);
  if (!parsed.request) return error_reply(parsed.id, parsed.request.error());
  const ChatRequest& request = *parsed.request;
  const ClientId& id = request.id;
  const auto fan_out = [&](const std::vector<std::string>& members, const Json& event) {
    hub_.deliver(user.tenant_id, members, dump(event), session);
  };
  // A message event goes to the members of its conversation.
  const auto fan_out_message = [&](std::string_view type, const store::ChatMessage& message) {
    auto view = service_.conversation(user, message.conversation_id);
    if (view) {
      fan_out(extensions_of(*view), {{"type", type}, {"message", message_json(service_, message)}});
    }
  };

  switch (request.type) {
    case RequestType::kConversations: {
      auto list = service_.conversations(user);
      if (!list) return error_reply(id, list.error());
      return ok_reply(id, {{"conversations", summaries_json(service_, user, *list)}});
    }
    case RequestType::kOpenDirect:
    case RequestType::kCreateChannel:
    case RequestType::kAddMember: {
      auto view = request.type == RequestType::kOpenDirect
                      ? service_.open_direct(user, request.extension)
                  : request.type == RequestType::kCreateChannel
                      ? service_.create_channel(user, request.name, request.members)
                      : service_.add_member(user, request.conversation, request.extension);
      if (!view) return error_reply(id, view.error());
      const Json described = conversation_json(*view);
      fan_out(extensions_of(*view), {{"type", "conversation"}, {"conversation", described}});
      return ok_reply(id, {{"conversation", described}});
    }
    case RequestType::kRemoveMember: {
      auto view = service_.remove_member(user, request.conversation, request.extension);
      if (!view) return error_reply(id, view.error());
      const Json described = conversation_json(*view);
      fan_out(extensions_of(*view), {{"type", "conversation"}, {"conversation", described}});
      fan_out({request.extension}, {{"type", "removed"}, {"conversation", request.conversation}});
      return ok_reply(id, {{"conversation", described}});
    }
    case RequestType::kPost: {
      // The members the sender was checked against are the fan-out list (one read of them).
      auto posted = service_.post_with_members(user, request.conversation, request.body);
      if (!posted) return error_reply(id, posted.error());
      Json message = message_json(posted->message);
      fan_out(extensions_of(posted->view), {{"type", "message"}, {"message", message}});
      if (posted_) posted_(user, posted->view, posted->message);
      return ok_reply(id, {{"message", std::move(message)}});
    }
    case RequestType::kEdit:
    case RequestType::kDelete: {
      const bool edit = request.type == RequestType::kEdit;
      auto message = edit ? service_.edit(user, request.message, request.body)
                          : service_.remove(user, request.message);
      if (!message) return error_reply(id, message.error());
      fan_out_message(edit ? "edited" : "deleted", *message);
      return ok_reply(id, {{"message", message_json(service_, *message)}});
    }
    case RequestType::kHistory: {
      auto page = service_.history(user, request.conversation, request.before, request.limit);
      if (!page) return error_reply(id, page.error());
      return ok_reply(id, {{"conversation", request.conversation},
                           {"messages", messages_json(service_, *page)}});
    }
    case RequestType::kSearch: {
      auto found = service_.search(user, request.query, request.limit);
      if (!found) return error_reply(id, found.error());
      return ok_reply(id, {{"messages", messages_json(service_, *found)}});
    }
    case RequestType::kRead: {
      auto marker = service_.mark_read(user, request.conversation, request.message);
      if (!marker) return error_reply(id, marker.error());
      auto view = service_.conversation(user, request.conversation);
      if (view) {
        fan_out(extensions_of(*view), {{"type", "read"},
                                       {"conversation", request.conversation},
                                       {"extension", user.extension},
                                       {"message", *marker}});
      }
      return ok_reply(id, {{"conversation", request.conversation}, {"message", *marker}});
    }
    case RequestType::kTyping: {
      auto view = service_.typing(user, request.conversation);
      if (!view) return error_reply(id, view.error());
      fan_out(extensions_of(*view), {{"type", "typing"},
                                     {"conversation", request.conversation},
                                     {"extension", user.extension}});
      return ok_reply(id, Json::object());
    }
  }
  return error_reply(id, make_error(400, "unknown request"));
}

}  // namespace parley::chat
