#pragma once
// DeviceStore: the phones an admin assigns to extensions (issue 9, decision 0038). A device is
// an inventory entry, not a registration: it names a phone (label, model) and how to recognise
// it among the extension's live registrations — its MAC address, its RFC 5626 +sip.instance
// URN, or both. The registrations themselves stay in the location service.
//
// Rules every backend keeps:
// - The extension exists in the tenant; removing it removes its devices.
// - label: 1-64 characters without control characters; model: 0-64 of the same.
// - mac: empty or 12 lower-case hex digits (normalize_mac turns "00:15:65:AA:BB:CC",
//   "0015.65aa.bbcc" and "001565AABBCC" into "001565aabbcc"); unique within the tenant.
// - instance: empty or a URN ("urn:uuid:...", at most 128 characters, without the angle
//   brackets phones put around it); unique within the tenant.
// - At least one of mac and instance is set: a device nothing identifies cannot be matched.
//
// A separate interface from Store so that SIP code and its test fakes do not grow; SqliteStore
// implements it (sqlite/sqlite_device_store.cpp, schema migration 17).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

using DeviceId = std::int64_t;

struct Device {
  DeviceId id = 0;  // assigned by add_device; ignored on input
  TenantId tenant_id = 0;
  std::string extension;
  std::string label;
  std::string mac;       // normalised, or empty
  std::string instance;  // "urn:uuid:...", or empty
  std::string model;
  UnixSeconds created_at = 0;  // set by add_device
};

// "001565aabbcc" from a MAC address written with ':', '-' or '.' separators (or none) in any
// case; kInvalidInput for anything else.
Result<std::string> normalize_mac(std::string_view text);
// The URN without surrounding angle brackets, lower-cased scheme; kInvalidInput unless it is
// "urn:" followed by 1-124 printable characters without spaces, '<' or '>'.
Result<std::string> normalize_instance(std::string_view text);
// kInvalidInput unless `label` (1-64 characters) or `model` (0-64) has no control characters.
Result<void> check_device_label(std::string_view label);
Result<void> check_device_model(std::string_view model);
// Every rule above that needs no store: fields valid (mac and instance already normalised) and
// at least one of mac and instance set.
Result<void> check_device(const Device& device);

// New values for some of a device's fields, as an admin typed them (an API body, CLI flags):
// absent fields stay; "" clears mac or instance.
struct DeviceChange {
  std::optional<std::string> extension;
  std::optional<std::string> label;
  std::optional<std::string> mac;
  std::optional<std::string> instance;
  std::optional<std::string> model;
};

// Why apply_device_change refused: the field at fault ("extension", "label", "mac", "instance",
// "model") and a sentence for the admin.
struct DeviceFieldError {
  std::string field;
  std::string message;
};

// Applies `change` to `device`, each value checked and normalised as the store keeps it; the
// result must still be recognisable (a MAC address, an instance or both). On a refusal `device`
// may be partly changed: callers apply to a copy.
std::optional<DeviceFieldError> apply_device_change(const DeviceChange& change, Device& device);

class DeviceStore {
 public:
  virtual ~DeviceStore() = default;
  DeviceStore() = default;
  DeviceStore(const DeviceStore&) = delete;
  DeviceStore& operator=(const DeviceStore&) = delete;

  // The stored device with its id and created_at. kNotFound for an unknown tenant or extension,
  // kConflict when the tenant has a device with that MAC or instance already.
  virtual Result<Device> add_device(const Device& device) = 0;
  // Every device of the tenant, by id.
  virtual Result<std::vector<Device>> list_devices(TenantId tenant) = 0;
  // The tenant's device `id`; kNotFound when the tenant has none of that id.
  virtual Result<Device> find_device(TenantId tenant, DeviceId id) = 0;
  // Replaces every field of the tenant's device `device.id` (extension, label, mac, instance,
  // model; created_at stays) in one transaction, so an edit is applied whole or not at all.
  // Same rules and errors as add_device, and kNotFound when the tenant has no device of that id.
  virtual Result<Device> update_device(const Device& device) = 0;
  // kNotFound when the tenant has no device `id`.
  virtual Result<void> remove_device(TenantId tenant, DeviceId id) = 0;
};

}  // namespace parley::store
