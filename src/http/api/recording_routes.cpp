// Call recordings over the API (issue 9): the tenant's list, and one recording's WAV with byte
// ranges (RFC 9110 §14) so that a browser's <audio> element can seek.
//
// The file to send is never named by the request: the path comes from the recording's row,
// found by its numeric id among the tenant's own rows, and is served only when it resolves
// (symbolic links followed) to a regular file inside the recordings folder. A row pointing
// elsewhere is answered 404 like a missing one, and logged.

#include <algorithm>
#include <charconv>

#include "http/api/api_impl.hpp"
#include "http/api/audio_file.hpp"
#include "store/recording_store.hpp"
#include "store/validation.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kDefaultPage = 100;

std::string audio_path(const store::Tenant& tenant, store::RecordingId id) {
  return "/api/v1/tenants/" + tenant.domain + "/recordings/" + std::to_string(id) + "/audio";
}

nlohmann::json recording_json(const store::Tenant& tenant, const store::Recording& recording) {
  return {{"id", recording.id},
          {"caller", recording.caller},
          {"callee", recording.callee},
          {"call_id", recording.call_id},
          {"started_ms", recording.started_at},
          {"duration_ms", recording.duration_ms},
          {"size_bytes", recording.size_bytes},
          {"audio_url", audio_path(tenant, recording.id)}};
}

Response unavailable() {
  return resources_unavailable("call recordings");
}

Response no_recording(std::string_view id, const store::Tenant& tenant) {
  return problem(404, "no recording " + std::string(id.substr(0, 20)) + " in " + tenant.domain);
}

std::optional<std::uint64_t> whole_number(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty() || text.size() > 19) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

Response RestApi::Impl::list_recordings(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (options_.recordings == nullptr) return unavailable();
  const auto page = read_page(call.request, kDefaultPage, store::kMaxRecordingPage, failure);
  if (!page) return failure;
  if (!page->cursor.empty()) {
    return problem(400, "recordings are listed newest first without a cursor; use limit", "cursor");
  }
  store::RecordingQuery query;
  query.tenant = tenant->id;
  query.limit = page->limit;
  if (auto extension = query_param(call.request.query, "extension");
      extension && !extension->empty()) {
    if (auto valid = store::check_extension_number(*extension); !valid) {
      return problem(400, valid.error().message, "extension");
    }
    query.extension = *extension;
  }
  auto recordings = options_.recordings->list_recordings(query);
  if (!recordings) return store_problem(recordings.error());
  nlohmann::json items = nlohmann::json::array();
  for (const store::Recording& recording : *recordings) {
    items.push_back(recording_json(*tenant, recording));
  }
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

Response RestApi::Impl::recording_audio(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (options_.recordings == nullptr || options_.recordings_dir.empty()) return unavailable();
  const auto id = whole_number(call.params[1]);
  if (!id || *id == 0) return no_recording(call.params[1], *tenant);
  // The store lists a tenant's rows newest first; the one asked for is among its newest
  // kMaxRecordingPage (the list the admin page shows).
  store::RecordingQuery query;
  query.tenant = tenant->id;
  query.limit = store::kMaxRecordingPage;
  auto recordings = options_.recordings->list_recordings(query);
  if (!recordings) return store_problem(recordings.error());
  const auto found = std::find_if(
      recordings->begin(), recordings->end(),
      [&](const store::Recording& r) { return r.id == static_cast<store::RecordingId>(*id); });
  if (found == recordings->end()) return no_recording(call.params[1], *tenant);

  auto answer = serve_audio_file(call.request, {options_.recordings_dir, found->path,
                                                "recording-" + std::to_string(*id) + ".wav"});
  if (!answer) return no_recording(call.params[1], *tenant);
  return std::move(answer).value();
}

}  // namespace parley::http::api
