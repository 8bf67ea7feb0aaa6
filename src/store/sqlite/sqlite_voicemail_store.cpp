// The VoicemailStore half of SqliteStore: voicemail messages and box settings. Same locking and
// transaction rules as sqlite_store.cpp.

#include <algorithm>
#include <string>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"
#include "store/voicemail_store.hpp"

namespace parley::store {

std::string_view to_text(VoicemailState state) {
  return state == VoicemailState::kSaved ? "saved" : "new";
}

std::optional<VoicemailState> parse_voicemail_state(std::string_view text) {
  if (text == "new") return VoicemailState::kNew;
  if (text == "saved") return VoicemailState::kSaved;
  return std::nullopt;
}

Result<void> check_email_address(std::string_view address) {
  const auto bad = [] {
    return make_store_error(StoreError::kInvalidInput,
                            "an e-mail address must be local@domain in printable ASCII, without "
                            "spaces, quotes, commas or angle brackets, at most " +
                                std::to_string(kMaxEmailAddressLength) + " characters");
  };
  if (address.size() < 3 || address.size() > kMaxEmailAddressLength) return bad();
  const std::size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos) {
    return bad();
  }
  constexpr std::string_view kForbidden = "<>\"(),;:[]\\";
  for (const char c : address) {
    if (c <= ' ' || c >= 127 || kForbidden.find(c) != std::string_view::npos) return bad();
  }
  return {};
}

}  // namespace parley::store

namespace parley::store::sqlite {

namespace {

Result<VoicemailMessage> read_message(const Statement& row) {
  VoicemailMessage message;
  message.id = row.column_int(0);
  message.tenant_id = row.column_int(1);
  message.box = row.column_text(2);
  message.caller = row.column_text(3);
  message.received_at = row.column_int(4);
  message.duration_ms = static_cast<std::uint64_t>(row.column_int(5));
  message.size_bytes = static_cast<std::uint64_t>(row.column_int(6));
  message.path = row.column_text(7);
  message.state = parse_voicemail_state(row.column_text(8)).value_or(VoicemailState::kNew);
  return message;
}

Result<void> check_message(const VoicemailMessage& message) {
  if (auto valid = check_extension_number(message.box); !valid) return valid.error();
  if (message.caller.size() > kMaxPartyLength) {
    return invalid("voicemail caller must be at most " + std::to_string(kMaxPartyLength) +
                   " bytes");
  }
  if (message.path.empty() || message.path.size() > kMaxPathLength) {
    return invalid("voicemail path must be 1-" + std::to_string(kMaxPathLength) + " bytes");
  }
  return {};
}

std::string box_label(TenantId tenant, std::string_view box) {
  return "voicemail box " + std::string(box) + " of tenant " + std::to_string(tenant);
}

}  // namespace

Result<VoicemailId> SqliteStore::insert_voicemail(const VoicemailMessage& message) {
  if (auto valid = check_message(message); !valid) return valid.error();
  const std::string what = "indexing the voicemail " + message.path;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto indexed = index_voicemail_locked(message);
  if (!indexed) return indexed.error();
  if (!indexed->second) return indexed->first;  // indexed before a crash: nothing to do
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return indexed->first;
}

Result<std::pair<VoicemailId, bool>> SqliteStore::index_voicemail_locked(
    const VoicemailMessage& message) {
  const std::string what = "indexing the voicemail " + message.path;
  if (auto extension = find_extension(message.tenant_id, message.box); !extension) {
    return extension.error();
  }
  {
    auto existing = connection_.prepare("SELECT id FROM voicemail_messages WHERE path = ?");
    if (!existing) return in_context(what, existing.error());
    existing->bind(1, message.path);
    auto row = existing->step();
    if (!row) return in_context(what, row.error());
    if (*row) return std::make_pair(VoicemailId{existing->column_int(0)}, false);
  }
  VoicemailId id = 0;
  {
    auto insert = connection_.prepare(
        "INSERT INTO voicemail_messages (tenant_id, box, caller, received_at, duration_ms, "
        "size_bytes, path, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, message.tenant_id)
        .bind(2, message.box)
        .bind(3, message.caller)
        .bind(4, message.received_at)
        .bind(5, static_cast<std::int64_t>(message.duration_ms))
        .bind(6, static_cast<std::int64_t>(message.size_bytes))
        .bind(7, message.path)
        .bind(8, to_text(message.state));
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
    id = connection_.last_insert_rowid();
  }
  return std::make_pair(id, true);
}

Result<std::vector<VoicemailMessage>> SqliteStore::list_voicemail(TenantId tenant,
                                                                  std::string_view box,
                                                                  std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto statement = connection_.prepare(
      "SELECT id, tenant_id, box, caller, received_at, duration_ms, size_bytes, path, state "
      "FROM voicemail_messages WHERE tenant_id = ? AND box = ? ORDER BY received_at DESC, id DESC "
      "LIMIT ?");
  if (!statement) return statement.error();
  statement->bind(1, tenant).bind(2, box).bind(
      3, static_cast<std::int64_t>(std::clamp<std::size_t>(limit, 1, kMaxVoicemailPage)));
  auto rows = collect_rows(*statement, read_message);
  if (!rows) return in_context("listing the " + box_label(tenant, box), rows.error());
  return rows;
}

Result<VoicemailMessage> SqliteStore::remove_voicemail(TenantId tenant, std::string_view box,
                                                       VoicemailId id) {
  const std::string what =
      "removing message " + std::to_string(id) + " of the " + box_label(tenant, box);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  VoicemailMessage removed;
  {
    auto query = connection_.prepare(
        "SELECT id, tenant_id, box, caller, received_at, duration_ms, size_bytes, path, state "
        "FROM voicemail_messages WHERE tenant_id = ? AND box = ? AND id = ?");
    if (!query) return in_context(what, query.error());
    query->bind(1, tenant).bind(2, box).bind(3, id);
    auto row =
        single_row(*query, read_message,
                   "the " + box_label(tenant, box) + " holds no message " + std::to_string(id));
    if (!row) return row.error();
    removed = std::move(row).value();
  }
  {
    auto erase = connection_.prepare("DELETE FROM voicemail_messages WHERE id = ?");
    if (!erase) return in_context(what, erase.error());
    erase->bind(1, id);
    if (auto ran = erase->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return removed;
}

Result<void> SqliteStore::set_voicemail_state(TenantId tenant, std::string_view box, VoicemailId id,
                                              VoicemailState state) {
  const std::string what = "marking message " + std::to_string(id) + " of the " +
                           box_label(tenant, box) + " " + std::string(to_text(state));
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto update = connection_.prepare(
        "UPDATE voicemail_messages SET state = ? WHERE tenant_id = ? AND box = ? AND id = ?");
    if (!update) return in_context(what, update.error());
    update->bind(1, to_text(state)).bind(2, tenant).bind(3, box).bind(4, id);
    if (auto ran = update->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) {
      return not_found("the " + box_label(tenant, box) + " holds no message " + std::to_string(id));
    }
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<VoicemailCounts> SqliteStore::count_voicemail(TenantId tenant, std::string_view box) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT coalesce(sum(state = 'new'), 0), coalesce(sum(state = 'saved'), 0) "
      "FROM voicemail_messages WHERE tenant_id = ? AND box = ?");
  if (!query) return query.error();
  query->bind(1, tenant).bind(2, box);
  auto row = query->step();
  if (!row) return in_context("counting the " + box_label(tenant, box), row.error());
  VoicemailCounts counts;
  if (*row) {
    counts.new_messages = static_cast<std::uint32_t>(query->column_int(0));
    counts.saved_messages = static_cast<std::uint32_t>(query->column_int(1));
  }
  return counts;
}

Result<std::vector<VoicemailBoxCounts>> SqliteStore::list_voicemail_counts() {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT tenant_id, box, sum(state = 'new'), sum(state = 'saved') FROM voicemail_messages "
      "GROUP BY tenant_id, box ORDER BY tenant_id, box");
  if (!query) return query.error();
  auto rows = collect_rows(*query, [](const Statement& row) -> Result<VoicemailBoxCounts> {
    return VoicemailBoxCounts{VoicemailBox{row.column_int(0), row.column_text(1)},
                              VoicemailCounts{static_cast<std::uint32_t>(row.column_int(2)),
                                              static_cast<std::uint32_t>(row.column_int(3))}};
  });
  if (!rows) return in_context("counting voicemail messages", rows.error());
  return rows;
}

Result<void> SqliteStore::set_voicemail_enabled(TenantId tenant, std::string_view box,
                                                bool enabled) {
  if (auto valid = check_extension_number(box); !valid) return valid.error();
  const std::string what = "switching the " + box_label(tenant, box) + (enabled ? " on" : " off");
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  if (auto extension = find_extension(tenant, box); !extension) return extension.error();
  {
    auto upsert = connection_.prepare(
        "INSERT INTO voicemail_settings (tenant_id, extension, enabled) VALUES (?, ?, ?) "
        "ON CONFLICT (tenant_id, extension) DO UPDATE SET enabled = excluded.enabled");
    if (!upsert) return in_context(what, upsert.error());
    upsert->bind(1, tenant).bind(2, box).bind(3, std::int64_t{enabled ? 1 : 0});
    if (auto ran = upsert->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<VoicemailSettings> SqliteStore::get_voicemail_settings(TenantId tenant,
                                                              std::string_view box) {
  std::lock_guard lock(mutex_);
  if (auto extension = find_extension(tenant, box); !extension) return extension.error();
  auto query = connection_.prepare(
      "SELECT enabled, coalesce(pin_hash, ''), coalesce(greeting_path, ''), max_messages, "
      "coalesce(email, '') "
      "FROM voicemail_settings WHERE tenant_id = ? AND extension = ?");
  if (!query) return query.error();
  query->bind(1, tenant).bind(2, box);
  auto row = query->step();
  if (!row) return in_context("reading the " + box_label(tenant, box), row.error());
  VoicemailSettings settings;
  if (*row) {
    settings.enabled = query->column_int(0) != 0;
    settings.pin_hash = query->column_text(1);
    settings.greeting_path = query->column_text(2);
    if (const std::int64_t limit = query->column_int(3); limit > 0) {
      settings.max_messages = static_cast<std::uint32_t>(limit);
    }
    settings.email = query->column_text(4);
  }
  return settings;
}

// One settings column of one box, the row made when missing (migration 13's columns are NULL
// for the default). `column` is one of the names below, never input.
Result<void> SqliteStore::set_voicemail_column(TenantId tenant, std::string_view box,
                                               std::string_view column,
                                               std::optional<std::string_view> text,
                                               std::optional<std::int64_t> number) {
  if (auto valid = check_extension_number(box); !valid) return valid.error();
  const std::string what =
      "setting the " + std::string(column) + " of the " + box_label(tenant, box);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  if (auto extension = find_extension(tenant, box); !extension) return extension.error();
  {
    // Statements are cached by their text, so each column has its own literal.
    auto upsert =
        column == "pin_hash"
            ? connection_.prepare(
                  "INSERT INTO voicemail_settings (tenant_id, extension, pin_hash) VALUES (?, ?, "
                  "?) "
                  "ON CONFLICT (tenant_id, extension) DO UPDATE SET pin_hash = excluded.pin_hash")
        : column == "email"
            ? connection_.prepare(
                  "INSERT INTO voicemail_settings (tenant_id, extension, email) VALUES (?, ?, ?) "
                  "ON CONFLICT (tenant_id, extension) DO UPDATE SET email = excluded.email")
        : column == "greeting_path"
            ? connection_.prepare(
                  "INSERT INTO voicemail_settings (tenant_id, extension, greeting_path) VALUES "
                  "(?, ?, ?) ON CONFLICT (tenant_id, extension) DO UPDATE SET greeting_path = "
                  "excluded.greeting_path")
            : connection_.prepare(
                  "INSERT INTO voicemail_settings (tenant_id, extension, max_messages) VALUES "
                  "(?, ?, ?) ON CONFLICT (tenant_id, extension) DO UPDATE SET max_messages = "
                  "excluded.max_messages");
    if (!upsert) return in_context(what, upsert.error());
    upsert->bind(1, tenant).bind(2, box);
    if (text && !text->empty()) {
      upsert->bind(3, *text);
    } else if (number) {
      upsert->bind(3, *number);
    } else {
      upsert->bind_null(3);
    }
    if (auto ran = upsert->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::set_voicemail_pin_hash(TenantId tenant, std::string_view box,
                                                 std::string_view pin_hash) {
  if (!pin_hash.empty() &&
      (!pin_hash.starts_with("$argon2") || pin_hash.size() > kMaxPinHashLength)) {
    return invalid("a voicemail PIN hash must be an argon2 string as crypto_pwhash_str makes it");
  }
  return set_voicemail_column(tenant, box, "pin_hash", pin_hash, std::nullopt);
}

Result<void> SqliteStore::set_voicemail_greeting(TenantId tenant, std::string_view box,
                                                 std::string_view path) {
  if (path.size() > kMaxPathLength || (!path.empty() && !path.starts_with('/'))) {
    return invalid("a voicemail greeting must be an absolute path of at most " +
                   std::to_string(kMaxPathLength) + " bytes");
  }
  return set_voicemail_column(tenant, box, "greeting_path", path, std::nullopt);
}

Result<void> SqliteStore::set_voicemail_email(TenantId tenant, std::string_view box,
                                              std::string_view address) {
  if (!address.empty()) {
    if (auto valid = check_email_address(address); !valid) return valid.error();
  }
  return set_voicemail_column(tenant, box, "email", address, std::nullopt);
}

Result<void> SqliteStore::set_voicemail_max_messages(TenantId tenant, std::string_view box,
                                                     std::uint32_t max_messages) {
  if (max_messages < 1 || max_messages > kMaxVoicemailMaxMessages) {
    return invalid("a voicemail box holds 1-" + std::to_string(kMaxVoicemailMaxMessages) +
                   " messages");
  }
  return set_voicemail_column(tenant, box, "max_messages", std::nullopt,
                              static_cast<std::int64_t>(max_messages));
}

Result<std::vector<VoicemailBox>> SqliteStore::list_disabled_voicemail_boxes() {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT tenant_id, extension FROM voicemail_settings WHERE enabled = 0 "
      "ORDER BY tenant_id, extension");
  if (!query) return query.error();
  auto rows = collect_rows(*query, [](const Statement& row) -> Result<VoicemailBox> {
    return VoicemailBox{row.column_int(0), row.column_text(1)};
  });
  if (!rows) return in_context("listing the voicemail boxes switched off", rows.error());
  return rows;
}

Result<VoicemailId> SqliteStore::insert_voicemail_with_mail(const VoicemailMessage& message,
                                                            std::string_view recipient,
                                                            UnixMillis next_attempt) {
  if (auto valid = check_message(message); !valid) return valid.error();
  if (auto valid = check_email_address(recipient); !valid) return valid.error();
  const std::string what = "indexing the voicemail " + message.path + " with its e-mail";
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto indexed = index_voicemail_locked(message);
  if (!indexed) return indexed.error();
  if (!indexed->second) return indexed->first;  // its mail was queued with it
  {
    auto queue = connection_.prepare(
        "INSERT INTO voicemail_mail_outbox (message_id, recipient, attempts, next_attempt) "
        "VALUES (?, ?, 0, ?)");
    if (!queue) return in_context(what, queue.error());
    queue->bind(1, indexed->first).bind(2, recipient).bind(3, next_attempt);
    if (auto ran = queue->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return indexed->first;
}

Result<std::vector<VoicemailMail>> SqliteStore::list_voicemail_mail() {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT m.id, m.tenant_id, m.box, m.caller, m.received_at, m.duration_ms, m.size_bytes, "
      "m.path, m.state, o.recipient, o.attempts, o.next_attempt FROM voicemail_mail_outbox o "
      "JOIN voicemail_messages m ON m.id = o.message_id ORDER BY o.next_attempt, o.message_id");
  if (!query) return query.error();
  auto rows = collect_rows(*query, [](const Statement& row) -> Result<VoicemailMail> {
    auto message = read_message(row);
    if (!message) return message.error();
    return VoicemailMail{std::move(message).value(), row.column_text(9),
                         static_cast<std::uint32_t>(row.column_int(10)), row.column_int(11)};
  });
  if (!rows) return in_context("listing the voicemail e-mail outbox", rows.error());
  return rows;
}

Result<void> SqliteStore::reschedule_voicemail_mail(VoicemailId message, std::uint32_t attempts,
                                                    UnixMillis next_attempt) {
  const std::string what = "rescheduling the e-mail of voicemail " + std::to_string(message);
  std::lock_guard lock(mutex_);
  auto update = connection_.prepare(
      "UPDATE voicemail_mail_outbox SET attempts = ?, next_attempt = ? WHERE message_id = ?");
  if (!update) return in_context(what, update.error());
  update->bind(1, std::int64_t{attempts}).bind(2, next_attempt).bind(3, message);
  if (auto ran = update->run(); !ran) return in_context(what, ran.error());
  if (connection_.changes() == 0) {
    return not_found("no e-mail of voicemail " + std::to_string(message) + " is queued");
  }
  return {};
}

Result<void> SqliteStore::remove_voicemail_mail(VoicemailId message) {
  std::lock_guard lock(mutex_);
  auto erase = connection_.prepare("DELETE FROM voicemail_mail_outbox WHERE message_id = ?");
  if (!erase) return erase.error();
  erase->bind(1, message);
  if (auto ran = erase->run(); !ran) {
    return in_context("removing the e-mail of voicemail " + std::to_string(message), ran.error());
  }
  return {};
}

}  // namespace parley::store::sqlite
