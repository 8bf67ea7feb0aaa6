// The CallLimitsStore half of SqliteStore: extension call classes and tenant call limits. Same
// locking and transaction rules as sqlite_store.cpp.

#include <string>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/trunk_validation.hpp"
#include "store/validation.hpp"

namespace parley::store::sqlite {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += ',';
    text += item;
  }
  return text;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (comma != 0) items.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::optional<std::string> optional_text(const Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return row.column_text(column);
}

Result<TenantCallLimits> read_limits(const Statement& row) {
  TenantCallLimits limits;
  limits.tenant_id = row.column_int(0);
  limits.max_external_calls = static_cast<std::uint32_t>(row.column_int(1));
  limits.calls_per_hour = static_cast<std::uint32_t>(row.column_int(2));
  limits.minutes_per_hour = static_cast<std::uint32_t>(row.column_int(3));
  limits.country_code = row.column_text(4);
  limits.international_prefix = optional_text(row, 5);
  limits.national_prefix = optional_text(row, 6);
  limits.blocked_prefixes = split(row.column_text(7));
  limits.emergency_numbers = split(row.column_text(8));
  limits.mobile_prefixes = split(row.column_text(9));
  limits.premium_prefixes = split(row.column_text(10));
  limits.updated_at = row.column_int(11);
  return limits;
}

void bind_optional(Statement& statement, int index, const std::optional<std::string>& value) {
  if (value) {
    statement.bind(index, *value);
  } else {
    statement.bind_null(index);
  }
}

}  // namespace

Result<void> SqliteStore::set_call_classes(TenantId tenant, std::string_view number,
                                           CallClassSet classes) {
  if (auto valid = check_extension_number(number); !valid) return valid.error();
  const std::string what = "setting the call classes of extension " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto update = connection_.prepare(
        "UPDATE extensions SET call_classes = ? WHERE tenant_id = ? AND number = ?");
    if (!update) return in_context(what, update.error());
    update->bind(1, std::int64_t{classes.bits()}).bind(2, tenant).bind(3, number);
    if (auto ran = update->run(); !ran) return in_context(what, ran.error());
    if (connection_.changes() == 0) {
      auto known = find_tenant(tenant);
      if (!known) return known.error();
      return not_found("no extension " + std::string(number) + " in tenant " + known->domain);
    }
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<CallClassSet> SqliteStore::get_call_classes(TenantId tenant, std::string_view number) {
  std::lock_guard lock(mutex_);
  auto query =
      connection_.prepare("SELECT call_classes FROM extensions WHERE tenant_id = ? AND number = ?");
  if (!query) return query.error();
  query->bind(1, tenant).bind(2, number);
  auto row = query->step();
  if (!row) return in_context("reading call classes", row.error());
  if (!*row) {
    return not_found("no extension " + std::string(number) + " in tenant " +
                     std::to_string(tenant));
  }
  return CallClassSet::from_bits(static_cast<std::uint8_t>(query->column_int(0)));
}

Result<std::vector<ExtensionCallClasses>> SqliteStore::list_call_classes() {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT tenant_id, number, call_classes FROM extensions ORDER BY tenant_id, number");
  if (!query) return query.error();
  auto rows = collect_rows(*query, [](const Statement& row) -> Result<ExtensionCallClasses> {
    return ExtensionCallClasses{
        row.column_int(0), row.column_text(1),
        CallClassSet::from_bits(static_cast<std::uint8_t>(row.column_int(2)))};
  });
  if (!rows) return in_context("listing call classes", rows.error());
  return rows;
}

Result<void> SqliteStore::set_tenant_call_limits(const TenantCallLimits& input) {
  auto limits = normalize_call_limits(input);
  if (!limits) return limits.error();
  const std::string what = "setting the call limits of tenant " + std::to_string(input.tenant_id);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(limits->tenant_id);
  if (!tenant) return tenant.error();
  {
    auto upsert = connection_.prepare(
        "INSERT INTO tenant_call_limits (tenant_id, max_external_calls, calls_per_hour, "
        "minutes_per_hour, country_code, international_prefix, national_prefix, "
        "blocked_prefixes, emergency_numbers, mobile_prefixes, premium_prefixes, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET "
        "max_external_calls = excluded.max_external_calls, "
        "calls_per_hour = excluded.calls_per_hour, minutes_per_hour = excluded.minutes_per_hour, "
        "country_code = excluded.country_code, "
        "international_prefix = excluded.international_prefix, "
        "national_prefix = excluded.national_prefix, "
        "blocked_prefixes = excluded.blocked_prefixes, "
        "emergency_numbers = excluded.emergency_numbers, "
        "mobile_prefixes = excluded.mobile_prefixes, "
        "premium_prefixes = excluded.premium_prefixes, updated_at = excluded.updated_at");
    if (!upsert) return in_context(what, upsert.error());
    upsert->bind(1, limits->tenant_id)
        .bind(2, std::int64_t{limits->max_external_calls})
        .bind(3, std::int64_t{limits->calls_per_hour})
        .bind(4, std::int64_t{limits->minutes_per_hour})
        .bind(5, limits->country_code);
    bind_optional(*upsert, 6, limits->international_prefix);
    bind_optional(*upsert, 7, limits->national_prefix);
    upsert->bind(8, join(limits->blocked_prefixes))
        .bind(9, join(limits->emergency_numbers))
        .bind(10, join(limits->mobile_prefixes))
        .bind(11, join(limits->premium_prefixes))
        .bind(12, now());
    if (auto ran = upsert->run(); !ran) return in_context(what, ran.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<TenantCallLimits> SqliteStore::get_tenant_call_limits(TenantId tenant) {
  std::lock_guard lock(mutex_);
  auto known = find_tenant(tenant);
  if (!known) return known.error();
  auto query = connection_.prepare(
      "SELECT tenant_id, max_external_calls, calls_per_hour, minutes_per_hour, country_code, "
      "international_prefix, national_prefix, blocked_prefixes, emergency_numbers, "
      "mobile_prefixes, premium_prefixes, updated_at FROM tenant_call_limits WHERE tenant_id = ?");
  if (!query) return query.error();
  query->bind(1, tenant);
  auto row = query->step();
  if (!row) return in_context("reading the call limits of " + known->domain, row.error());
  if (!*row) {
    TenantCallLimits defaults;
    defaults.tenant_id = tenant;
    return defaults;
  }
  return read_limits(*query);
}

Result<std::vector<TenantCallLimits>> SqliteStore::list_tenant_call_limits() {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT tenant_id, max_external_calls, calls_per_hour, minutes_per_hour, country_code, "
      "international_prefix, national_prefix, blocked_prefixes, emergency_numbers, "
      "mobile_prefixes, premium_prefixes, updated_at FROM tenant_call_limits ORDER BY tenant_id");
  if (!query) return query.error();
  auto rows = collect_rows(*query, read_limits);
  if (!rows) return in_context("listing call limits", rows.error());
  return rows;
}

}  // namespace parley::store::sqlite
