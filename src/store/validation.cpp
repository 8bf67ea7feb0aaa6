#include "store/validation.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <string>

namespace parley::store {

namespace {

constexpr std::size_t kQuotedPreview = 40;
constexpr std::uint32_t kMaxSequence = 0x7fffffffU;  // RFC 3261 §8.1.1.5, RFC 5626 reg-id

Error invalid(std::string message) {
  return make_store_error(StoreError::kInvalidInput, std::move(message));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
char to_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// The offending value, shortened and with control bytes escaped, so that an error message
// stays one readable line even when the input was megabytes of garbage.
std::string quote(std::string_view value) {
  std::string out = "'";
  for (std::size_t i = 0; i < value.size() && i < kQuotedPreview; ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if (byte < 0x20 || byte == 0x7f) {
      constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += static_cast<char>(byte);
    }
  }
  if (value.size() > kQuotedPreview) out += "...";
  out += "'";
  return out;
}

// RFC 3629: rejects overlong forms, surrogates and code points above U+10FFFF.
bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    std::uint32_t minimum = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if ((lead & 0xe0) == 0xc0) {
      extra = 1;
      code = lead & 0x1fU;
      minimum = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      extra = 2;
      code = lead & 0x0fU;
      minimum = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      extra = 3;
      code = lead & 0x07U;
      minimum = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3fU);
    }
    if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

bool has_control(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

// Free text (names, user agents, CDR parties): printable UTF-8 within a length limit.
Result<void> check_text(std::string_view field, std::string_view value, std::size_t max_length,
                        bool required) {
  if (required && value.empty()) return invalid(std::string(field) + " must not be empty");
  if (value.size() > max_length) {
    return invalid(std::string(field) + " is " + std::to_string(value.size()) +
                   " bytes; the limit is " + std::to_string(max_length));
  }
  if (has_control(value)) {
    return invalid(std::string(field) + " contains control characters: " + quote(value));
  }
  if (!is_valid_utf8(value)) return invalid(std::string(field) + " is not valid UTF-8");
  return {};
}

// Protocol tokens (URIs, Call-IDs, Path): like check_text but also without spaces, which no
// SIP URI or Call-ID may contain.
Result<void> check_token(std::string_view field, std::string_view value, std::size_t max_length,
                         bool required) {
  auto text = check_text(field, value, max_length, required);
  if (!text) return text;
  if (value.find(' ') != std::string_view::npos) {
    return invalid(std::string(field) + " must not contain spaces: " + quote(value));
  }
  return {};
}

bool is_ipv4_literal(std::string_view text) {
  int octets = 0;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    unsigned value = 0;
    while (i < text.size() && is_digit(text[i]) && i - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    const std::size_t length = i - start;
    if (length == 0 || value > 255 || (length > 1 && text[start] == '0')) return false;
    ++octets;
    if (i == text.size()) return octets == 4;
    if (text[i] != '.' || octets == 4) return false;
    ++i;
  }
}

// RFC 3261 §25.1: hostname = *( domainlabel "." ) toplabel; labels are alphanumeric with
// inner hyphens, and the top label starts with a letter (which keeps "1.2.3.999" out).
bool is_hostname(std::string_view text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('.', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view label = text.substr(start, end - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
    }
    if (end == text.size()) return is_alpha(label.front());
    start = end + 1;
  }
  return false;
}

Result<std::string> normalize_hex(std::string_view field, std::string_view value,
                                  std::size_t digits) {
  if (value.empty()) return std::string();
  if (value.size() != digits) {
    return invalid(std::string(field) + " must be " + std::to_string(digits) + " hex digits, got " +
                   std::to_string(value.size()) + " characters");
  }
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (!is_hex(c)) return invalid(std::string(field) + " must be hex digits: " + quote(value));
    out += to_lower(c);
  }
  return out;
}

Result<Endpoint> normalize_endpoint(std::string_view field, const Endpoint& endpoint) {
  Endpoint out;
  for (char c : endpoint.transport) out.transport += to_upper(c);
  static constexpr std::array<std::string_view, 5> kTransports{"UDP", "TCP", "TLS", "WS", "WSS"};
  bool known = false;
  for (auto name : kTransports) known = known || name == out.transport;
  if (!known) {
    return invalid(std::string(field) + " transport must be UDP, TCP, TLS, WS or WSS, got " +
                   quote(endpoint.transport));
  }
  // Canonical text (inet_ntop) so that "::0:1" and "::1" are the same peer.
  std::array<unsigned char, 16> bytes{};
  std::array<char, INET6_ADDRSTRLEN> text{};
  const std::string ip(endpoint.ip.substr(0, INET6_ADDRSTRLEN));
  const int family = ip.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (endpoint.ip.size() >= INET6_ADDRSTRLEN || inet_pton(family, ip.c_str(), bytes.data()) != 1 ||
      (family == AF_INET6 &&
       inet_ntop(family, bytes.data(), text.data(), text.size()) == nullptr)) {
    return invalid(std::string(field) + " address must be an IPv4 or IPv6 literal, got " +
                   quote(endpoint.ip));
  }
  // IPv4 text that inet_pton accepts is canonical already (four decimal octets, none above 255,
  // no leading zeros), so only IPv6 goes back through inet_ntop (whose IPv4 path is a sprintf:
  // two per REGISTER, 3 % of its instructions).
  out.ip = family == AF_INET6 ? std::string(text.data()) : ip;
  if (endpoint.port == 0) return invalid(std::string(field) + " port must not be 0");
  out.port = endpoint.port;
  return out;
}

Result<void> check_instance_and_reg_id(std::string_view instance, std::uint32_t reg_id) {
  auto text = check_token("+sip.instance", instance, kMaxInstanceLength, false);
  if (!text) return text;
  if (reg_id > kMaxSequence) {
    return invalid("reg-id must be at most 2^31-1, got " + std::to_string(reg_id));
  }
  if (reg_id != 0 && instance.empty()) {
    return invalid("reg-id " + std::to_string(reg_id) + " needs a +sip.instance (RFC 5626 §4.2)");
  }
  return {};
}

Result<void> check_contact_uri(std::string_view uri) {
  auto token = check_token("contact URI", uri, kMaxUriLength, true);
  if (!token) return token;
  // A URI starts with a scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":".
  std::size_t i = 0;
  while (i < uri.size() && (is_alpha(uri[i]) || (i > 0 && (is_digit(uri[i]) || uri[i] == '+' ||
                                                           uri[i] == '-' || uri[i] == '.')))) {
    ++i;
  }
  if (i == 0 || i == uri.size() || uri[i] != ':') {
    return invalid("contact URI must start with a scheme such as 'sip:', got " + quote(uri));
  }
  return {};
}

}  // namespace

Result<std::string> normalize_domain(std::string_view domain) {
  if (domain.empty()) return invalid("tenant domain must not be empty");
  if (domain.size() > kMaxDomainLength + 1) {
    return invalid("tenant domain is " + std::to_string(domain.size()) +
                   " characters; the limit is " + std::to_string(kMaxDomainLength));
  }
  std::string lower;
  lower.reserve(domain.size());
  for (char c : domain) lower += to_lower(c);
  if (lower.size() > 1 && lower.back() == '.') lower.pop_back();
  if (lower.size() > kMaxDomainLength) {
    return invalid("tenant domain is " + std::to_string(lower.size()) +
                   " characters; the limit is " + std::to_string(kMaxDomainLength));
  }
  if (!is_ipv4_literal(lower) && !is_hostname(lower)) {
    return invalid("tenant domain must be a host name or an IPv4 address, got " + quote(domain));
  }
  return lower;
}

Result<void> check_extension_number(std::string_view number) {
  bool digits = !number.empty();
  for (char c : number) digits = digits && is_digit(c);
  if (!digits || number.size() < kMinExtensionDigits || number.size() > kMaxExtensionDigits) {
    return invalid("extension number must be " + std::to_string(kMinExtensionDigits) + " to " +
                   std::to_string(kMaxExtensionDigits) + " digits, got " + quote(number));
  }
  return {};
}

Result<void> check_display_name(std::string_view name) {
  return check_text("display name", name, kMaxDisplayNameLength, false);
}

Result<Credentials> normalize_credentials(const Credentials& credentials) {
  auto md5 = normalize_hex("ha1_md5", credentials.ha1_md5, 32);
  if (!md5) return md5.error();
  auto sha256 = normalize_hex("ha1_sha256", credentials.ha1_sha256, 64);
  if (!sha256) return sha256.error();
  if (md5->empty() && sha256->empty()) {
    return invalid("credentials need ha1_md5, ha1_sha256 or both; both are empty");
  }
  return Credentials{std::move(md5).value(), std::move(sha256).value()};
}

Result<NewTenant> normalize_tenant(const NewTenant& tenant) {
  auto domain = normalize_domain(tenant.domain);
  if (!domain) return domain.error();
  auto name = check_display_name(tenant.display_name);
  if (!name) return name.error();
  return NewTenant{std::move(domain).value(), tenant.display_name, tenant.is_default};
}

Result<NewExtension> normalize_extension(const NewExtension& extension) {
  auto number = check_extension_number(extension.number);
  if (!number) return number.error();
  auto name = check_display_name(extension.display_name);
  if (!name) return name.error();
  auto credentials = normalize_credentials(extension.credentials);
  if (!credentials) return credentials.error();
  return NewExtension{extension.tenant_id, extension.number, extension.display_name,
                      std::move(credentials).value()};
}

Result<BindingKey> normalize_binding_key(const BindingKey& key) {
  auto number = check_extension_number(key.extension);
  if (!number) return number.error();
  auto instance = check_instance_and_reg_id(key.instance, key.reg_id);
  if (!instance) return instance.error();
  if (key.instance.empty()) {
    auto uri = check_contact_uri(key.contact_uri);
    if (!uri) return uri.error();
  }
  return key;
}

Result<Binding> normalize_binding(const Binding& binding) {
  Binding out = binding;
  auto number = check_extension_number(binding.extension);
  if (!number) return number.error();
  auto uri = check_contact_uri(binding.contact_uri);
  if (!uri) return uri.error();
  auto instance = check_instance_and_reg_id(binding.instance, binding.reg_id);
  if (!instance) return instance.error();
  auto path = check_token("path", binding.path, kMaxPathLength, false);
  if (!path) return path.error();
  if (binding.q_per_mille > kMaxQPerMille) {
    return invalid("q-value must be 0 to 1000 per mille, got " +
                   std::to_string(binding.q_per_mille));
  }
  auto call_id = check_token("Call-ID", binding.call_id, kMaxCallIdLength, true);
  if (!call_id) return call_id.error();
  if (binding.cseq > kMaxSequence) {
    return invalid("CSeq must be at most 2^31-1, got " + std::to_string(binding.cseq));
  }
  if (binding.expires_at <= 0) {
    return invalid("expires_at must be a positive unix time, got " +
                   std::to_string(binding.expires_at));
  }
  auto received = normalize_endpoint("received", binding.received);
  if (!received) return received.error();
  out.received = std::move(received).value();
  auto local = normalize_endpoint("local socket", binding.local_socket);
  if (!local) return local.error();
  out.local_socket = std::move(local).value();
  auto agent = check_text("user agent", binding.user_agent, kMaxUserAgentLength, false);
  if (!agent) return agent.error();
  return out;
}

Result<void> check_call_record(const CallRecord& record) {
  auto call_id = check_token("Call-ID", record.call_id, kMaxCallIdLength, true);
  if (!call_id) return call_id;
  auto caller = check_text("caller", record.caller, kMaxPartyLength, true);
  if (!caller) return caller;
  auto callee = check_text("callee", record.callee, kMaxPartyLength, true);
  if (!callee) return callee;
  if (to_text(record.disposition) == "unknown") return invalid("call disposition is unknown");
  if (to_text(record.hangup_side) == "unknown") return invalid("hang-up side is unknown");
  if (record.start_ms < 0 || record.end_ms < record.start_ms) {
    return invalid("call times must satisfy 0 <= start <= end, got start " +
                   std::to_string(record.start_ms) + " end " + std::to_string(record.end_ms));
  }
  const bool answered = record.disposition == Disposition::kAnswered;
  if (answered != record.answer_ms.has_value()) {
    return invalid(answered ? "an answered call needs an answer time"
                            : "only an answered call has an answer time, disposition is " +
                                  std::string(to_text(record.disposition)));
  }
  if (record.answer_ms &&
      (*record.answer_ms < record.start_ms || *record.answer_ms > record.end_ms)) {
    return invalid("answer time " + std::to_string(*record.answer_ms) +
                   " is outside the call (start " + std::to_string(record.start_ms) + ", end " +
                   std::to_string(record.end_ms) + ")");
  }
  return {};
}

}  // namespace parley::store
