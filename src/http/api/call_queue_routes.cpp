// Call queues over the API (issue 9, on top of the queues of issue 7, decision 0023). A create
// is one CallQueueStore call, so one transaction. A PATCH that changes settings and members is
// two store calls: the members are checked first (each an extension of the tenant, none twice),
// and should the member write still fail the old settings are written back, so the request is
// applied whole or not at all as far as any reader after the answer can tell. The running
// server's queues reload through directory_changed() before the answer leaves.

#include <algorithm>
#include <array>
#include <set>

#include "http/api/api_impl.hpp"
#include "store/call_queue_store.hpp"
#include "store/validation.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 1000;
constexpr std::size_t kMaxMembers = 100;  // the store's cap

constexpr std::array<std::string_view, 7> kSettingFields{
    "name",        "strategy", "ring_timeout_seconds", "wrap_up_seconds", "max_wait_seconds",
    "max_callers", "fallback"};

nlohmann::json queue_json(const store::CallQueueConfig& queue) {
  return {{"number", queue.number},
          {"name", queue.name},
          {"strategy", queue.strategy},
          {"ring_timeout_seconds", queue.ring_timeout_s},
          {"wrap_up_seconds", queue.wrap_up_s},
          {"max_wait_seconds", queue.max_wait_s},
          {"max_callers", queue.max_callers},
          {"fallback", queue.fallback.empty() ? "hangup" : queue.fallback},
          {"members", queue.members},
          {"created_at", queue.created_at}};
}

constexpr std::string_view kResources = "call queues";

Response no_queue(std::string_view number, const store::Tenant& tenant) {
  return not_in_tenant("call queue", number, tenant);
}

// The input a settings refusal of check_call_queue_settings is about, from its message.
std::string_view settings_field(std::string_view message) {
  if (message.starts_with("strategy")) return "strategy";
  if (message.starts_with("ring timeout")) return "ring_timeout_seconds";
  if (message.starts_with("wrap-up")) return "wrap_up_seconds";
  if (message.starts_with("max wait")) return "max_wait_seconds";
  if (message.starts_with("max callers")) return "max_callers";
  if (message.starts_with("fallback")) return "fallback";
  return "name";
}

// Reads the settings members of `body` over `queue`; false with `failure` set on bad input.
bool apply_settings(const JsonBody& body, store::CallQueueConfig& queue, Response& failure) {
  BodyError error;
  const auto name = body.string("name", error);
  const auto strategy = body.string("strategy", error);
  const auto ring = body.integer("ring_timeout_seconds", store::kMinQueueRingTimeout,
                                 store::kMaxQueueRingTimeout, error);
  const auto wrap_up = body.integer("wrap_up_seconds", 0, store::kMaxQueueWrapUp, error);
  const auto wait = body.integer("max_wait_seconds", 0, store::kMaxQueueWait, error);
  const auto callers = body.integer("max_callers", 0, store::kMaxQueueCallers, error);
  const auto fallback = body.string("fallback", error);
  if (!error.detail.empty()) {
    failure = body_problem(error);
    return false;
  }
  if (name) queue.name = *name;
  if (strategy) queue.strategy = *strategy;
  if (ring) queue.ring_timeout_s = static_cast<std::uint32_t>(*ring);
  if (wrap_up) queue.wrap_up_s = static_cast<std::uint32_t>(*wrap_up);
  if (wait) queue.max_wait_s = static_cast<std::uint32_t>(*wait);
  if (callers) queue.max_callers = static_cast<std::uint32_t>(*callers);
  if (fallback) queue.fallback = *fallback == "hangup" ? std::string() : *fallback;
  if (auto valid = store::check_call_queue_settings(queue); !valid) {
    failure = problem(400, valid.error().message, settings_field(valid.error().message));
    return false;
  }
  return true;
}

}  // namespace

std::optional<store::CallQueueConfig> RestApi::Impl::find_call_queue(const store::Tenant& tenant,
                                                                     std::string_view number,
                                                                     Response& failure) const {
  auto queues = options_.call_queues->list_call_queues(tenant.id);
  if (!queues) {
    failure = store_problem(queues.error());
    return std::nullopt;
  }
  for (store::CallQueueConfig& queue : *queues) {
    if (queue.number == number) return std::move(queue);
  }
  failure = no_queue(number, tenant);
  return std::nullopt;
}

std::optional<Response> RestApi::Impl::check_queue_members(
    const store::Tenant& tenant, const std::vector<std::string>& members) const {
  if (members.size() > kMaxMembers) {
    return problem(400, "a call queue has at most " + std::to_string(kMaxMembers) + " members",
                   "members");
  }
  std::set<std::string_view> seen;
  for (const std::string& member : members) {
    if (!seen.insert(member).second) {
      return problem(400, "member " + member + " is listed twice", "members");
    }
    auto extension = store_.get_extension(tenant.id, member);
    if (!extension) {
      if (store::is_error(extension.error(), store::StoreError::kNotFound) ||
          store::is_error(extension.error(), store::StoreError::kInvalidInput)) {
        return problem(
            400, "member " + member.substr(0, 40) + " is not an extension of " + tenant.domain,
            "members");
      }
      return store_problem(extension.error());
    }
  }
  return std::nullopt;
}

Response RestApi::Impl::list_call_queues(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_queues, kResources, failure);
  if (!tenant) return failure;
  const auto page = read_page(call.request, kDefaultPage, kMaxPage, failure);
  if (!page) return failure;
  auto queues = options_.call_queues->list_call_queues(tenant->id);
  if (!queues) return store_problem(queues.error());
  return json_response(200, page_by_number(*queues, *page, queue_json));
}

Response RestApi::Impl::create_call_queue(const Call& call) const {
  static constexpr std::array<std::string_view, 9> kFields{
      "number",          "name",
      "strategy",        "ring_timeout_seconds",
      "wrap_up_seconds", "max_wait_seconds",
      "max_callers",     "fallback",
      "members"};
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_queues, kResources, failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto number = body->string("number", error);
  const auto members = body->strings("members", kMaxMembers, error);
  if (!error.detail.empty()) return body_problem(error);
  if (auto refused = check_number_and_name(number, std::nullopt)) return *refused;
  store::CallQueueConfig queue;
  queue.tenant_id = tenant->id;
  queue.number = *number;
  if (!apply_settings(*body, queue, failure)) return failure;
  queue.members = members.value_or(std::vector<std::string>{});
  if (auto refused = check_queue_members(*tenant, queue.members)) return *refused;
  auto added = options_.call_queues->add_call_queue(queue);
  if (!added) {
    return write_refused(added.error(),
                         added.error().message.starts_with("member") ? "members" : "number");
  }
  directory_changed();
  return created(queue_json(*added), *tenant, "queues", added->number);
}

Response RestApi::Impl::get_call_queue(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_queues, kResources, failure);
  if (!tenant) return failure;
  const auto queue = find_call_queue(*tenant, call.params[1], failure);
  if (!queue) return failure;
  return json_response(200, queue_json(*queue));
}

Response RestApi::Impl::patch_call_queue(const Call& call) const {
  static constexpr std::array<std::string_view, 8> kFields{"name",
                                                           "strategy",
                                                           "ring_timeout_seconds",
                                                           "wrap_up_seconds",
                                                           "max_wait_seconds",
                                                           "max_callers",
                                                           "fallback",
                                                           "members"};
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_queues, kResources, failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto members = body->strings("members", kMaxMembers, error);
  if (!error.detail.empty()) return body_problem(error);
  const auto before = find_call_queue(*tenant, call.params[1], failure);
  if (!before) return failure;
  store::CallQueueConfig after = *before;
  if (!apply_settings(*body, after, failure)) return failure;
  if (members) {
    if (auto refused = check_queue_members(*tenant, *members)) return *refused;
  }
  const bool settings_change = std::any_of(kSettingFields.begin(), kSettingFields.end(),
                                           [&](std::string_view f) { return body->has(f); });
  if (settings_change) {
    if (auto updated = options_.call_queues->update_call_queue(after); !updated) {
      return store::is_error(updated.error(), store::StoreError::kNotFound)
                 ? no_queue(call.params[1], *tenant)
                 : store_problem(updated.error());
    }
  }
  if (members) {
    auto set = options_.call_queues->set_call_queue_members(tenant->id, before->number, *members);
    if (!set) {
      if (settings_change) (void)options_.call_queues->update_call_queue(*before);
      const std::string& message = set.error().message;
      if (message.starts_with("member")) return problem(400, message, "members");
      return store::is_error(set.error(), store::StoreError::kNotFound)
                 ? no_queue(call.params[1], *tenant)
                 : store_problem(set.error());
    }
  }
  directory_changed();
  const auto changed = find_call_queue(*tenant, call.params[1], failure);
  if (!changed) return failure;
  return json_response(200, queue_json(*changed));
}

Response RestApi::Impl::delete_call_queue(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.call_queues, kResources, failure);
  if (!tenant) return failure;
  auto removed = options_.call_queues->remove_call_queue(tenant->id, call.params[1]);
  if (!removed) {
    if (store::is_error(removed.error(), store::StoreError::kNotFound) ||
        store::is_error(removed.error(), store::StoreError::kInvalidInput)) {
      return no_queue(call.params[1], *tenant);
    }
    return store_problem(removed.error());
  }
  directory_changed();
  return no_content();
}

}  // namespace parley::http::api
