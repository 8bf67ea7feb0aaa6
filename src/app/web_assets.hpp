#pragma once
// The web app as released: `parley serve` checks the files it will serve against the web
// manifest (trust/manifest.hpp format, tree root = the web folder) at start-up, and checks every
// file again each time it serves it, so an asset changed after start-up is refused as well
// (http::AssetVerifier: 500 and one error line naming the file).
//
// Where the manifest is: `[http] web_manifest`, else `web-manifest.json` beside the web folder
// (the build writes build/<preset>/web-manifest.json; an installation ships
// share/parley/web-manifest.json). When `[trust] release_pubkey` names a key, the manifest must
// carry a valid signature from it (MANIFEST.sig) or nothing is served.
//
// Thread-safety: immutable after load(); allow() runs on every worker at once.

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "http/static_files.hpp"
#include "trust/manifest.hpp"

namespace parley::app {

class WebAssetVerifier final : public http::AssetVerifier {
 public:
  // Reads (and, with a key file, checks the signature of) the manifest. Errors name the file.
  static Result<WebAssetVerifier> load(const std::filesystem::path& manifest,
                                       const std::filesystem::path& public_key_file);

  // The manifest next to `web_root` that load() reads by default.
  static std::filesystem::path default_manifest(const std::filesystem::path& web_root);

  // How the folder differs from the manifest now: one line per file ("changed: assets/x.js").
  Result<std::vector<std::string>> differences(const std::filesystem::path& web_root) const;

  bool allow(std::string_view path, std::string_view bytes) const override;

  std::size_t size() const { return digests_.size(); }

 private:
  std::unordered_map<std::string, std::string> digests_;  // path -> sha256 hex
  std::vector<trust::ManifestEntry> entries_;
};

}  // namespace parley::app
