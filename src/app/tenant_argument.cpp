#include "app/tenant_argument.hpp"

#include <charconv>
#include <system_error>

namespace parley::app {

std::optional<std::pair<store::TenantId, std::string_view>> parse_tenant_argument(
    std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return std::nullopt;
  }
  store::TenantId tenant = 0;
  const auto* end = text.data() + colon;
  const auto parsed = std::from_chars(text.data(), end, tenant);
  if (parsed.ec != std::errc{} || parsed.ptr != end) return std::nullopt;
  return std::make_pair(tenant, text.substr(colon + 1));
}

}  // namespace parley::app
