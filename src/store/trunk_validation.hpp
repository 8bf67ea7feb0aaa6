#pragma once
// Input rules for trunks, DIDs, outbound routes and tenant call limits (trunk_store.hpp,
// routing_store.hpp, call_limits_store.hpp), shared by every backend and usable by the CLI and
// REST API before opening a database. Each function returns the input in its stored form
// (upper-case transport, lower-case host, bracket-less IPv6) or a kInvalidInput error whose
// message names the field and the rule. Pure functions: no I/O, safe from any thread.

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "store/call_limits_store.hpp"
#include "store/routing_store.hpp"
#include "store/trunk_store.hpp"

namespace parley::store {

inline constexpr std::size_t kMaxObjectNameLength = 64;

// 1-kMaxObjectNameLength letters, digits, '.', '_' or '-' (trunk and route names, DID targets
// other than extensions). `field` names the value in the error ("trunk name").
Result<void> check_object_name(std::string_view field, std::string_view name);

// A host name, an IPv4 literal or an IPv6 literal (brackets optional, dropped when stored).
Result<std::string> normalize_host(std::string_view field, std::string_view host);

// An optional '+' then 1-kMaxDialledDigits digits: DID numbers and caller-IDs.
Result<void> check_phone_number(std::string_view field, std::string_view number);

Result<Trunk> normalize_trunk(const Trunk& trunk);
Result<Did> normalize_did(const Did& did);
// Compiles a kRegex pattern to check it (ECMAScript grammar, as pbx/ uses it).
Result<OutboundRoute> normalize_outbound_route(const OutboundRoute& route);
Result<TenantCallLimits> normalize_call_limits(const TenantCallLimits& limits);

}  // namespace parley::store
