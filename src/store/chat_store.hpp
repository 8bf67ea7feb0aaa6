#pragma once
// ChatStore: team messaging within a tenant — conversations (one-to-one and named channels),
// their members with read markers, messages with edit/delete, and attachment rows.
//
// Rules every backend keeps:
// - A direct conversation is identified by its tenant and the unordered pair of extensions, so
//   opening it twice returns the same conversation. A channel name is unique within a tenant.
// - Members are extensions of the conversation's tenant; a member row goes with its extension
//   (and with its conversation). Messages keep the sender's number as text so that history
//   outlives a removed extension.
// - insert_message() commits the row (surviving kill -9: WAL, synchronous=NORMAL) before it
//   returns the id, so whoever acknowledges a message to its sender after this call never
//   acknowledges one that can be lost.
// - Access rules (who may read or post) belong to chat/ChatService; the store only keeps the
//   data consistent (no member twice, no message in an unknown conversation).
//
// A separate interface from Store so that SIP code and its test fakes do not grow; SqliteStore
// implements it (sqlite/sqlite_chat_store.cpp, schema migration 7).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

using ConversationId = std::int64_t;
using MessageId = std::int64_t;
using AttachmentId = std::int64_t;

enum class ConversationKind : std::uint8_t { kDirect, kChannel };
std::string_view to_text(ConversationKind kind);  // "direct", "channel"

enum class MemberRole : std::uint8_t { kMember, kOwner };
std::string_view to_text(MemberRole role);  // "member", "owner"

inline constexpr std::size_t kMaxChannelNameLength = 80;
inline constexpr std::size_t kMaxChatBodyBytes =
    std::size_t{1024} * 1024;  // store limit; the service's is lower
inline constexpr std::size_t kMaxChatPage = 200;
inline constexpr std::size_t kMaxChatSearchQuery = 200;

struct Conversation {
  ConversationId id = 0;
  TenantId tenant_id = 0;
  ConversationKind kind = ConversationKind::kDirect;
  std::string name;  // channels only; empty for direct conversations
  UnixMillis created_at = 0;
};

struct ChatMember {
  ConversationId conversation_id = 0;
  std::string extension;
  MemberRole role = MemberRole::kMember;
  MessageId last_read = 0;  // the newest message this member has read; 0 = none
};

struct ChatMessage {
  MessageId id = 0;
  ConversationId conversation_id = 0;
  std::string sender;  // extension number
  std::string body;    // verbatim text; empty once deleted
  UnixMillis created_at = 0;
  std::optional<UnixMillis> edited_at;
  bool deleted = false;
};

struct NewChatMessage {
  ConversationId conversation_id = 0;
  std::string sender;
  std::string body;
  UnixMillis created_at = 0;
};

// A file kept in the data folder, attached to one message.
struct ChatAttachment {
  AttachmentId id = 0;  // assigned by add_attachment; ignored on input
  MessageId message_id = 0;
  std::string path;  // relative to the data folder
  std::string content_type;
  std::uint64_t size_bytes = 0;
  std::string original_name;
};

// One conversation as one member sees it: how many messages from others arrived after the
// member's read marker (deleted ones do not count) and the newest message id.
struct ConversationSummary {
  Conversation conversation;
  MessageId last_read = 0;
  MessageId last_message_id = 0;
  std::int64_t unread = 0;
};

class ChatStore {
 public:
  virtual ~ChatStore() = default;
  ChatStore() = default;
  ChatStore(const ChatStore&) = delete;
  ChatStore& operator=(const ChatStore&) = delete;

  // The direct conversation between two different extensions of `tenant`, created with both as
  // members when missing. kNotFound when either extension does not exist in the tenant.
  virtual Result<Conversation> open_direct_conversation(TenantId tenant, std::string_view first,
                                                        std::string_view second,
                                                        UnixMillis now) = 0;
  // A new channel with `owner` as its first member (role owner). kConflict when the tenant has
  // a channel of that name; kNotFound for an unknown owner extension.
  virtual Result<Conversation> create_channel(TenantId tenant, std::string_view name,
                                              std::string_view owner, UnixMillis now) = 0;
  virtual Result<Conversation> get_conversation(ConversationId id) = 0;
  // Every conversation `extension` of `tenant` belongs to, with its unread count, newest
  // activity first.
  virtual Result<std::vector<ConversationSummary>> list_conversations(
      TenantId tenant, std::string_view extension) = 0;

  virtual Result<std::vector<ChatMember>> list_members(ConversationId conversation) = 0;
  // kNotFound when `extension` is not a member.
  virtual Result<ChatMember> get_member(ConversationId conversation,
                                        std::string_view extension) = 0;
  // kNotFound for an unknown conversation or an extension not of its tenant; kConflict when
  // already a member.
  virtual Result<void> add_member(ConversationId conversation, std::string_view extension,
                                  MemberRole role) = 0;
  // False when it was not a member.
  virtual Result<bool> remove_member(ConversationId conversation, std::string_view extension) = 0;

  // Commits the message before returning it with its id (see the header comment).
  virtual Result<ChatMessage> insert_message(const NewChatMessage& message) = 0;
  virtual Result<ChatMessage> get_message(MessageId id) = 0;
  // New body and edited_at. kConflict for a deleted message.
  virtual Result<ChatMessage> edit_message(MessageId id, std::string_view body, UnixMillis now) = 0;
  // Clears the body (and forgets its attachment rows), keeps the row as a tombstone so that
  // history and read markers stay consistent. Deleting twice is not an error.
  virtual Result<ChatMessage> delete_message(MessageId id, UnixMillis now) = 0;
  // Newest first: messages with id < `before` (all when empty), at most `limit`
  // (1..kMaxChatPage).
  virtual Result<std::vector<ChatMessage>> list_messages(ConversationId conversation,
                                                         std::optional<MessageId> before,
                                                         std::size_t limit) = 0;
  // Messages containing every word of `query` (at most kMaxChatSearchQuery bytes), in the
  // conversations `extension` of `tenant` belongs to; newest first, at most `limit`.
  virtual Result<std::vector<ChatMessage>> search_messages(TenantId tenant,
                                                           std::string_view extension,
                                                           std::string_view query,
                                                           std::size_t limit) = 0;
  // Moves the member's read marker forward to `up_to` (never back; capped at the newest
  // message). Returns the marker afterwards. kNotFound when not a member.
  virtual Result<MessageId> mark_read(ConversationId conversation, std::string_view extension,
                                      MessageId up_to) = 0;

  virtual Result<ChatAttachment> add_attachment(const ChatAttachment& attachment) = 0;
  virtual Result<std::vector<ChatAttachment>> list_attachments(MessageId message) = 0;
};

}  // namespace parley::store
