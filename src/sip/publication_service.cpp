#include "sip/publication_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <variant>

#include "base/ascii.hpp"
#include "protocol/sip/headers.hpp"
#include "protocol/sip/uri.hpp"
#include "sip/pidf.hpp"
#include "sip/request_auth.hpp"
#include "sip/subscribe_request.hpp"

namespace parley::sip {
namespace {

namespace psip = protocol::sip;
using psip::HeaderId;
using psip::Message;

constexpr std::string_view kPidfType = "application/pidf+xml";

using base::iequals;

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// "application/pidf+xml; charset=UTF-8" -> "application/pidf+xml"
std::string_view media_type_of(std::string_view content_type) {
  return trimmed(content_type.substr(0, content_type.find(';')));
}

}  // namespace

PublicationService::PublicationService(PublicationServiceOptions options)
    : options_(std::move(options)) {}

void PublicationService::respond(ServerTransaction& transaction, int status,
                                 std::string_view reason, psip::ExtraHeaders extra) {
  const std::string tag = options_.layer.make_tag();
  psip::ResponseOptions response;
  response.status_code = status;
  response.reason = reason;
  response.to_tag = tag;
  response.extra_headers = std::move(extra);
  response.extra_headers.emplace_back("Server", options_.user_agent);
  if (auto sent = transaction.respond(response); !sent) {
    spdlog::debug("PUBLISH answer {} not sent: {}", status, sent.error().message);
  }
}

void PublicationService::refuse(ServerTransaction& transaction, int status, std::string_view reason,
                                psip::ExtraHeaders extra) {
  ++stats_.refused;
  respond(transaction, status, reason, std::move(extra));
}

void PublicationService::on_publish(ServerTransaction& transaction, const Message& request) {
  auto read = read_subscribe(request);  // Event and Expires read as for SUBSCRIBE
  if (read && read->package != EventPackage::kPresence) {
    refuse(transaction, 489, {}, {{"Allow-Events", "presence"}});
    return;
  }
  if (!read) {
    refuse(transaction, read.error().code, read.error().message);
    return;
  }
  auto checked =
      authenticate_request(request, transaction.peer().remote.ip(),
                           {options_.directory, options_.authenticator, options_.throttle});
  if (auto* refusal = std::get_if<RequestRefusal>(&checked)) {
    ++(refusal->is_challenge() ? stats_.challenged : stats_.refused);
    respond(transaction, refusal->status, refusal->reason, std::move(refusal->extra));
    return;
  }
  const auto& [directory, tenant, username, target_tenant, target_user] =
      std::get<AuthenticatedRequest>(checked);
  if (target_tenant == nullptr || target_tenant->id != tenant->id || target_user != username) {
    refuse(transaction, 403, "Only Your Own Presence");
    return;
  }
  if (directory->extension(tenant->id, username) == nullptr) {
    refuse(transaction, 404);
    return;
  }
  const std::string key = PresenceHub::key(tenant->id, username);

  const std::string_view if_match = trimmed(request.first("SIP-If-Match"));
  std::uint32_t expires = read->expires.value_or(options_.default_expires);
  if (expires != 0 && expires < options_.min_expires) {
    refuse(transaction, 423, {}, {{"Min-Expires", std::to_string(options_.min_expires)}});
    return;
  }
  expires = std::min(expires, options_.max_expires);

  std::optional<UserPresence> presence;
  if (!request.body().empty()) {
    if (!iequals(media_type_of(request.first(HeaderId::kContentType)), kPidfType)) {
      refuse(transaction, 415, {}, {{"Accept", std::string(kPidfType)}});
      return;
    }
    const std::string_view coding = trimmed(request.first(HeaderId::kContentEncoding));
    if (!coding.empty() && !iequals(coding, "identity")) {
      refuse(transaction, 415, {}, {{"Accept-Encoding", "identity"}});
      return;
    }
    auto parsed = parse_pidf(request.body());
    if (!parsed) {
      refuse(transaction, 400, parsed.error().message);
      return;
    }
    presence = std::move(parsed).value();
  }

  const TimePoint now = options_.clock.now();
  if (if_match.empty()) {
    if (!presence) {
      refuse(transaction, 400, "PUBLISH Without Body Or SIP-If-Match");
      return;
    }
    if (expires == 0) {  // published and gone at once: nothing to keep
      respond(transaction, 200, {}, {{"Expires", "0"}});
      return;
    }
    std::string etag = options_.layer.make_tag();
    const TimePoint expires_at = now + std::chrono::seconds(expires);
    options_.hub.add_publication(key, Publication{etag, std::move(*presence), expires_at});
    schedule_expiry(key, expires_at);
    ++stats_.published;
    respond(transaction, 200, {}, {{"SIP-ETag", etag}, {"Expires", std::to_string(expires)}});
    return;
  }
  if (expires == 0) {
    if (!options_.hub.remove_publication(key, if_match)) {
      refuse(transaction, 412, "Conditional Request Failed");
      return;
    }
    ++stats_.removed;
    respond(transaction, 200, {}, {{"Expires", "0"}});
    return;
  }
  std::string etag = options_.layer.make_tag();
  const TimePoint expires_at = now + std::chrono::seconds(expires);
  const bool modify = presence.has_value();
  if (!options_.hub.update_publication(
          key, if_match, Publication{etag, presence.value_or(UserPresence{}), expires_at},
          modify)) {
    refuse(transaction, 412, "Conditional Request Failed");
    return;
  }
  schedule_expiry(key, expires_at);
  ++(modify ? stats_.modified : stats_.refreshed);
  respond(transaction, 200, {}, {{"SIP-ETag", etag}, {"Expires", std::to_string(expires)}});
}

void PublicationService::schedule_expiry(const std::string& key, TimePoint at) {
  const std::uint64_t cookie = next_cookie_++;
  expiries_.emplace(cookie, key);
  timers_.schedule(at, cookie);
}

TimePoint PublicationService::next_deadline() const {
  return timers_.next_deadline().value_or(TimePoint::max());
}

void PublicationService::process_timers() {
  const TimePoint now = options_.clock.now();
  while (auto expired = timers_.pop_due(now)) {
    auto it = expiries_.find(expired->cookie);
    if (it == expiries_.end()) continue;
    const std::string key = std::move(it->second);
    expiries_.erase(it);
    ++stats_.expired;
    // Only publications whose expiry has passed go: a refresh meanwhile (here or on another
    // worker) moved its expiry on and scheduled its own timer.
    options_.hub.expire_publications(key, now);
  }
}

}  // namespace parley::sip
