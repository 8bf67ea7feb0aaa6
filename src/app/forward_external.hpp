#pragma once
// Forwarding to an external number through a provider trunk (issue 6, decisions 0041, 0047).
//
// The dial plan ends a forwarding chain at an external number (FinalKind::kExternal), at once
// (forward always, busy while in a call, unregistered) or after the earlier stages rang
// (no answer). Whose permission applies is the *forwarding* extension's: the outbound call is
// planned as if it had dialled the number itself (its call classes, blocked prefixes, the
// tenant's routes, the toll-fraud meter), so an extension without the international class
// cannot forward abroad. A refusal keeps its status (403 for classes and limits, 404 no route,
// 503 no trunk) and is logged naming the forwarder, the caller and the number; when the forward
// was conditional (no answer) the earlier stages still ring and the refusal is the caller's
// final answer.
//
// Caller ID (decision 0047): the trunk's own caller ID (the route's, the trunk's, else its
// account) is what every provider accepts in From, so by default it stays there and the
// original caller's number is the From display name. A trunk with caller-ID passthrough
// presents an *outside* caller's own number in From instead, with the trunk's own number in
// P-Asserted-Identity (the network number providers check). Extension callers are never passed
// through: their numbers mean nothing outside. Every forwarded INVITE carries one Diversion
// (RFC 5806) per forwarding hop, newest first, naming the forwarder and the reason.
// The meter's lease is held for the whole call and every trunk branch claims a channel as any
// outbound call does, so forwarded calls count against tenant and trunk limits.

#include <span>
#include <string>
#include <string_view>

#include "app/dial_plan_service.hpp"
#include "app/trunk_calls.hpp"
#include "pbx/dial_plan.hpp"
#include "sip/call_routing.hpp"

namespace parley::app {

// Who is being forwarded: the From user of the call, and whether it came in through a trunk
// (a DID call: an outside number) or from one of the tenant's extensions.
struct ForwardedCaller {
  std::string_view number;
  bool outside = false;
};

// `local` is the dial plan's answer (final kind kExternal) for `caller` in `tenant`; `base` is
// its sip::CallPlan without the external part (DialPlanService::to_sip).
sip::CallPlan forward_to_external(sip::CallPlan base, const pbx::CallPlan& local,
                                  TrunkCalls& trunks, const sip::CallTenant& tenant,
                                  ForwardedCaller caller);

// Diversion header lines ("Diversion: ...\r\n") for `chain` (oldest first), newest first, each
// naming the forwarder as sip:<number>@<domain>.
std::string diversion_lines(std::span<const pbx::Diversion> chain, std::string_view domain);

// Sets `target`'s From (and P-Asserted-Identity, Diversion lines) for a forwarded `caller`
// per the rules above; `diversions` are diversion_lines() for the call.
void present_forwarded_caller(sip::ExternalTarget& target, ForwardedCaller caller,
                              std::string_view diversions);

}  // namespace parley::app
