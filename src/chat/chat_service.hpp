#pragma once
// ChatService: the rules of team chat over a ChatStore — who may read, post, edit, delete and
// manage members — with the message size limit and a per-user flood throttle.
//
// Access: a user is an extension of one tenant. A conversation of another tenant answers
// kNotFound exactly as a missing one does (ids do not leak across tenants); a conversation of
// the user's tenant that the user is not a member of answers kForbidden. Members of a channel
// and tenant admins may add and remove members; a direct conversation keeps its two members.
// A user edits and deletes only their own messages.
//
// Durability: post() returns only after the store committed the message, so an acknowledgement
// built from its answer never names a message that a crash can lose.
//
// Errors: Error::code is one of ChatError (HTTP-like numbers, passed through to the WebSocket
// protocol's error replies); the message is a sentence for the user.
//
// Thread-safety: every method may be called from any thread (the throttle has its own lock and
// the store is thread-safe). Every call may block on the store: keep it off event loops.
// Ownership: borrows the store and the clock, which must outlive the service.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/chat_store.hpp"

namespace parley::chat {

enum class ChatError : int {
  kInvalidInput = 400,
  kUnauthorized = 401,
  kForbidden = 403,
  kNotFound = 404,
  kConflict = 409,
  kTooLarge = 413,
  kTooManyMessages = 429,
  kBackend = 500,
};

inline bool is_chat_error(const Error& error, ChatError kind) {
  return error.code == static_cast<int>(kind);
}

// Who is acting: an extension of a tenant, or a tenant admin (who has no extension and may only
// manage membership).
struct ChatUser {
  store::TenantId tenant_id = 0;
  std::string extension;  // empty for a tenant admin
  bool tenant_admin = false;
};

struct ChatServiceOptions {
  std::size_t max_body_bytes = std::size_t{16} * 1024;  // beyond it: kTooLarge (413)
  // Flood throttle per user: a bucket of `burst` messages refilled at `per_second`. Posting,
  // editing and typing notifications each take one token.
  double burst = 20;
  double per_second = 5;
  std::size_t default_page = 50;
  // Wall clock for created_at/edited_at; empty = the system clock.
  std::function<store::UnixMillis()> wall_clock;
};

// A conversation with its members, as the service hands it out.
struct ConversationView {
  store::Conversation conversation;
  std::vector<store::ChatMember> members;
};

// A stored message with the conversation it went to, as ChatService checked it.
struct PostedMessage {
  store::ChatMessage message;
  ConversationView view;
};

class ChatService {
 public:
  ChatService(store::ChatStore& store, const Clock& clock, ChatServiceOptions options = {});

  const ChatServiceOptions& options() const { return options_; }

  // The direct conversation of `user` with `peer` of the same tenant (the same one each time).
  Result<ConversationView> open_direct(const ChatUser& user, std::string_view peer);
  // A channel owned by `user`, with `members` added.
  Result<ConversationView> create_channel(const ChatUser& user, std::string_view name,
                                          const std::vector<std::string>& members);
  Result<ConversationView> conversation(const ChatUser& user, store::ConversationId id);
  Result<std::vector<store::ConversationSummary>> conversations(const ChatUser& user);
  Result<ConversationView> add_member(const ChatUser& user, store::ConversationId id,
                                      std::string_view extension);
  Result<ConversationView> remove_member(const ChatUser& user, store::ConversationId id,
                                         std::string_view extension);

  Result<store::ChatMessage> post(const ChatUser& user, store::ConversationId id,
                                  std::string_view body);
  // post() that also returns the conversation and members it checked the sender against: the
  // fan-out list, without reading a large channel's members a second time.
  Result<PostedMessage> post_with_members(const ChatUser& user, store::ConversationId id,
                                          std::string_view body);
  Result<store::ChatMessage> edit(const ChatUser& user, store::MessageId id, std::string_view body);
  Result<store::ChatMessage> remove(const ChatUser& user, store::MessageId id);
  // Newest first; `limit` 0 = options().default_page.
  Result<std::vector<store::ChatMessage>> history(const ChatUser& user, store::ConversationId id,
                                                  std::optional<store::MessageId> before,
                                                  std::size_t limit);
  Result<std::vector<store::ChatMessage>> search(const ChatUser& user, std::string_view text,
                                                 std::size_t limit);
  // Moves the read marker; returns it afterwards.
  Result<store::MessageId> mark_read(const ChatUser& user, store::ConversationId id,
                                     store::MessageId up_to);
  // Checks that `user` may announce typing in `id` (a member, not flooding); stores nothing.
  Result<ConversationView> typing(const ChatUser& user, store::ConversationId id);
  // The files attached to message `id`. No access check: only for messages the caller has
  // already been allowed to see.
  Result<std::vector<store::ChatAttachment>> attachments(store::MessageId id);

 private:
  Result<ConversationView> member_view(const ChatUser& user, store::ConversationId id,
                                       bool admin_may = false);
  Result<ConversationView> view_of(const store::Conversation& conversation);
  Result<void> check_body(std::string_view body) const;
  Result<void> take_token(const ChatUser& user);
  store::UnixMillis wall_now() const;

  store::ChatStore& store_;
  const Clock& clock_;
  ChatServiceOptions options_;

  struct Bucket {
    double tokens = 0;
    TimePoint refilled{};
  };
  std::mutex throttle_mutex_;
  std::map<std::pair<store::TenantId, std::string>, Bucket> buckets_;  // guarded by throttle_mutex_
};

// A store error as a chat error (same codes; kBusy/kSchemaTooNew become kBackend).
Error from_store(const Error& error);

}  // namespace parley::chat
