// Call records (JSON pages and CSV export), status and the OpenAPI document.

#include <algorithm>
#include <ctime>

#include "http/api/api_impl.hpp"
#include "store/validation.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kDefaultRecordPage = 50;
constexpr std::size_t kMaxCsvRows = 100000;

// "2026-12-06T16:35:17.123Z" for unix milliseconds.
std::string iso_time(store::UnixMillis ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(text, length) + millis;
}

// Unix milliseconds from digits, or from "YYYY-MM-DDTHH:MM:SS[.fff]Z".
std::optional<store::UnixMillis> parse_time(std::string_view text) {
  if (text.empty() || text.size() > 30) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    if (text.size() > 15) return std::nullopt;
    return std::stoll(std::string(text));
  }
  std::tm parts{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(19);
  int millis = 0;
  if (rest.starts_with('.')) {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) millis = millis * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  if (rest != "Z") return std::nullopt;
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  return static_cast<store::UnixMillis>(timegm(&parts)) * 1000 + millis;
}

std::string encode_cursor(const store::CallRecord& record) {
  return std::to_string(record.start_ms) + "." + std::to_string(record.id);
}

std::optional<store::CallRecordCursor> decode_cursor(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size() || text.size() > 40) {
    return std::nullopt;
  }
  const std::string_view start = text.substr(0, dot);
  const std::string_view id = text.substr(dot + 1);
  const auto digits = [](std::string_view part) {
    return part.size() <= 18 && part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (!digits(start) || !digits(id)) return std::nullopt;
  return store::CallRecordCursor{std::stoll(std::string(start)), std::stoll(std::string(id))};
}

nlohmann::json record_json(const store::CallRecord& record) {
  const store::UnixMillis talk = record.answer_ms ? record.end_ms - *record.answer_ms : 0;
  return {{"id", record.id},
          {"call_id", record.call_id},
          {"caller", record.caller},
          {"callee", record.callee},
          {"start", iso_time(record.start_ms)},
          {"start_ms", record.start_ms},
          {"answer_ms", record.answer_ms ? nlohmann::json(*record.answer_ms) : nullptr},
          {"end_ms", record.end_ms},
          {"duration_ms", talk},
          {"disposition", std::string(store::to_text(record.disposition))},
          {"hangup_side", std::string(store::to_text(record.hangup_side))},
          {"end_reason", std::string(store::to_text(record.end_reason))}};
}

// One CSV field (RFC 4180), quoted; a leading character a spreadsheet would run as a formula is
// defused with an apostrophe (phone numbers like +15551234 are left alone).
std::string csv_field(std::string_view value) {
  std::string out = "\"";
  const bool number_like =
      value.size() > 1 && (value[0] == '+' || value[0] == '-') &&
      value.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
  if (!value.empty() && !number_like &&
      (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
       value[0] == '\t' || value[0] == '\r')) {
    out += '\'';
  }
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void append_csv(std::string& out, const store::CallRecord& record) {
  const auto answer = record.answer_ms ? iso_time(*record.answer_ms) : std::string();
  const store::UnixMillis talk = record.answer_ms ? record.end_ms - *record.answer_ms : 0;
  out += std::to_string(record.id) + "," + csv_field(record.call_id) + "," +
         csv_field(record.caller) + "," + csv_field(record.callee) + "," +
         iso_time(record.start_ms) + "," + answer + "," + iso_time(record.end_ms) + "," +
         std::to_string(talk / 1000) + "." + std::to_string((talk % 1000) / 100) + "," +
         std::string(store::to_text(record.disposition)) + "," +
         std::string(store::to_text(record.hangup_side)) + "," +
         std::string(store::to_text(record.end_reason)) + "\r\n";
}

bool wants_csv(const Request& request) {
  if (const auto format = query_param(request.query, "format")) return *format == "csv";
  const auto accept = request.headers.find("Accept");
  return accept && accept->find("text/csv") != std::string_view::npos &&
         accept->find("application/json") == std::string_view::npos;
}

}  // namespace

Response RestApi::Impl::tenant_call_records(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  return call_records(call, *tenant, "");
}

Response RestApi::Impl::my_call_records(const Call& call) const {
  if (call.principal->role != Role::kUser || !call.principal->tenant_id) {
    return problem(403,
                   "only an extension user has calls of its own; admins use "
                   "/api/v1/tenants/{domain}/call-records");
  }
  auto tenant = store_.get_tenant(*call.principal->tenant_id);
  if (!tenant) return store_problem(tenant.error());
  return call_records(call, *tenant, call.principal->extension);
}

Response RestApi::Impl::call_records(const Call& call, const store::Tenant& tenant,
                                     const std::string& own_extension) const {
  Response failure;
  const auto page = read_page(call.request, kDefaultRecordPage, store::kMaxCallRecordPage, failure);
  if (!page) return failure;
  store::CallRecordQuery query;
  query.tenant = tenant.id;
  query.limit = page->limit;
  for (const auto& [name, target] : {std::pair{"from", &query.from_ms}, {"to", &query.to_ms}}) {
    if (const auto text = query_param(call.request.query, name)) {
      *target = parse_time(*text);
      if (!*target) {
        return problem(400,
                       std::string(name) +
                           " must be unix milliseconds or a UTC time like 2026-01-31T08:00:00Z",
                       name);
      }
    }
  }
  if (const auto extension = query_param(call.request.query, "extension")) {
    if (auto valid = store::check_extension_number(*extension); !valid) {
      return problem(400, valid.error().message, "extension");
    }
    if (!own_extension.empty() && *extension != own_extension) {
      return problem(403, "a user sees only calls of its own extension", "extension");
    }
    query.extension = *extension;
  }
  if (!own_extension.empty()) query.extension = own_extension;
  if (const auto disposition = query_param(call.request.query, "disposition")) {
    query.disposition = store::parse_disposition(*disposition);
    if (!query.disposition) {
      return problem(400, "disposition must be answered, busy, no_answer, cancelled or failed",
                     "disposition");
    }
  }
  if (!page->cursor.empty()) {
    query.after = decode_cursor(page->cursor);
    if (!query.after) return problem(400, "cursor is not one this server gave out", "cursor");
  }

  if (wants_csv(call.request)) {
    // The whole filtered history (up to kMaxCsvRows), read page by page; limit and cursor
    // choose where it starts.
    std::string csv =
        "id,call_id,caller,callee,start,answer,end,talk_seconds,disposition,hangup_side,"
        "end_reason\r\n";
    query.limit = store::kMaxCallRecordPage;
    std::size_t rows = 0;
    while (rows < kMaxCsvRows) {
      auto records = admin_store_.search_call_records(query);
      if (!records) return store_problem(records.error());
      for (const auto& record : *records) append_csv(csv, record);
      rows += records->size();
      if (records->size() < query.limit) break;
      query.after = store::CallRecordCursor{records->back().start_ms, records->back().id};
    }
    Response response = Response::make(200, "text/csv; charset=utf-8", std::move(csv));
    response.headers.set("Cache-Control", "no-store");
    response.headers.set("Content-Disposition",
                         "attachment; filename=\"call-records-" + tenant.domain + ".csv\"");
    return response;
  }

  // One row more than the page tells whether a next page exists; at the store's largest page
  // that row is asked for on its own.
  query.limit = std::min(page->limit + 1, store::kMaxCallRecordPage);
  auto records = admin_store_.search_call_records(query);
  if (!records) return store_problem(records.error());
  bool more = records->size() > page->limit;
  if (more) {
    records->pop_back();
  } else if (query.limit == page->limit && records->size() == page->limit) {
    store::CallRecordQuery probe = query;
    probe.limit = 1;
    probe.after = store::CallRecordCursor{records->back().start_ms, records->back().id};
    auto next = admin_store_.search_call_records(probe);
    if (!next) return store_problem(next.error());
    more = !next->empty();
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& record : *records) items.push_back(record_json(record));
  nlohmann::json next = more ? nlohmann::json(encode_cursor(records->back())) : nullptr;
  return json_response(200, {{"items", items}, {"next_cursor", next}});
}

Response RestApi::Impl::status(const Call& call) const {
  const std::optional<store::TenantId> scope =
      call.principal->role == Role::kSystemAdmin ? std::nullopt : call.principal->tenant_id;
  auto counts = admin_store_.count_objects(scope, now());
  if (!counts) return store_problem(counts.error());
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count();
  return json_response(200,
                       {{"version", options_.version},
                        {"uptime_s", uptime},
                        {"scope", scope ? nlohmann::json(call.principal->tenant_domain) : nullptr},
                        {"counts",
                         {{"tenants", counts->tenants},
                          {"extensions", counts->extensions},
                          {"registrations", counts->live_bindings},
                          {"call_records", counts->call_records}}}});
}

Response RestApi::Impl::openapi(const Call& /*call*/) const {
  Response response =
      Response::make(200, "application/json", std::string(RestApi::openapi_document()));
  response.headers.set("Cache-Control", "no-cache");
  return response;
}

}  // namespace parley::http::api
