// libFuzzer target: the dialled-text parsers of call features — pbx::parse_feature_code() and
// store::parse_destination() — must never crash, and what they accept must be well formed.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pbx/feature_code.hpp"
#include "store/call_feature_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  namespace pbx = parley::pbx;
  namespace store = parley::store;

  if (const auto code = pbx::parse_feature_code(input)) {
    if (!input.starts_with('*')) std::abort();
    if (code->action == pbx::FeatureAction::kForwardSet &&
        (code->number.size() < 2 || code->number.size() > pbx::kMaxFeatureNumberLength)) {
      std::abort();
    }
  }
  if (auto destination = store::parse_destination(input); destination.ok()) {
    // Printing and parsing again gives the same destination.
    auto again = store::parse_destination(store::to_text(*destination));
    if (!again.ok() || !(*again == *destination)) std::abort();
  }
  return 0;
}
