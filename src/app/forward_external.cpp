#include "app/forward_external.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace parley::app {

namespace {

// Only a telephone number ("+", digits) may stand in From for the outside caller; anything else
// ("anonymous", a name) keeps the trunk's own number.
bool is_phone_number(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  return !text.empty() && text.size() <= 32 &&
         std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

// A forwarder's number as a URI user part: what is not unreserved is %-escaped (RFC 3261 §25).
std::string uri_user(std::string_view number) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : number) {
    if (std::isalnum(c) != 0 || c == '+' || c == '-' || c == '.' || c == '_' || c == '*') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4U]);
      out.push_back(kHex[c & 0x0FU]);
    }
  }
  return out;
}

// RFC 5806's reason tokens; pbx::Diversion uses them already, anything else is "unknown".
std::string_view diversion_reason(std::string_view reason) {
  static constexpr std::string_view kKnown[] = {"unconditional", "user-busy",      "no-answer",
                                                "unavailable",   "do-not-disturb", "deflection",
                                                "time-of-day",   "follow-me",      "away"};
  return std::find(std::begin(kKnown), std::end(kKnown), reason) != std::end(kKnown) ? reason
                                                                                     : "unknown";
}

}  // namespace

std::string diversion_lines(std::span<const pbx::Diversion> chain, std::string_view domain) {
  std::string out;
  for (auto hop = chain.rbegin(); hop != chain.rend(); ++hop) {
    out.append("Diversion: <sip:")
        .append(uri_user(hop->from))
        .append("@")
        .append(domain)
        .append(">;reason=")
        .append(diversion_reason(hop->reason))
        .append(";counter=1\r\n");
  }
  return out;
}

void present_forwarded_caller(sip::ExternalTarget& target, ForwardedCaller caller,
                              std::string_view diversions) {
  target.extra_lines.append(diversions);
  const auto at = target.from_uri.rfind('@');
  if (caller.outside && target.caller_id_passthrough && is_phone_number(caller.number) &&
      at != std::string::npos) {
    target.extra_lines.append("P-Asserted-Identity: <").append(target.from_uri).append(">\r\n");
    target.from_uri = "sip:" + std::string(caller.number) + target.from_uri.substr(at);
    target.from_display.clear();
    return;
  }
  target.from_display = std::string(caller.number);
}

sip::CallPlan forward_to_external(sip::CallPlan base, const pbx::CallPlan& local,
                                  TrunkCalls& trunks, const sip::CallTenant& tenant,
                                  ForwardedCaller caller) {
  const std::string& number = local.final.target;
  const std::string forwarder = local.final.diversions.empty() ? std::string(caller.number)
                                                               : local.final.diversions.back().from;
  sip::CallPlan outbound = trunks.plan_outbound(tenant, forwarder, number);
  const bool conditional = !base.stages.empty();
  if (outbound.reject_status != 0 || outbound.stages.empty()) {
    const int status = outbound.reject_status != 0 ? outbound.reject_status : 480;
    spdlog::warn(
        "forwarding refused ({}): tenant {} extension {} forwards {}'s call to {}: not allowed "
        "for {} (its call classes and the tenant's routes decide)",
        status, tenant.domain, forwarder, caller.number, number, forwarder);
    if (conditional) {
      base.exhausted_status = status;
      base.exhausted_application.clear();
    } else {
      base.reject_status = status;
      base.reject_reason =
          outbound.reject_reason.empty() ? "Forwarding Not Allowed" : outbound.reject_reason;
    }
    return base;
  }
  spdlog::info("forwarding: tenant {} extension {} forwards {}'s call to {} through a trunk",
               tenant.domain, forwarder, caller.number, number);
  const std::string diversions = diversion_lines(local.final.diversions, tenant.domain);
  for (sip::RingStage& stage : outbound.stages) {
    for (sip::ExternalTarget& target : stage.externals) {
      present_forwarded_caller(target, caller, diversions);
    }
    base.stages.push_back(std::move(stage));
  }
  base.reject_status = 0;
  base.reject_reason.clear();
  base.exhausted_status = outbound.exhausted_status;
  base.exhausted_application.clear();
  base.keep_alive = std::move(outbound.keep_alive);
  return base;
}

}  // namespace parley::app
