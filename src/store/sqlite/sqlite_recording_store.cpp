// The RecordingStore half of SqliteStore: recording policy and the recordings list. Same locking
// and transaction rules as sqlite_store.cpp.

#include <algorithm>
#include <string>
#include <utility>

#include "store/recording_store.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::store {

std::string_view to_text(ExtensionRecording mode) {
  switch (mode) {
    case ExtensionRecording::kAlways:
      return "always";
    case ExtensionRecording::kNever:
      return "never";
    case ExtensionRecording::kInherit:
      break;
  }
  return "inherit";
}

std::optional<ExtensionRecording> parse_extension_recording(std::string_view text) {
  if (text == "inherit") return ExtensionRecording::kInherit;
  if (text == "always") return ExtensionRecording::kAlways;
  if (text == "never") return ExtensionRecording::kNever;
  return std::nullopt;
}

}  // namespace parley::store

namespace parley::store::sqlite {

namespace {

Result<void> check_recording(const Recording& recording) {
  if (recording.call_id.empty() || recording.call_id.size() > kMaxCallIdLength) {
    return invalid("recording call id must be 1-" + std::to_string(kMaxCallIdLength) + " bytes");
  }
  if (recording.caller.size() > kMaxPartyLength || recording.callee.size() > kMaxPartyLength) {
    return invalid("recording caller and callee must be at most " +
                   std::to_string(kMaxPartyLength) + " bytes");
  }
  if (recording.path.empty() || recording.path.size() > kMaxPathLength) {
    return invalid("recording path must be 1-" + std::to_string(kMaxPathLength) + " bytes");
  }
  return {};
}

}  // namespace

Result<void> SqliteStore::set_tenant_recording(TenantId tenant, bool record_all) {
  const std::string what = "setting the recording policy of tenant " + std::to_string(tenant);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto update = connection_.prepare("UPDATE tenants SET record_calls = ? WHERE id = ?");
    if (!update) return in_context(what, update.error());
    update->bind(1, std::int64_t{record_all ? 1 : 0}).bind(2, tenant);
    if (auto ran = update->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) return not_found("no tenant with id " + std::to_string(tenant));
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::set_extension_recording(TenantId tenant, std::string_view number,
                                                  ExtensionRecording mode) {
  if (auto valid = check_extension_number(number); !valid) return valid.error();
  const std::string what = "setting the recording policy of extension " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto update = connection_.prepare(
        "UPDATE extensions SET recording = ? WHERE tenant_id = ? AND number = ?");
    if (!update) return in_context(what, update.error());
    update->bind(1, to_text(mode)).bind(2, tenant).bind(3, number);
    if (auto ran = update->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) {
      return not_found("no extension " + std::string(number) + " in tenant " +
                       std::to_string(tenant));
    }
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<RecordingPolicies> SqliteStore::recording_policies() {
  std::lock_guard lock(mutex_);
  RecordingPolicies policies;
  {
    auto query = connection_.prepare("SELECT id, domain, record_calls FROM tenants ORDER BY id");
    if (!query) return query.error();
    while (true) {
      auto row = query->step();
      if (!row) return in_context("reading the recording policy", row.error());
      if (!*row) break;
      policies.tenants.push_back(
          {query->column_int(0), query->column_text(1), query->column_int(2) != 0});
    }
  }
  auto query = connection_.prepare(
      "SELECT tenant_id, number, recording FROM extensions WHERE recording <> 'inherit'");
  if (!query) return query.error();
  while (true) {
    auto row = query->step();
    if (!row) return in_context("reading the recording policy", row.error());
    if (!*row) break;
    const auto mode = parse_extension_recording(query->column_text(2));
    if (!mode) continue;  // the CHECK constraint makes this unreachable
    policies.extensions.push_back({query->column_int(0), query->column_text(1), *mode});
  }
  return policies;
}

Result<RecordingId> SqliteStore::insert_recording(const Recording& recording) {
  if (auto valid = check_recording(recording); !valid) return valid.error();
  const std::string what = "recording the file of call " + recording.call_id;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  RecordingId id = 0;
  {
    auto insert = connection_.prepare(
        "INSERT INTO recordings (tenant_id, call_id, caller, callee, path, size_bytes, "
        "duration_ms, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, recording.tenant_id)
        .bind(2, recording.call_id)
        .bind(3, recording.caller)
        .bind(4, recording.callee)
        .bind(5, recording.path)
        .bind(6, static_cast<std::int64_t>(recording.size_bytes))
        .bind(7, static_cast<std::int64_t>(recording.duration_ms))
        .bind(8, recording.started_at);
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
    id = connection_.last_insert_rowid();
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return id;
}

namespace {

// A row of "SELECT id, tenant_id, call_id, caller, callee, path, size_bytes, duration_ms,
// started_at FROM recordings" (the statements are cached by their literal text, so each spells
// the columns out).
Recording recording_row(const Statement& statement) {
  Recording recording;
  recording.id = statement.column_int(0);
  recording.tenant_id = statement.column_int(1);
  recording.call_id = statement.column_text(2);
  recording.caller = statement.column_text(3);
  recording.callee = statement.column_text(4);
  recording.path = statement.column_text(5);
  recording.size_bytes = static_cast<std::uint64_t>(statement.column_int(6));
  recording.duration_ms = static_cast<std::uint64_t>(statement.column_int(7));
  recording.started_at = statement.column_int(8);
  return recording;
}

}  // namespace

Result<std::vector<Recording>> SqliteStore::list_recordings(const RecordingQuery& query) {
  std::lock_guard lock(mutex_);
  // The row-value comparison walks the recordings_recent index from the cursor on.
  auto statement = connection_.prepare(
      "SELECT id, tenant_id, call_id, caller, callee, path, size_bytes, duration_ms, started_at "
      "FROM recordings WHERE (?1 IS NULL OR tenant_id = ?1) "
      "AND (?2 = '' OR caller = ?2 OR callee = ?2) "
      "AND (?4 IS NULL OR (started_at, id) < (?4, ?5)) "
      "ORDER BY started_at DESC, id DESC LIMIT ?3");
  if (!statement) return statement.error();
  if (query.tenant) {
    statement->bind(1, *query.tenant);
  } else {
    statement->bind_null(1);
  }
  statement->bind(2, query.extension);
  statement->bind(
      3, static_cast<std::int64_t>(std::clamp<std::size_t>(query.limit, 1, kMaxRecordingPage)));
  if (query.after) {
    statement->bind(4, query.after->started_at);
    statement->bind(5, query.after->id);
  } else {
    statement->bind_null(4);
    statement->bind_null(5);
  }
  std::vector<Recording> rows;
  while (true) {
    auto row = statement->step();
    if (!row) return in_context("listing recordings", row.error());
    if (!*row) return rows;
    rows.push_back(recording_row(*statement));
  }
}

Result<std::optional<Recording>> SqliteStore::find_recording(TenantId tenant, RecordingId id) {
  std::lock_guard lock(mutex_);
  auto statement = connection_.prepare(
      "SELECT id, tenant_id, call_id, caller, callee, path, size_bytes, duration_ms, started_at "
      "FROM recordings WHERE tenant_id = ?1 AND id = ?2");
  if (!statement) return statement.error();
  statement->bind(1, tenant);
  statement->bind(2, id);
  auto row = statement->step();
  if (!row) return in_context("finding a recording", row.error());
  if (!*row) return std::optional<Recording>();
  return std::optional<Recording>(recording_row(*statement));
}

}  // namespace parley::store::sqlite
