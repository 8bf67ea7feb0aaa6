#include "app/trunk_calls.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "app/trunk_source_match.hpp"
#include "protocol/sip/headers.hpp"
#include "protocol/sip/uri.hpp"

namespace parley::app {
namespace {

std::string status_key(std::string_view domain, std::string_view name) {
  std::string key(domain);
  key.append("\n").append(name);
  return key;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string unbracketed(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return lower(host);
}

// A dialled number as a URI user part: '#' is not allowed there unescaped (RFC 3261 §25.1).
std::string uri_user(std::string_view digits) {
  std::string out;
  for (const char c : digits) {
    if (c == '#') {
      out.append("%23");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view reason_for(int status) {
  switch (status) {
    case 403:
      return "Forbidden";
    case 484:
      return "Address Incomplete";
    case 486:
      return "Busy Here";
    case 503:
      return "No Trunk Available";
    default:
      return "Not Found";
  }
}

sip::CallPlan refusal(int status) {
  sip::CallPlan plan;
  plan.reject_status = status;
  plan.reject_reason = reason_for(status);
  return plan;
}

}  // namespace

void TrunkCalls::publish(TrunkCallsSnapshot snapshot) {
  auto shared = std::make_shared<const TrunkCallsSnapshot>(std::move(snapshot));
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(shared);
}

void TrunkCalls::set_status(const std::vector<sip::TrunkStatus>& status) {
  std::set<std::string> down;
  for (const sip::TrunkStatus& trunk : status) {
    if (trunk.keepalive && trunk.reachability.state == sip::Reachability::kDown) {
      down.insert(status_key(trunk.tenant_domain, trunk.name));
    }
  }
  std::lock_guard lock(mutex_);
  down_ = std::move(down);
}

std::shared_ptr<const TrunkCallsSnapshot> TrunkCalls::current() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

bool TrunkCalls::is_down(const TrunkCallsSnapshot& snapshot, const store::Trunk& trunk) const {
  const auto domain = snapshot.domains.find(trunk.tenant_id);
  if (domain == snapshot.domains.end()) return false;
  std::lock_guard lock(mutex_);
  return down_.contains(status_key(domain->second, trunk.name));
}

sip::CallPlan TrunkCalls::plan_outbound(const sip::CallTenant& tenant, std::string_view extension,
                                        std::string_view dialled) {
  const auto snapshot = current();
  const pbx::TrunkPolicy& policy = snapshot->policy;
  auto planned = policy.plan_outbound(tenant.id, extension, dialled);
  if (!planned) {
    const int status = planned.error().code != 0 ? planned.error().code : 404;
    spdlog::warn("outbound call refused ({}): tenant {} extension {} number {}: {}", status,
                 tenant.domain, extension, dialled, planned.error().message);
    return refusal(status);
  }
  const pbx::OutboundCall& call = *planned;
  const auto usable = policy.usable_trunks(tenant.id, call.route, [&](const store::Trunk& trunk) {
    return snapshot->endpoints.contains(trunk.id) && !is_down(*snapshot, trunk);
  });
  if (usable.empty()) {
    spdlog::warn(
        "outbound call refused (503): tenant {} extension {} number {}: route {} has no "
        "usable trunk (disabled, unresolved or down)",
        tenant.domain, extension, dialled, call.route.route);
    return refusal(503);
  }
  const bool every_trunk_full =
      std::all_of(usable.begin(), usable.end(), [&](const store::Trunk* trunk) {
        return trunk->max_calls != 0 && channels_.in_use(trunk->id) >= trunk->max_calls;
      });
  if (every_trunk_full) {
    spdlog::warn(
        "outbound call refused (503): tenant {} extension {} number {}: every trunk of route {} "
        "is at its max_calls",
        tenant.domain, extension, dialled, call.route.route);
    sip::CallPlan plan = refusal(503);
    plan.reject_reason = "All Trunks Busy";
    return plan;
  }
  auto lease = meter_.start(tenant.id, policy.meter_limits(tenant.id), call.emergency());
  if (!lease) {
    spdlog::warn("outbound call refused ({}): tenant {} extension {} number {}: {}",
                 lease.error().code, tenant.domain, extension, dialled, lease.error().message);
    return refusal(403);
  }
  sip::CallPlan plan;
  for (const store::Trunk* trunk : usable) {
    const sip::TrunkEndpoint& endpoint = snapshot->endpoints.at(trunk->id);
    const std::string provider = endpoint.request_uri().substr(4);  // "domain[:port]"
    // Caller-ID: the route's, else the trunk's, else the account name (many providers only
    // accept their account in From), else the extension.
    std::string caller_id = call.route.caller_id;
    if (caller_id.empty()) caller_id = trunk->caller_id;
    if (caller_id.empty()) caller_id = trunk->username;
    if (caller_id.empty()) caller_id = std::string(extension);
    sip::ExternalTarget target;
    target.peer = endpoint.peer;
    target.request_uri = "sip:" + uri_user(call.route.digits) + "@" + provider;
    target.from_uri = "sip:" + uri_user(caller_id) + "@" + endpoint.domain;
    target.credentials =
        sip::DigestCredentials{trunk->username, trunk->password, trunk->auth_realm};
    target.label = "trunk " + trunk->name + "@" + tenant.domain;
    target.caller_id_passthrough = trunk->caller_id_passthrough;
    // Claimed even without a limit, so that `parley trunk status` counts every call. `this`
    // outlives every call and so every target: TrunkService owns it and outlives the workers.
    target.claim = [this, id = trunk->id, max = trunk->max_calls]() -> std::shared_ptr<void> {
      auto slot = channels_.try_claim(id, max);
      if (!slot) return nullptr;
      return std::make_shared<pbx::TrunkCallSlot>(std::move(*slot));
    };
    // RFC 3263 §4.3: the trunk's further servers (SRV targets) are tried in order when the one
    // before fails (503, timeout, no connection): one stage each, after the first.
    std::vector<sip::Peer> servers{endpoint.peer};
    for (const sip::TrunkTarget& alternate : endpoint.alternates) servers.push_back(alternate.peer);
    for (const sip::Peer& server : servers) {
      sip::ExternalTarget to_server = target;
      to_server.peer = server;
      plan.stages.push_back(sip::RingStage{{}, Duration{}, {std::move(to_server)}});
    }
  }
  spdlog::info(
      "outbound call: tenant {} extension {} number {} -> route {} digits {} ({} trunk(s))",
      tenant.domain, extension, dialled, call.route.route, call.route.digits, plan.stages.size());
  plan.keep_alive = std::make_shared<pbx::ExternalCallLease>(std::move(lease).value());
  return plan;
}

std::optional<sip::CallAuth> TrunkCalls::authenticate_peer(
    const sip::Peer& source, const protocol::sip::Message& invite) const {
  const auto snapshot = current();
  if (snapshot->endpoints.empty() && snapshot->client_tls.empty()) return std::nullopt;
  std::vector<const store::Trunk*> matches;
  const store::Trunk* same_ip = nullptr;
  for (const store::Trunk& trunk : snapshot->policy.trunks()) {
    if (!trunk.enabled) continue;
    if (const auto tls = snapshot->client_tls.find(trunk.id); tls != snapshot->client_tls.end()) {
      if (presents_certificate_of(trunk, tls->second, source)) matches.push_back(&trunk);
      continue;
    }
    const auto endpoint = snapshot->endpoints.find(trunk.id);
    if (endpoint == snapshot->endpoints.end()) continue;
    if (comes_from_trunk_server(endpoint->second, source)) {
      matches.push_back(&trunk);
    } else if (same_ip == nullptr && shares_trunk_server_ip(endpoint->second, source)) {
      same_ip = &trunk;
    }
  }
  if (matches.empty() && same_ip != nullptr) {
    // Decision 0048: the provider's IP from another port or transport is somebody else.
    spdlog::info(
        "INVITE from {} ({}) has the address of trunk {} but not its port or transport: "
        "not the trunk",
        source.remote.to_string(), sip::to_text(source.transport), same_ip->name);
  }
  if (matches.empty()) {
    // Not from any trunk's address: refuse it only when it pretends to be one.
    auto from = protocol::sip::parse_name_addr(invite.first(protocol::sip::HeaderId::kFrom));
    if (!from.ok()) return std::nullopt;
    const std::string from_host = unbracketed(from->uri.host);
    for (const store::Trunk& trunk : snapshot->policy.trunks()) {
      if (trunk.enabled && unbracketed(trunk.host) == from_host) {
        spdlog::warn("INVITE from {} claims to come from trunk {} ({}): refused",
                     source.remote.to_string(), trunk.name, trunk.host);
        sip::CallAuth refused;
        refused.outcome = sip::CallAuthOutcome::kForbidden;
        return refused;
      }
    }
    return std::nullopt;
  }
  // Several tenants may peer with the same provider address: the one with the DID wins.
  const store::Trunk* chosen = matches.front();
  if (matches.size() > 1) {
    auto uri = protocol::sip::parse_uri(invite.request_uri());
    if (uri.ok()) {
      for (const store::Trunk* trunk : matches) {
        if (snapshot->policy.lookup_did(trunk->tenant_id, trunk->name, uri->user)) {
          chosen = trunk;
          break;
        }
      }
    }
  }
  const auto domain = snapshot->domains.find(chosen->tenant_id);
  sip::CallAuth auth;
  auth.outcome = sip::CallAuthOutcome::kOk;
  auth.username = chosen->name;
  auth.trusted_peer = sip::CallTenant{
      chosen->tenant_id, domain != snapshot->domains.end() ? domain->second : std::string()};
  return auth;
}

bool TrunkCalls::presents_certificate_of(const store::Trunk& trunk, const TrunkClientCheck& check,
                                         const sip::Peer& source) const {
  const auto chain = source.transport == sip::TransportKind::kTls
                         ? peer_certificates_.find(source.connection_id)
                         : nullptr;
  auto presented = presents_trunk_certificate(check, source.transport, chain.get());
  if (!presented && chain) {
    // Only TLS clients that showed a certificate are worth a line: phones show none.
    spdlog::info("TLS client {} is not trunk {} (mutual TLS): {}", source.remote.to_string(),
                 trunk.name, presented.error().message);
  }
  return presented.ok();
}

Result<std::shared_ptr<void>> TrunkCalls::claim_inbound(store::TenantId tenant,
                                                        std::string_view trunk) {
  const auto snapshot = current();
  const store::Trunk* found = snapshot->policy.find_trunk(tenant, trunk);
  if (found == nullptr) return std::shared_ptr<void>();
  auto slot = channels_.try_claim(found->id, found->max_calls);
  if (!slot) {
    return make_error(486, "trunk " + found->name + " is at its limit of " +
                               std::to_string(found->max_calls) + " calls");
  }
  return std::shared_ptr<void>(std::make_shared<pbx::TrunkCallSlot>(std::move(*slot)));
}

Result<pbx::DidMatch> TrunkCalls::lookup_did(store::TenantId tenant, std::string_view trunk,
                                             std::string_view called) const {
  return current()->policy.lookup_did(tenant, trunk, called);
}

}  // namespace parley::app
