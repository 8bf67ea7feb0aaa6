// libFuzzer target: the `parley trunk status` file parser (app/trunk_status_file.hpp, decision
// 0026) must never crash on any bytes, and what it accepts must survive a write and read again
// unchanged (the writer turns a field's TABs and line breaks into spaces, so parsed fields hold
// none and the round trip is exact).

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/trunk_status_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  namespace app = parley::app;
  auto parsed = app::parse_trunk_status(input);
  if (!parsed.ok()) return 0;
  auto again = app::parse_trunk_status(app::format_trunk_status(*parsed));
  if (!again.ok() || again->rows != parsed->rows || again->written_at != parsed->written_at ||
      again->pid != parsed->pid) {
    std::abort();
  }
  (void)app::render_trunk_status(*parsed, 0);
  return 0;
}
