// Call recordings over the API (issue 9): the tenant's list (newest first, in pages with a
// cursor, as the call records; each row says its "format", wav or ogg), and one recording's audio
// (audio/wav or audio/ogg by format) with byte ranges (RFC 9110 §14) so that a browser's <audio>
// element can seek; `?download=1` answers it as an attachment named recording-<id>.wav|.opus.
//
// The file to send is never named by the request: the path comes from the recording's row,
// found by its numeric id among the tenant's own rows, and is served only when it resolves
// (symbolic links followed) to a regular file inside the recordings folder. A row pointing
// elsewhere is answered 404 like a missing one, and logged.

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "http/api/api_impl.hpp"
#include "http/api/audio_file.hpp"
#include "http/api/audio_type.hpp"
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
          {"format", is_ogg_audio(recording.path) ? "ogg" : "wav"},
          {"audio_url", audio_path(tenant, recording.id)}};
}

Response unavailable() {
  return resources_unavailable("call recordings");
}

Response no_recording(std::string_view id, const store::Tenant& tenant) {
  return problem(404, "no recording " + std::string(id.substr(0, 20)) + " in " + tenant.domain);
}

store::RecordingCursor cursor_after(const store::Recording& recording) {
  return {recording.started_at, recording.id};
}

// "<started_ms>.<id>" of the last row of a page, as the call records' cursors.
std::string encode_cursor(const store::Recording& recording) {
  return std::to_string(recording.started_at) + "." + std::to_string(recording.id);
}

std::optional<std::uint64_t> whole_number(std::string_view text);

std::optional<store::RecordingCursor> decode_cursor(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos || text.size() > 40) return std::nullopt;
  const auto started = whole_number(text.substr(0, dot));
  const auto id = whole_number(text.substr(dot + 1));
  constexpr auto kLargest = static_cast<std::uint64_t>(INT64_MAX);
  if (!started || !id || *started > kLargest || *id > kLargest) return std::nullopt;
  return store::RecordingCursor{static_cast<store::UnixMillis>(*started),
                                static_cast<store::RecordingId>(*id)};
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
  store::RecordingQuery query;
  query.tenant = tenant->id;
  if (!page->cursor.empty()) {
    query.after = decode_cursor(page->cursor);
    if (!query.after) return problem(400, "cursor is not one this server gave out", "cursor");
  }
  if (auto extension = query_param(call.request.query, "extension");
      extension && !extension->empty()) {
    if (auto valid = store::check_extension_number(*extension); !valid) {
      return problem(400, valid.error().message, "extension");
    }
    query.extension = *extension;
  }
  // One row more than the page tells whether a next page exists; at the store's largest page
  // that row is asked for on its own.
  query.limit = std::min(page->limit + 1, store::kMaxRecordingPage);
  auto recordings = options_.recordings->list_recordings(query);
  if (!recordings) return store_problem(recordings.error());
  bool more = recordings->size() > page->limit;
  if (more) {
    recordings->pop_back();
  } else if (query.limit == page->limit && recordings->size() == page->limit) {
    store::RecordingQuery probe = query;
    probe.limit = 1;
    probe.after = cursor_after(recordings->back());
    auto next = options_.recordings->list_recordings(probe);
    if (!next) return store_problem(next.error());
    more = !next->empty();
  }
  nlohmann::json items = nlohmann::json::array();
  for (const store::Recording& recording : *recordings) {
    items.push_back(recording_json(*tenant, recording));
  }
  const nlohmann::json next =
      more ? nlohmann::json(encode_cursor(recordings->back())) : nlohmann::json(nullptr);
  return json_response(200, {{"items", items}, {"next_cursor", next}});
}

Response RestApi::Impl::recording_audio(const Call& call) const {
  Response failure;
  const auto tenant = visible_tenant(*call.principal, call.params[0], failure);
  if (!tenant) return failure;
  if (options_.recordings == nullptr || options_.recordings_dir.empty()) return unavailable();
  const auto id = whole_number(call.params[1]);
  if (!id || *id == 0) return no_recording(call.params[1], *tenant);
  auto found =
      options_.recordings->find_recording(tenant->id, static_cast<store::RecordingId>(*id));
  if (!found) return store_problem(found.error());
  if (!*found) return no_recording(call.params[1], *tenant);

  auto answer = serve_audio_file(call.request, {options_.recordings_dir, (*found)->path,
                                                "recording-" + std::to_string(*id) +
                                                    std::string(audio_extension((*found)->path))});
  if (!answer) return no_recording(call.params[1], *tenant);
  return std::move(answer).value();
}

}  // namespace parley::http::api
