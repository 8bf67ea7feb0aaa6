// Serving one stored WAV file with byte ranges (audio_file.hpp).

#include "http/api/audio_file.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "http/api/api_impl.hpp"
#include "http/api/audio_type.hpp"
#include "http/api/byte_range.hpp"

namespace parley::http::api {

namespace {

// Answers up to this size are read into memory (one write); larger ones are sent from the open
// file in chunks by the server (FileBody), so a long recording never sits in memory whole and
// a range may be as large as the file.
constexpr std::uint64_t kInlineBytes = 256 * 1024;

// A file descriptor closed on scope exit unless released to a FileBody.
class FileHandle {
 public:
  explicit FileHandle(int fd) : fd_(fd) {}
  ~FileHandle() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

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

}  // namespace

std::optional<Response> serve_audio_file(const Request& request, const AudioFile& audio) {
  const auto path = inside(audio.folder, audio.path);
  if (!path) {
    spdlog::warn("api: {} is not a file under {}", audio.path, audio.folder.string());
    return std::nullopt;
  }
  FileHandle file(::open(path->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat info {};
  if (file.get() < 0 || ::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    spdlog::warn("api: {} cannot be opened", path->string());
    return std::nullopt;
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  ByteRange range{0, size == 0 ? 0 : size - 1};
  const RangeVerdict verdict =
      read_byte_range(request.headers.find("Range"), size, UINT64_MAX, range);
  if (verdict == RangeVerdict::kUnsatisfiable) {
    const nlohmann::json document = {{"type", "about:blank"},
                                     {"title", "Range Not Satisfiable"},
                                     {"status", 416},
                                     {"detail", "the file has " + std::to_string(size) + " bytes"}};
    Response response = Response::make(416, "application/problem+json", dump(document));
    response.headers.set("Content-Range", "bytes */" + std::to_string(size));
    response.headers.set("Cache-Control", "no-store");
    return response;
  }
  const std::uint64_t length = size == 0 ? 0 : range.last - range.first + 1;
  Response response = Response::make(verdict == RangeVerdict::kPart ? 206 : 200,
                                     std::string(audio_content_type(audio.path)), "");
  if (length > kInlineBytes) {
    response.file = std::make_shared<FileBody>(file.release(), range.first, length);
  } else {
    response.body.assign(static_cast<std::size_t>(length), '\0');
    if (!FileBody(file.release(), range.first, length).read(0, response.body)) {
      spdlog::error("api: reading {} failed", path->string());
      return problem(500, "reading the file failed; the server log has the details");
    }
  }
  if (verdict == RangeVerdict::kPart) {
    response.headers.set("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                              std::to_string(range.last) + "/" +
                                              std::to_string(size));
  }
  response.headers.set("Accept-Ranges", "bytes");
  response.headers.set("Cache-Control", "private, no-store");
  // Played in the page (inline) unless the link asks for a download: then saved under the name
  // whose extension matches the Content-Type, whatever the browser's download attribute says.
  const bool download = query_param(request.query, "download") == "1";
  response.headers.set("Content-Disposition", std::string(download ? "attachment" : "inline") +
                                                  "; filename=\"" + audio.download_name + "\"");
  return response;
}

}  // namespace parley::http::api
