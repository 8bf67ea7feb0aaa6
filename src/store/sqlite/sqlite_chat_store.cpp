// The ChatStore half of SqliteStore: conversations, members, messages, attachments. Same locking
// and transaction rules as sqlite_store.cpp. Messages and read markers commit with
// Durability::kProcessCrash (WAL, synchronous=NORMAL): a committed message survives kill -9,
// and a chat write does not wait for an fsync; conversations and members, rarer and
// structural, commit with kPowerLoss like the directory.

#include <algorithm>
#include <string>
#include <utility>

#include "store/chat_store.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::store {

std::string_view to_text(ConversationKind kind) {
  return kind == ConversationKind::kChannel ? "channel" : "direct";
}

std::string_view to_text(MemberRole role) {
  return role == MemberRole::kOwner ? "owner" : "member";
}

}  // namespace parley::store

namespace parley::store::sqlite {

namespace {

// Column order: id, tenant_id, kind, name, created_at.
Result<Conversation> read_conversation(const Statement& row) {
  Conversation conversation;
  conversation.id = row.column_int(0);
  conversation.tenant_id = row.column_int(1);
  conversation.kind =
      row.column_text(2) == "channel" ? ConversationKind::kChannel : ConversationKind::kDirect;
  conversation.name = row.column_text(3);
  conversation.created_at = row.column_int(4);
  return conversation;
}

// Column order: id, conversation_id, sender, body, created_at, edited_at, deleted.
Result<ChatMessage> read_message(const Statement& row) {
  ChatMessage message;
  message.id = row.column_int(0);
  message.conversation_id = row.column_int(1);
  message.sender = row.column_text(2);
  message.body = row.column_text(3);
  message.created_at = row.column_int(4);
  message.edited_at = optional_int(row, 5);
  message.deleted = row.column_int(6) != 0;
  return message;
}

// Column order: conversation_id, extension, role, last_read.
Result<ChatMember> read_member(const Statement& row) {
  ChatMember member;
  member.conversation_id = row.column_int(0);
  member.extension = row.column_text(1);
  member.role = row.column_text(2) == "owner" ? MemberRole::kOwner : MemberRole::kMember;
  member.last_read = row.column_int(3);
  return member;
}

Result<ChatAttachment> read_attachment(const Statement& row) {
  ChatAttachment attachment;
  attachment.id = row.column_int(0);
  attachment.message_id = row.column_int(1);
  attachment.path = row.column_text(2);
  attachment.content_type = row.column_text(3);
  attachment.size_bytes = static_cast<std::uint64_t>(row.column_int(4));
  attachment.original_name = row.column_text(5);
  return attachment;
}

Result<void> check_body(std::string_view body) {
  if (body.empty() || body.size() > kMaxChatBodyBytes) {
    return invalid("message body must be 1-" + std::to_string(kMaxChatBodyBytes) + " bytes");
  }
  return {};
}

std::size_t page_size(std::size_t limit) {
  return std::clamp<std::size_t>(limit, 1, kMaxChatPage);
}

// The user's words as an FTS5 query: each whitespace-separated word becomes a quoted string
// (quotes doubled), so that FTS5 operators and punctuation in the input are matched as text
// and never parsed as query syntax; the words are ANDed.
std::string fts_query(std::string_view text) {
  std::string query;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() &&
           (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) {
      ++at;
    }
    std::size_t end = at;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != '\n' &&
           text[end] != '\r') {
      ++end;
    }
    if (end == at) break;
    if (!query.empty()) query += ' ';
    query += '"';
    for (const char c : text.substr(at, end - at)) {
      if (c == '"') query += '"';
      query += c;
    }
    query += '"';
    at = end;
  }
  return query;
}

constexpr char kSelectMessage[] =
    "SELECT id, conversation_id, sender, body, created_at, edited_at, deleted "
    "FROM chat_messages WHERE id = ?";

}  // namespace

Result<Conversation> SqliteStore::find_conversation(ConversationId id) {
  auto query = connection_.prepare(
      "SELECT id, tenant_id, kind, name, created_at FROM chat_conversations WHERE id = ?");
  if (!query) return query.error();
  query->bind(1, id);
  return single_row(*query, read_conversation, "no conversation " + std::to_string(id));
}

Result<ChatMessage> SqliteStore::find_message(MessageId id) {
  auto query = connection_.prepare(kSelectMessage);
  if (!query) return query.error();
  query->bind(1, id);
  return single_row(*query, read_message, "no message " + std::to_string(id));
}

Result<Conversation> SqliteStore::open_direct_conversation(TenantId tenant, std::string_view first,
                                                           std::string_view second,
                                                           UnixMillis now) {
  if (auto valid = check_extension_number(first); !valid) return valid.error();
  if (auto valid = check_extension_number(second); !valid) return valid.error();
  if (first == second) return invalid("a direct conversation needs two different extensions");
  const std::string low(std::min(first, second));
  const std::string high(std::max(first, second));
  const std::string key = low + ":" + high;
  const std::string what = "opening the conversation of " + key;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto existing = connection_.prepare(
        "SELECT id, tenant_id, kind, name, created_at FROM chat_conversations "
        "WHERE tenant_id = ? AND kind = 'direct' AND direct_key = ?");
    if (!existing) return in_context(what, existing.error());
    existing->bind(1, tenant).bind(2, key);
    auto found = single_row(*existing, read_conversation, "");
    if (found) return found;  // nothing written; the transaction rolls back
    if (!is_error(found.error(), StoreError::kNotFound)) return in_context(what, found.error());
  }
  for (const std::string* number : {&low, &high}) {
    if (auto extension = find_extension(tenant, *number); !extension) return extension.error();
  }
  Conversation conversation{0, tenant, ConversationKind::kDirect, "", now};
  {
    auto insert = connection_.prepare(
        "INSERT INTO chat_conversations (tenant_id, kind, name, direct_key, created_at) "
        "VALUES (?, 'direct', '', ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, tenant).bind(2, key).bind(3, now);
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
    conversation.id = connection_.last_insert_rowid();
  }
  for (const std::string* number : {&low, &high}) {
    auto member = connection_.prepare(
        "INSERT INTO chat_members (conversation_id, tenant_id, extension, role) "
        "VALUES (?, ?, ?, 'member')");
    if (!member) return in_context(what, member.error());
    member->bind(1, conversation.id).bind(2, tenant).bind(3, *number);
    if (auto ran = member->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return conversation;
}

Result<Conversation> SqliteStore::create_channel(TenantId tenant, std::string_view name,
                                                 std::string_view owner, UnixMillis now) {
  if (name.empty() || name.size() > kMaxChannelNameLength) {
    return invalid("channel name must be 1-" + std::to_string(kMaxChannelNameLength) + " bytes");
  }
  if (auto valid = check_display_name(name); !valid) {
    return invalid("channel name must be UTF-8 text without control characters");
  }
  if (auto valid = check_extension_number(owner); !valid) return valid.error();
  const std::string what = "creating channel '" + std::string(name) + "'";
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  if (auto extension = find_extension(tenant, owner); !extension) return extension.error();
  {
    auto existing = connection_.prepare(
        "SELECT 1 FROM chat_conversations WHERE tenant_id = ? AND kind = 'channel' AND name = ?");
    if (!existing) return in_context(what, existing.error());
    existing->bind(1, tenant).bind(2, name);
    auto row = existing->step();
    if (!row) return in_context(what, row.error());
    if (*row) return conflict("a channel named '" + std::string(name) + "' already exists");
  }
  Conversation conversation{0, tenant, ConversationKind::kChannel, std::string(name), now};
  {
    auto insert = connection_.prepare(
        "INSERT INTO chat_conversations (tenant_id, kind, name, created_at) "
        "VALUES (?, 'channel', ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, tenant).bind(2, name).bind(3, now);
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
    conversation.id = connection_.last_insert_rowid();
  }
  {
    auto member = connection_.prepare(
        "INSERT INTO chat_members (conversation_id, tenant_id, extension, role) "
        "VALUES (?, ?, ?, 'owner')");
    if (!member) return in_context(what, member.error());
    member->bind(1, conversation.id).bind(2, tenant).bind(3, owner);
    if (auto ran = member->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return conversation;
}

Result<Conversation> SqliteStore::get_conversation(ConversationId id) {
  std::lock_guard lock(mutex_);
  return find_conversation(id);
}

Result<std::vector<ConversationSummary>> SqliteStore::list_conversations(
    TenantId tenant, std::string_view extension) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT c.id, c.tenant_id, c.kind, c.name, c.created_at, m.last_read, "
      " coalesce((SELECT max(x.id) FROM chat_messages x WHERE x.conversation_id = c.id), 0) "
      "   AS last_id, "
      " (SELECT count(*) FROM chat_messages x WHERE x.conversation_id = c.id "
      "   AND x.id > m.last_read AND x.sender <> m.extension AND x.deleted = 0) "
      "FROM chat_members m JOIN chat_conversations c ON c.id = m.conversation_id "
      "WHERE m.tenant_id = ? AND m.extension = ? ORDER BY last_id DESC, c.id DESC");
  if (!query) return query.error();
  query->bind(1, tenant).bind(2, extension);
  auto rows = collect_rows(*query, [](const Statement& row) -> Result<ConversationSummary> {
    auto conversation = read_conversation(row);
    if (!conversation) return conversation.error();
    return ConversationSummary{std::move(conversation).value(), row.column_int(5),
                               row.column_int(6), row.column_int(7)};
  });
  if (!rows)
    return in_context("listing the conversations of " + std::string(extension), rows.error());
  return rows;
}

Result<std::vector<ChatMember>> SqliteStore::list_members(ConversationId conversation) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT conversation_id, extension, role, last_read FROM chat_members "
      "WHERE conversation_id = ? ORDER BY extension");
  if (!query) return query.error();
  query->bind(1, conversation);
  return collect_rows(*query, read_member);
}

Result<ChatMember> SqliteStore::get_member(ConversationId conversation,
                                           std::string_view extension) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT conversation_id, extension, role, last_read FROM chat_members "
      "WHERE conversation_id = ? AND extension = ?");
  if (!query) return query.error();
  query->bind(1, conversation).bind(2, extension);
  return single_row(
      *query, read_member,
      std::string(extension) + " is not a member of conversation " + std::to_string(conversation));
}

Result<void> SqliteStore::add_member(ConversationId conversation, std::string_view extension,
                                     MemberRole role) {
  if (auto valid = check_extension_number(extension); !valid) return valid.error();
  const std::string what =
      "adding " + std::string(extension) + " to conversation " + std::to_string(conversation);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto found = find_conversation(conversation);
  if (!found) return found.error();
  if (auto number = find_extension(found->tenant_id, extension); !number) return number.error();
  {
    auto existing = connection_.prepare(
        "SELECT 1 FROM chat_members WHERE conversation_id = ? AND extension = ?");
    if (!existing) return in_context(what, existing.error());
    existing->bind(1, conversation).bind(2, extension);
    auto row = existing->step();
    if (!row) return in_context(what, row.error());
    if (*row) {
      return conflict(std::string(extension) + " is already a member of conversation " +
                      std::to_string(conversation));
    }
  }
  {
    auto insert = connection_.prepare(
        "INSERT INTO chat_members (conversation_id, tenant_id, extension, role) "
        "VALUES (?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, conversation)
        .bind(2, found->tenant_id)
        .bind(3, extension)
        .bind(4, to_text(role));
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<bool> SqliteStore::remove_member(ConversationId conversation, std::string_view extension) {
  const std::string what =
      "removing " + std::string(extension) + " from conversation " + std::to_string(conversation);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  bool removed = false;
  {
    auto remove =
        connection_.prepare("DELETE FROM chat_members WHERE conversation_id = ? AND extension = ?");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, conversation).bind(2, extension);
    if (auto ran = remove->run(); !ran) return in_context(what, ran.error());
    removed = connection_.changes() > 0;
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return removed;
}

Result<ChatMessage> SqliteStore::insert_message(const NewChatMessage& message) {
  if (auto valid = check_body(message.body); !valid) return valid.error();
  if (auto valid = check_extension_number(message.sender); !valid) return valid.error();
  const std::string what =
      "storing a message in conversation " + std::to_string(message.conversation_id);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  if (auto found = find_conversation(message.conversation_id); !found) return found.error();
  ChatMessage stored{
      0,    message.conversation_id, message.sender, message.body, message.created_at, std::nullopt,
      false};
  {
    auto insert = connection_.prepare(
        "INSERT INTO chat_messages (conversation_id, sender, body, created_at) "
        "VALUES (?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, message.conversation_id)
        .bind(2, message.sender)
        .bind(3, message.body)
        .bind(4, message.created_at);
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
    stored.id = connection_.last_insert_rowid();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<ChatMessage> SqliteStore::get_message(MessageId id) {
  std::lock_guard lock(mutex_);
  return find_message(id);
}

Result<ChatMessage> SqliteStore::edit_message(MessageId id, std::string_view body, UnixMillis now) {
  if (auto valid = check_body(body); !valid) return valid.error();
  const std::string what = "editing message " + std::to_string(id);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  auto found = find_message(id);
  if (!found) return found.error();
  if (found->deleted) return conflict("message " + std::to_string(id) + " was deleted");
  {
    auto update =
        connection_.prepare("UPDATE chat_messages SET body = ?, edited_at = ? WHERE id = ?");
    if (!update) return in_context(what, update.error());
    update->bind(1, body).bind(2, now).bind(3, id);
    if (auto ran = update->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  found->body = std::string(body);
  found->edited_at = now;
  return found;
}

Result<ChatMessage> SqliteStore::delete_message(MessageId id, UnixMillis now) {
  const std::string what = "deleting message " + std::to_string(id);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  auto found = find_message(id);
  if (!found) return found.error();
  if (found->deleted) return found;
  {
    auto update = connection_.prepare(
        "UPDATE chat_messages SET body = '', deleted = 1, edited_at = ? WHERE id = ?");
    if (!update) return in_context(what, update.error());
    update->bind(1, now).bind(2, id);
    if (auto ran = update->run(); !ran) return in_context(what, ran.error());
  }
  {
    auto forget = connection_.prepare("DELETE FROM chat_attachments WHERE message_id = ?");
    if (!forget) return in_context(what, forget.error());
    forget->bind(1, id);
    if (auto ran = forget->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  found->body.clear();
  found->deleted = true;
  found->edited_at = now;
  return found;
}

Result<std::vector<ChatMessage>> SqliteStore::list_messages(ConversationId conversation,
                                                            std::optional<MessageId> before,
                                                            std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT id, conversation_id, sender, body, created_at, edited_at, deleted "
      "FROM chat_messages WHERE conversation_id = ?1 AND (?2 IS NULL OR id < ?2) "
      "ORDER BY id DESC LIMIT ?3");
  if (!query) return query.error();
  query->bind(1, conversation);
  if (before) {
    query->bind(2, *before);
  } else {
    query->bind_null(2);
  }
  query->bind(3, static_cast<std::int64_t>(page_size(limit)));
  auto rows = collect_rows(*query, read_message);
  if (!rows)
    return in_context("reading the history of conversation " + std::to_string(conversation),
                      rows.error());
  return rows;
}

Result<std::vector<ChatMessage>> SqliteStore::search_messages(TenantId tenant,
                                                              std::string_view extension,
                                                              std::string_view text,
                                                              std::size_t limit) {
  if (text.size() > kMaxChatSearchQuery) {
    return invalid("search text must be at most " + std::to_string(kMaxChatSearchQuery) + " bytes");
  }
  const std::string query_text = fts_query(text);
  if (query_text.empty()) return invalid("search text must contain a word");
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT x.id, x.conversation_id, x.sender, x.body, x.created_at, x.edited_at, x.deleted "
      "FROM chat_messages_fts f JOIN chat_messages x ON x.id = f.rowid "
      "JOIN chat_members m ON m.conversation_id = x.conversation_id "
      "WHERE chat_messages_fts MATCH ?1 AND m.tenant_id = ?2 AND m.extension = ?3 "
      "AND x.deleted = 0 ORDER BY x.id DESC LIMIT ?4");
  if (!query) return query.error();
  query->bind(1, query_text)
      .bind(2, tenant)
      .bind(3, extension)
      .bind(4, static_cast<std::int64_t>(page_size(limit)));
  auto rows = collect_rows(*query, read_message);
  if (!rows) return in_context("searching messages", rows.error());
  return rows;
}

Result<MessageId> SqliteStore::mark_read(ConversationId conversation, std::string_view extension,
                                         MessageId up_to) {
  const std::string what = "marking conversation " + std::to_string(conversation) + " read";
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto update = connection_.prepare(
        "UPDATE chat_members SET last_read = max(last_read, min(?1, "
        " (SELECT coalesce(max(id), 0) FROM chat_messages WHERE conversation_id = ?2))) "
        "WHERE conversation_id = ?2 AND extension = ?3");
    if (!update) return in_context(what, update.error());
    update->bind(1, up_to).bind(2, conversation).bind(3, extension);
    if (auto ran = update->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) {
      return not_found(std::string(extension) + " is not a member of conversation " +
                       std::to_string(conversation));
    }
  }
  MessageId marker = 0;
  {
    auto read = connection_.prepare(
        "SELECT last_read FROM chat_members WHERE conversation_id = ? AND extension = ?");
    if (!read) return in_context(what, read.error());
    read->bind(1, conversation).bind(2, extension);
    auto row = read->step();
    if (!row) return in_context(what, row.error());
    if (*row) marker = read->column_int(0);
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return marker;
}

Result<ChatAttachment> SqliteStore::add_attachment(const ChatAttachment& attachment) {
  if (attachment.path.empty() || attachment.path.size() > kMaxPathLength) {
    return invalid("attachment path must be 1-" + std::to_string(kMaxPathLength) + " bytes");
  }
  const std::string what =
      "recording an attachment of message " + std::to_string(attachment.message_id);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kProcessCrash);
  if (!transaction) return in_context(what, transaction.error());
  if (auto found = find_message(attachment.message_id); !found) return found.error();
  ChatAttachment stored = attachment;
  {
    auto insert = connection_.prepare(
        "INSERT INTO chat_attachments (message_id, path, content_type, size_bytes, "
        "original_name) VALUES (?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, attachment.message_id)
        .bind(2, attachment.path)
        .bind(3, attachment.content_type)
        .bind(4, static_cast<std::int64_t>(attachment.size_bytes))
        .bind(5, attachment.original_name);
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
    stored.id = connection_.last_insert_rowid();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<std::vector<ChatAttachment>> SqliteStore::list_attachments(MessageId message) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT id, message_id, path, content_type, size_bytes, original_name "
      "FROM chat_attachments WHERE message_id = ? ORDER BY id");
  if (!query) return query.error();
  query->bind(1, message);
  return collect_rows(*query, read_attachment);
}

}  // namespace parley::store::sqlite
