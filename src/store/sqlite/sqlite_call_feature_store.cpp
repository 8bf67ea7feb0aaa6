// The CallFeatureStore half of SqliteStore: forwarding rules, do-not-disturb and ring groups
// (schema migration 5). Same locking and transaction rules as sqlite_store.cpp; the text forms
// of the value types live here too, since every backend shares them.

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "store/call_feature_store.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::store {

std::string_view to_text(ForwardCondition condition) {
  switch (condition) {
    case ForwardCondition::kBusy:
      return "busy";
    case ForwardCondition::kNoAnswer:
      return "no-answer";
    case ForwardCondition::kUnregistered:
      return "unregistered";
    case ForwardCondition::kAlways:
      break;
  }
  return "always";
}

std::optional<ForwardCondition> parse_forward_condition(std::string_view text) {
  if (text == "always") return ForwardCondition::kAlways;
  if (text == "busy") return ForwardCondition::kBusy;
  if (text == "no-answer" || text == "no_answer") return ForwardCondition::kNoAnswer;
  if (text == "unregistered") return ForwardCondition::kUnregistered;
  return std::nullopt;
}

std::string_view to_text(DestinationKind kind) {
  switch (kind) {
    case DestinationKind::kExtension:
      return "extension";
    case DestinationKind::kRingGroup:
      return "ring_group";
    case DestinationKind::kVoicemail:
      return "voicemail";
    case DestinationKind::kExternal:
      return "external";
    case DestinationKind::kHangUp:
      break;
  }
  return "hangup";
}

std::optional<DestinationKind> parse_destination_kind(std::string_view text) {
  if (text == "extension") return DestinationKind::kExtension;
  if (text == "ring_group") return DestinationKind::kRingGroup;
  if (text == "voicemail") return DestinationKind::kVoicemail;
  if (text == "external") return DestinationKind::kExternal;
  if (text == "hangup") return DestinationKind::kHangUp;
  return std::nullopt;
}

std::string_view to_text(RingStrategy strategy) {
  return strategy == RingStrategy::kHunt ? "hunt" : "ring-all";
}

std::optional<RingStrategy> parse_ring_strategy(std::string_view text) {
  if (text == "ring-all" || text == "ring_all") return RingStrategy::kRingAll;
  if (text == "hunt") return RingStrategy::kHunt;
  return std::nullopt;
}

namespace {

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error bad_destination(std::string_view text) {
  std::string shown(text.substr(0, 64));
  return make_store_error(
      StoreError::kInvalidInput,
      "destination '" + shown +
          "' is not one of: an extension or ring-group number (1001), voicemail, "
          "voicemail:NUMBER, +DIGITS or external:DIGITS (an outside number), hangup");
}

// "+" and 2..kMaxExternalNumberDigits digits, or the digits alone.
bool is_external_number(std::string_view text) {
  const std::string_view digits = text.starts_with('+') ? text.substr(1) : text;
  return digits.size() >= 2 && digits.size() <= kMaxExternalNumberDigits && all_digits(digits);
}

}  // namespace

Result<Destination> parse_destination(std::string_view text) {
  if (text == "hangup") return Destination{DestinationKind::kHangUp, ""};
  if (text == "voicemail") return Destination{DestinationKind::kVoicemail, ""};
  if (text.starts_with("voicemail:")) {
    const std::string_view box = text.substr(10);
    if (!check_extension_number(box)) return bad_destination(text);
    return Destination{DestinationKind::kVoicemail, std::string(box)};
  }
  if (text.starts_with("external:")) {
    const std::string_view number = text.substr(9);
    if (!is_external_number(number)) return bad_destination(text);
    return Destination{DestinationKind::kExternal, std::string(number)};
  }
  if (text.starts_with('+')) {
    if (!is_external_number(text)) return bad_destination(text);
    return Destination{DestinationKind::kExternal, std::string(text)};
  }
  if (check_extension_number(text))
    return Destination{DestinationKind::kExtension, std::string(text)};
  return bad_destination(text);
}

std::string to_text(const Destination& destination) {
  switch (destination.kind) {
    case DestinationKind::kExtension:
    case DestinationKind::kRingGroup:
      return destination.target;
    case DestinationKind::kVoicemail:
      return destination.target.empty() ? "voicemail" : "voicemail:" + destination.target;
    case DestinationKind::kExternal:
      return destination.target.starts_with('+') ? destination.target
                                                 : "external:" + destination.target;
    case DestinationKind::kHangUp:
      break;
  }
  return "hangup";
}

}  // namespace parley::store

namespace parley::store::sqlite {

namespace {

// What owns a number of the tenant: an extension, a ring group, or nothing.
enum class NumberOwner : std::uint8_t { kNone, kExtension, kRingGroup };

Result<NumberOwner> owner_of(Connection& connection, TenantId tenant, std::string_view number) {
  auto query =
      prepare_bound(connection,
                    "SELECT 1 FROM extensions WHERE tenant_id = ?1 AND number = ?2 "
                    "UNION ALL SELECT 2 FROM ring_groups WHERE tenant_id = ?1 AND number = ?2",
                    tenant, number);
  if (!query) return query.error();
  auto row = query->step();
  if (!row) return row.error();
  if (!*row) return NumberOwner::kNone;
  return query->column_int(0) == 1 ? NumberOwner::kExtension : NumberOwner::kRingGroup;
}

Result<void> check_seconds(std::uint32_t seconds, std::string_view field) {
  if (seconds < kMinRingSeconds || seconds > kMaxRingSeconds) {
    return invalid(std::string(field) + " must be " + std::to_string(kMinRingSeconds) + " to " +
                   std::to_string(kMaxRingSeconds) + " seconds, got " + std::to_string(seconds));
  }
  return {};
}

// Checks `destination` against the tenant and returns it in stored form: a local number gets
// the kind of whatever owns it, an empty voicemail box becomes `own_number`'s. `self` is the
// number being configured (an extension's or a ring group's), which may not be its own target.
Result<Destination> resolve_destination(Connection& connection, TenantId tenant,
                                        Destination destination, std::string_view self,
                                        std::string_view own_number, bool hang_up_allowed) {
  switch (destination.kind) {
    case DestinationKind::kHangUp:
      if (!hang_up_allowed) return invalid("a forwarding destination cannot be hangup");
      destination.target.clear();
      return destination;
    case DestinationKind::kExternal: {
      auto parsed = parse_destination(to_text(destination));
      if (!parsed || parsed->kind != DestinationKind::kExternal) {
        return bad_destination(destination.target);
      }
      return destination;
    }
    case DestinationKind::kVoicemail: {
      if (destination.target.empty()) destination.target = std::string(own_number);
      if (destination.target.empty()) {
        return invalid("voicemail needs a box here: voicemail:NUMBER");
      }
      if (auto valid = check_extension_number(destination.target); !valid) return valid.error();
      auto owner = owner_of(connection, tenant, destination.target);
      if (!owner) return owner.error();
      if (*owner != NumberOwner::kExtension) {
        return invalid("voicemail box " + destination.target +
                       " is not an extension of this tenant");
      }
      return destination;
    }
    case DestinationKind::kExtension:
    case DestinationKind::kRingGroup: {
      if (auto valid = check_extension_number(destination.target); !valid) return valid.error();
      if (destination.target == self) {
        return invalid("destination " + destination.target + " is the number being configured");
      }
      auto owner = owner_of(connection, tenant, destination.target);
      if (!owner) return owner.error();
      if (*owner == NumberOwner::kNone) {
        return invalid("destination " + destination.target +
                       " is neither an extension nor a ring group of this tenant");
      }
      destination.kind = *owner == NumberOwner::kExtension ? DestinationKind::kExtension
                                                           : DestinationKind::kRingGroup;
      return destination;
    }
  }
  return bad_destination(destination.target);
}

Result<Destination> read_destination(std::string_view kind_text, std::string target) {
  const auto kind = parse_destination_kind(kind_text);
  if (!kind) return make_store_error(StoreError::kBackend, "unknown destination kind in store");
  return Destination{*kind, std::move(target)};
}

Result<void> check_members(Connection& connection, TenantId tenant,
                           const std::vector<std::string>& members) {
  if (members.size() > kMaxRingGroupMembers) {
    return invalid("a ring group has at most " + std::to_string(kMaxRingGroupMembers) +
                   " members, got " + std::to_string(members.size()));
  }
  std::set<std::string_view> seen;
  for (const auto& member : members) {
    if (auto valid = check_extension_number(member); !valid) return valid.error();
    if (!seen.insert(member).second) return invalid("member " + member + " is listed twice");
    auto owner = owner_of(connection, tenant, member);
    if (!owner) return owner.error();
    if (*owner != NumberOwner::kExtension) {
      return invalid("member " + member + " is not an extension of this tenant");
    }
  }
  return {};
}

Result<void> write_members(Connection& connection, TenantId tenant, RingGroupId group,
                           const std::vector<std::string>& members) {
  if (auto removed =
          run_bound(connection, "DELETE FROM ring_group_members WHERE ring_group_id = ?", group);
      !removed) {
    return removed.error();
  }
  for (std::size_t position = 0; position < members.size(); ++position) {
    auto inserted =
        run_bound(connection,
                  "INSERT INTO ring_group_members (ring_group_id, position, "
                  "tenant_id, extension) VALUES (?, ?, ?, ?)",
                  group, static_cast<std::int64_t>(position), tenant, members[position]);
    if (!inserted) return inserted.error();
  }
  return {};
}

// Members are read separately; this fills everything else.
Result<RingGroup> read_ring_group(const Statement& row) {
  RingGroup group;
  group.id = row.column_int(0);
  group.tenant_id = row.column_int(1);
  group.number = row.column_text(2);
  group.name = row.column_text(3);
  group.strategy = parse_ring_strategy(row.column_text(4)).value_or(RingStrategy::kRingAll);
  group.member_timeout_seconds = static_cast<std::uint32_t>(row.column_int(5));
  auto final_destination = read_destination(row.column_text(6), row.column_text(7));
  if (!final_destination) return final_destination.error();
  group.final_destination = std::move(final_destination).value();
  group.created_at = row.column_int(8);
  return group;
}

// Reads ring groups (all, or one tenant's, or one number) with their members.
Result<std::vector<RingGroup>> read_ring_groups(Connection& connection,
                                                std::optional<TenantId> tenant,
                                                std::optional<std::string_view> number) {
  std::vector<RingGroup> groups;
  {
    auto query = prepare_bound(
        connection,
        "SELECT id, tenant_id, number, name, strategy, member_timeout_seconds, final_kind, "
        "final_target, created_at FROM ring_groups "
        "WHERE (?1 IS NULL OR tenant_id = ?1) AND (?2 IS NULL OR number = ?2) "
        "ORDER BY tenant_id, number",
        tenant, number);
    if (!query) return query.error();
    auto rows = collect_rows(*query, read_ring_group);
    if (!rows) return rows.error();
    groups = std::move(rows).value();
  }
  for (auto& group : groups) {
    auto members = prepare_bound(
        connection,
        "SELECT extension FROM ring_group_members WHERE ring_group_id = ? ORDER BY position",
        group.id);
    if (!members) return members.error();
    auto rows = collect_rows(*members, read_text);
    if (!rows) return rows.error();
    group.members = std::move(rows).value();
  }
  return groups;
}

// Reads the features of every extension (or one tenant's one number), rules included.
Result<std::vector<ExtensionCallFeatures>> read_extension_features(
    Connection& connection, std::optional<TenantId> tenant,
    std::optional<std::string_view> number) {
  std::vector<ExtensionCallFeatures> extensions;
  {
    auto query =
        prepare_bound(connection,
                      "SELECT tenant_id, number, dnd FROM extensions "
                      "WHERE (?1 IS NULL OR tenant_id = ?1) AND (?2 IS NULL OR number = ?2) "
                      "ORDER BY tenant_id, number",
                      tenant, number);
    if (!query) return query.error();
    auto rows = collect_rows(*query, [](const Statement& row) -> Result<ExtensionCallFeatures> {
      return ExtensionCallFeatures{
          row.column_int(0), row.column_text(1), row.column_int(2) != 0, {}};
    });
    if (!rows) return rows.error();
    extensions = std::move(rows).value();
  }
  auto query = prepare_bound(
      connection,
      "SELECT tenant_id, extension, condition, target_kind, target, no_answer_seconds "
      "FROM call_forwards WHERE (?1 IS NULL OR tenant_id = ?1) "
      "AND (?2 IS NULL OR extension = ?2) ORDER BY tenant_id, extension",
      tenant, number);
  if (!query) return query.error();
  // Both lists are sorted by (tenant, number), so one forward pass pairs them.
  std::size_t at = 0;
  while (true) {
    auto row = query->step();
    if (!row) return row.error();
    if (!*row) break;
    const TenantId owner_tenant = query->column_int(0);
    const std::string owner = query->column_text(1);
    while (at < extensions.size() && std::tie(extensions[at].tenant_id, extensions[at].number) <
                                         std::tie(owner_tenant, owner)) {
      ++at;
    }
    if (at == extensions.size()) break;
    if (extensions[at].tenant_id != owner_tenant || extensions[at].number != owner) continue;
    const auto condition = parse_forward_condition(query->column_text(2));
    auto destination = read_destination(query->column_text(3), query->column_text(4));
    if (!condition || !destination) {
      return make_store_error(StoreError::kBackend, "unreadable forwarding rule of " + owner);
    }
    extensions[at].forwards.push_back({*condition, std::move(destination).value(),
                                       static_cast<std::uint32_t>(query->column_int(5))});
  }
  for (auto& extension : extensions) {
    std::sort(extension.forwards.begin(), extension.forwards.end(),
              [](const CallForward& a, const CallForward& b) { return a.condition < b.condition; });
  }
  return extensions;
}

// One consistent read over several statements: a savepoint opens a read transaction (or nests
// inside a batch) and is released, never rolled back, since nothing is written.
class ReadSnapshot {
 public:
  static Result<ReadSnapshot> begin(Connection& connection) {
    if (auto began = connection.exec("SAVEPOINT call_feature_read"); !began) return began.error();
    return ReadSnapshot(connection);
  }
  ~ReadSnapshot() {
    if (connection_ != nullptr) (void)connection_->exec("RELEASE call_feature_read");
  }
  ReadSnapshot(ReadSnapshot&& other) noexcept
      : connection_(std::exchange(other.connection_, nullptr)) {}
  ReadSnapshot& operator=(ReadSnapshot&&) = delete;
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  explicit ReadSnapshot(Connection& connection) : connection_(&connection) {}
  Connection* connection_;
};

std::string extension_missing(TenantId tenant, std::string_view number) {
  return "no extension " + std::string(number) + " in tenant " + std::to_string(tenant);
}

std::string group_missing(TenantId tenant, std::string_view number) {
  return "no ring group " + std::string(number) + " in tenant " + std::to_string(tenant);
}

// The checks of a ring group that need no database: number, name and member timeout.
Result<void> check_group_fields(const RingGroup& group) {
  if (auto valid = check_extension_number(group.number); !valid) return valid.error();
  if (auto valid = check_display_name(group.name); !valid) return valid.error();
  return check_seconds(group.member_timeout_seconds, "member timeout");
}

std::string_view stored_strategy(RingStrategy strategy) {
  return strategy == RingStrategy::kHunt ? "hunt" : "ring_all";
}

}  // namespace

Result<void> SqliteStore::set_forward(TenantId tenant, std::string_view extension,
                                      const CallForward& forward) {
  if (auto valid = check_extension_number(extension); !valid) return valid.error();
  if (forward.condition == ForwardCondition::kNoAnswer) {
    if (auto valid = check_seconds(forward.no_answer_seconds, "no-answer time"); !valid) {
      return valid.error();
    }
  }
  const std::string what = "setting the " + std::string(to_text(forward.condition)) +
                           " forward of extension " + std::string(extension);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto owner = find_extension(tenant, extension);
  if (!owner) return owner.error();
  auto destination =
      resolve_destination(connection_, tenant, forward.destination, extension, extension, false);
  if (!destination) return destination.error();
  {
    const std::string condition = forward.condition == ForwardCondition::kNoAnswer
                                      ? "no_answer"
                                      : std::string(to_text(forward.condition));
    const std::uint32_t seconds = forward.condition == ForwardCondition::kNoAnswer
                                      ? forward.no_answer_seconds
                                      : kDefaultNoAnswerSeconds;
    auto upserted = run_bound(connection_,
                              "INSERT INTO call_forwards (tenant_id, extension, condition, "
                              "target_kind, target, no_answer_seconds) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                              "ON CONFLICT (tenant_id, extension, condition) DO UPDATE SET "
                              "target_kind = ?4, target = ?5, no_answer_seconds = ?6",
                              tenant, extension, condition, to_text(destination->kind),
                              destination->target, static_cast<std::int64_t>(seconds));
    if (!upserted) return in_context(what, upserted.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<std::size_t> SqliteStore::clear_forward(TenantId tenant, std::string_view extension,
                                               std::optional<ForwardCondition> condition) {
  if (auto valid = check_extension_number(extension); !valid) return valid.error();
  const std::string what = "clearing forwards of extension " + std::string(extension);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto owner = find_extension(tenant, extension);
  if (!owner) return owner.error();
  std::size_t removed = 0;
  {
    std::optional<std::string_view> stored_condition;
    if (condition) {
      stored_condition =
          *condition == ForwardCondition::kNoAnswer ? "no_answer" : to_text(*condition);
    }
    auto ran = run_bound(connection_,
                         "DELETE FROM call_forwards WHERE tenant_id = ?1 AND extension = ?2 "
                         "AND (?3 IS NULL OR condition = ?3)",
                         tenant, extension, stored_condition);
    if (!ran) return in_context(what, ran.error());
    removed = static_cast<std::size_t>(connection_.changes());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return removed;
}

Result<void> SqliteStore::set_dnd(TenantId tenant, std::string_view extension, bool on) {
  if (auto valid = check_extension_number(extension); !valid) return valid.error();
  const std::string what = "setting do-not-disturb of extension " + std::string(extension);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    // Always writes, even an unchanged value: the trigger then moves the change counter and a
    // phone's *78 pressed twice still gets a fresh reload (cheap, and simpler to reason about).
    auto updated =
        run_bound(connection_, "UPDATE extensions SET dnd = ? WHERE tenant_id = ? AND number = ?",
                  std::int64_t{on ? 1 : 0}, tenant, extension);
    if (!updated) return in_context(what, updated.error());
    if (connection_.changes() == 0) return not_found(extension_missing(tenant, extension));
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<ExtensionCallFeatures> SqliteStore::get_call_features(TenantId tenant,
                                                             std::string_view extension) {
  if (auto valid = check_extension_number(extension); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  auto snapshot = ReadSnapshot::begin(connection_);
  if (!snapshot) return snapshot.error();
  auto features = read_extension_features(connection_, tenant, extension);
  if (!features) return in_context("reading call features", features.error());
  if (features->empty()) return not_found(extension_missing(tenant, extension));
  return std::move(features->front());
}

Result<RingGroup> SqliteStore::add_ring_group(const RingGroup& group) {
  if (auto valid = check_group_fields(group); !valid) return valid.error();
  const std::string what = "adding ring group " + group.number;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(group.tenant_id);
  if (!tenant) return tenant.error();
  auto owner = owner_of(connection_, group.tenant_id, group.number);
  if (!owner) return in_context(what, owner.error());
  if (*owner == NumberOwner::kExtension) {
    return conflict(group.number + " is an extension of " + tenant->domain +
                    "; ring groups and extensions share one number space");
  }
  if (*owner == NumberOwner::kRingGroup) {
    return conflict("ring group " + group.number + " already exists in " + tenant->domain);
  }
  if (auto valid = check_members(connection_, group.tenant_id, group.members); !valid) {
    return valid.error();
  }
  auto final_destination = resolve_destination(connection_, group.tenant_id,
                                               group.final_destination, group.number, "", true);
  if (!final_destination) return final_destination.error();
  RingGroup stored = group;
  stored.final_destination = std::move(final_destination).value();
  stored.created_at = now();
  {
    const std::string_view strategy = stored_strategy(stored.strategy);
    auto inserted = run_bound(connection_,
                              "INSERT INTO ring_groups (tenant_id, number, name, strategy, "
                              "member_timeout_seconds, final_kind, final_target, created_at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              stored.tenant_id, stored.number, stored.name, strategy,
                              static_cast<std::int64_t>(stored.member_timeout_seconds),
                              to_text(stored.final_destination.kind),
                              stored.final_destination.target, stored.created_at);
    if (!inserted) return in_context(what, inserted.error());
    stored.id = connection_.last_insert_rowid();
  }
  if (auto written = write_members(connection_, stored.tenant_id, stored.id, stored.members);
      !written) {
    return in_context(what, written.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<std::vector<RingGroup>> SqliteStore::list_ring_groups(TenantId tenant) {
  std::lock_guard lock(mutex_);
  auto snapshot = ReadSnapshot::begin(connection_);
  if (!snapshot) return snapshot.error();
  auto groups = read_ring_groups(connection_, tenant, std::nullopt);
  if (!groups) return in_context("listing ring groups", groups.error());
  return groups;
}

Result<RingGroup> SqliteStore::get_ring_group(TenantId tenant, std::string_view number) {
  if (auto valid = check_extension_number(number); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  auto snapshot = ReadSnapshot::begin(connection_);
  if (!snapshot) return snapshot.error();
  auto groups = read_ring_groups(connection_, tenant, number);
  if (!groups) return in_context("reading ring group " + std::string(number), groups.error());
  if (groups->empty()) return not_found(group_missing(tenant, number));
  return std::move(groups->front());
}

Result<void> SqliteStore::set_ring_group_members(TenantId tenant, std::string_view number,
                                                 const std::vector<std::string>& members) {
  if (auto valid = check_extension_number(number); !valid) return valid.error();
  const std::string what = "setting the members of ring group " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  RingGroupId group = 0;
  {
    auto query =
        prepare_bound(connection_, "SELECT id FROM ring_groups WHERE tenant_id = ? AND number = ?",
                      tenant, number);
    if (!query) return in_context(what, query.error());
    auto row = query->step();
    if (!row) return in_context(what, row.error());
    if (!*row) return not_found(group_missing(tenant, number));
    group = query->column_int(0);
  }
  if (auto valid = check_members(connection_, tenant, members); !valid) return valid.error();
  if (auto written = write_members(connection_, tenant, group, members); !written) {
    return in_context(what, written.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<RingGroup> SqliteStore::update_ring_group(const RingGroup& group) {
  if (auto valid = check_group_fields(group); !valid) return valid.error();
  const std::string what = "changing ring group " + group.number;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto existing = read_ring_groups(connection_, group.tenant_id, group.number);
  if (!existing) return in_context(what, existing.error());
  if (existing->empty()) return not_found(group_missing(group.tenant_id, group.number));
  RingGroup stored = std::move(existing->front());
  if (auto valid = check_members(connection_, group.tenant_id, group.members); !valid) {
    return valid.error();
  }
  auto final_destination = resolve_destination(connection_, group.tenant_id,
                                               group.final_destination, group.number, "", true);
  if (!final_destination) return final_destination.error();
  stored.name = group.name;
  stored.strategy = group.strategy;
  stored.member_timeout_seconds = group.member_timeout_seconds;
  stored.members = group.members;
  stored.final_destination = std::move(final_destination).value();
  {
    auto updated = run_bound(connection_,
                             "UPDATE ring_groups SET name = ?, strategy = ?, "
                             "member_timeout_seconds = ?, final_kind = ?, final_target = ? "
                             "WHERE id = ?",
                             stored.name, stored_strategy(stored.strategy),
                             static_cast<std::int64_t>(stored.member_timeout_seconds),
                             to_text(stored.final_destination.kind),
                             stored.final_destination.target, stored.id);
    if (!updated) return in_context(what, updated.error());
  }
  if (auto written = write_members(connection_, stored.tenant_id, stored.id, stored.members);
      !written) {
    return in_context(what, written.error());
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<void> SqliteStore::remove_ring_group(TenantId tenant, std::string_view number) {
  if (auto valid = check_extension_number(number); !valid) return valid.error();
  const std::string what = "removing ring group " + std::string(number);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  {
    auto removed = run_bound(
        connection_, "DELETE FROM ring_groups WHERE tenant_id = ? AND number = ?", tenant, number);
    if (!removed) return in_context(what, removed.error());
    if (connection_.changes() == 0) return not_found(group_missing(tenant, number));
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<CallFeatureSnapshot> SqliteStore::call_feature_snapshot() {
  std::lock_guard lock(mutex_);
  auto snapshot = ReadSnapshot::begin(connection_);
  if (!snapshot) return snapshot.error();
  CallFeatureSnapshot result;
  auto extensions = read_extension_features(connection_, std::nullopt, std::nullopt);
  if (!extensions) return in_context("reading call features", extensions.error());
  result.extensions = std::move(extensions).value();
  auto groups = read_ring_groups(connection_, std::nullopt, std::nullopt);
  if (!groups) return in_context("reading ring groups", groups.error());
  result.ring_groups = std::move(groups).value();
  return result;
}

}  // namespace parley::store::sqlite
