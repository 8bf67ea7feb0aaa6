#pragma once
// Forwarding to an external number through a provider trunk (issue 6, decision 0041).
//
// The dial plan ends a forwarding chain at an external number (FinalKind::kExternal). Whose
// permission applies is the *forwarding* extension's: the outbound call is planned as if it had
// dialled the number itself (its call classes, blocked prefixes, the tenant's routes, the
// toll-fraud meter), so an extension without the international class cannot forward abroad.
// A refusal keeps its status (403 for classes and limits, 404 no route, 503 no trunk) and is
// logged naming the forwarder, the caller and the number; when the forward was conditional
// (busy, no answer) the earlier stages still ring and the refusal is the caller's final answer.
// The trunk's own caller ID (the route's, the trunk's, else its account) is what providers
// accept in From, so it stays; the original caller's number is presented as the display name.
// The meter's lease is held for the whole call and every trunk branch claims a channel as any
// outbound call does, so forwarded calls count against tenant and trunk limits.

#include <string_view>

#include "app/dial_plan_service.hpp"
#include "app/trunk_calls.hpp"
#include "pbx/dial_plan.hpp"
#include "sip/call_routing.hpp"

namespace parley::app {

// `local` is the dial plan's answer (final kind kExternal) for `caller` in `tenant`; `base` is
// its sip::CallPlan without the external part (DialPlanService::to_sip).
sip::CallPlan forward_to_external(sip::CallPlan base, const pbx::CallPlan& local,
                                  TrunkCalls& trunks, const sip::CallTenant& tenant,
                                  std::string_view caller);

}  // namespace parley::app
