#include "store/trunk_validation.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <regex>
#include <string>

#include "store/validation.hpp"

namespace parley::store {

namespace {

constexpr std::size_t kMaxCredentialLength = 256;
constexpr std::size_t kMaxCodecsLength = 256;
constexpr std::uint32_t kMinRegisterExpires = 30;
constexpr std::uint32_t kMaxRegisterExpires = 604800;  // a week
constexpr std::uint32_t kMaxTrunkCalls = 100000;
constexpr std::uint32_t kMaxStripDigits = kMaxDialledDigits;
constexpr std::uint32_t kMaxLimit = 1000000;

Error invalid(std::string message) {
  return make_store_error(StoreError::kInvalidInput, std::move(message));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
         c == '-';
}
bool is_dial_char(char c) {
  return is_digit(c) || c == '*' || c == '#';
}
bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), is_digit);
}

// The value for an error message: short, printable, one line.
std::string quote(std::string_view value) {
  constexpr std::size_t kPreview = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < value.size() && i < kPreview; ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    out += (byte < 0x20 || byte >= 0x7f) ? '?' : static_cast<char>(byte);
  }
  if (value.size() > kPreview) out += "...";
  return out + "'";
}

Result<void> check_printable(std::string_view field, std::string_view value,
                             std::size_t max_length) {
  if (value.size() > max_length) {
    return invalid(std::string(field) + " is " + std::to_string(value.size()) +
                   " bytes; the limit is " + std::to_string(max_length));
  }
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte == 0x7f) {
      return invalid(std::string(field) + " must not contain spaces or control characters");
    }
  }
  return {};
}

// '+', digits, '*' and '#': what a dial string may hold (route prefixes, prepend text).
Result<void> check_dial_string(std::string_view field, std::string_view value) {
  if (value.size() > kMaxDialledDigits) {
    return invalid(std::string(field) + " is longer than " + std::to_string(kMaxDialledDigits) +
                   " characters");
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (is_dial_char(value[i]) || (value[i] == '+' && i == 0)) continue;
    return invalid(std::string(field) + " may hold only a leading '+', digits, '*' and '#', got " +
                   quote(value));
  }
  return {};
}

Result<void> check_length_pattern(std::string_view pattern) {
  const auto fail = [&] {
    return invalid("length pattern must be N or N-M digits (1-" +
                   std::to_string(kMaxDialledDigits) + "), got " + quote(pattern));
  };
  const auto dash = pattern.find('-');
  const std::string_view low = pattern.substr(0, dash);
  const std::string_view high = dash == std::string_view::npos ? low : pattern.substr(dash + 1);
  if (low.empty() || high.empty() || low.size() > 2 || high.size() > 2 || !all_digits(low) ||
      !all_digits(high)) {
    return fail();
  }
  const int min = std::stoi(std::string(low));
  const int max = std::stoi(std::string(high));
  if (min < 1 || max < min || max > static_cast<int>(kMaxDialledDigits)) return fail();
  return {};
}

Result<void> check_regex(std::string_view pattern) {
  if (pattern.empty()) return invalid("regex pattern must not be empty");
  if (auto printable = check_printable("regex pattern", pattern, kMaxRoutePatternLength);
      !printable) {
    return printable.error();
  }
  try {
    const std::regex compiled(pattern.begin(), pattern.end(), std::regex::ECMAScript);
    (void)compiled;
  } catch (const std::regex_error& error) {
    return invalid("regex pattern " + quote(pattern) + " does not compile: " + error.what());
  }
  return {};
}

Result<std::vector<std::string>> normalize_prefix_list(std::string_view field,
                                                       const std::vector<std::string>& prefixes) {
  if (prefixes.size() > kMaxPrefixListSize) {
    return invalid(std::string(field) + " may hold at most " + std::to_string(kMaxPrefixListSize) +
                   " entries");
  }
  std::vector<std::string> out;
  for (const auto& prefix : prefixes) {
    std::string_view digits = prefix;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    if (digits.empty() || digits.size() > kMaxPrefixDigits || !all_digits(digits)) {
      return invalid(std::string(field) + " entries must be 1-" + std::to_string(kMaxPrefixDigits) +
                     " digits, got " + quote(prefix));
    }
    if (std::find(out.begin(), out.end(), digits) == out.end()) out.emplace_back(digits);
  }
  return out;
}

Result<void> check_access_prefix(std::string_view field, const std::optional<std::string>& value) {
  if (!value) return {};
  if (value->size() > 4 || !all_digits(*value)) {
    return invalid(std::string(field) + " must be 0-4 digits, got " + quote(*value));
  }
  return {};
}

Result<void> check_limit(std::string_view field, std::uint32_t value) {
  if (value > kMaxLimit) {
    return invalid(std::string(field) + " must be at most " + std::to_string(kMaxLimit));
  }
  return {};
}

}  // namespace

Result<void> check_object_name(std::string_view field, std::string_view name) {
  if (name.empty() || name.size() > kMaxObjectNameLength ||
      !std::all_of(name.begin(), name.end(), is_name_char)) {
    return invalid(std::string(field) + " must be 1-" + std::to_string(kMaxObjectNameLength) +
                   " letters, digits, '.', '_' or '-', got " + quote(name));
  }
  return {};
}

Result<std::string> normalize_host(std::string_view field, std::string_view host) {
  std::string_view bare = host;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  if (bare.find(':') != std::string_view::npos) {
    std::array<unsigned char, 16> address{};
    const std::string text(bare);
    if (bare.size() <= 45 && inet_pton(AF_INET6, text.c_str(), address.data()) == 1) return text;
  } else if (auto domain = normalize_domain(bare); domain) {
    return std::move(domain).value();
  }
  return invalid(std::string(field) + " must be a host name or an IPv4 or IPv6 address, got " +
                 quote(host));
}

Result<void> check_phone_number(std::string_view field, std::string_view number) {
  std::string_view digits = number;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  if (digits.empty() || digits.size() > kMaxDialledDigits || !all_digits(digits)) {
    return invalid(std::string(field) + " must be an optional '+' then 1-" +
                   std::to_string(kMaxDialledDigits) + " digits, got " + quote(number));
  }
  return {};
}

Result<Trunk> normalize_trunk(const Trunk& trunk) {
  Trunk out = trunk;
  if (auto name = check_object_name("trunk name", trunk.name); !name) return name.error();
  auto host = normalize_host("trunk host", trunk.host);
  if (!host) return host.error();
  out.host = std::move(host).value();
  std::string transport;
  for (char c : trunk.transport) {
    transport += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  if (transport.empty()) transport = "UDP";
  if (transport != "UDP" && transport != "TCP" && transport != "TLS") {
    return invalid("trunk transport must be udp, tcp or tls, got " + quote(trunk.transport));
  }
  out.transport = std::move(transport);
  if (auto user = check_printable("trunk username", trunk.username, kMaxCredentialLength); !user) {
    return user.error();
  }
  if (trunk.password.size() > kMaxCredentialLength) {
    return invalid("trunk password is longer than " + std::to_string(kMaxCredentialLength) +
                   " bytes");
  }
  for (char c : trunk.password) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return invalid("trunk password must not contain control characters");
    }
  }
  if (trunk.registers && (trunk.username.empty() || trunk.password.empty())) {
    return invalid("a registering trunk needs a username and a password");
  }
  if (auto realm = check_printable("trunk auth realm", trunk.auth_realm, kMaxDomainLength);
      !realm) {
    return realm.error();
  }
  if (trunk.register_expires < kMinRegisterExpires ||
      trunk.register_expires > kMaxRegisterExpires) {
    return invalid("trunk registration expiry must be " + std::to_string(kMinRegisterExpires) +
                   "-" + std::to_string(kMaxRegisterExpires) + " seconds");
  }
  if (auto codecs = check_printable("trunk codecs", trunk.codecs, kMaxCodecsLength); !codecs) {
    return codecs.error();
  }
  if (!trunk.caller_id.empty()) {
    if (auto id = check_phone_number("trunk caller-ID", trunk.caller_id); !id) return id.error();
  }
  if (trunk.max_calls > kMaxTrunkCalls) {
    return invalid("trunk max calls must be at most " + std::to_string(kMaxTrunkCalls));
  }
  return out;
}

Result<Did> normalize_did(const Did& did) {
  if (auto number = check_phone_number("DID number", did.number); !number) return number.error();
  if (!did.trunk.empty()) {
    if (auto trunk = check_object_name("DID trunk", did.trunk); !trunk) return trunk.error();
  }
  switch (did.kind) {
    case DidDestinationKind::kExtension:
    case DidDestinationKind::kVoicemail:
      if (auto number = check_extension_number(did.target); !number) return number.error();
      break;
    case DidDestinationKind::kRingGroup:
    case DidDestinationKind::kIvr:
    case DidDestinationKind::kQueue:
      if (auto name = check_object_name(std::string(to_text(did.kind)) + " name", did.target);
          !name) {
        return name.error();
      }
      break;
  }
  return did;
}

Result<OutboundRoute> normalize_outbound_route(const OutboundRoute& route) {
  if (auto name = check_object_name("route name", route.name); !name) return name.error();
  if (route.priority < 0 || route.priority > kMaxLimit) {
    return invalid("route priority must be 0-" + std::to_string(kMaxLimit));
  }
  switch (route.pattern_kind) {
    case RoutePatternKind::kPrefix:
      if (auto prefix = check_dial_string("route prefix", route.pattern); !prefix) {
        return prefix.error();
      }
      break;
    case RoutePatternKind::kLength:
      if (auto length = check_length_pattern(route.pattern); !length) return length.error();
      break;
    case RoutePatternKind::kRegex:
      if (auto regex = check_regex(route.pattern); !regex) return regex.error();
      break;
  }
  if (route.strip_digits > kMaxStripDigits) {
    return invalid("route strip must be 0-" + std::to_string(kMaxStripDigits) + " digits");
  }
  if (auto prepend = check_dial_string("route prepend", route.prepend); !prepend) {
    return prepend.error();
  }
  if (route.trunks.empty() || route.trunks.size() > kMaxRouteTrunks) {
    return invalid("a route needs 1-" + std::to_string(kMaxRouteTrunks) + " trunks");
  }
  for (std::size_t i = 0; i < route.trunks.size(); ++i) {
    if (auto trunk = check_object_name("route trunk", route.trunks[i]); !trunk) {
      return trunk.error();
    }
    if (std::find(route.trunks.begin(), route.trunks.begin() + static_cast<std::ptrdiff_t>(i),
                  route.trunks[i]) != route.trunks.begin() + static_cast<std::ptrdiff_t>(i)) {
      return invalid("route names trunk " + route.trunks[i] + " twice");
    }
  }
  if (!route.caller_id.empty()) {
    if (auto id = check_phone_number("route caller-ID", route.caller_id); !id) return id.error();
  }
  return route;
}

Result<TenantCallLimits> normalize_call_limits(const TenantCallLimits& limits) {
  TenantCallLimits out = limits;
  for (const auto& [field, value] : {std::pair{"max external calls", limits.max_external_calls},
                                     std::pair{"calls per hour", limits.calls_per_hour},
                                     std::pair{"minutes per hour", limits.minutes_per_hour}}) {
    if (auto valid = check_limit(field, value); !valid) return valid.error();
  }
  std::string_view country = limits.country_code;
  if (!country.empty() && country.front() == '+') country.remove_prefix(1);
  if (country.size() > 3 || !all_digits(country) || (!country.empty() && country.front() == '0')) {
    return invalid("country code must be 1-3 digits not starting with 0 (44, 1, 49), got " +
                   quote(limits.country_code));
  }
  out.country_code = std::string(country);
  if (auto valid = check_access_prefix("international prefix", limits.international_prefix);
      !valid) {
    return valid.error();
  }
  if (auto valid = check_access_prefix("national prefix", limits.national_prefix); !valid) {
    return valid.error();
  }
  auto blocked = normalize_prefix_list("blocked prefix", limits.blocked_prefixes);
  if (!blocked) return blocked.error();
  out.blocked_prefixes = std::move(blocked).value();
  auto emergency = normalize_prefix_list("emergency number", limits.emergency_numbers);
  if (!emergency) return emergency.error();
  out.emergency_numbers = std::move(emergency).value();
  auto mobile = normalize_prefix_list("mobile prefix", limits.mobile_prefixes);
  if (!mobile) return mobile.error();
  out.mobile_prefixes = std::move(mobile).value();
  auto premium = normalize_prefix_list("premium prefix", limits.premium_prefixes);
  if (!premium) return premium.error();
  out.premium_prefixes = std::move(premium).value();
  return out;
}

}  // namespace parley::store
