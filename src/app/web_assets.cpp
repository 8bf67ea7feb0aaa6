#include "app/web_assets.hpp"

#include <utility>

#include "trust/digest.hpp"
#include "trust/signing.hpp"

namespace parley::app {

namespace fs = std::filesystem;

Result<WebAssetVerifier> WebAssetVerifier::load(const fs::path& manifest,
                                                const fs::path& public_key_file) {
  auto text = trust::read_file(manifest);
  if (!text) return make_error(1, "web manifest: " + text.error().message);
  if (!public_key_file.empty()) {
    auto key_text = trust::read_file(public_key_file);
    if (!key_text) return make_error(1, "release public key: " + key_text.error().message);
    auto key = trust::parse_public_key(*key_text);
    if (!key) return make_error(1, public_key_file.string() + ": " + key.error().message);
    const fs::path signature_file = manifest.string() + ".sig";
    auto signature = trust::read_file(signature_file);
    if (!signature) return make_error(1, "web manifest signature: " + signature.error().message);
    if (auto valid = trust::verify_manifest_signature(*key, *text, *signature); !valid) {
      return make_error(1, manifest.string() + ": bad signature: " + valid.error().message);
    }
  }
  auto parsed = trust::parse_manifest(*text);
  if (!parsed) return make_error(1, manifest.string() + ": " + parsed.error().message);
  WebAssetVerifier verifier;
  for (const trust::ManifestEntry& entry : parsed->files) {
    if (entry.kind == trust::EntryKind::kFile) verifier.digests_.emplace(entry.path, entry.sha256);
  }
  verifier.entries_ = std::move(parsed->files);
  return verifier;
}

fs::path WebAssetVerifier::default_manifest(const fs::path& web_root) {
  fs::path folder = web_root;
  if (!folder.has_filename()) folder = folder.parent_path();  // "web/" -> "web"
  return folder.parent_path() / "web-manifest.json";
}

Result<std::vector<std::string>> WebAssetVerifier::differences(const fs::path& web_root) const {
  auto files = trust::scan_tree(web_root);
  if (!files) return files.error();
  const trust::TreeDiff diff = trust::diff_entries(entries_, *files);
  std::vector<std::string> lines;
  for (const auto& path : diff.added) lines.push_back("added: " + path);
  for (const auto& path : diff.missing) lines.push_back("missing: " + path);
  for (const auto& path : diff.changed) lines.push_back("changed: " + path);
  return lines;
}

bool WebAssetVerifier::allow(std::string_view path, std::string_view bytes) const {
  const auto found = digests_.find(std::string(path));
  return found != digests_.end() && found->second == trust::sha256_hex(bytes);
}

}  // namespace parley::app
