// Serving one stored WAV file with byte ranges (audio_file.hpp).

#include "http/api/audio_file.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "http/api/api_impl.hpp"
#include "http/api/byte_range.hpp"

namespace parley::http::api {

namespace {

// An open-ended range ("bytes=0-", what <audio> asks first) gets at most this much: the whole
// response lives in memory, and the element asks again for the rest.
constexpr std::uint64_t kMaxRangeBytes = 4 * 1024 * 1024;

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

std::optional<Response> serve_audio_file(const Request& request, const AudioFile& audio) {
  const auto path = inside(audio.folder, audio.path);
  if (!path) {
    spdlog::warn("api: {} is not a file under {}", audio.path, audio.folder.string());
    return std::nullopt;
  }
  const FileHandle file(::open(path->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat info {};
  if (file.get() < 0 || ::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    spdlog::warn("api: {} cannot be opened", path->string());
    return std::nullopt;
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  ByteRange range{0, size == 0 ? 0 : size - 1};
  const RangeVerdict verdict =
      read_byte_range(request.headers.find("Range"), size, kMaxRangeBytes, range);
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
  std::string bytes(size == 0 ? 0 : range.last - range.first + 1, '\0');
  if (!read_exactly(file.get(), range.first, bytes)) {
    spdlog::error("api: reading {} failed", path->string());
    return problem(500, "reading the file failed; the server log has the details");
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
  response.headers.set("Content-Disposition", "inline; filename=\"" + audio.download_name + "\"");
  return response;
}

}  // namespace parley::http::api
