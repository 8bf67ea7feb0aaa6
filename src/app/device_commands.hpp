#pragma once
// Devices (phones assigned to extensions, store/device_store.hpp, decision 0038) from the shell:
//
//   parley device add EXT@DOMAIN --label L [--mac M] [--instance URN] [--model X]
//   parley device list [DOMAIN]
//   parley device edit ID@DOMAIN [--extension E] [--label L] [--mac M] [--instance URN] [--model X]
//   parley device rm ID@DOMAIN
//
// A device is named by its id (the first column of `list`, the API's "id") and its tenant's
// domain. `edit` changes only the fields given (--mac "" or --instance "" clears one), all in
// one transaction. Devices are read from the store on every API request, so a running
// `parley serve` on the same data folder shows a change at once. `list` prints one
// tab-separated line per device: ID@DOMAIN, extension, label, MAC address or "-", instance or
// "-", model or "-". Errors give one line on stderr and exit 1.

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct DeviceFlags;

class DeviceCommands {
 public:
  explicit DeviceCommands(CLI::App& app);
  ~DeviceCommands();
  DeviceCommands(const DeviceCommands&) = delete;
  DeviceCommands& operator=(const DeviceCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<DeviceFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
