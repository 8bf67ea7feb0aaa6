#pragma once
// "<tenant id>:<name>": the argument of the applications that belong to one tenant's object
// (conference rooms, IVR menus and schedules), so that names are per tenant.

#include <optional>
#include <string_view>
#include <utility>

#include "store/store.hpp"

namespace parley::app {

// The tenant id and the name; nothing when either part is missing or the id is not a number.
std::optional<std::pair<store::TenantId, std::string_view>> parse_tenant_argument(
    std::string_view text);

}  // namespace parley::app
