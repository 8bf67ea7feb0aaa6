// The CallQueueStore half of SqliteStore: call queues (schema migrations 12 and 14). Same locking
// and transaction rules as sqlite_store.cpp. The number-space rule is checked here first for a
// clear message, and again by the migration's triggers for writers that skip this code.

#include <set>
#include <string>

#include "store/call_queue_store.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::store {

Result<void> check_call_queue_settings(const CallQueueConfig& queue) {
  auto bad = [](std::string message) {
    return make_store_error(StoreError::kInvalidInput, std::move(message));
  };
  if (auto valid = check_display_name(queue.name); !valid) return valid.error();
  if (queue.strategy != "ring-all" && queue.strategy != "round-robin" &&
      queue.strategy != "longest-idle") {
    return bad("strategy must be ring-all, round-robin or longest-idle, not '" + queue.strategy +
               "'");
  }
  if (queue.ring_timeout_s < kMinQueueRingTimeout || queue.ring_timeout_s > kMaxQueueRingTimeout) {
    return bad("ring timeout must be " + std::to_string(kMinQueueRingTimeout) + " to " +
               std::to_string(kMaxQueueRingTimeout) + " seconds");
  }
  if (queue.wrap_up_s > kMaxQueueWrapUp) {
    return bad("wrap-up must be at most " + std::to_string(kMaxQueueWrapUp) + " seconds");
  }
  if (queue.max_wait_s > kMaxQueueWait) {
    return bad("max wait must be at most " + std::to_string(kMaxQueueWait) + " seconds");
  }
  if (queue.max_callers > kMaxQueueCallers) {
    return bad("max callers must be at most " + std::to_string(kMaxQueueCallers));
  }
  if (queue.announce_s > kMaxQueueAnnounce) {
    return bad("announce interval must be at most " + std::to_string(kMaxQueueAnnounce) +
               " seconds (0 = off)");
  }
  std::string_view target = queue.fallback;
  constexpr std::string_view kVoicemail = "voicemail:";
  if (target.starts_with(kVoicemail)) target.remove_prefix(kVoicemail.size());
  if (!target.empty()) {
    if (auto valid = check_extension_number(target); !valid) {
      return bad("fallback must be empty (hang up), voicemail:<box> or a number: " +
                 valid.error().message);
    }
  }
  return {};
}

}  // namespace parley::store

namespace parley::store::sqlite {
namespace {

constexpr std::size_t kMaxQueueMembers = 100;

std::string queue_missing(TenantId tenant, std::string_view number) {
  return "no call queue " + std::string(number) + " in tenant " + std::to_string(tenant);
}

Result<void> check_queue_members(Connection& connection, TenantId tenant,
                                 const std::vector<std::string>& members) {
  if (members.size() > kMaxQueueMembers) {
    return invalid("a call queue has at most " + std::to_string(kMaxQueueMembers) + " members");
  }
  std::set<std::string_view> seen;
  for (const auto& member : members) {
    if (auto valid = check_extension_number(member); !valid) return valid.error();
    if (!seen.insert(member).second) return invalid("member " + member + " is listed twice");
    auto query = connection.prepare("SELECT 1 FROM extensions WHERE tenant_id = ? AND number = ?");
    if (!query) return query.error();
    query->bind(1, tenant).bind(2, member);
    auto row = query->step();
    if (!row) return row.error();
    if (!*row) return not_found("member " + member + " is not an extension of this tenant");
  }
  return {};
}

Result<void> write_queue_members(Connection& connection, TenantId tenant, std::int64_t queue,
                                 const std::vector<std::string>& members) {
  {
    auto remove = connection.prepare("DELETE FROM call_queue_members WHERE queue_id = ?");
    if (!remove) return remove.error();
    remove->bind(1, queue);
    if (auto ran = remove->run(); !ran) return ran.error();
  }
  for (std::size_t position = 0; position < members.size(); ++position) {
    auto insert = connection.prepare(
        "INSERT INTO call_queue_members (queue_id, position, tenant_id, extension) "
        "VALUES (?, ?, ?, ?)");
    if (!insert) return insert.error();
    insert->bind(1, queue)
        .bind(2, static_cast<std::int64_t>(position))
        .bind(3, tenant)
        .bind(4, members[position]);
    if (auto ran = insert->run(); !ran) return ran.error();
  }
  return {};
}

Result<std::int64_t> find_queue(Connection& connection, TenantId tenant, std::string_view number) {
  auto query = connection.prepare("SELECT id FROM call_queues WHERE tenant_id = ? AND number = ?");
  if (!query) return query.error();
  query->bind(1, tenant).bind(2, number);
  auto row = query->step();
  if (!row) return row.error();
  if (!*row) return not_found(queue_missing(tenant, number));
  return query->column_int(0);
}

}  // namespace

Result<CallQueueConfig> SqliteStore::add_call_queue(const CallQueueConfig& queue) {
  if (auto valid = check_extension_number(queue.number); !valid) return valid.error();
  if (auto valid = check_call_queue_settings(queue); !valid) return valid.error();
  const std::string what = "adding call queue " + queue.number;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(queue.tenant_id);
  if (!tenant) return tenant.error();
  {
    auto owner = connection_.prepare(
        "SELECT 'an extension' FROM extensions WHERE tenant_id = ?1 AND number = ?2 "
        "UNION ALL SELECT 'a ring group' FROM ring_groups WHERE tenant_id = ?1 AND number = ?2 "
        "UNION ALL SELECT 'a conference room' FROM conference_rooms "
        "WHERE tenant_id = ?1 AND number = ?2 "
        "UNION ALL SELECT 'a call queue' FROM call_queues WHERE tenant_id = ?1 AND number = ?2");
    if (!owner) return in_context(what, owner.error());
    owner->bind(1, queue.tenant_id).bind(2, queue.number);
    auto row = owner->step();
    if (!row) return in_context(what, row.error());
    if (*row) {
      return conflict(queue.number + " is already " + owner->column_text(0) + " of " +
                      tenant->domain +
                      "; queues, rooms, extensions and ring groups share one "
                      "number space");
    }
  }
  if (auto valid = check_queue_members(connection_, queue.tenant_id, queue.members); !valid) {
    return valid.error();
  }
  CallQueueConfig stored = queue;
  stored.created_at = now();
  {
    auto insert = connection_.prepare(
        "INSERT INTO call_queues (tenant_id, number, name, strategy, ring_timeout_s, wrap_up_s, "
        "max_wait_s, max_callers, fallback, created_at, announce_s) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return in_context(what, insert.error());
    insert->bind(1, stored.tenant_id)
        .bind(2, stored.number)
        .bind(3, stored.name)
        .bind(4, stored.strategy)
        .bind(5, static_cast<std::int64_t>(stored.ring_timeout_s))
        .bind(6, static_cast<std::int64_t>(stored.wrap_up_s))
        .bind(7, static_cast<std::int64_t>(stored.max_wait_s))
        .bind(8, static_cast<std::int64_t>(stored.max_callers))
        .bind(9, stored.fallback)
        .bind(10, stored.created_at)
        .bind(11, static_cast<std::int64_t>(stored.announce_s));
    if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
  }
  const std::int64_t id = connection_.last_insert_rowid();
  if (auto written = write_queue_members(connection_, stored.tenant_id, id, stored.members);
      !written) {
    return in_context(what, written.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<void> SqliteStore::update_call_queue(const CallQueueConfig& queue) {
  if (auto valid = check_extension_number(queue.number); !valid) return valid.error();
  if (auto valid = check_call_queue_settings(queue); !valid) return valid.error();
  const std::string what = "changing call queue " + queue.number;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto update = connection_.prepare(
        "UPDATE call_queues SET name = ?, strategy = ?, ring_timeout_s = ?, wrap_up_s = ?, "
        "max_wait_s = ?, max_callers = ?, fallback = ?, announce_s = ? "
        "WHERE tenant_id = ? AND number = ?");
    if (!update) return in_context(what, update.error());
    update->bind(1, queue.name)
        .bind(2, queue.strategy)
        .bind(3, static_cast<std::int64_t>(queue.ring_timeout_s))
        .bind(4, static_cast<std::int64_t>(queue.wrap_up_s))
        .bind(5, static_cast<std::int64_t>(queue.max_wait_s))
        .bind(6, static_cast<std::int64_t>(queue.max_callers))
        .bind(7, queue.fallback)
        .bind(8, static_cast<std::int64_t>(queue.announce_s))
        .bind(9, queue.tenant_id)
        .bind(10, queue.number);
    if (auto ran = update->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) return not_found(queue_missing(queue.tenant_id, queue.number));
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::set_call_queue_members(TenantId tenant, std::string_view number,
                                                 const std::vector<std::string>& members) {
  if (auto valid = check_extension_number(number); !valid) return valid.error();
  const std::string what = "setting the members of call queue " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto queue = find_queue(connection_, tenant, number);
  if (!queue) return queue.error();
  if (auto valid = check_queue_members(connection_, tenant, members); !valid) {
    return valid.error();
  }
  if (auto written = write_queue_members(connection_, tenant, *queue, members); !written) {
    return in_context(what, written.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<std::vector<CallQueueConfig>> SqliteStore::list_call_queues(std::optional<TenantId> tenant) {
  const std::string what = "listing call queues";
  std::lock_guard lock(mutex_);
  std::vector<CallQueueConfig> queues;
  std::vector<std::int64_t> ids;
  {
    auto query = connection_.prepare(
        "SELECT id, tenant_id, number, name, strategy, ring_timeout_s, wrap_up_s, max_wait_s, "
        "max_callers, fallback, created_at, announce_s FROM call_queues "
        "WHERE ?1 IS NULL OR tenant_id = ?1 "
        "ORDER BY tenant_id, number");
    if (!query) return in_context(what, query.error());
    if (tenant) {
      query->bind(1, *tenant);
    } else {
      query->bind_null(1);
    }
    while (true) {
      auto row = query->step();
      if (!row) return in_context(what, row.error());
      if (!*row) break;
      CallQueueConfig queue;
      ids.push_back(query->column_int(0));
      queue.tenant_id = query->column_int(1);
      queue.number = query->column_text(2);
      queue.name = query->column_text(3);
      queue.strategy = query->column_text(4);
      queue.ring_timeout_s = static_cast<std::uint32_t>(query->column_int(5));
      queue.wrap_up_s = static_cast<std::uint32_t>(query->column_int(6));
      queue.max_wait_s = static_cast<std::uint32_t>(query->column_int(7));
      queue.max_callers = static_cast<std::uint32_t>(query->column_int(8));
      queue.fallback = query->column_text(9);
      queue.created_at = query->column_int(10);
      queue.announce_s = static_cast<std::uint32_t>(query->column_int(11));
      queues.push_back(std::move(queue));
    }
  }
  for (std::size_t i = 0; i < queues.size(); ++i) {
    auto query = connection_.prepare(
        "SELECT extension FROM call_queue_members WHERE queue_id = ? ORDER BY position");
    if (!query) return in_context(what, query.error());
    query->bind(1, ids[i]);
    while (true) {
      auto row = query->step();
      if (!row) return in_context(what, row.error());
      if (!*row) break;
      queues[i].members.push_back(query->column_text(0));
    }
  }
  return queues;
}

Result<void> SqliteStore::remove_call_queue(TenantId tenant, std::string_view number) {
  if (auto valid = check_extension_number(number); !valid) return valid.error();
  const std::string what = "removing call queue " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto remove = connection_.prepare("DELETE FROM call_queues WHERE tenant_id = ? AND number = ?");
    if (!remove) return in_context(what, remove.error());
    remove->bind(1, tenant).bind(2, number);
    if (auto ran = remove->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) return not_found(queue_missing(tenant, number));
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

}  // namespace parley::store::sqlite
