// libFuzzer target: the device identifiers an admin types (store/device_store.hpp): MAC
// addresses in any usual spelling and +sip.instance URNs. Nothing may crash; what is accepted is
// in normal form (normalising it again changes nothing) and makes a device check_device accepts.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/device_store.hpp"

namespace store = parley::store;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  store::Device device;
  device.extension = "1001";
  device.label = "fuzz";
  if (auto mac = store::normalize_mac(text)) {
    if (mac->size() != 12 || *store::normalize_mac(*mac) != *mac) std::abort();
    device.mac = *mac;
  }
  if (auto instance = store::normalize_instance(text)) {
    if (!instance->starts_with("urn:") || *store::normalize_instance(*instance) != *instance) {
      std::abort();
    }
    device.instance = *instance;
  }
  const bool identified = !device.mac.empty() || !device.instance.empty();
  if (store::check_device(device).ok() != identified) std::abort();
  (void)store::check_device_label(text);
  (void)store::check_device_model(text);
  return 0;
}
