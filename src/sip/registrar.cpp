#include "sip/registrar.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "base/ascii.hpp"
#include "protocol/sip/headers.hpp"
#include "protocol/sip/uri.hpp"
#include "store/validation.hpp"

namespace parley::sip {
namespace {

namespace psip = protocol::sip;
using psip::HeaderId;

// RFC 3261 §8.1.1.5: CSeq numbers stay below 2^31 (the store enforces it too).
constexpr std::uint32_t kMaxCSeq = 0x7fffffffU;
// RFC 3261 §20.10: "Malformed values SHOULD be treated as equivalent to 3600."
constexpr std::uint32_t kMalformedContactExpires = 3600;

using base::iequals;

bool is_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool supports(const psip::Message& request, std::string_view option) {
  for (const auto& field : request.headers()) {
    if (field.id != HeaderId::kSupported) continue;
    for (auto token : psip::split_tokens(request.value(field))) {
      if (iequals(token, option)) return true;
    }
  }
  return false;
}

// The User-Agent as the store accepts it: printable ASCII, bounded. It is only shown to
// operators, so anything else is replaced rather than refused.
std::string sanitize_user_agent(std::string_view text) {
  text = text.substr(0, store::kMaxUserAgentLength);
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  return out;
}

store::Endpoint endpoint_of(TransportKind transport, const net::SocketAddress& address) {
  return store::Endpoint{std::string(to_text(transport)), address.ip(), address.port()};
}

std::string format_q(std::uint16_t q_per_mille) {
  if (q_per_mille >= 1000) return "1";
  std::string digits = std::to_string(1000 + q_per_mille).substr(1);  // three digits
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return digits.empty() ? "0" : "0." + digits;
}

std::string contact_value(const store::Binding& binding, store::UnixSeconds now) {
  std::string value = "<" + binding.contact_uri + ">;expires=" +
                      std::to_string(binding.expires_at > now ? binding.expires_at - now : 0);
  if (binding.q_per_mille != 1000) value += ";q=" + format_q(binding.q_per_mille);
  if (!binding.instance.empty()) value += ";+sip.instance=\"" + binding.instance + "\"";
  if (binding.reg_id != 0) value += ";reg-id=" + std::to_string(binding.reg_id);
  return value;
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t seed_from(std::uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

std::optional<std::uint32_t> parse_delta_seconds(std::string_view text) {
  if (!is_digits(text)) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > std::numeric_limits<std::uint32_t>::max()) {
      return std::numeric_limits<std::uint32_t>::max();
    }
  }
  return static_cast<std::uint32_t>(value);
}

std::optional<std::uint16_t> parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  const bool one = text[0] == '1';
  if (text.size() == 1) return static_cast<std::uint16_t>(one ? 1000 : 0);
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  std::uint16_t fraction = 0;
  std::uint16_t scale = 100;
  for (char c : text.substr(2)) {
    if (c < '0' || c > '9' || (one && c != '0')) return std::nullopt;
    fraction = static_cast<std::uint16_t>(fraction + (c - '0') * scale);
    scale = static_cast<std::uint16_t>(scale / 10);
  }
  return static_cast<std::uint16_t>(one ? 1000 : fraction);
}

std::string http_date(store::UnixSeconds when) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = static_cast<std::time_t>(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  // Written by hand: every 200 carries a Date, and snprintf showed in the REGISTER profile.
  std::string out;
  out.reserve(29);
  const auto two = [&out](int value) {
    out += static_cast<char>('0' + value / 10 % 10);
    out += static_cast<char>('0' + value % 10);
  };
  out += kDays[tm.tm_wday % 7];
  out += ", ";
  two(tm.tm_mday);
  out += ' ';
  out += kMonths[tm.tm_mon % 12];
  out += ' ';
  const int year = tm.tm_year + 1900;
  two(year / 100);
  two(year % 100);
  out += ' ';
  two(tm.tm_hour);
  out += ':';
  two(tm.tm_min);
  out += ':';
  two(tm.tm_sec);
  out += " GMT";
  return out;
}

struct Registrar::Request {
  std::shared_ptr<const DirectorySnapshot> snapshot;
  const TenantInfo* tenant = nullptr;
  std::string aor;  // the To user, unescaped: the extension number
};

Registrar::Registrar(Directory& directory, LocationTable& location,
                     DigestAuthenticator& authenticator, AuthThrottle& throttle,
                     RegistrarOptions options)
    : directory_(directory),
      location_(location),
      authenticator_(authenticator),
      throttle_(throttle),
      options_(std::move(options)),
      wall_clock_(options_.wall_clock ? options_.wall_clock : WallClock(system_unix_seconds)),
      tag_seed_(seed_from(options_.random_seed)) {}

Registrar::Stats Registrar::stats() const {
  return Stats{accepted_.load(), challenged_.load(), auth_failures_.load(),
               banned_.load(),   rejected_.load(),   repeated_.load()};
}

std::string Registrar::make_tag() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t value = splitmix64(tag_seed_ + tag_counter_.fetch_add(1) * 0x9e3779b97f4a7c15ULL);
  std::string tag(16, '0');
  for (char& c : tag) {
    c = kHex[value & 0xf];
    value >>= 4;
  }
  return tag;
}

Registrar::Answer Registrar::reject(int status_code, std::string_view reason) {
  ++rejected_;
  Answer answer;
  answer.status_code = status_code;
  answer.reason = std::string(reason);
  return answer;
}

Registrar::Answer Registrar::challenge(std::string_view realm, bool stale) {
  ++challenged_;
  Answer answer;
  answer.status_code = 401;
  for (auto& value : authenticator_.challenge(realm, stale)) {
    answer.headers.emplace_back("WWW-Authenticate", std::move(value));
  }
  return answer;
}

std::string Registrar::stateless_tag(const psip::Message& request) const {
  // Not a secret, only stable per request and unlikely to collide: FNV-1a over what identifies
  // the request, mixed with this registrar's seed.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  const auto mix = [&hash](std::string_view part) {
    for (char c : part) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 0x100000001b3ULL;
    }
    hash ^= 0xff;
    hash *= 0x100000001b3ULL;
  };
  mix(request.call_id());
  mix(request.from_tag());
  mix(request.top_via_branch());
  hash ^= request.cseq_number();
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t value = splitmix64(tag_seed_ ^ hash);
  std::string tag(16, '0');
  for (char& c : tag) {
    c = kHex[value & 0xf];
    value >>= 4;
  }
  return tag;
}

psip::ResponseOptions Registrar::response_for(Answer& answer, std::string_view to_tag) const {
  if (!options_.server.empty()) answer.headers.emplace_back("Server", options_.server);
  psip::ResponseOptions response;
  response.status_code = answer.status_code;
  response.reason = answer.reason;
  response.to_tag = to_tag;
  response.extra_headers = std::move(answer.headers);
  return response;
}

void Registrar::handle(const psip::Message& request, ServerTransaction& transaction,
                       const Peer& from) {
  Answer answer = process(request, from);
  const std::string tag = make_tag();
  auto sent = transaction.respond(response_for(answer, tag));
  if (!sent) {
    spdlog::debug("REGISTER answer {} not sent: {}", answer.status_code, sent.error().message);
  }
}

bool Registrar::answer_statelessly(const psip::Message& request, const Peer& from,
                                   Transport& transport) {
  // Without a Via there is nowhere to send an answer (the transaction layer drops these too).
  if (request.top_via().empty()) return false;
  Answer answer = process(request, from);
  const std::string tag = stateless_tag(request);
  const std::string wire = psip::build_response(request, response_for(answer, tag));
  if (!transport.send(from, wire)) {
    spdlog::debug("REGISTER answer {} not sent", answer.status_code);
    return false;
  }
  return true;
}

Registrar::Answer Registrar::process(const psip::Message& message, const Peer& from) {
  // The app routes only REGISTER here; anything else is a wiring mistake, not the client's.
  if (message.method() != psip::Method::kRegister) return reject(500, "Not A REGISTER");
  if (message.call_id().empty()) return reject(400, "Missing Call-ID");
  if (!message.has(HeaderId::kCSeq) || message.cseq_method() != psip::Method::kRegister ||
      message.cseq_number() > kMaxCSeq) {
    return reject(400, "Invalid CSeq");
  }
  if (from.remote.empty() || from.local.empty()) return reject(500, "No Transport Address");

  auto request_uri = psip::parse_uri(message.request_uri());
  if (!request_uri) {
    return reject(request_uri.error().code == 416 ? 416 : 400, "Invalid Request-URI");
  }
  if (request_uri->scheme == psip::UriScheme::kTel) return reject(416, "");
  Request request;
  request.snapshot = directory_.snapshot();
  request.tenant = request.snapshot->tenant_for_host(request_uri->host);
  if (request.tenant == nullptr) return reject(404, "Domain Not Served");

  auto to = psip::parse_name_addr(message.first(HeaderId::kTo));
  if (!to || to->is_star) return reject(400, "Invalid To");
  // §10.3 step 5: an address-of-record that is not a SIP URI (RFC 4475 UNKSM2 registers an
  // isbn: URI) cannot be valid for the domain.
  if (to->opaque_uri || to->uri.scheme == psip::UriScheme::kTel) return reject(404, "Not Found");
  auto to_user = psip::unescape(to->uri.user);
  if (!to_user || to_user->empty()) return reject(400, "Missing Address-of-Record");
  // §10.3 step 5: the AOR must belong to the domain the request is for.
  const TenantInfo* to_tenant = request.snapshot->tenant_for_host(to->uri.host);
  if (to_tenant == nullptr || to_tenant->id != request.tenant->id) {
    return reject(404, "Not Found");
  }
  request.aor = std::move(to_user).value();
  const std::string_view realm = request.tenant->domain;

  const std::string source_ip = from.remote.ip();
  // Parsed once: the throttle keys the claimed user before verification.
  const auto credentials = DigestAuthenticator::find_credentials(message, realm, /*proxy=*/false);
  std::string claimed = DigestAuthenticator::claimed_username(credentials);
  if (claimed.empty()) claimed = request.aor;
  if (throttle_.is_banned(source_ip, realm, claimed)) {
    ++banned_;
    Answer answer;
    answer.status_code = 403;
    return answer;
  }

  const AuthResult auth = authenticator_.verify(message, realm, credentials);
  switch (auth.outcome) {
    case AuthOutcome::kReplay:
      // Valid credentials whose nonce count was used: a retransmission of a REGISTER we applied
      // (stateless answering holds no transaction to absorb it) gets that REGISTER's 200 again.
      if (auth.username == request.aor) {
        if (auto applied = location_.contacts_if_applied(
                request.tenant->id, request.aor, message.call_id(), message.cseq_number())) {
          ++repeated_;
          const bool outbound_used =
              std::any_of(applied->begin(), applied->end(), [&](const RegisteredContact& c) {
                return c.binding.reg_id != 0 && c.binding.call_id == message.call_id() &&
                       c.binding.cseq == message.cseq_number();
              });
          return accepted(*applied, message, outbound_used);
        }
      }
      return challenge(realm, false);
    case AuthOutcome::kNoCredentials:
      return challenge(realm, false);
    case AuthOutcome::kStale:
      return challenge(realm, true);
    case AuthOutcome::kBadCredentials:
      ++auth_failures_;
      throttle_.record_failure(source_ip, realm, auth.username.empty() ? claimed : auth.username);
      spdlog::debug("REGISTER from {} for {}@{}: authentication failed ({})", source_ip,
                    request.aor, realm, auth.detail);
      return challenge(realm, false);
    case AuthOutcome::kOk:
      break;
  }
  // §10.3 step 4: the only AOR an extension may change is its own.
  if (auth.username != request.aor) return reject(403, "Forbidden");
  throttle_.record_success(source_ip, realm, auth.username);
  if (request.snapshot->extension(request.tenant->id, request.aor) == nullptr) {
    return reject(404, "Not Found");  // removed since the credentials were read
  }
  return update_bindings(request, message, from);
}

Registrar::Answer Registrar::update_bindings(const Request& request, const psip::Message& message,
                                             const Peer& from) {
  const store::UnixSeconds now = this->now();

  std::optional<std::uint32_t> header_expires;
  if (message.count(HeaderId::kExpires) > 1) return reject(400, "Multiple Expires");
  if (message.has(HeaderId::kExpires)) {
    header_expires = parse_delta_seconds(message.first(HeaderId::kExpires));
    if (!header_expires) return reject(400, "Invalid Expires");
  }

  std::vector<std::string_view> contacts;
  std::vector<std::string_view> paths;
  for (const auto& field : message.headers()) {
    if (field.id == HeaderId::kContact) contacts.push_back(message.value(field));
    if (field.id == HeaderId::kPath) paths.push_back(message.value(field));
  }
  if (contacts.size() > options_.max_contacts_per_request) {
    return reject(400, "Too Many Contacts");
  }

  std::string path;  // comma-joined, as the store keeps it
  bool path_has_ob = false;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    auto hop = psip::parse_name_addr(paths[i]);
    if (!hop || hop->is_star || hop->opaque_uri) return reject(400, "Invalid Path");
    if (i == 0) path_has_ob = hop->uri.params.has("ob");
    if (i != 0) path += ',';
    path += paths[i];
  }
  // RFC 5626 §6: outbound applies when we are the first hop, or the first hop's Path says "ob".
  const bool first_hop = message.count(HeaderId::kVia) == 1;
  const bool outbound_possible = first_hop || path_has_ob;
  const bool supports_outbound = supports(message, "outbound");

  RegistrationChange change;
  change.tenant_id = request.tenant->id;
  change.extension = request.aor;
  change.call_id = std::string(message.call_id());
  change.cseq = message.cseq_number();
  change.max_bindings = options_.max_bindings_per_aor;

  const std::string user_agent = sanitize_user_agent(message.first(HeaderId::kUserAgent));
  bool star = false;
  bool too_brief = false;
  bool outbound_used = false;
  std::size_t nonzero = 0;
  std::size_t nonzero_with_reg_id = 0;
  for (const auto value : contacts) {
    auto contact = psip::parse_name_addr(value);
    if (!contact) return reject(400, "Invalid Contact");
    if (contact->is_star) {
      star = true;
      continue;
    }
    if (contact->opaque_uri || contact->uri.scheme == psip::UriScheme::kTel) {
      return reject(400, "Unsupported Contact URI Scheme");
    }
    const psip::ParamList& params = contact->params;

    std::uint32_t expires = header_expires.value_or(options_.default_expires);
    if (auto param = params.get("expires")) {
      expires = parse_delta_seconds(*param).value_or(kMalformedContactExpires);
    }
    std::uint16_t q = 1000;
    if (auto param = params.get("q")) {
      auto parsed = parse_qvalue(*param);
      if (!parsed) return reject(400, "Invalid q-value");
      q = *parsed;
    }
    std::string instance;
    if (auto param = params.get("+sip.instance")) {
      const std::string_view quoted = *param;
      if (quoted.size() < 4 || quoted.front() != '"' || quoted.back() != '"' || quoted[1] != '<' ||
          quoted[quoted.size() - 2] != '>' ||
          quoted.substr(1, quoted.size() - 2).find_first_of("\"\\") != std::string_view::npos) {
        return reject(400, "Invalid +sip.instance");
      }
      instance = std::string(quoted.substr(1, quoted.size() - 2));
    }
    std::uint32_t reg_id = 0;
    if (auto param = params.get("reg-id")) {
      auto parsed = parse_delta_seconds(*param);
      if (!parsed || *parsed == 0 || *parsed > kMaxCSeq) return reject(400, "Invalid reg-id");
      // RFC 5626 §6: a reg-id without an instance is ignored; without a flow to us it is refused
      // when the UA insists on outbound, ignored otherwise.
      if (!instance.empty()) {
        if (outbound_possible) {
          reg_id = *parsed;
        } else if (supports_outbound) {
          return reject(439, "First Hop Lacks Outbound Support");
        }
      }
    }

    if (expires != 0) {
      ++nonzero;
      if (reg_id != 0) ++nonzero_with_reg_id;
      if (expires < options_.min_expires) too_brief = true;
      if (expires > options_.max_expires) expires = options_.max_expires;
    }

    ContactChange item;
    item.remove = expires == 0;
    item.connection_id = is_reliable(from.transport) ? from.connection_id : 0;
    store::Binding& binding = item.binding;
    binding.tenant_id = change.tenant_id;
    binding.extension = change.extension;
    binding.contact_uri = std::string(contact->uri_text);
    binding.instance = std::move(instance);
    binding.reg_id = reg_id;
    binding.path = path;
    binding.q_per_mille = q;
    binding.call_id = change.call_id;
    binding.cseq = change.cseq;
    binding.expires_at = now + (item.remove ? 1 : static_cast<store::UnixSeconds>(expires));
    binding.received = endpoint_of(from.transport, from.remote);
    binding.local_socket = endpoint_of(from.transport, from.local);
    binding.user_agent = user_agent;
    // Everything the store would refuse is refused here, before any binding changes.
    auto valid = store::normalize_binding(binding);
    if (!valid) {
      spdlog::debug("REGISTER for {}: contact refused: {}", change.extension,
                    valid.error().message);
      return reject(400, "Invalid Contact");
    }
    item.binding = std::move(valid).value();
    if (!item.remove && reg_id != 0) outbound_used = true;
    change.contacts.push_back(std::move(item));
  }

  if (star) {
    // §10.3 step 6: "*" stands alone and only with Expires: 0.
    if (contacts.size() != 1 || header_expires.value_or(1) != 0) {
      return reject(400, "Invalid Wildcard Contact");
    }
    change.remove_all = true;
  }
  // RFC 5626 §6: a reg-id registers one flow; with other non-zero contacts it is ambiguous.
  if (nonzero_with_reg_id != 0 && nonzero > 1) return reject(400, "Multiple Contacts With reg-id");
  if (too_brief) {
    Answer answer = reject(423, "");
    answer.headers.emplace_back("Min-Expires", std::to_string(options_.min_expires));
    return answer;
  }

  LocationTable::ChangeResult result = location_.apply(change);
  if (result.refusal) {
    switch (*result.refusal) {
      case ChangeRefusal::kOutOfOrder:
        // §10.3 steps 6-7 make the request fail; all-or-nothing failures are 500 there.
        return reject(500, "Out Of Order CSeq");
      case ChangeRefusal::kTooManyBindings:
        return reject(403, "Too Many Registrations");
      case ChangeRefusal::kOverloaded: {
        Answer answer = reject(503, "");
        answer.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
        return answer;
      }
    }
  }

  ++accepted_;
  return accepted(result.bindings, message, outbound_used);
}

Registrar::Answer Registrar::accepted(const std::vector<RegisteredContact>& bindings,
                                      const psip::Message& message, bool outbound_used) {
  const store::UnixSeconds now = this->now();
  Answer answer;
  answer.status_code = 200;
  answer.headers.reserve(bindings.size() + 3);
  for (const auto& registered : bindings) {
    answer.headers.emplace_back("Contact", contact_value(registered.binding, now));
  }
  // RFC 3327 §5.3: echo the Path to a UA that understands it.
  if (message.has(HeaderId::kPath) && supports(message, "path")) {
    for (const auto& field : message.headers()) {
      if (field.id == HeaderId::kPath) answer.headers.emplace_back("Path", message.value(field));
    }
  }
  if (outbound_used) answer.headers.emplace_back("Require", "outbound");
  answer.headers.emplace_back("Date", http_date(now));
  return answer;
}

}  // namespace parley::sip
