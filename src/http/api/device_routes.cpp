// Devices and live registrations (issue 9, decision 0038). A device is a phone an admin assigned
// to an extension (store::DeviceStore); it is shown with the live registrations it matches: a
// binding of its extension whose +sip.instance is the device's URN, or whose User-Agent,
// Contact or instance carries its MAC address (phones put it in one of those). PATCH changes a
// device in place, all or nothing (decision 0046). A registration can be ended by an admin
// (DELETE /registrations/{id}): the running server drops the binding as an unregistering
// REGISTER would, and calls to it fail until the phone registers again.

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "http/api/api_impl.hpp"
#include "http/api/credentials.hpp"
#include "store/device_store.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 1000;
// 16 bytes of SHA-256 in hex: enough never to collide among one tenant's bindings.
constexpr std::size_t kRegistrationIdLength = 32;

// "192.0.2.1:5060" or "[2001:db8::1]:5060".
std::string endpoint_text(const store::Endpoint& endpoint) {
  const bool v6 = endpoint.ip.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.ip + "]" : endpoint.ip) + ":" + std::to_string(endpoint.port);
}

// `text` lower-cased with everything but hex digits dropped, so that a MAC written as
// 00:15:65:AA:BB:CC, 0015.65aa.bbcc or inside a uuid is found as "001565aabbcc".
std::string hex_only(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

std::string bare_instance(std::string_view instance) {
  if (instance.size() >= 2 && instance.front() == '<' && instance.back() == '>') {
    instance = instance.substr(1, instance.size() - 2);
  }
  std::string out(instance);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool matches(const store::Device& device, const store::Binding& binding) {
  if (binding.extension != device.extension) return false;
  if (!device.instance.empty() && !binding.instance.empty() &&
      bare_instance(binding.instance) == bare_instance(device.instance)) {
    return true;
  }
  if (device.mac.empty()) return false;
  for (const std::string* text : {&binding.user_agent, &binding.contact_uri, &binding.instance}) {
    if (hex_only(*text).find(device.mac) != std::string::npos) return true;
  }
  return false;
}

nlohmann::json device_json(const store::Tenant& tenant, const store::Device& device,
                           const std::vector<store::Binding>& bindings, store::UnixSeconds at) {
  nlohmann::json registrations = nlohmann::json::array();
  for (const store::Binding& binding : bindings) {
    if (matches(device, binding)) registrations.push_back(registration_json(binding, at));
  }
  return {{"id", device.id},
          {"extension", device.extension},
          {"label", device.label},
          {"mac", device.mac.empty() ? nlohmann::json(nullptr) : nlohmann::json(device.mac)},
          {"instance",
           device.instance.empty() ? nlohmann::json(nullptr) : nlohmann::json(device.instance)},
          {"model", device.model},
          {"created_at", device.created_at},
          {"url", "/api/v1/tenants/" + tenant.domain + "/devices/" + std::to_string(device.id)},
          {"registrations", std::move(registrations)}};
}

std::optional<store::DeviceId> device_id(std::string_view text) {
  store::DeviceId id = 0;
  if (text.empty() || text.size() > 18) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

// The device's id as a fixed-width key, so that the text order of page_by_key is the id order.
std::string device_key(const store::Device& device) {
  std::string digits = std::to_string(device.id);
  return std::string(20 - std::min<std::size_t>(digits.size(), 20), '0') + digits;
}

// The members a device body may have, on create and on edit.
constexpr std::array<std::string_view, 5> kDeviceFields{"extension", "label", "mac", "instance",
                                                        "model"};

// Each field of `body` that is present replaces `device`'s (store::apply_device_change). A 400
// problem naming the field at fault, else nullopt.
std::optional<Response> apply_device_body(const JsonBody& body, store::Device& device) {
  BodyError error;
  store::DeviceChange change;
  change.extension = body.string("extension", error);
  change.label = body.string("label", error);
  change.mac = body.string("mac", error);
  change.instance = body.string("instance", error);
  change.model = body.string("model", error);
  if (!error.detail.empty()) return body_problem(error);
  if (auto refused = store::apply_device_change(change, device)) {
    return problem(400, refused->message, refused->field);
  }
  return std::nullopt;
}

// A store's refusal to add or change `device`: its extension missing is the extension's fault
// (400), a MAC or instance of another device a conflict beside that field (409).
Response device_write_refused(const Error& error, const store::Tenant& tenant,
                              const store::Device& device) {
  if (store::is_error(error, store::StoreError::kNotFound)) {
    return problem(400, "no extension " + device.extension + " in " + tenant.domain, "extension");
  }
  return write_refused(error, error.message.ends_with("instance") ? "instance" : "mac");
}

}  // namespace

nlohmann::json registration_json(const store::Binding& binding, store::UnixSeconds at) {
  return {{"id", registration_id(binding)},          {"extension", binding.extension},
          {"contact", binding.contact_uri},          {"instance", binding.instance},
          {"transport", binding.received.transport}, {"source", endpoint_text(binding.received)},
          {"user_agent", binding.user_agent},        {"expires_at", binding.expires_at},
          {"expires_in", binding.expires_at - at}};
}

std::string registration_id(const store::Binding& binding) {
  // Bindings are identified as the registrar identifies them (RFC 5626 §6: instance and reg-id
  // when there is an instance, else the contact URI).
  const std::string identity = binding.extension + '\n' +
                               (binding.instance.empty() ? "contact\n" + binding.contact_uri
                                                         : "instance\n" + binding.instance + '\n' +
                                                               std::to_string(binding.reg_id));
  return secret_digest(identity).substr(0, kRegistrationIdLength);
}

std::optional<std::vector<store::Binding>> RestApi::Impl::live_bindings_of(
    const store::Tenant& tenant, store::UnixSeconds at, Response& failure) const {
  auto extensions = store_.list_extensions(tenant.id);
  if (!extensions) {
    failure = store_problem(extensions.error());
    return std::nullopt;
  }
  std::vector<store::Binding> live;
  for (const auto& extension : *extensions) {
    std::vector<store::Binding> bindings;
    if (options_.live_bindings) {
      bindings = options_.live_bindings(tenant.id, extension.number);
    } else {
      auto stored = store_.list_bindings(tenant.id, extension.number, at);
      if (!stored) {
        failure = store_problem(stored.error());
        return std::nullopt;
      }
      bindings = std::move(stored).value();
    }
    for (auto& binding : bindings) {
      if (binding.expires_at > at) live.push_back(std::move(binding));
    }
  }
  return live;
}

Response RestApi::Impl::unregister(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  const std::string& id = call.params[1];
  const auto no_registration = [&] {
    return problem(404, "no registration " + id.substr(0, 40) + " in " + tenant->domain);
  };
  if (id.size() != kRegistrationIdLength) return no_registration();
  const store::UnixSeconds at = now();
  const auto bindings = live_bindings_of(*tenant, at, failure);
  if (!bindings) return failure;
  const auto found = std::find_if(bindings->begin(), bindings->end(),
                                  [&](const auto& b) { return registration_id(b) == id; });
  if (found == bindings->end()) return no_registration();
  if (!options_.unregister) {
    return problem(501, "ending a registration from the API is not available in this version");
  }
  const store::BindingKey key{found->tenant_id, found->extension, found->contact_uri,
                              found->instance, found->reg_id};
  if (!options_.unregister(key)) return no_registration();
  return no_content();
}

Response RestApi::Impl::list_devices(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.devices, "devices", failure);
  if (!tenant) return failure;
  const auto page = read_page(call.request, kDefaultPage, kMaxPage, failure);
  if (!page) return failure;
  auto devices = options_.devices->list_devices(tenant->id);
  if (!devices) return store_problem(devices.error());
  const store::UnixSeconds at = now();
  const auto bindings = live_bindings_of(*tenant, at, failure);
  if (!bindings) return failure;
  return json_response(200, page_by_key(*devices, *page, device_key, [&](const auto& device) {
                         return device_json(*tenant, device, *bindings, at);
                       }));
}

Response RestApi::Impl::create_device(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.devices, "devices", failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kDeviceFields, failure);
  if (!body) return failure;
  store::Device device;
  device.tenant_id = tenant->id;
  if (auto refused = apply_device_body(*body, device)) return *refused;
  if (device.extension.empty()) return problem(400, "extension is required", "extension");
  if (device.label.empty()) return problem(400, "label is required", "label");
  auto added = options_.devices->add_device(device);
  if (!added) return device_write_refused(added.error(), *tenant, device);
  const auto document = device_document(*tenant, *added, failure);
  if (!document) return failure;
  return created(*document, *tenant, "devices", std::to_string(added->id));
}

Response RestApi::Impl::get_device(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.devices, "devices", failure);
  if (!tenant) return failure;
  const auto found = find_device(*tenant, call.params[1], failure);
  if (!found) return failure;
  const auto document = device_document(*tenant, *found, failure);
  if (!document) return failure;
  return json_response(200, *document);
}

Response RestApi::Impl::patch_device(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.devices, "devices", failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kDeviceFields, failure);
  if (!body) return failure;
  const auto before = find_device(*tenant, call.params[1], failure);
  if (!before) return failure;
  store::Device after = *before;
  if (auto refused = apply_device_body(*body, after)) return *refused;
  auto changed = options_.devices->update_device(after);
  if (!changed) {
    if (store::is_error(changed.error(), store::StoreError::kNotFound) &&
        changed.error().message.starts_with("no device")) {
      return not_in_tenant("device", call.params[1], *tenant);  // removed meanwhile
    }
    return device_write_refused(changed.error(), *tenant, after);
  }
  const auto document = device_document(*tenant, *changed, failure);
  if (!document) return failure;
  return json_response(200, *document);
}

std::optional<nlohmann::json> RestApi::Impl::device_document(const store::Tenant& tenant,
                                                             const store::Device& device,
                                                             Response& failure) const {
  const store::UnixSeconds at = now();
  const auto bindings = live_bindings_of(tenant, at, failure);
  if (!bindings) return std::nullopt;
  return device_json(tenant, device, *bindings, at);
}

std::optional<store::Device> RestApi::Impl::find_device(const store::Tenant& tenant,
                                                        std::string_view id_text,
                                                        Response& failure) const {
  const auto id = device_id(id_text);
  if (!id) {
    failure = not_in_tenant("device", id_text, tenant);
    return std::nullopt;
  }
  auto found = options_.devices->find_device(tenant.id, *id);
  if (!found) {
    failure = store::is_error(found.error(), store::StoreError::kNotFound)
                  ? not_in_tenant("device", id_text, tenant)
                  : store_problem(found.error());
    return std::nullopt;
  }
  return std::move(found).value();
}

Response RestApi::Impl::delete_device(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.devices, "devices", failure);
  if (!tenant) return failure;
  const auto id = device_id(call.params[1]);
  if (!id) return not_in_tenant("device", call.params[1], *tenant);
  auto removed = options_.devices->remove_device(tenant->id, *id);
  if (!removed) {
    if (store::is_error(removed.error(), store::StoreError::kNotFound)) {
      return not_in_tenant("device", call.params[1], *tenant);
    }
    return store_problem(removed.error());
  }
  return no_content();
}

}  // namespace parley::http::api
