#include "sip/outbound_registration.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <utility>

#include "base/ascii.hpp"
#include "protocol/sip/headers.hpp"
#include "sip/dialog.hpp"

namespace parley::sip {
namespace {

namespace psip = protocol::sip;

// Challenges and 423s answered within one attempt before it counts as failed: enough for a
// stale nonce followed by a Min-Expires, never a loop with a provider that keeps asking.
constexpr int kMaxRounds = 3;
// The longest registration we ask for after a 423, against a provider that names absurd values.
constexpr std::uint32_t kMaxMinExpires = 86400;

std::optional<std::uint32_t> parse_seconds(std::string_view text) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(value, 0xFFFFFFFFu));
}

std::int64_t system_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using base::iequals;

}  // namespace

std::string_view to_text(RegistrationState state) {
  switch (state) {
    case RegistrationState::kUnregistered:
      return "unregistered";
    case RegistrationState::kRegistering:
      return "registering";
    case RegistrationState::kRegistered:
      return "registered";
    case RegistrationState::kFailed:
      return "failed";
  }
  return "?";
}

OutboundRegistration::OutboundRegistration(OutboundRegistrationOptions options,
                                           TrunkEndpoint endpoint, RegistrationAccount account)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      account_(std::move(account)),
      asked_expires_(account_.expires),
      backoff_(options_.retry_min) {
  if (!options_.wall_clock) options_.wall_clock = system_seconds;
  call_id_ = options_.make_call_id();
  from_tag_ = options_.layer.make_tag();
  targets_.push_back({endpoint_.peer, endpoint_.local_host_port});
  targets_.insert(targets_.end(), endpoint_.alternates.begin(), endpoint_.alternates.end());
  contact_ = make_contact(endpoint_.peer.transport, account_.username, endpoint_.local_host_port);
  status_.since = options_.wall_clock();
}

void OutboundRegistration::use_target(std::size_t index) {
  target_ = index;
  endpoint_.peer = targets_[index].peer;
  endpoint_.local_host_port = targets_[index].local_host_port;
  contact_ = make_contact(endpoint_.peer.transport, account_.username, endpoint_.local_host_port);
}

bool OutboundRegistration::fail_over(int code, std::string_view why) {
  if (stopping_ || targets_.size() < 2 || failed_targets_ + 1 >= targets_.size()) return false;
  ++failed_targets_;
  const std::string from = endpoint_.peer.remote.to_string();
  use_target((target_ + 1) % targets_.size());
  spdlog::warn("trunk {}: {} ({}) from {}, trying {}", endpoint_.domain, why, code, from,
               endpoint_.peer.remote.to_string());
  // Another server has its own nonces: start its challenge afresh.
  challenge_.reset();
  challenge_is_fresh_ = false;
  rounds_ = 0;
  send_register();
  return true;
}

void OutboundRegistration::start() {
  set_state(RegistrationState::kRegistering);
  send_register();
}

std::string OutboundRegistration::fresh_cnonce() {
  return options_.layer.make_tag() + options_.layer.make_tag();
}

void OutboundRegistration::send_register() {
  next_ = TimePoint::max();
  const std::string uri = endpoint_.request_uri();
  const std::string aor = "<" + endpoint_.aor(account_.username) + ">";
  const std::string from = aor + ";tag=" + from_tag_;
  const std::string via =
      make_via(endpoint_.peer.transport, endpoint_.local_host_port, options_.layer.make_branch());
  const std::uint32_t expires = stopping_ ? 0 : asked_expires_;
  std::string extra = "Contact: " + contact_ + "\r\nExpires: " + std::to_string(expires) + "\r\n";
  if (challenge_) {
    ++nc_;
    const DigestAnswer answer{.username = account_.username,
                              .password = account_.password,
                              .method = "REGISTER",
                              .digest_uri = uri,
                              .nc = nc_,
                              .cnonce = cnonce_};
    const std::string credentials = authorization_value(*challenge_, answer);
    if (credentials.empty()) {
      fail(500, "cannot compute digest credentials", false);
      return;
    }
    extra.append(authorization_header(*challenge_)).append(": ").append(credentials).append("\r\n");
  }
  const std::string wire = build_trunk_request({.method = "REGISTER",
                                                .request_uri = uri,
                                                .from = from,
                                                .to = aor,
                                                .call_id = call_id_,
                                                .cseq = ++cseq_,
                                                .via = via,
                                                .extra_lines = extra,
                                                .user_agent = options_.user_agent});
  auto sent = options_.layer.send_request(wire, endpoint_.peer);
  if (!sent) {
    pending_ = 0;
    if (!pending_unregister_ && fail_over(503, "cannot send REGISTER")) return;
    fail(503, "cannot send REGISTER: " + sent.error().message, true);
    return;
  }
  pending_ = *sent;
  pending_unregister_ = stopping_;
}

bool OutboundRegistration::on_response(TransactionId id, const psip::Message& response) {
  if (id == 0 || id != pending_) return false;
  const int code = response.status_code();
  if (code < 200) return true;
  pending_ = 0;
  status_.last_code = code;
  if (pending_unregister_) {
    if (code == 401 || code == 407) {
      if (auto challenge = pick_challenge(response, account_.auth_realm);
          challenge && rounds_++ < kMaxRounds) {
        challenge_ = std::move(challenge).value();
        nc_ = 0;
        cnonce_ = fresh_cnonce();
        send_register();
        return true;
      }
    }
    spdlog::info("trunk {}: unregistered ({})", endpoint_.domain, code);
    set_state(RegistrationState::kUnregistered);
    return true;
  }
  if (stopping_) {
    // unregister() came while this REGISTER was in flight: now remove what it may have made.
    rounds_ = 0;
    send_register();
    return true;
  }
  if (code >= 200 && code < 300) {
    on_success(response);
  } else if (code == 401 || code == 407) {
    on_challenge(response);
  } else if (code == 423) {
    const auto min = parse_seconds(response.first(psip::HeaderId::kMinExpires));
    if (!min || *min <= asked_expires_ || *min > kMaxMinExpires || rounds_++ >= kMaxRounds) {
      fail(code, "423 without a usable Min-Expires", false);
      return true;
    }
    asked_expires_ = *min;
    send_register();
  } else {
    if ((code == 503 || code == 408) && fail_over(code, "no service")) return true;
    const bool transient = code >= 500 || code == 408 || code == 480;
    fail(code, std::string(response.reason_phrase()), transient);
  }
  return true;
}

void OutboundRegistration::on_challenge(const psip::Message& response) {
  const int code = response.status_code();
  auto challenge = pick_challenge(response, account_.auth_realm);
  if (!challenge) {
    fail(code, challenge.error().message, false);
    return;
  }
  // Our credentials answered a challenge of this very attempt and the provider still refuses
  // them without calling the nonce stale: the password (or user name) is wrong. Asking again
  // would only be the flood that gets an account locked.
  if (challenge_ && challenge_is_fresh_ && !challenge->stale) {
    fail(code, "credentials rejected (wrong user name or password?)", false);
    return;
  }
  if (rounds_++ >= kMaxRounds) {
    fail(code, "too many challenges", false);
    return;
  }
  challenge_ = std::move(challenge).value();
  challenge_is_fresh_ = true;
  nc_ = 0;
  cnonce_ = fresh_cnonce();
  send_register();
}

std::uint32_t OutboundRegistration::granted_expiry(const psip::Message& response) const {
  // §10.2.4: the expires parameter of our own Contact binding; the provider may list others.
  const auto ours = psip::parse_name_addr(contact_);
  for (const psip::HeaderField& field : response.headers()) {
    if (field.id != psip::HeaderId::kContact) continue;
    auto contact = psip::parse_name_addr(response.value(field));
    if (!contact) continue;
    const bool same = ours && iequals(contact->uri.user, ours->uri.user) &&
                      iequals(contact->uri.host, ours->uri.host) &&
                      contact->uri.port == ours->uri.port;
    if (!same) continue;
    if (const auto expires = contact->params.get("expires")) {
      if (const auto seconds = parse_seconds(*expires)) return *seconds;
    }
  }
  if (const auto header = parse_seconds(response.first(psip::HeaderId::kExpires))) return *header;
  return asked_expires_;
}

void OutboundRegistration::on_success(const psip::Message& response) {
  const std::uint32_t granted = granted_expiry(response);
  if (granted == 0) {
    fail(response.status_code(), "the provider granted 0 seconds", true);
    return;
  }
  rounds_ = 0;
  failed_targets_ = 0;
  challenge_is_fresh_ = false;  // the next refresh reuses this nonce
  backoff_ = options_.retry_min;
  last_failure_transient_ = false;
  status_.granted_expires = granted;
  status_.expires_at = options_.wall_clock() + static_cast<std::int64_t>(granted);
  status_.reason.clear();
  const auto refresh = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(granted * options_.refresh_at));
  next_ = options_.clock.now() + std::max<Duration>(refresh, std::chrono::seconds(1));
  if (status_.state != RegistrationState::kRegistered) {
    spdlog::info("trunk {}: registered as {} for {} s", endpoint_.domain, account_.username,
                 granted);
  }
  set_state(RegistrationState::kRegistered);
  if (options_.on_change) options_.on_change();
}

void OutboundRegistration::fail(int code, std::string reason, bool transient) {
  status_.last_code = code;
  status_.reason = std::move(reason);
  rounds_ = 0;
  challenge_is_fresh_ = false;
  if (!transient) challenge_.reset();  // a refused password starts over with a fresh challenge
  if (failed_targets_ != 0 || target_ != 0) {
    // Every target failed: the next attempt starts from the most preferred one again.
    failed_targets_ = 0;
    use_target(0);
    challenge_.reset();
  }
  last_failure_transient_ = transient;
  next_ = options_.clock.now() + backoff_;
  spdlog::warn("trunk {}: registration failed ({} {}), next attempt in {} s", endpoint_.domain,
               code, status_.reason,
               std::chrono::duration_cast<std::chrono::seconds>(backoff_).count());
  backoff_ = std::min(backoff_ * 2, options_.retry_max);
  set_state(RegistrationState::kFailed);
  if (options_.on_change) options_.on_change();
}

bool OutboundRegistration::on_client_failure(TransactionId id, ClientFailure failure) {
  if (id == 0 || id != pending_) return false;
  pending_ = 0;
  const int code = failure_status_code(failure);
  if (pending_unregister_ || stopping_) {
    status_.last_code = code;
    set_state(RegistrationState::kUnregistered);
    return true;
  }
  const char* why = failure == ClientFailure::kTimeout ? "no answer" : "transport error";
  if (fail_over(code, why)) return true;
  fail(code, why, true);
  return true;
}

void OutboundRegistration::provider_reachable() {
  if (stopping_ || pending_ != 0) return;
  if (status_.state == RegistrationState::kFailed && last_failure_transient_) {
    next_ = options_.clock.now();
  }
}

void OutboundRegistration::process_timers() {
  if (stopping_ || pending_ != 0 || options_.clock.now() < next_) return;
  if (status_.state != RegistrationState::kRegistered) set_state(RegistrationState::kRegistering);
  send_register();
}

void OutboundRegistration::unregister() {
  if (stopping_) return;
  stopping_ = true;
  next_ = TimePoint::max();
  rounds_ = 0;
  if (pending_ != 0) return;  // on_response sends the Expires: 0 once this one is answered
  if (status_.state == RegistrationState::kRegistered) {
    send_register();
    if (pending_ == 0) set_state(RegistrationState::kUnregistered);
    return;
  }
  set_state(RegistrationState::kUnregistered);
}

void OutboundRegistration::set_state(RegistrationState state) {
  if (status_.state == state) return;
  status_.state = state;
  status_.since = options_.wall_clock();
  if (options_.on_change) options_.on_change();
}

}  // namespace parley::sip
