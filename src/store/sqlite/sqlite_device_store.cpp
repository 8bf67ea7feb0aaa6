// The DeviceStore half of SqliteStore: devices assigned to extensions (decision 0038). Same
// locking and transaction rules as sqlite_store.cpp; the schema's CHECKs, unique indexes and
// foreign key repeat the rules for writers that skip this code.

#include <algorithm>
#include <cctype>
#include <string>

#include "store/device_store.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::store {

namespace {

constexpr std::size_t kMaxDeviceText = 64;
constexpr std::size_t kMaxInstance = 128;

Error invalid_device(std::string message) {
  return make_store_error(StoreError::kInvalidInput, std::move(message));
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

Result<std::string> normalize_mac(std::string_view text) {
  std::string digits;
  for (const char c : text) {
    if (c == ':' || c == '-' || c == '.') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c)) || digits.size() == 12) {
      return invalid_device("a MAC address is 12 hex digits, such as 00:15:65:aa:bb:cc");
    }
    digits += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (digits.size() != 12) {
    return invalid_device("a MAC address is 12 hex digits, such as 00:15:65:aa:bb:cc");
  }
  return digits;
}

Result<std::string> normalize_instance(std::string_view text) {
  if (text.size() >= 2 && text.front() == '<' && text.back() == '>') {
    text = text.substr(1, text.size() - 2);
  }
  std::string urn(text);
  if (urn.size() > 4 && urn.size() <= kMaxInstance) {
    for (std::size_t i = 0; i < 4; ++i) {
      urn[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(urn[i])));
    }
  }
  const bool printable = std::all_of(
      urn.begin(), urn.end(), [](char c) { return c > 0x20 && c < 0x7f && c != '<' && c != '>'; });
  if (!urn.starts_with("urn:") || urn.size() == 4 || urn.size() > kMaxInstance || !printable) {
    return invalid_device(
        "an instance is a URN such as urn:uuid:00000000-0000-1000-8000-001565aabbcc"
        " (at most 128 characters)");
  }
  return urn;
}

Result<void> check_device_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxDeviceText || has_control(label)) {
    return invalid_device("a device label is 1 to 64 characters without control characters");
  }
  return {};
}

Result<void> check_device_model(std::string_view model) {
  if (model.size() > kMaxDeviceText || has_control(model)) {
    return invalid_device("a device model is at most 64 characters without control characters");
  }
  return {};
}

Result<void> check_device(const Device& device) {
  if (auto valid = check_extension_number(device.extension); !valid) return valid.error();
  if (auto valid = check_device_label(device.label); !valid) return valid.error();
  if (auto valid = check_device_model(device.model); !valid) return valid.error();
  if (!device.mac.empty()) {
    auto mac = normalize_mac(device.mac);
    if (!mac) return mac.error();
    if (*mac != device.mac) return invalid_device("the MAC address is not normalised");
  }
  if (!device.instance.empty()) {
    auto instance = normalize_instance(device.instance);
    if (!instance) return instance.error();
    if (*instance != device.instance) return invalid_device("the instance is not normalised");
  }
  if (device.mac.empty() && device.instance.empty()) {
    return invalid_device("a device needs a MAC address, an instance URN or both to be recognised");
  }
  return {};
}

std::optional<DeviceFieldError> apply_device_change(const DeviceChange& change, Device& device) {
  const auto refuse = [](std::string_view field, const Error& error) {
    return DeviceFieldError{std::string(field), error.message};
  };
  if (change.extension) {
    if (auto valid = check_extension_number(*change.extension); !valid) {
      return refuse("extension", valid.error());
    }
    device.extension = *change.extension;
  }
  if (change.label) {
    if (auto valid = check_device_label(*change.label); !valid)
      return refuse("label", valid.error());
    device.label = *change.label;
  }
  if (change.mac) {
    auto mac =
        change.mac->empty() ? Result<std::string>(std::string()) : normalize_mac(*change.mac);
    if (!mac) return refuse("mac", mac.error());
    device.mac = std::move(mac).value();
  }
  if (change.instance) {
    auto instance = change.instance->empty() ? Result<std::string>(std::string())
                                             : normalize_instance(*change.instance);
    if (!instance) return refuse("instance", instance.error());
    device.instance = std::move(instance).value();
  }
  if (change.model) {
    if (auto valid = check_device_model(*change.model); !valid)
      return refuse("model", valid.error());
    device.model = *change.model;
  }
  if (device.mac.empty() && device.instance.empty()) {
    return DeviceFieldError{
        "mac", "a device needs a MAC address, an instance URN or both to be recognised"};
  }
  return std::nullopt;
}

}  // namespace parley::store

namespace parley::store::sqlite {
namespace {

Result<Device> read_device(const Statement& row) {
  Device device;
  device.id = row.column_int(0);
  device.tenant_id = row.column_int(1);
  device.extension = row.column_text(2);
  device.label = row.column_text(3);
  device.mac = row.column_text(4);
  device.instance = row.column_text(5);
  device.model = row.column_text(6);
  device.created_at = row.column_int(7);
  return device;
}

// The rules add_device and update_device check against stored rows: the extension exists in
// the tenant, and no other device of it (`device.id` is skipped; 0 matches none) has its MAC or
// instance. `domain` names the tenant in the messages.
Result<void> check_device_place(Connection& connection, const Device& device,
                                const std::string& domain) {
  auto extension =
      row_exists(connection, "SELECT 1 FROM extensions WHERE tenant_id = ? AND number = ?",
                 device.tenant_id, std::string_view(device.extension));
  if (!extension) return extension.error();
  if (!*extension) return not_found("no extension " + device.extension + " in " + domain);
  auto taken = prepare_bound(connection,
                             "SELECT CASE WHEN mac <> '' AND mac = ?2 THEN 'MAC address' "
                             "ELSE 'instance' END FROM devices WHERE tenant_id = ?1 AND id <> ?4 "
                             "AND ((mac <> '' AND mac = ?2) OR (instance <> '' AND instance = ?3))",
                             device.tenant_id, std::string_view(device.mac),
                             std::string_view(device.instance), device.id);
  if (!taken) return taken.error();
  auto row = taken->step();
  if (!row) return row.error();
  if (*row) return conflict("another device of " + domain + " has this " + taken->column_text(0));
  return {};
}

}  // namespace

Result<Device> SqliteStore::add_device(const Device& device) {
  if (auto valid = check_device(device); !valid) return valid.error();
  const std::string what = "adding device " + device.label;
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(device.tenant_id);
  if (!tenant) return tenant.error();
  Device stored = device;
  stored.id = 0;
  if (auto placed = check_device_place(connection_, stored, tenant->domain); !placed) {
    return placed.error();
  }
  stored.created_at = now();
  auto insert = prepare_bound(connection_,
                              "INSERT INTO devices (tenant_id, extension, label, mac, instance, "
                              "model, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                              stored.tenant_id, std::string_view(stored.extension),
                              std::string_view(stored.label), std::string_view(stored.mac),
                              std::string_view(stored.instance), std::string_view(stored.model),
                              stored.created_at);
  if (!insert) return in_context(what, insert.error());
  if (auto ran = insert->run(); !ran) return in_context(what, ran.error());
  stored.id = connection_.last_insert_rowid();
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<std::vector<Device>> SqliteStore::list_devices(TenantId tenant) {
  std::lock_guard lock(mutex_);
  auto query = prepare_bound(connection_,
                             "SELECT id, tenant_id, extension, label, mac, instance, model, "
                             "created_at FROM devices WHERE tenant_id = ? ORDER BY id",
                             tenant);
  if (!query) return in_context("listing devices", query.error());
  auto devices = collect_rows(*query, read_device);
  if (!devices) return in_context("listing devices", devices.error());
  return devices;
}

Result<Device> SqliteStore::find_device(TenantId tenant, DeviceId id) {
  std::lock_guard lock(mutex_);
  auto query = prepare_bound(connection_,
                             "SELECT id, tenant_id, extension, label, mac, instance, model, "
                             "created_at FROM devices WHERE tenant_id = ? AND id = ?",
                             tenant, id);
  if (!query) return in_context("finding a device", query.error());
  return single_row(*query, read_device,
                    "no device " + std::to_string(id) + " in tenant " + std::to_string(tenant));
}

Result<Device> SqliteStore::update_device(const Device& device) {
  if (auto valid = check_device(device); !valid) return valid.error();
  const std::string what = "changing device " + std::to_string(device.id);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto tenant = find_tenant(device.tenant_id);
  if (!tenant) return tenant.error();
  auto created =
      prepare_bound(connection_, "SELECT created_at FROM devices WHERE tenant_id = ? AND id = ?",
                    device.tenant_id, device.id);
  if (!created) return in_context(what, created.error());
  auto row = created->step();
  if (!row) return in_context(what, row.error());
  if (!*row) return not_found("no device " + std::to_string(device.id) + " in " + tenant->domain);
  Device stored = device;
  stored.created_at = created->column_int(0);
  if (auto placed = check_device_place(connection_, stored, tenant->domain); !placed) {
    return placed.error();
  }
  auto updated = run_bound(connection_,
                           "UPDATE devices SET extension = ?, label = ?, mac = ?, instance = ?, "
                           "model = ? WHERE tenant_id = ? AND id = ?",
                           std::string_view(stored.extension), std::string_view(stored.label),
                           std::string_view(stored.mac), std::string_view(stored.instance),
                           std::string_view(stored.model), stored.tenant_id, stored.id);
  if (!updated) return in_context(what, updated.error());
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return stored;
}

Result<void> SqliteStore::remove_device(TenantId tenant, DeviceId id) {
  const std::string what = "removing device " + std::to_string(id);
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto removed =
      run_bound(connection_, "DELETE FROM devices WHERE tenant_id = ? AND id = ?", tenant, id);
  if (!removed) return in_context(what, removed.error());
  if (connection_.changes() == 0) {
    return not_found("no device " + std::to_string(id) + " in tenant " + std::to_string(tenant));
  }
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

}  // namespace parley::store::sqlite
