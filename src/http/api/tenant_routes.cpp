// Tenants, extensions, the directory and live registrations.

#include <algorithm>
#include <array>

#include "http/api/api_impl.hpp"
#include "http/api/credentials.hpp"
#include "protocol/sip/digest.hpp"
#include "store/validation.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 1000;
constexpr std::size_t kMinPasswordLength = 8;
constexpr std::size_t kMaxPasswordLength = 128;

nlohmann::json tenant_json(const store::Tenant& tenant) {
  return {{"domain", tenant.domain},
          {"display_name", tenant.display_name},
          {"is_default", tenant.is_default},
          {"created_at", tenant.created_at}};
}

nlohmann::json extension_json(const store::Extension& extension) {
  return {{"number", extension.number},
          {"display_name", extension.display_name},
          {"created_at", extension.created_at},
          {"updated_at", extension.updated_at}};
}

// Items after `cursor` (the key of the previous page's last item) in key order, at most
// page.limit, with the next page's cursor or null when nothing follows.
template <typename Item, typename Key, typename Render>
nlohmann::json paginate(const std::vector<Item>& items, const Page& page, Key key, Render render) {
  nlohmann::json out = nlohmann::json::array();
  std::string last;
  bool more = false;
  for (const Item& item : items) {
    const std::string item_key = key(item);
    if (!page.cursor.empty() && item_key <= page.cursor) continue;
    if (out.size() == page.limit) {
      more = true;
      break;
    }
    out.push_back(render(item));
    last = item_key;
  }
  return {{"items", out}, {"next_cursor", more ? nlohmann::json(last) : nlohmann::json(nullptr)}};
}

// Checks a password chosen over the API: 8 to 128 printable characters.
std::optional<Response> password_problem(const std::string& password) {
  if (password.size() < kMinPasswordLength || password.size() > kMaxPasswordLength) {
    return problem(400, "password must be 8 to 128 characters", "password");
  }
  for (const char c : password) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return problem(400, "password must not hold control characters", "password");
    }
  }
  return std::nullopt;
}

store::Credentials credentials_for(std::string_view number, std::string_view domain,
                                   std::string_view password) {
  using protocol::sip::DigestAlgorithm;
  return {protocol::sip::ha1(DigestAlgorithm::kMd5, number, domain, password),
          protocol::sip::ha1(DigestAlgorithm::kSha256, number, domain, password)};
}

// Store validation errors name their field in the message; map the common ones for forms.
Response invalid_input(const Error& error, std::string_view field) {
  if (store::is_error(error, store::StoreError::kInvalidInput)) {
    return problem(400, error.message, field);
  }
  return store_problem(error);
}

}  // namespace

// --- tenants -----------------------------------------------------------------------------------

Response RestApi::Impl::list_tenants(const Call& call) const {
  Response failure;
  const auto page = read_page(call.request, kDefaultPage, kMaxPage, failure);
  if (!page) return failure;
  auto tenants = store_.list_tenants();
  if (!tenants) return store_problem(tenants.error());
  std::vector<store::Tenant> visible;
  for (auto& tenant : *tenants) {
    if (call.principal->role == Role::kSystemAdmin || call.principal->tenant_id == tenant.id) {
      visible.push_back(std::move(tenant));
    }
  }
  return json_response(
      200, paginate(
               visible, *page, [](const store::Tenant& t) { return t.domain; }, tenant_json));
}

Response RestApi::Impl::create_tenant(const Call& call) const {
  static constexpr std::array<std::string_view, 3> kFields{"domain", "display_name", "is_default"};
  Response failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto domain = body->string("domain", error);
  const auto display_name = body->string("display_name", error);
  const auto is_default = body->boolean("is_default", error);
  if (!error.detail.empty()) return body_problem(error);
  if (!domain) return problem(400, "domain is required", "domain");
  if (auto valid = store::normalize_domain(*domain); !valid) {
    return problem(400, valid.error().message, "domain");
  }
  if (display_name) {
    if (auto valid = store::check_display_name(*display_name); !valid) {
      return problem(400, valid.error().message, "display_name");
    }
  }
  auto added = store_.add_tenant(
      store::NewTenant{*domain, display_name.value_or(""), is_default.value_or(false)});
  if (!added) {
    // A taken domain belongs beside the domain, a second default beside the default switch.
    const bool second_default =
        store::is_error(added.error(), store::StoreError::kConflict) &&
        added.error().message.find("already the default") != std::string::npos;
    return write_refused(added.error(), second_default ? "is_default" : "domain");
  }
  directory_changed();
  Response response = json_response(201, tenant_json(*added));
  response.headers.set("Location", "/api/v1/tenants/" + added->domain);
  return response;
}

Response RestApi::Impl::get_tenant(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  return json_response(200, tenant_json(*tenant));
}

Response RestApi::Impl::patch_tenant(const Call& call) const {
  static constexpr std::array<std::string_view, 2> kFields{"display_name", "is_default"};
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (call.principal->role != Role::kSystemAdmin) {
    return problem(403, "only a system admin may change a tenant");
  }
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  store::TenantUpdate update;
  update.display_name = body->string("display_name", error);
  update.is_default = body->boolean("is_default", error);
  if (!error.detail.empty()) return body_problem(error);
  auto changed = admin_store_.update_tenant(tenant->id, update);
  if (!changed) return invalid_input(changed.error(), "display_name");
  directory_changed();
  return json_response(200, tenant_json(*changed));
}

Response RestApi::Impl::delete_tenant(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (call.principal->role != Role::kSystemAdmin) {
    return problem(403, "only a system admin may remove a tenant");
  }
  if (auto removed = store_.remove_tenant(tenant->id); !removed) {
    return store_problem(removed.error());
  }
  directory_changed();
  return no_content();
}

// --- extensions --------------------------------------------------------------------------------

Response RestApi::Impl::list_extensions(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  const auto page = read_page(call.request, kDefaultPage, kMaxPage, failure);
  if (!page) return failure;
  auto extensions = store_.list_extensions(tenant->id);
  if (!extensions) return store_problem(extensions.error());
  return json_response(
      200,
      paginate(
          *extensions, *page, [](const store::Extension& e) { return e.number; }, extension_json));
}

Response RestApi::Impl::create_extension(const Call& call) const {
  static constexpr std::array<std::string_view, 3> kFields{"number", "display_name", "password"};
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  const auto number = body->string("number", error);
  const auto display_name = body->string("display_name", error);
  const auto chosen = body->string("password", error);
  if (!error.detail.empty()) return body_problem(error);
  if (!number) return problem(400, "number is required", "number");
  if (auto valid = store::check_extension_number(*number); !valid) {
    return problem(400, valid.error().message, "number");
  }
  if (display_name) {
    if (auto valid = store::check_display_name(*display_name); !valid) {
      return problem(400, valid.error().message, "display_name");
    }
  }
  if (chosen) {
    if (auto bad = password_problem(*chosen)) return *bad;
  }
  const std::string password = chosen.value_or(generate_password());
  auto added =
      store_.add_extension(store::NewExtension{tenant->id, *number, display_name.value_or(""),
                                               credentials_for(*number, tenant->domain, password)});
  if (!added) return invalid_input(added.error(), "number");
  directory_changed();
  nlohmann::json document = extension_json(*added);
  if (!chosen) document["password"] = password;  // shown once, never stored in the clear
  Response response = json_response(201, document);
  response.headers.set("Location",
                       "/api/v1/tenants/" + tenant->domain + "/extensions/" + added->number);
  return response;
}

Response RestApi::Impl::get_extension(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  auto extension = store_.get_extension(tenant->id, call.params[1]);
  if (!extension) {
    return store::is_error(extension.error(), store::StoreError::kBackend)
               ? store_problem(extension.error())
               : problem(404,
                         "no extension " + call.params[1].substr(0, 40) + " in " + tenant->domain);
  }
  return json_response(200, extension_json(*extension));
}

Response RestApi::Impl::patch_extension(const Call& call) const {
  static constexpr std::array<std::string_view, 3> kFields{"display_name", "password",
                                                           "generate_password"};
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  BodyError error;
  store::ExtensionUpdate update;
  update.display_name = body->string("display_name", error);
  const auto chosen = body->string("password", error);
  const bool generate = body->boolean("generate_password", error).value_or(false);
  if (!error.detail.empty()) return body_problem(error);
  if (chosen && generate) {
    return problem(400, "send either password or generate_password, not both", "password");
  }
  if (update.display_name) {
    if (auto valid = store::check_display_name(*update.display_name); !valid) {
      return problem(400, valid.error().message, "display_name");
    }
  }
  if (chosen) {
    if (auto bad = password_problem(*chosen)) return *bad;
  }
  if (auto valid = store::check_extension_number(call.params[1]); !valid) {
    return problem(404, "no extension " + call.params[1].substr(0, 40) + " in " + tenant->domain);
  }
  std::string password = chosen.value_or(generate ? generate_password() : std::string());
  if (!password.empty())
    update.credentials = credentials_for(call.params[1], tenant->domain, password);
  auto changed = admin_store_.update_extension(tenant->id, call.params[1], update);
  if (!changed) return invalid_input(changed.error(), "display_name");
  directory_changed();
  nlohmann::json document = extension_json(*changed);
  if (generate) document["password"] = password;
  return json_response(200, document);
}

Response RestApi::Impl::delete_extension(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (auto valid = store::check_extension_number(call.params[1]); !valid) {
    return problem(404, "no extension " + call.params[1].substr(0, 40) + " in " + tenant->domain);
  }
  if (auto removed = store_.remove_extension(tenant->id, call.params[1]); !removed) {
    return store_problem(removed.error());
  }
  directory_changed();
  return no_content();
}

// --- directory and registrations ---------------------------------------------------------------

Response RestApi::Impl::directory(const Call& call) const {
  nlohmann::json items = nlohmann::json::array();
  if (!call.principal->tenant_id) {
    return json_response(200, {{"tenant", nullptr}, {"items", items}});
  }
  auto extensions = store_.list_extensions(*call.principal->tenant_id);
  if (!extensions) return store_problem(extensions.error());
  for (const auto& extension : *extensions) {
    items.push_back({{"number", extension.number}, {"display_name", extension.display_name}});
  }
  return json_response(200, {{"tenant", call.principal->tenant_domain}, {"items", items}});
}

Response RestApi::Impl::registrations(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  const store::UnixSeconds at = now();
  const auto bindings = live_bindings_of(*tenant, at, failure);
  if (!bindings) return failure;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& binding : *bindings) items.push_back(registration_json(binding, at));
  return json_response(200, {{"items", items}});
}

}  // namespace parley::http::api
