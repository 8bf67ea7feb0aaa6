#pragma once
// Input checks shared by every Store backend, and usable by the CLI and REST API to reject bad
// input before opening a database. Each function either returns the input in its stored form
// (lower-case domain, upper-case transport, lower-case hex) or a kInvalidInput error whose
// message names the field and the rule ("extension number must be 2 to 15 digits, got '12a'").
// Pure functions: no I/O, safe from any thread.

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

// A SIP domain: an RFC 3261 hostname (labels of letters, digits and inner hyphens; the last
// label starts with a letter) or an IPv4 literal in dotted decimal without leading zeros.
// Upper case is folded and one trailing dot dropped.
Result<std::string> normalize_domain(std::string_view domain);

// Digits only, kMinExtensionDigits..kMaxExtensionDigits long.
Result<void> check_extension_number(std::string_view number);

// Valid UTF-8 without control characters, at most kMaxDisplayNameLength bytes. May be empty.
Result<void> check_display_name(std::string_view name);

Result<Credentials> normalize_credentials(const Credentials& credentials);
Result<NewTenant> normalize_tenant(const NewTenant& tenant);
Result<NewExtension> normalize_extension(const NewExtension& extension);
Result<Binding> normalize_binding(const Binding& binding);
Result<BindingKey> normalize_binding_key(const BindingKey& key);
Result<void> check_call_record(const CallRecord& record);

}  // namespace parley::store
