// Call recordings over the API (issue 9): the tenant's list, and one recording's WAV with byte
// ranges (RFC 9110 §14) so that a browser's <audio> element can seek.
//
// The file to send is never named by the request: the path comes from the recording's row,
// found by its numeric id among the tenant's own rows, and is served only when it resolves
// (symbolic links followed) to a regular file inside the recordings folder. A row pointing
// elsewhere is answered 404 like a missing one, and logged.

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>

#include "http/api/api_impl.hpp"
#include "http/api/byte_range.hpp"
#include "store/recording_store.hpp"
#include "store/validation.hpp"

namespace parley::http::api {

namespace {

constexpr std::size_t kDefaultPage = 100;
// An open-ended range ("bytes=0-", what <audio> asks first) gets at most this much: the whole
// response lives in memory, and the element asks again for the rest.
constexpr std::uint64_t kMaxRangeBytes = 4 * 1024 * 1024;

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
  return problem(503, "call recordings are not available on this server");
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

// A file descriptor closed on scope exit.
class FileHandle {
 public:
  explicit FileHandle(int fd) : fd_(fd) {}
  ~FileHandle() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// `path` resolved, when it is inside `folder` (resolved too); else nullopt.
std::optional<std::filesystem::path> inside(const std::filesystem::path& folder,
                                            const std::string& path) {
  std::error_code error;
  const auto root = std::filesystem::canonical(folder, error);
  if (error) return std::nullopt;
  auto file = std::filesystem::canonical(path, error);
  if (error) return std::nullopt;
  auto [root_end, file_at] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (root_end != root.end() || file_at == file.end()) return std::nullopt;
  return file;
}

bool read_exactly(int fd, std::uint64_t offset, std::string& out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t got =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    done += static_cast<std::size_t>(got);
  }
  return true;
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

  const auto path = inside(options_.recordings_dir, found->path);
  if (!path) {
    spdlog::warn("api: recording {} of {} is not a file under {}: {}", *id, tenant->domain,
                 options_.recordings_dir.string(), found->path);
    return no_recording(call.params[1], *tenant);
  }
  const FileHandle file(::open(path->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat info {};
  if (file.get() < 0 || ::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    spdlog::warn("api: recording {} of {} cannot be opened: {}", *id, tenant->domain,
                 path->string());
    return no_recording(call.params[1], *tenant);
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  ByteRange range{0, size == 0 ? 0 : size - 1};
  const RangeVerdict verdict =
      read_byte_range(call.request.headers.find("Range"), size, kMaxRangeBytes, range);
  if (verdict == RangeVerdict::kUnsatisfiable) {
    const nlohmann::json document = {
        {"type", "about:blank"},
        {"title", "Range Not Satisfiable"},
        {"status", 416},
        {"detail", "the recording has " + std::to_string(size) + " bytes"}};
    Response response = Response::make(416, "application/problem+json", dump(document));
    response.headers.set("Content-Range", "bytes */" + std::to_string(size));
    response.headers.set("Cache-Control", "no-store");
    return response;
  }
  std::string bytes(size == 0 ? 0 : range.last - range.first + 1, '\0');
  if (!read_exactly(file.get(), range.first, bytes)) {
    spdlog::error("api: reading recording {} failed: {}", *id, path->string());
    return problem(500, "reading the recording failed; the server log has the details");
  }
  const bool part = verdict == RangeVerdict::kPart;
  Response response = Response::make(part ? 206 : 200, "audio/wav", std::move(bytes));
  if (part) {
    response.headers.set("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                              std::to_string(range.last) + "/" +
                                              std::to_string(size));
  }
  response.headers.set("Accept-Ranges", "bytes");
  response.headers.set("Cache-Control", "private, no-store");
  response.headers.set("Content-Disposition",
                       "inline; filename=\"recording-" + std::to_string(*id) + ".wav\"");
  return response;
}

}  // namespace parley::http::api
