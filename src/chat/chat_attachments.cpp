#include "chat/chat_attachments.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <system_error>

#include "chat/attachment_type.hpp"

namespace parley::chat {

namespace {

Error chat_error(ChatError kind, std::string message) {
  return make_error(static_cast<int>(kind), std::move(message));
}

Error not_found(store::MessageId message, store::AttachmentId attachment) {
  return chat_error(ChatError::kNotFound, "no attachment " + std::to_string(attachment) +
                                              " of message " + std::to_string(message));
}

// 128 random bits as hex: file names that never collide and say nothing about their content.
std::string random_name() {
  std::random_device device;
  std::string name;
  for (int i = 0; i < 4; ++i) {
    std::array<char, 9> chunk{};
    std::snprintf(chunk.data(), chunk.size(), "%08x", static_cast<unsigned>(device()));
    name += chunk.data();
  }
  return name;
}

// Writes everything and flushes it to the disk before the message that names it is committed.
Result<void> write_durably(const std::filesystem::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error(500, "cannot create " + path.string() + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      return make_error(500, "cannot write " + path.string() + ": " + reason);
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const bool closed = ::close(fd) == 0;
  if (!synced || !closed) return make_error(500, "cannot flush " + path.string());
  return {};
}

}  // namespace

std::string attachment_display_name(std::string_view name) {
  const std::size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  if (name.size() > kMaxAttachmentNameBytes) {
    std::size_t cut = kMaxAttachmentNameBytes;
    // Never cut inside a UTF-8 character: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0U) == 0x80U) --cut;
    name = name.substr(0, cut);
  }
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  if (name.empty() || name == "." || name == "..") return "attachment";
  return std::string(name);
}

ChatAttachments::ChatAttachments(ChatService& service, store::ChatStore& store,
                                 ChatEndpoint& endpoint, ChatAttachmentOptions options)
    : service_(service), store_(store), endpoint_(endpoint), options_(std::move(options)) {}

Result<std::string> ChatAttachments::write_file(std::string_view bytes) {
  const std::filesystem::path folder = options_.data_dir / kAttachmentFolder;
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return make_error(500, "cannot create " + folder.string() + ": " + error.message());
  std::filesystem::permissions(folder, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  const std::string name = random_name();
  if (auto written = write_durably(folder / name, bytes); !written) return written.error();
  return (std::filesystem::path(kAttachmentFolder) / name).string();
}

void ChatAttachments::remove_file(const std::string& relative) const {
  std::error_code ignored;
  std::filesystem::remove(options_.data_dir / relative, ignored);
}

Result<PostedAttachment> ChatAttachments::upload(const ChatUser& user, store::ConversationId id,
                                                 std::string_view content_type,
                                                 std::string_view name, std::string_view bytes) {
  if (user.extension.empty()) {
    return chat_error(ChatError::kForbidden, "attachments are posted by extensions");
  }
  if (auto view = service_.conversation(user, id); !view) {
    // Not a member, or another tenant's conversation: as if it did not exist.
    return chat_error(ChatError::kNotFound, "no conversation " + std::to_string(id));
  }
  if (bytes.size() > options_.max_bytes) {
    return chat_error(ChatError::kTooLarge, "the file is " + std::to_string(bytes.size()) +
                                                " bytes; the limit is " +
                                                std::to_string(options_.max_bytes));
  }
  if (bytes.empty()) return chat_error(ChatError::kInvalidInput, "the file is empty");
  const std::string type = media_type_of(content_type);
  if (!is_accepted_attachment_type(type)) {
    return make_error(
        415, "files of type '" + type.substr(0, 100) +
                 "' are not accepted; send one of: " + std::string(accepted_attachment_types()));
  }
  if (!content_matches(type, bytes)) {
    return make_error(415, "the file's content is not " + type + " as declared");
  }
  const std::string shown = attachment_display_name(name);

  auto path = write_file(bytes);
  if (!path) return path.error();
  auto message = service_.post(user, id, shown);
  if (!message) {
    remove_file(*path);
    return message.error();
  }
  store::ChatAttachment row;
  row.message_id = message->id;
  row.path = *path;
  row.content_type = type;
  row.size_bytes = bytes.size();
  row.original_name = shown;
  auto added = store_.add_attachment(row);
  if (!added) {
    (void)service_.remove(user, message->id);
    remove_file(*path);
    return from_store(added.error());
  }
  endpoint_.announce(user, *message);
  return PostedAttachment{std::move(message).value(), std::move(added).value()};
}

Result<AttachmentFile> ChatAttachments::download(const ChatUser& user, store::MessageId message_id,
                                                 store::AttachmentId attachment_id) {
  auto message = store_.get_message(message_id);
  if (!message) {
    if (store::is_error(message.error(), store::StoreError::kNotFound)) {
      return not_found(message_id, attachment_id);
    }
    return from_store(message.error());
  }
  if (user.extension.empty() || !service_.conversation(user, message->conversation_id)) {
    return not_found(message_id, attachment_id);
  }
  auto attachments = service_.attachments(message_id);
  if (!attachments) return attachments.error();
  for (store::ChatAttachment& attachment : *attachments) {
    if (attachment.id != attachment_id) continue;
    std::ifstream in(options_.data_dir / attachment.path, std::ios::binary);
    if (!in) return make_error(500, "attachment file " + attachment.path + " is missing");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() != attachment.size_bytes) {
      return make_error(500, "attachment file " + attachment.path + " has the wrong size");
    }
    return AttachmentFile{std::move(attachment), std::move(bytes)};
  }
  return not_found(message_id, attachment_id);
}

}  // namespace parley::chat
