#include "http/static_files.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace parley::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ends_with_nocase(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && iequals(text.substr(text.size() - suffix.size()), suffix);
}

// A strong validator from the bytes themselves, so that a rebuilt file with an old mtime (a
// reproducible build) still gets a fresh ETag and an unchanged one keeps its ETag across restarts.
std::string etag_of(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    length = 0;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (unsigned int i = 0; i < std::min(length, 16U); ++i) {
    tag += kHex[digest[i] >> 4U];
    tag += kHex[digest[i] & 0x0FU];
  }
  tag += '"';
  return tag;
}

// RFC 9110 §13.1.2: a comma-separated list of entity tags, or "*"; weak comparison.
bool none_match(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") return true;
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
  }
  return false;
}

Result<std::string> read_file(const std::filesystem::path& path, std::size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(errno, std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return make_error(EINVAL, "not a regular file");
  }
  if (static_cast<std::size_t>(info.st_size) > limit) {
    ::close(fd);
    return make_error(EFBIG, "larger than the limit of " + std::to_string(limit) + " bytes");
  }
  std::string bytes(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // shrank under us: serve what is there
    done += static_cast<std::size_t>(got);
  }
  ::close(fd);
  bytes.resize(done);
  return bytes;
}

}  // namespace

std::optional<std::string> normalise_asset_path(std::string_view raw) {
  std::string decoded;
  decoded.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return std::nullopt;
      const int high = hex_value(raw[i + 1]);
      const int low = hex_value(raw[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      // An encoded separator is never a file name character here: refusing it closes the
      // "%2e%2e%2f" family of tricks in one place.
      if (c == '/' || c == '\\') return std::nullopt;
      i += 2;
    } else if (c == '\\') {
      return std::nullopt;
    }
    if (c == '\0') return std::nullopt;
    decoded += c;
  }
  std::string out;
  std::size_t start = 0;
  while (start <= decoded.size()) {
    std::size_t slash = decoded.find('/', start);
    if (slash == std::string::npos) slash = decoded.size();
    const std::string_view segment = std::string_view(decoded).substr(start, slash - start);
    start = slash + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment.front() == '.') return std::nullopt;  // "..", and hidden files such as .env
    if (!out.empty()) out += '/';
    out += segment;
  }
  return out;
}

std::string_view content_type_for(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/vnd.microsoft.icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".wasm", "application/wasm"},
      {".wav", "audio/wav"},
      {".mp3", "audio/mpeg"},
      {".ogg", "audio/ogg"},
      {".opus", "audio/ogg"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (ends_with_nocase(path, extension)) return type;
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::filesystem::path root, StaticFilesOptions options,
                         const AssetVerifier* verifier)
    : root_(std::move(root)), options_(std::move(options)), verifier_(verifier) {}

Result<StaticFiles> StaticFiles::open(const std::filesystem::path& root, StaticFilesOptions options,
                                      const AssetVerifier* verifier) {
  std::error_code error;
  std::filesystem::path canonical = std::filesystem::canonical(root, error);
  if (error || !std::filesystem::is_directory(canonical, error)) {
    return make_error(ENOENT, "web root " + root.string() + " is not a folder");
  }
  if (options.mount.empty() || options.mount.back() != '/') options.mount += '/';
  return StaticFiles(std::move(canonical), std::move(options), verifier);
}

Response StaticFiles::serve(const Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    Response response = Response::problem(405, "static files answer GET and HEAD only");
    response.headers.set("Allow", "GET, HEAD");
    return response;
  }
  std::string_view below = request.path;
  // "/app" for a mount of "/app/" is the mount itself.
  if (below.size() + 1 == options_.mount.size() && options_.mount.starts_with(below)) {
    below = "";
  } else if (below.starts_with(options_.mount)) {
    below.remove_prefix(options_.mount.size());
  } else {
    return Response::problem(404, "no file at this path");
  }
  const std::optional<std::string> relative = normalise_asset_path(below);
  if (!relative) {
    return Response::problem(
        400,
        "the path is not allowed (it leaves the web root, names a hidden file or encodes a "
        "separator)");
  }
  std::error_code error;
  std::filesystem::path file = relative->empty() ? root_ : root_ / *relative;
  if (std::filesystem::is_directory(file, error)) file /= options_.index;
  const std::filesystem::path resolved = std::filesystem::canonical(file, error);
  if (error) return Response::problem(404, "no file at this path");
  const auto [root_end, unused] =
      std::mismatch(root_.begin(), root_.end(), resolved.begin(), resolved.end());
  if (root_end != root_.end()) {
    spdlog::warn("web root: refusing {}: it resolves outside {}", file.string(), root_.string());
    return Response::problem(404, "no file at this path");
  }
  const std::string name = resolved.lexically_relative(root_).generic_string();
  if (!std::filesystem::is_regular_file(resolved, error)) {
    return Response::problem(404, "no file at this path");
  }
  Result<std::string> bytes = read_file(resolved, options_.max_file_bytes);
  if (!bytes) {
    spdlog::error("web root: cannot read {}: {}", name, bytes.error().message);
    return Response::problem(500, "the file cannot be read");
  }
  if (verifier_ != nullptr && !verifier_->allow(name, *bytes)) {
    spdlog::error("web asset {} does not match the release manifest; refusing to serve it", name);
    return Response::problem(500, "this file failed its integrity check and is not served");
  }

  Response response;
  response.head = request.method == "HEAD";
  const std::string etag = etag_of(*bytes);
  response.headers.set("ETag", etag);
  response.headers.set("Cache-Control", name.starts_with(options_.immutable_prefix)
                                            ? "public, max-age=31536000, immutable"
                                            : "no-cache");
  const std::optional<std::string_view> if_none_match = request.headers.find("If-None-Match");
  if (if_none_match && none_match(*if_none_match, etag)) {
    response.status = 304;
    return response;
  }
  response.headers.set("Content-Type", std::string(content_type_for(name)));
  response.body = std::move(*bytes);
  return response;
}

}  // namespace parley::http
