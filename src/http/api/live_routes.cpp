// Live calls: the calls in progress as the running server knows them (no store involved, except
// to name tenants), and hanging one up.

#include <algorithm>

#include "http/api/api_impl.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kMaxCallIdLength = 64;

nlohmann::json live_call_json(const LiveCallInfo& call, const store::Tenant& tenant,
                              store::UnixMillis now_ms) {
  return {{"id", call.id},
          {"tenant", tenant.domain},
          {"caller", call.caller},
          {"callee", call.callee},
          {"call_id", call.call_id},
          {"state", call.answered ? "answered" : "ringing"},
          {"started_ms", call.started_ms},
          {"answered_ms", call.answered_ms ? nlohmann::json(*call.answered_ms) : nullptr},
          {"duration_ms", std::max<store::UnixMillis>(0, now_ms - call.started_ms)}};
}

}  // namespace

// The tenants a request about live calls covers: the one named by ?tenant= (404 when hidden,
// like every other tenant lookup), else all of them for a system admin, else the caller's own.
std::optional<std::vector<store::Tenant>> RestApi::Impl::live_scope(const Call& call,
                                                                    Response& failure) const {
  if (const auto domain = query_param(call.request.query, "tenant")) {
    auto tenant = visible_tenant(*call.principal, *domain, failure);
    if (!tenant) return std::nullopt;
    return std::vector<store::Tenant>{std::move(*tenant)};
  }
  if (call.principal->role == Role::kSystemAdmin) {
    auto tenants = store_.list_tenants();
    if (!tenants) {
      failure = store_problem(tenants.error());
      return std::nullopt;
    }
    return std::move(tenants).value();
  }
  if (!call.principal->tenant_id) {
    failure = problem(403, "only admins see live calls");
    return std::nullopt;
  }
  auto tenant = store_.get_tenant(*call.principal->tenant_id);
  if (!tenant) {
    failure = store_problem(tenant.error());
    return std::nullopt;
  }
  return std::vector<store::Tenant>{std::move(tenant).value()};
}

Response RestApi::Impl::live_calls(const Call& call) const {
  Response failure;
  const auto tenants = live_scope(call, failure);
  if (!tenants) return failure;
  const store::UnixMillis now_ms = static_cast<store::UnixMillis>(now()) * 1000;
  nlohmann::json items = nlohmann::json::array();
  std::size_t answered = 0;
  if (options_.live_calls) {
    for (const auto& tenant : *tenants) {
      for (const auto& live : options_.live_calls(tenant.id)) {
        if (live.answered) ++answered;
        items.push_back(live_call_json(live, tenant, now_ms));
      }
    }
  }
  return json_response(
      200,
      {{"items", items},
       {"counts",
        {{"total", items.size()}, {"answered", answered}, {"ringing", items.size() - answered}}}});
}

Response RestApi::Impl::hang_up(const Call& call) const {
  const std::string& id = call.params[0];
  if (id.size() > kMaxCallIdLength) return problem(404, "no live call with that id", "id");
  Response failure;
  const auto tenants = live_scope(call, failure);
  if (!tenants) return failure;
  const store::Tenant* owner = nullptr;
  if (options_.live_calls) {
    for (const auto& tenant : *tenants) {
      for (const auto& live : options_.live_calls(tenant.id)) {
        if (live.id == id) owner = &tenant;
      }
    }
  }
  if (owner == nullptr) return problem(404, "no live call with that id", "id");
  if (!options_.hang_up) {
    return problem(501, "hanging up a call from the API is not available in this version");
  }
  if (options_.hang_up(owner->id, id) == HangUpOutcome::kNotFound) {
    return problem(404, "no live call with that id (it may just have ended)", "id");
  }
  // The owning worker sends the BYEs (or the CANCEL) right after; the call leaves the live
  // list when its B2BUA reports it over.
  Response response;
  response.status = 204;
  response.headers.set("Cache-Control", "no-store");
  return response;
}

}  // namespace parley::http::api
