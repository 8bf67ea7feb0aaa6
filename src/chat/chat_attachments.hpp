#pragma once
// ChatAttachments: files posted into a conversation (images and documents) and fetched back,
// kept in a folder of the data folder (<data>/chat-attachments/) with one row each in the
// ChatStore's attachment table.
//
// Upload: the sender must be a member of the conversation; the file must be non-empty, at most
// ChatAttachmentOptions::max_bytes (413), of an accepted type whose bytes match it
// (attachment_type.hpp; 415 otherwise). The file is written and flushed to disk first, then a
// message whose body is the file name is posted through ChatService (its size, UTF-8 and flood
// rules apply), then the attachment row is added; the message event (with the attachment) goes
// to every session of every member through ChatEndpoint::announce. A failure after the file
// was written removes it again (and the message, when the row could not be added).
//
// Download: only to members of the message's conversation. Everyone else (a user of the same
// tenant who is not a member, any user of another tenant, an unknown id) gets the same 404, so
// ids do not leak. A deleted message has no attachments (ChatStore forgets its rows).
//
// Errors: Error::code is a ChatError (HTTP-like) with a sentence for the user.
// Thread-safety: every method may be called from any thread (the REST API's blocking pool);
// the service, the store and the endpoint are thread-safe. Calls block on disk.
// Ownership: borrows the service, the store and the endpoint, which must outlive it.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "chat/chat_endpoint.hpp"
#include "chat/chat_service.hpp"
#include "store/chat_store.hpp"

namespace parley::chat {

struct ChatAttachmentOptions {
  // Where files go; ChatStore rows name them relative to `data_dir`.
  std::filesystem::path data_dir;
  std::size_t max_bytes = std::size_t{20} * 1024 * 1024;  // beyond it: 413
};

inline constexpr std::string_view kAttachmentFolder = "chat-attachments";
inline constexpr std::size_t kMaxAttachmentNameBytes = 255;

struct PostedAttachment {
  store::ChatMessage message;
  store::ChatAttachment attachment;
};

struct AttachmentFile {
  store::ChatAttachment attachment;
  std::string bytes;
};

class ChatAttachments {
 public:
  ChatAttachments(ChatService& service, store::ChatStore& store, ChatEndpoint& endpoint,
                  ChatAttachmentOptions options);

  const ChatAttachmentOptions& options() const { return options_; }

  // Posts `bytes` named `name` (a path's last component is kept) into conversation `id`.
  // `content_type` is the upload's Content-Type header as sent.
  Result<PostedAttachment> upload(const ChatUser& user, store::ConversationId id,
                                  std::string_view content_type, std::string_view name,
                                  std::string_view bytes);
  // Attachment `attachment` of message `message`, with its bytes.
  Result<AttachmentFile> download(const ChatUser& user, store::MessageId message,
                                  store::AttachmentId attachment);

 private:
  Result<std::string> write_file(std::string_view bytes);
  void remove_file(const std::string& relative) const;

  ChatService& service_;
  store::ChatStore& store_;
  ChatEndpoint& endpoint_;
  ChatAttachmentOptions options_;
};

// The file name as shown and stored: the part after the last '/' or '\', at most
// kMaxAttachmentNameBytes (cut at a UTF-8 character boundary); "attachment" when nothing is left.
std::string attachment_display_name(std::string_view name);

}  // namespace parley::chat
