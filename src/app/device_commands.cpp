#include "app/device_commands.hpp"

#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "store/device_store.hpp"

namespace parley::app {

struct DeviceFlags {
  std::string data_dir = "var";
  std::string address;  // EXT@DOMAIN (add) or ID@DOMAIN (edit, rm)
  std::string domain;   // list filter
  store::DeviceChange change;
};

namespace {

constexpr std::string_view kExtensionExample = "1001@example.com";
constexpr std::string_view kDeviceExample = "7@example.com";

std::optional<store::DeviceId> parse_device_id(std::string_view text) {
  store::DeviceId id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || id <= 0) {
    return std::nullopt;
  }
  return id;
}

Result<void> check_device_id(std::string_view text) {
  if (parse_device_id(text)) return {};
  return store::make_store_error(
      store::StoreError::kInvalidInput,
      "'" + std::string(text) + "' is not a device id (the first column of parley device list)");
}

Result<CliTarget> open_device(const DeviceFlags& flags) {
  return open_cli_target(flags.data_dir, flags.address, kDeviceExample, "ID@DOMAIN",
                         check_device_id);
}

// "no device 7 in example.com" for a device the tenant does not have, else the store's message.
std::string device_error(const Error& error, const CliTarget& target) {
  if (!store::is_error(error, store::StoreError::kNotFound)) return error.message;
  return "no device " + target.number + " in " + target.tenant.domain;
}

std::string or_dash(const std::string& text) {
  return text.empty() ? "-" : text;
}

int device_add(const DeviceFlags& flags) {
  store::Device device;
  // Checked before the store opens: a typo must not create a data folder.
  if (auto refused = store::apply_device_change(flags.change, device)) {
    return cli_fail(refused->message);
  }
  auto target = open_cli_target(flags.data_dir, flags.address, kExtensionExample);
  if (!target) return cli_fail(target.error().message);
  device.tenant_id = target->tenant.id;
  device.extension = target->number;
  auto added = target->db->add_device(device);
  if (!added) return cli_fail(added.error().message);
  std::printf("device %lld@%s added: %s on %s@%s\n", static_cast<long long>(added->id),
              target->tenant.domain.c_str(), added->label.c_str(), added->extension.c_str(),
              target->tenant.domain.c_str());
  return kExitOk;
}

int device_list(const DeviceFlags& flags) {
  return list_per_tenant(
      flags.data_dir, flags.domain,
      [](store::sqlite::SqliteStore& db, const store::Tenant& tenant) {
        return db.list_devices(tenant.id);
      },
      [&](const store::Tenant& tenant, const auto& device) {
        std::printf("%lld@%s\t%s\t%s\t%s\t%s\t%s\n", static_cast<long long>(device.id),
                    tenant.domain.c_str(), device.extension.c_str(), device.label.c_str(),
                    or_dash(device.mac).c_str(), or_dash(device.instance).c_str(),
                    or_dash(device.model).c_str());
      });
}

int device_edit(const DeviceFlags& flags) {
  const store::DeviceChange& change = flags.change;
  if (!change.extension && !change.label && !change.mac && !change.instance && !change.model) {
    return cli_fail("nothing to change: give --extension, --label, --mac, --instance or --model");
  }
  auto target = open_device(flags);
  if (!target) return cli_fail(target.error().message);
  const auto id = *parse_device_id(target->number);
  auto device = target->db->find_device(target->tenant.id, id);
  if (!device) return cli_fail(device_error(device.error(), *target));
  if (auto refused = store::apply_device_change(change, *device)) {
    return cli_fail(refused->message);
  }
  auto changed = target->db->update_device(*device);
  if (!changed) return cli_fail(changed.error().message);
  std::printf("device %s@%s changed: %s on %s@%s\n", target->number.c_str(),
              target->tenant.domain.c_str(), changed->label.c_str(), changed->extension.c_str(),
              target->tenant.domain.c_str());
  return kExitOk;
}

int device_rm(const DeviceFlags& flags) {
  auto target = open_device(flags);
  if (!target) return cli_fail(target.error().message);
  if (auto removed = target->db->remove_device(target->tenant.id, *parse_device_id(target->number));
      !removed) {
    return cli_fail(device_error(removed.error(), *target));
  }
  std::printf("device %s@%s removed\n", target->number.c_str(), target->tenant.domain.c_str());
  return kExitOk;
}

// The flags add and edit share; each fills its field of the change only when given.
void add_field_flags(CLI::App& command, store::DeviceChange& change) {
  command.add_option("--label", change.label, "Where the phone is or who uses it (1-64 chars)");
  command.add_option("--mac", change.mac, "MAC address: 00:15:65:aa:bb:cc, 0015.65aa.bbcc, ...")
      ->type_name("MAC");
  command.add_option("--instance", change.instance, "The phone's +sip.instance URN (urn:uuid:...)")
      ->type_name("URN");
  command.add_option("--model", change.model, "Model, e.g. \"Yealink T46S\" (at most 64 chars)");
}

}  // namespace

DeviceCommands::~DeviceCommands() = default;

DeviceCommands::DeviceCommands(CLI::App& app) : flags_(std::make_unique<DeviceFlags>()) {
  DeviceFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;
  CLI::App* device = app.add_subcommand("device", "Manage devices (phones assigned to extensions)");
  device->require_subcommand(1);
  CLI::App* add = leaf(*device, "add", "Assign a device to an extension (--mac or --instance)",
                       *flags, exit_code, ran, device_add);
  add->add_option("ADDRESS", flags->address, "EXT@DOMAIN, e.g. 1001@example.com")->required();
  add_field_flags(*add, flags->change);
  add->get_option("--label")->required();
  leaf(*device, "list",
       "List devices: ID@DOMAIN, extension, label, MAC or -, instance or -, model or -", *flags,
       exit_code, ran, device_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  CLI::App* edit = leaf(*device, "edit",
                        "Change the given fields of a device (\"\" clears --mac "
                        "or --instance)",
                        *flags, exit_code, ran, device_edit);
  edit->add_option("DEVICE", flags->address, "ID@DOMAIN, e.g. 7@example.com")->required();
  edit->add_option("--extension", flags->change.extension, "Move it to this extension")
      ->type_name("EXT");
  add_field_flags(*edit, flags->change);
  leaf(*device, "rm", "Remove a device (its phone stays registered)", *flags, exit_code, ran,
       device_rm)
      ->add_option("DEVICE", flags->address, "ID@DOMAIN")
      ->required();
}

}  // namespace parley::app
