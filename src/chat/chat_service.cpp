#include "chat/chat_service.hpp"

#include <algorithm>
#include <chrono>

namespace parley::chat {

namespace {

using store::StoreError;

Error chat_error(ChatError kind, std::string message) {
  return make_error(static_cast<int>(kind), std::move(message));
}

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1;
      point = lead & 0x1FU;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2;
      point = lead & 0x0FU;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3;
      point = lead & 0x07U;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0U) != 0x80U) return false;
      point = (point << 6U) | (next & 0x3FU);
    }
    if ((extra == 2 && point < 0x800) || (extra == 3 && (point < 0x10000 || point > 0x10FFFF)) ||
        (point >= 0xD800 && point <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\n' && c != '\t' && c != '\r') || byte == 0x7F;
  });
}

std::string label(store::ConversationId id) {
  return "conversation " + std::to_string(id);
}

}  // namespace

Error from_store(const Error& error) {
  switch (static_cast<StoreError>(error.code)) {
    case StoreError::kInvalidInput:
    case StoreError::kNotFound:
    case StoreError::kConflict:
      return error;
    default:
      return chat_error(ChatError::kBackend, error.message);
  }
}

ChatService::ChatService(store::ChatStore& store, const Clock& clock, ChatServiceOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

store::UnixMillis ChatService::wall_now() const {
  if (options_.wall_clock) return options_.wall_clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<void> ChatService::check_body(std::string_view body) const {
  if (body.size() > options_.max_body_bytes) {
    return chat_error(ChatError::kTooLarge, "the message is " + std::to_string(body.size()) +
                                                " bytes; the limit is " +
                                                std::to_string(options_.max_body_bytes));
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return chat_error(ChatError::kInvalidInput, "the message is empty");
  }
  if (!is_valid_utf8(body)) return chat_error(ChatError::kInvalidInput, "the message is not UTF-8");
  if (has_control_characters(body)) {
    return chat_error(ChatError::kInvalidInput, "the message holds control characters");
  }
  return {};
}

Result<void> ChatService::take_token(const ChatUser& user) {
  const TimePoint now = clock_.now();
  std::lock_guard lock(throttle_mutex_);
  // One bucket per user who ever wrote: bounded by the number of extensions.
  auto [entry, fresh] = buckets_.try_emplace({user.tenant_id, user.extension});
  Bucket& bucket = entry->second;
  if (fresh) {
    bucket.tokens = options_.burst;
  } else {
    const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
    bucket.tokens = std::min(options_.burst, bucket.tokens + elapsed * options_.per_second);
  }
  bucket.refilled = now;
  if (bucket.tokens < 1.0) {
    return chat_error(ChatError::kTooManyMessages, "too many messages, slow down");
  }
  bucket.tokens -= 1.0;
  return {};
}

Result<ConversationView> ChatService::view_of(const store::Conversation& conversation) {
  auto members = store_.list_members(conversation.id);
  if (!members) return from_store(members.error());
  return ConversationView{conversation, std::move(members).value()};
}

// The conversation if `user` may see it: same tenant (else 404, as if missing) and a member
// (else 403). Tenant admins pass the membership check when `admin_may` (membership changes).
Result<ConversationView> ChatService::member_view(const ChatUser& user, store::ConversationId id,
                                                  bool admin_may) {
  auto conversation = store_.get_conversation(id);
  if (!conversation) return from_store(conversation.error());
  if (conversation->tenant_id != user.tenant_id) {
    return chat_error(ChatError::kNotFound, "no " + label(id));
  }
  auto view = view_of(*conversation);
  if (!view) return view.error();
  if (user.tenant_admin && admin_may) return view;
  const bool member = std::any_of(view->members.begin(), view->members.end(),
                                  [&](const auto& m) { return m.extension == user.extension; });
  if (!member) {
    return chat_error(ChatError::kForbidden, "you are not a member of " + label(id));
  }
  return view;
}

Result<ConversationView> ChatService::open_direct(const ChatUser& user, std::string_view peer) {
  if (user.extension.empty()) {
    return chat_error(ChatError::kForbidden, "only extensions have direct conversations");
  }
  auto conversation =
      store_.open_direct_conversation(user.tenant_id, user.extension, peer, wall_now());
  if (!conversation) return from_store(conversation.error());
  return view_of(*conversation);
}

Result<ConversationView> ChatService::create_channel(const ChatUser& user, std::string_view name,
                                                     const std::vector<std::string>& members) {
  if (user.extension.empty()) {
    return chat_error(ChatError::kForbidden, "a channel is created by an extension");
  }
  auto conversation = store_.create_channel(user.tenant_id, name, user.extension, wall_now());
  if (!conversation) return from_store(conversation.error());
  for (const std::string& member : members) {
    if (member == user.extension) continue;
    auto added = store_.add_member(conversation->id, member, store::MemberRole::kMember);
    if (!added && !store::is_error(added.error(), StoreError::kConflict)) {
      return from_store(added.error());
    }
  }
  return view_of(*conversation);
}

Result<ConversationView> ChatService::conversation(const ChatUser& user, store::ConversationId id) {
  return member_view(user, id);
}

Result<std::vector<store::ConversationSummary>> ChatService::conversations(const ChatUser& user) {
  auto list = store_.list_conversations(user.tenant_id, user.extension);
  if (!list) return from_store(list.error());
  return list;
}

Result<ConversationView> ChatService::add_member(const ChatUser& user, store::ConversationId id,
                                                 std::string_view extension) {
  auto view = member_view(user, id, /*admin_may=*/true);
  if (!view) return view.error();
  if (view->conversation.kind == store::ConversationKind::kDirect) {
    return chat_error(ChatError::kConflict, "a direct conversation keeps its two members");
  }
  if (auto added = store_.add_member(id, extension, store::MemberRole::kMember); !added) {
    return from_store(added.error());
  }
  return view_of(view->conversation);
}

Result<ConversationView> ChatService::remove_member(const ChatUser& user, store::ConversationId id,
                                                    std::string_view extension) {
  auto view = member_view(user, id, /*admin_may=*/true);
  if (!view) return view.error();
  if (view->conversation.kind == store::ConversationKind::kDirect) {
    return chat_error(ChatError::kConflict, "a direct conversation keeps its two members");
  }
  auto removed = store_.remove_member(id, extension);
  if (!removed) return from_store(removed.error());
  if (!*removed) {
    return chat_error(ChatError::kNotFound,
                      std::string(extension) + " is not a member of " + label(id));
  }
  return view_of(view->conversation);
}

Result<store::ChatMessage> ChatService::post(const ChatUser& user, store::ConversationId id,
                                             std::string_view body) {
  auto posted = post_with_members(user, id, body);
  if (!posted) return posted.error();
  return std::move(posted->message);
}

Result<PostedMessage> ChatService::post_with_members(const ChatUser& user, store::ConversationId id,
                                                     std::string_view body) {
  if (user.extension.empty()) return chat_error(ChatError::kForbidden, "admins do not post");
  if (auto valid = check_body(body); !valid) return valid.error();
  auto view = member_view(user, id);
  if (!view) return view.error();
  if (auto allowed = take_token(user); !allowed) return allowed.error();
  auto stored = store_.insert_message({id, user.extension, std::string(body), wall_now()});
  if (!stored) return from_store(stored.error());
  return PostedMessage{std::move(stored).value(), std::move(view).value()};
}

Result<store::ChatMessage> ChatService::edit(const ChatUser& user, store::MessageId id,
                                             std::string_view body) {
  if (auto valid = check_body(body); !valid) return valid.error();
  auto message = store_.get_message(id);
  if (!message) return from_store(message.error());
  if (auto view = member_view(user, message->conversation_id); !view) {
    // Someone else's conversation: as if the message did not exist.
    if (is_chat_error(view.error(), ChatError::kNotFound)) {
      return chat_error(ChatError::kNotFound, "no message " + std::to_string(id));
    }
    return view.error();
  }
  if (message->sender != user.extension) {
    return chat_error(ChatError::kForbidden, "you can edit only your own messages");
  }
  if (auto allowed = take_token(user); !allowed) return allowed.error();
  auto edited = store_.edit_message(id, body, wall_now());
  if (!edited) return from_store(edited.error());
  return edited;
}

Result<store::ChatMessage> ChatService::remove(const ChatUser& user, store::MessageId id) {
  auto message = store_.get_message(id);
  if (!message) return from_store(message.error());
  if (auto view = member_view(user, message->conversation_id); !view) {
    if (is_chat_error(view.error(), ChatError::kNotFound)) {
      return chat_error(ChatError::kNotFound, "no message " + std::to_string(id));
    }
    return view.error();
  }
  if (message->sender != user.extension) {
    return chat_error(ChatError::kForbidden, "you can delete only your own messages");
  }
  auto deleted = store_.delete_message(id, wall_now());
  if (!deleted) return from_store(deleted.error());
  return deleted;
}

Result<std::vector<store::ChatMessage>> ChatService::history(const ChatUser& user,
                                                             store::ConversationId id,
                                                             std::optional<store::MessageId> before,
                                                             std::size_t limit) {
  if (auto view = member_view(user, id); !view) return view.error();
  auto page = store_.list_messages(id, before, limit == 0 ? options_.default_page : limit);
  if (!page) return from_store(page.error());
  return page;
}

Result<std::vector<store::ChatMessage>> ChatService::search(const ChatUser& user,
                                                            std::string_view text,
                                                            std::size_t limit) {
  auto found = store_.search_messages(user.tenant_id, user.extension, text,
                                      limit == 0 ? options_.default_page : limit);
  if (!found) return from_store(found.error());
  return found;
}

Result<store::MessageId> ChatService::mark_read(const ChatUser& user, store::ConversationId id,
                                                store::MessageId up_to) {
  if (auto view = member_view(user, id); !view) return view.error();
  auto marker = store_.mark_read(id, user.extension, up_to);
  if (!marker) return from_store(marker.error());
  return marker;
}

Result<ConversationView> ChatService::typing(const ChatUser& user, store::ConversationId id) {
  auto view = member_view(user, id);
  if (!view) return view.error();
  if (auto allowed = take_token(user); !allowed) return allowed.error();
  return view;
}

Result<std::vector<store::ChatAttachment>> ChatService::attachments(store::MessageId id) {
  auto list = store_.list_attachments(id);
  if (!list) return from_store(list.error());
  return list;
}

}  // namespace parley::chat
