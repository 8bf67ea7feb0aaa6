// IVR menus and schedules over the API (issue 9, on top of the auto-attendant of issue 7,
// decision 0022). Menus and schedules are named (the name is the key in the path and in
// "menu:NAME" / "schedule:NAME" destinations) and share one name space per tenant. Every input
// is checked here first so that a refusal names its field; the store checks again.
//
// A menu and its digit options are several store calls; should a later one fail, what was
// there before is written back, so a request is applied whole or not at all as far as any
// reader after the answer can tell (as the queue PATCH does). The greeting WAV is a server path
// set with the CLI only: the API shows whether a menu has one, never the path. The running
// server reloads through directory_changed() and the store's change counter.

#include <algorithm>
#include <array>
#include <filesystem>

#include "http/api/api_impl.hpp"
#include "store/ivr_store.hpp"
#include "store/schedule_rules.hpp"
#include "store/validation.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 1000;
constexpr std::size_t kMaxOptions = 12;  // 0-9, * and #
constexpr std::string_view kResources = "IVR menus and schedules";

nlohmann::json menu_json(const store::IvrMenu& menu) {
  nlohmann::json options = nlohmann::json::object();
  for (const store::IvrOption& option : menu.options) {
    options[std::string(1, option.digit)] = option.destination;
  }
  return {{"name", menu.name},
          {"number", menu.number},
          {"greeting_text", menu.greeting_text},
          {"has_greeting_file", !menu.greeting_wav.empty()},
          {"timeout_seconds", menu.timeout_seconds},
          {"max_attempts", menu.max_attempts},
          {"fallback", menu.fallback},
          {"direct_dial", menu.direct_dial},
          {"options", std::move(options)}};
}

nlohmann::json schedule_json(const store::Schedule& schedule) {
  return {{"name", schedule.name},
          {"number", schedule.number},
          {"time_zone", schedule.time_zone},
          {"hours", schedule.hours},
          {"holidays", schedule.holidays},
          {"open_destination", schedule.open_destination},
          {"closed_destination", schedule.closed_destination}};
}

// A 400 beside `field` when `check` refuses.
std::optional<Response> refuse_if(const Result<void>& check, std::string_view field) {
  if (check) return std::nullopt;
  return problem(400, check.error().message, field);
}

std::optional<Response> check_optional_number(const std::string& number) {
  if (number.empty()) return std::nullopt;
  return refuse_if(store::check_extension_number(number), "number");
}

bool valid_digit(std::string_view key) {
  return key.size() == 1 && ((key[0] >= '0' && key[0] <= '9') || key[0] == '*' || key[0] == '#');
}

// Reads the menu members of `body` over `menu` and the options (nullopt when absent); false
// with `failure` set on bad input.
bool apply_menu(const JsonBody& body, store::IvrMenu& menu,
                std::optional<std::vector<store::IvrOption>>& options, Response& failure) {
  BodyError error;
  const auto number = body.string("number", error);
  const auto greeting = body.string("greeting_text", error);
  const auto timeout = body.integer("timeout_seconds", 1, store::kMaxIvrTimeoutSeconds, error);
  const auto attempts = body.integer("max_attempts", 1, store::kMaxIvrAttempts, error);
  const auto fallback = body.string("fallback", error);
  const auto direct = body.boolean("direct_dial", error);
  const auto digits = body.string_map("options", kMaxOptions, error);
  if (!error.detail.empty()) {
    failure = body_problem(error);
    return false;
  }
  if (number) menu.number = *number;
  if (greeting) menu.greeting_text = *greeting;
  if (timeout) menu.timeout_seconds = static_cast<std::uint32_t>(*timeout);
  if (attempts) menu.max_attempts = static_cast<std::uint32_t>(*attempts);
  if (fallback) menu.fallback = *fallback;
  if (direct) menu.direct_dial = *direct;
  std::optional<Response> refused = check_optional_number(menu.number);
  if (!refused && menu.greeting_text.size() > store::kMaxIvrGreetingText) {
    refused = problem(400,
                      "the greeting text is longer than " +
                          std::to_string(store::kMaxIvrGreetingText) + " characters",
                      "greeting_text");
  }
  if (!refused) refused = refuse_if(store::check_ivr_destination(menu.fallback), "fallback");
  if (!refused && digits) {
    options.emplace();
    for (const auto& [key, destination] : *digits) {
      if (!valid_digit(key)) {
        refused = problem(400, "an option key is one of 0-9, * or #", "options");
        break;
      }
      if (auto valid = store::check_ivr_destination(destination); !valid) {
        refused = problem(400, "option " + key + ": " + valid.error().message, "options");
        break;
      }
      options->push_back({key[0], destination});
    }
  }
  if (refused) {
    failure = std::move(*refused);
    return false;
  }
  return true;
}

// Reads the schedule members of `body` over `schedule`; false with `failure` set on bad input.
bool apply_schedule(const JsonBody& body, store::Schedule& schedule,
                    const std::filesystem::path& zoneinfo_dir, Response& failure) {
  BodyError error;
  const auto number = body.string("number", error);
  const auto zone = body.string("time_zone", error);
  const auto hours = body.string("hours", error);
  const auto holidays = body.string("holidays", error);
  const auto open = body.string("open_destination", error);
  const auto closed = body.string("closed_destination", error);
  if (!error.detail.empty()) {
    failure = body_problem(error);
    return false;
  }
  if (number) schedule.number = *number;
  if (zone) schedule.time_zone = *zone;
  if (hours) schedule.hours = *hours;
  if (holidays) schedule.holidays = *holidays;
  if (open) schedule.open_destination = *open;
  if (closed) schedule.closed_destination = *closed;
  std::optional<Response> refused = check_optional_number(schedule.number);
  if (!refused) refused = refuse_if(store::check_time_zone_name(schedule.time_zone), "time_zone");
  if (!refused && !schedule.time_zone.empty()) {
    std::error_code missing;
    if (!std::filesystem::is_regular_file(zoneinfo_dir / schedule.time_zone, missing)) {
      refused = problem(400, "there is no time zone " + schedule.time_zone, "time_zone");
    }
  }
  if (!refused) {
    if (auto parsed = store::parse_weekly_hours(schedule.hours); !parsed) {
      refused = problem(400, parsed.error().message, "hours");
    }
  }
  if (!refused) {
    if (auto parsed = store::parse_holidays(schedule.holidays); !parsed) {
      refused = problem(400, parsed.error().message, "holidays");
    }
  }
  if (!refused) {
    refused = schedule.open_destination.empty()
                  ? problem(400, "open_destination is required", "open_destination")
                  : refuse_if(store::check_ivr_destination(schedule.open_destination),
                              "open_destination");
  }
  if (!refused) {
    refused = schedule.closed_destination.empty()
                  ? problem(400, "closed_destination is required", "closed_destination")
                  : refuse_if(store::check_ivr_destination(schedule.closed_destination),
                              "closed_destination");
  }
  if (refused) {
    failure = std::move(*refused);
    return false;
  }
  return true;
}

template <typename Item>
std::optional<Item> find_named(std::vector<Item>& all, std::string_view name) {
  for (Item& item : all) {
    if (item.name == name) return std::move(item);
  }
  return std::nullopt;
}

// Whether `name` is already a menu's or a schedule's of the tenant (they share one name space).
Result<bool> name_taken(store::IvrStore& ivr, store::TenantId tenant, std::string_view name) {
  auto menus = ivr.list_ivr_menus(tenant);
  if (!menus) return menus.error();
  auto schedules = ivr.list_schedules(tenant);
  if (!schedules) return schedules.error();
  return find_named(*menus, name).has_value() || find_named(*schedules, name).has_value();
}

// The "name" of a create request: required, well-formed, and neither a menu's nor a
// schedule's of the tenant yet (they share one name space); nullopt with `failure` set.
std::optional<std::string> new_name(const JsonBody& body, store::IvrStore& ivr,
                                    const store::Tenant& tenant, Response& failure) {
  BodyError error;
  auto name = body.string("name", error);
  std::optional<Response> refused;
  if (!error.detail.empty()) {
    refused = body_problem(error);
  } else if (!name) {
    refused = problem(400, "name is required", "name");
  } else {
    refused = refuse_if(store::check_ivr_name(*name), "name");
  }
  if (!refused) {
    auto taken = name_taken(ivr, tenant.id, *name);
    if (!taken) {
      refused = store_problem(taken.error());
    } else if (*taken) {
      refused = problem(409, "the name " + *name + " is taken in " + tenant.domain, "name");
    }
  }
  if (refused) {
    failure = std::move(*refused);
    return std::nullopt;
  }
  return name;
}

// One page of `all` by name (the cursor), or the failure that kept it from being read.
template <typename Item>
Response named_page(const Request& request, const Result<std::vector<Item>>& all,
                    nlohmann::json (*to_json)(const Item&)) {
  Response failure;
  const auto page = read_page(request, kDefaultPage, kMaxPage, failure);
  if (!page) return failure;
  if (!all) return store_problem(all.error());
  return json_response(
      200,
      page_by_key(
          *all, *page, [](const Item& item) -> const std::string& { return item.name; }, to_json));
}

// The item `name` of `all` as a document, or 404 naming `what`.
template <typename Item>
Response named_item(Result<std::vector<Item>> all, std::string_view name, std::string_view what,
                    const store::Tenant& tenant, nlohmann::json (*to_json)(const Item&)) {
  if (!all) return store_problem(all.error());
  const auto item = find_named(*all, name);
  if (!item) return not_in_tenant(what, name, tenant);
  return json_response(200, to_json(*item));
}

// Removes the item `name` when `all` holds it (404 naming `what` otherwise).
template <typename Item, typename Remove>
std::optional<Response> remove_named(const Result<std::vector<Item>>& all, std::string_view name,
                                     std::string_view what, const store::Tenant& tenant,
                                     Remove remove) {
  if (!all) return store_problem(all.error());
  if (!std::any_of(all->begin(), all->end(), [&](const Item& i) { return i.name == name; })) {
    return not_in_tenant(what, name, tenant);
  }
  if (auto removed = remove(); !removed) return store_problem(removed.error());
  return std::nullopt;
}

}  // namespace

// --- IVR menus ---------------------------------------------------------------------------------

std::optional<Response> RestApi::Impl::save_menu_with_options(
    const store::IvrMenu& menu, const std::optional<std::vector<store::IvrOption>>& options,
    const std::optional<store::IvrMenu>& before) const {
  store::IvrStore& ivr = *options_.ivr;
  const auto undo = [&] {
    if (!before) {
      (void)ivr.remove_ivr_menu(menu.tenant_id, menu.name);
      return;
    }
    (void)ivr.save_ivr_menu(*before);
    for (const store::IvrOption& option : options.value_or(std::vector<store::IvrOption>{})) {
      (void)ivr.remove_ivr_option(menu.tenant_id, menu.name, option.digit);
    }
    for (const store::IvrOption& option : before->options) {
      (void)ivr.set_ivr_option(menu.tenant_id, menu.name, option.digit, option.destination);
    }
  };
  if (auto saved = ivr.save_ivr_menu(menu); !saved) {
    return write_refused(saved.error(), "number");
  }
  if (!options) return std::nullopt;
  const auto kept = [&](char digit) {
    return std::any_of(options->begin(), options->end(),
                       [&](const store::IvrOption& o) { return o.digit == digit; });
  };
  for (const store::IvrOption& old : before ? before->options : std::vector<store::IvrOption>{}) {
    if (kept(old.digit)) continue;
    if (auto removed = ivr.remove_ivr_option(menu.tenant_id, menu.name, old.digit); !removed) {
      undo();
      return store_problem(removed.error());
    }
  }
  for (const store::IvrOption& option : *options) {
    if (auto set = ivr.set_ivr_option(menu.tenant_id, menu.name, option.digit, option.destination);
        !set) {
      undo();
      return write_refused(set.error(), "options");
    }
  }
  return std::nullopt;
}

Response RestApi::Impl::list_ivr_menus(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.ivr, kResources, failure);
  if (!tenant) return failure;
  return named_page(call.request, options_.ivr->list_ivr_menus(tenant->id), menu_json);
}

Response RestApi::Impl::create_ivr_menu(const Call& call) const {
  static constexpr std::array<std::string_view, 8> kFields{
      "name",         "number",   "greeting_text", "timeout_seconds",
      "max_attempts", "fallback", "direct_dial",   "options"};
  Response failure;
  const auto tenant = resource_tenant(call, options_.ivr, kResources, failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  const auto name = new_name(*body, *options_.ivr, *tenant, failure);
  if (!name) return failure;
  store::IvrMenu menu;
  menu.tenant_id = tenant->id;
  menu.name = *name;
  std::optional<std::vector<store::IvrOption>> options;
  if (!apply_menu(*body, menu, options, failure)) return failure;
  if (auto refused = save_menu_with_options(menu, options, std::nullopt)) return *refused;
  directory_changed();
  auto menus = options_.ivr->list_ivr_menus(tenant->id);
  if (!menus) return store_problem(menus.error());
  const auto saved = find_named(*menus, menu.name);
  if (!saved) return not_in_tenant("IVR menu", menu.name, *tenant);
  return created(menu_json(*saved), *tenant, "ivrs", saved->name);
}

Response RestApi::Impl::get_ivr_menu(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.ivr, kResources, failure);
  if (!tenant) return failure;
  return named_item(options_.ivr->list_ivr_menus(tenant->id), call.params[1], "IVR menu", *tenant,
                    menu_json);
}

Response RestApi::Impl::patch_ivr_menu(const Call& call) const {
  static constexpr std::array<std::string_view, 7> kFields{
      "number",   "greeting_text", "timeout_seconds", "max_attempts",
      "fallback", "direct_dial",   "options"};
  Response failure;
  const auto tenant = resource_tenant(call, options_.ivr, kResources, failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  auto menus = options_.ivr->list_ivr_menus(tenant->id);
  if (!menus) return store_problem(menus.error());
  const auto before = find_named(*menus, call.params[1]);
  if (!before) return not_in_tenant("IVR menu", call.params[1], *tenant);
  store::IvrMenu after = *before;
  std::optional<std::vector<store::IvrOption>> options;
  if (!apply_menu(*body, after, options, failure)) return failure;
  if (auto refused = save_menu_with_options(after, options, before)) return *refused;
  directory_changed();
  return named_item(options_.ivr->list_ivr_menus(tenant->id), call.params[1], "IVR menu", *tenant,
                    menu_json);
}

Response RestApi::Impl::delete_ivr_menu(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.ivr, kResources, failure);
  if (!tenant) return failure;
  if (auto refused = remove_named(
          options_.ivr->list_ivr_menus(tenant->id), call.params[1], "IVR menu", *tenant,
          [&] { return options_.ivr->remove_ivr_menu(tenant->id, call.params[1]); })) {
    return *refused;
  }
  directory_changed();
  return no_content();
}

// --- schedules ---------------------------------------------------------------------------------

Response RestApi::Impl::list_schedules(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.ivr, kResources, failure);
  if (!tenant) return failure;
  return named_page(call.request, options_.ivr->list_schedules(tenant->id), schedule_json);
}

Response RestApi::Impl::create_schedule(const Call& call) const {
  static constexpr std::array<std::string_view, 7> kFields{
      "name", "number", "time_zone", "hours", "holidays", "open_destination", "closed_destination"};
  Response failure;
  const auto tenant = resource_tenant(call, options_.ivr, kResources, failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  const auto name = new_name(*body, *options_.ivr, *tenant, failure);
  if (!name) return failure;
  store::Schedule schedule;
  schedule.tenant_id = tenant->id;
  schedule.name = *name;
  if (!apply_schedule(*body, schedule, options_.zoneinfo_dir, failure)) return failure;
  if (auto saved = options_.ivr->save_schedule(schedule); !saved) {
    return write_refused(saved.error(), "number");
  }
  directory_changed();
  return created(schedule_json(schedule), *tenant, "schedules", schedule.name);
}

Response RestApi::Impl::get_schedule(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.ivr, kResources, failure);
  if (!tenant) return failure;
  return named_item(options_.ivr->list_schedules(tenant->id), call.params[1], "schedule", *tenant,
                    schedule_json);
}

Response RestApi::Impl::patch_schedule(const Call& call) const {
  static constexpr std::array<std::string_view, 6> kFields{
      "number", "time_zone", "hours", "holidays", "open_destination", "closed_destination"};
  Response failure;
  const auto tenant = resource_tenant(call, options_.ivr, kResources, failure);
  if (!tenant) return failure;
  auto body = read_body(call.request, kFields, failure);
  if (!body) return failure;
  auto schedules = options_.ivr->list_schedules(tenant->id);
  if (!schedules) return store_problem(schedules.error());
  auto schedule = find_named(*schedules, call.params[1]);
  if (!schedule) return not_in_tenant("schedule", call.params[1], *tenant);
  if (!apply_schedule(*body, *schedule, options_.zoneinfo_dir, failure)) return failure;
  if (auto saved = options_.ivr->save_schedule(*schedule); !saved) {
    return write_refused(saved.error(), "number");
  }
  directory_changed();
  return json_response(200, schedule_json(*schedule));
}

Response RestApi::Impl::delete_schedule(const Call& call) const {
  Response failure;
  const auto tenant = resource_tenant(call, options_.ivr, kResources, failure);
  if (!tenant) return failure;
  if (auto refused = remove_named(
          options_.ivr->list_schedules(tenant->id), call.params[1], "schedule", *tenant,
          [&] { return options_.ivr->remove_schedule(tenant->id, call.params[1]); })) {
    return *refused;
  }
  directory_changed();
  return no_content();
}

}  // namespace parley::http::api
