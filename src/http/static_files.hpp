#pragma once
// Serves one folder of files (the web app) read-only: GET and HEAD, Content-Type by extension,
// a strong ETag from the content (If-None-Match gives 304), Cache-Control, no directory listings.
//
// The path cannot leave the root: it is percent-decoded once, encoded separators (%2F, %5C),
// backslashes, NUL, `..` segments and hidden names (leading '.') are refused with 400, and the
// resolved file must still lie inside the root after symlinks are followed (404 otherwise).
//
// Each file is checked by the AssetVerifier, when one is given, on every read: when it refuses,
// the answer is 500 and one error line names the file (the trust layer's run-time check that the
// served web app is the released one).
//
// Thread-safety: immutable after open(); serve() may run on every worker at once. The verifier
// must be thread-safe and outlive this object. Reads are synchronous: web assets are small and
// in the page cache; move them off the loop if that ever stops being true.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace parley::http {

class AssetVerifier {
 public:
  virtual ~AssetVerifier() = default;
  // `path` is relative to the root with '/' separators ("assets/app-3f2a.js"); `bytes` is the
  // whole file as it will be sent. False: the file must not be served.
  virtual bool allow(std::string_view path, std::string_view bytes) const = 0;
};

struct StaticFilesOptions {
  std::string mount = "/";                   // URL prefix that maps to the root; ends with '/'
  std::string index = "index.html";          // served for the root and for folders
  std::string immutable_prefix = "assets/";  // content-hashed names (Vite): cached for a year
  std::size_t max_file_bytes = std::size_t{64} * 1024 * 1024;
};

class StaticFiles {
 public:
  // `root` must be an existing folder.
  static Result<StaticFiles> open(const std::filesystem::path& root,
                                  StaticFilesOptions options = {},
                                  const AssetVerifier* verifier = nullptr);

  Response serve(const Request& request) const;
  // A router handler bound to this object, which must outlive the router's use.
  Handler handler() const {
    return [this](const Request& request) { return serve(request); };
  }

  const std::filesystem::path& root() const { return root_; }

 private:
  StaticFiles(std::filesystem::path root, StaticFilesOptions options,
              const AssetVerifier* verifier);

  std::filesystem::path root_;  // canonical
  StaticFilesOptions options_;
  const AssetVerifier* verifier_;
};

// The path below the mount, percent-decoded and checked as described above: "" for the root,
// "a/b.js" for "a/./b.js"; nullopt when it is refused. A trailing '/' is dropped.
std::optional<std::string> normalise_asset_path(std::string_view raw);

// "text/javascript; charset=utf-8" for "app.js"; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view path);

}  // namespace parley::http
