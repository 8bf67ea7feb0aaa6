// Ring groups, per-extension forwarding and do-not-disturb over the API (issue 9, on top of the
// call features of issue 6). Each write is one CallFeatureStore call, so one transaction: a
// request is applied whole or not at all (a ring group's PATCH included, decision 0054). The dial
// plan of the running server reloads through directory_changed() before the answer leaves.

#include <array>

#include "http/api/api_impl.hpp"
#include "store/validation.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 1000;

nlohmann::json ring_group_json(const store::RingGroup& group) {
  return {{"number", group.number},
          {"name", group.name},
          {"strategy", std::string(to_text(group.strategy))},
          {"member_timeout_seconds", group.member_timeout_seconds},
          {"members", group.members},
          {"final_destination", store::to_text(group.final_destination)},
          {"created_at", group.created_at}};
}

nlohmann::json call_features_json(const store::ExtensionCallFeatures& features) {
  nlohmann::json forwards = nlohmann::json::array();
  for (const store::CallForward& forward : features.forwards) {
    nlohmann::json rule = {{"condition", std::string(to_text(forward.condition))},
                           {"destination", store::to_text(forward.destination)}};
    if (forward.condition == store::ForwardCondition::kNoAnswer) {
      rule["no_answer_seconds"] = forward.no_answer_seconds;
    }
    forwards.push_back(std::move(rule));
  }
  return {{"number", features.number}, {"dnd", features.dnd}, {"forwards", forwards}};
}

constexpr std::string_view kResources = "call features";

// The store's not-found messages name the tenant's internal id; the API names its domain.
Response missing(const Error& error, std::string_view what, std::string_view number,
                 const store::Tenant& tenant) {
  if (store::is_error(error, store::StoreError::kNotFound) ||
      store::is_error(error, store::StoreError::kInvalidInput)) {
    return not_in_tenant(what, number, tenant);
  }
  return store_problem(error);
}

// The store names the member or destination it refused; point the form at that input.
std::string_view refused_group_field(std::string_view message) {
  if (message.starts_with("member")) return "members";
  if (message.find("destination") != std::string_view::npos) return "final_destination";
  return "number";
}

}  // namespace

// --- ring groups -------------------------------------------------------------------------------

Response RestApi::Impl::list_ring_groups(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_features, kResources, failure);
  if (!tenant) return failure;
  const auto page = read_page(call.request, kDefaultPage, kMaxPage, failure);
  if (!page) return failure;
  auto groups = options_.call_features->list_ring_groups(tenant->id);
  if (!groups) return store_problem(groups.error());
  return json_response(200, page_by_number(*groups, *page, ring_group_json));
}

Response RestApi::Impl::create_ring_group(const Call& call) const {
  static constexpr std::array<std::string_view, 6> kFields{
      "number", "name", "strategy", "member_timeout_seconds", "members", "final_destination"};
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_features, kResources, failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto number = body->string("number", error);
  const auto name = body->string("name", error);
  const auto strategy_text = body->string("strategy", error);
  const auto timeout = body->integer("member_timeout_seconds", store::kMinRingSeconds,
                                     store::kMaxRingSeconds, error);
  const auto members = body->strings("members", store::kMaxRingGroupMembers, error);
  const auto final_text = body->string("final_destination", error);
  if (!error.detail.empty()) return body_problem(error);
  if (auto refused = check_number_and_name(number, name)) return *refused;
  store::RingGroup group;
  group.tenant_id = tenant->id;
  group.number = *number;
  group.name = name.value_or("");
  if (strategy_text) {
    const auto strategy = store::parse_ring_strategy(*strategy_text);
    if (!strategy) return problem(400, "strategy must be ring-all or hunt", "strategy");
    group.strategy = *strategy;
  }
  if (timeout) group.member_timeout_seconds = static_cast<std::uint32_t>(*timeout);
  group.members = members.value_or(std::vector<std::string>{});
  if (final_text) {
    auto destination = store::parse_destination(*final_text);
    if (!destination) return problem(400, destination.error().message, "final_destination");
    group.final_destination = std::move(destination).value();
  }
  auto added = options_.call_features->add_ring_group(group);
  if (!added) return write_refused(added.error(), refused_group_field(added.error().message));
  directory_changed();
  return created(ring_group_json(*added), *tenant, "ring-groups", added->number);
}

Response RestApi::Impl::get_ring_group(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_features, kResources, failure);
  if (!tenant) return failure;
  auto group = options_.call_features->get_ring_group(tenant->id, call.params[1]);
  if (!group) return missing(group.error(), "ring group", call.params[1], *tenant);
  return json_response(200, ring_group_json(*group));
}

Response RestApi::Impl::patch_ring_group(const Call& call) const {
  static constexpr std::array<std::string_view, 5> kFields{
      "name", "strategy", "member_timeout_seconds", "members", "final_destination"};
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_features, kResources, failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto name = body->string("name", error);
  const auto strategy_text = body->string("strategy", error);
  const auto timeout = body->integer("member_timeout_seconds", store::kMinRingSeconds,
                                     store::kMaxRingSeconds, error);
  const auto members = body->strings("members", store::kMaxRingGroupMembers, error);
  const auto final_text = body->string("final_destination", error);
  if (!error.detail.empty()) return body_problem(error);
  auto group = options_.call_features->get_ring_group(tenant->id, call.params[1]);
  if (!group) return missing(group.error(), "ring group", call.params[1], *tenant);
  if (name) {
    if (auto valid = store::check_display_name(*name); !valid) {
      return problem(400, valid.error().message, "name");
    }
    group->name = *name;
  }
  if (strategy_text) {
    const auto strategy = store::parse_ring_strategy(*strategy_text);
    if (!strategy) return problem(400, "strategy must be ring-all or hunt", "strategy");
    group->strategy = *strategy;
  }
  if (timeout) group->member_timeout_seconds = static_cast<std::uint32_t>(*timeout);
  if (members) group->members = *members;
  if (final_text) {
    auto destination = store::parse_destination(*final_text);
    if (!destination) return problem(400, destination.error().message, "final_destination");
    group->final_destination = std::move(destination).value();
  }
  // One store call, one transaction: the settings and the member list change together or not.
  auto updated = options_.call_features->update_ring_group(*group);
  if (!updated) {
    if (store::is_error(updated.error(), store::StoreError::kNotFound)) {
      return missing(updated.error(), "ring group", call.params[1], *tenant);
    }
    return write_refused(updated.error(), refused_group_field(updated.error().message));
  }
  directory_changed();
  return json_response(200, ring_group_json(*updated));
}

Response RestApi::Impl::delete_ring_group(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_features, kResources, failure);
  if (!tenant) return failure;
  if (auto removed = options_.call_features->remove_ring_group(tenant->id, call.params[1]);
      !removed) {
    return missing(removed.error(), "ring group", call.params[1], *tenant);
  }
  directory_changed();
  return no_content();
}

// --- forwarding and do-not-disturb -------------------------------------------------------------

Response RestApi::Impl::get_call_features(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_features, kResources, failure);
  if (!tenant) return failure;
  if (auto refused = own_extension_only(call, call.params[1])) return *refused;
  auto features = options_.call_features->get_call_features(tenant->id, call.params[1]);
  if (!features) return missing(features.error(), "extension", call.params[1], *tenant);
  return json_response(200, call_features_json(*features));
}

Response RestApi::Impl::patch_call_features(const Call& call) const {
  static constexpr std::array<std::string_view, 1> kFields{"dnd"};
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_features, kResources, failure);
  if (!tenant) return failure;
  if (auto refused = own_extension_only(call, call.params[1])) return *refused;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto dnd = body->boolean("dnd", error);
  if (!error.detail.empty()) return body_problem(error);
  if (!dnd) return problem(400, "dnd is required", "dnd");
  if (auto set = options_.call_features->set_dnd(tenant->id, call.params[1], *dnd); !set) {
    return missing(set.error(), "extension", call.params[1], *tenant);
  }
  directory_changed();
  auto features = options_.call_features->get_call_features(tenant->id, call.params[1]);
  if (!features) return store_problem(features.error());
  return json_response(200, call_features_json(*features));
}

Response RestApi::Impl::put_forward(const Call& call) const {
  static constexpr std::array<std::string_view, 2> kFields{"destination", "no_answer_seconds"};
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_features, kResources, failure);
  if (!tenant) return failure;
  if (auto refused = own_extension_only(call, call.params[1])) return *refused;
  const auto condition = store::parse_forward_condition(call.params[2]);
  if (!condition) {
    return problem(404, "no forwarding condition " + call.params[2].substr(0, 40) +
                            " (always, busy, no-answer, unregistered)");
  }
  // A malformed number is a missing extension, not a bad destination.
  if (auto valid = store::check_extension_number(call.params[1]); !valid) {
    return problem(404, "no extension " + call.params[1].substr(0, 40) + " in " + tenant->domain);
  }
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto destination_text = body->string("destination", error);
  const auto seconds =
      body->integer("no_answer_seconds", store::kMinRingSeconds, store::kMaxRingSeconds, error);
  if (!error.detail.empty()) return body_problem(error);
  if (!destination_text) return problem(400, "destination is required", "destination");
  if (seconds && *condition != store::ForwardCondition::kNoAnswer) {
    return problem(400, "no_answer_seconds belongs only to the no-answer forward",
                   "no_answer_seconds");
  }
  auto destination = store::parse_destination(*destination_text);
  if (!destination) return problem(400, destination.error().message, "destination");
  store::CallForward forward;
  forward.condition = *condition;
  forward.destination = std::move(destination).value();
  if (seconds) forward.no_answer_seconds = static_cast<std::uint32_t>(*seconds);
  if (auto set = options_.call_features->set_forward(tenant->id, call.params[1], forward); !set) {
    return store::is_error(set.error(), store::StoreError::kNotFound)
               ? missing(set.error(), "extension", call.params[1], *tenant)
               : write_refused(set.error(), "destination");
  }
  directory_changed();
  auto features = options_.call_features->get_call_features(tenant->id, call.params[1]);
  if (!features) return store_problem(features.error());
  return json_response(200, call_features_json(*features));
}

Response RestApi::Impl::delete_forward(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_features, kResources, failure);
  if (!tenant) return failure;
  if (auto refused = own_extension_only(call, call.params[1])) return *refused;
  const auto condition = store::parse_forward_condition(call.params[2]);
  if (!condition) {
    return problem(404, "no forwarding condition " + call.params[2].substr(0, 40) +
                            " (always, busy, no-answer, unregistered)");
  }
  auto cleared = options_.call_features->clear_forward(tenant->id, call.params[1], *condition);
  if (!cleared) return missing(cleared.error(), "extension", call.params[1], *tenant);
  if (*cleared == 0) {
    return problem(404, "extension " + call.params[1] + " has no " +
                            std::string(to_text(*condition)) + " forward");
  }
  directory_changed();
  return no_content();
}

}  // namespace parley::http::api
