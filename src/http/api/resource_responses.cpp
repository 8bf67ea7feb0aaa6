// The answers every tenant resource of the API gives the same way (ring groups, rooms, queues,
// IVR menus, schedules, voicemail boxes), so that each routes file says only what is its own.

#include "http/api/api_impl.hpp"
#include "store/validation.hpp"

namespace parley::http::api {

Response no_content() {
  Response response;
  response.status = 204;
  response.headers.set("Cache-Control", "no-store");
  return response;
}

Response resources_unavailable(std::string_view resources) {
  return problem(503, std::string(resources) + " are not available on this server");
}

Response not_in_tenant(std::string_view what, std::string_view key, const store::Tenant& tenant) {
  return problem(404, "no " + std::string(what) + " " + std::string(key.substr(0, 40)) + " in " +
                          tenant.domain);
}

Response created(const nlohmann::json& document, const store::Tenant& tenant,
                 std::string_view collection, std::string_view key) {
  Response response = json_response(201, document);
  response.headers.set("Location", "/api/v1/tenants/" + tenant.domain + "/" +
                                       std::string(collection) + "/" + std::string(key));
  return response;
}

Response write_refused(const Error& error, std::string_view field) {
  if (store::is_error(error, store::StoreError::kInvalidInput)) {
    return problem(400, error.message, field);
  }
  if (store::is_error(error, store::StoreError::kConflict)) {
    return problem(409, error.message, field);
  }
  return store_problem(error);
}

std::optional<Response> check_number_and_name(const std::optional<std::string>& number,
                                              const std::optional<std::string>& name) {
  if (!number) return problem(400, "number is required", "number");
  if (auto valid = store::check_extension_number(*number); !valid) {
    return problem(400, valid.error().message, "number");
  }
  if (name) {
    if (auto valid = store::check_display_name(*name); !valid) {
      return problem(400, valid.error().message, "name");
    }
  }
  return std::nullopt;
}

std::optional<Response> own_extension_only(const Call& call, std::string_view number) {
  if (call.principal == nullptr || call.principal->role != Role::kUser ||
      call.principal->extension == number) {
    return std::nullopt;
  }
  return problem(403, "a user may see and change only their own extension's settings");
}

std::optional<store::Tenant> RestApi::Impl::resource_tenant(const Call& call, const void* backend,
                                                            std::string_view resources,
                                                            Response& failure) const {
  auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (tenant && backend == nullptr) {
    failure = resources_unavailable(resources);
    return std::nullopt;
  }
  return tenant;
}

}  // namespace parley::http::api
