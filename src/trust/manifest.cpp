#include "trust/manifest.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <system_error>

#include "trust/digest.hpp"
#include "trust/json_util.hpp"

namespace parley::trust {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

bool is_hex_digest(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A path that stays inside the tree: relative, '/'-separated, no empty, "." or ".." parts.
bool is_tree_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos) {
    return false;
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

Result<ManifestEntry> parse_entry(const json& item) {
  if (!item.is_object()) return make_error(0, "a files[] item is not an object");
  auto path = json_string(item, "path");
  if (!path) return path.error();
  if (!is_tree_path(*path)) return make_error(0, "file path '" + *path + "' leaves the tree");
  ManifestEntry entry;
  entry.path = std::move(path.value());
  if (item.contains("symlink")) {
    auto target = json_string(item, "symlink");
    if (!target) return target.error();
    entry.kind = EntryKind::kSymlink;
    entry.link_target = std::move(target.value());
    return entry;
  }
  auto sha256 = json_string(item, "sha256");
  if (!sha256) return make_error(0, entry.path + ": " + sha256.error().message);
  if (!is_hex_digest(*sha256)) return make_error(0, entry.path + ": sha256 is not 64 hex digits");
  const auto size = item.find("size");
  if (size == item.end() || !size->is_number_unsigned()) {
    return make_error(0, entry.path + ": size is not a non-negative integer");
  }
  entry.sha256 = std::move(sha256.value());
  entry.size = size->get<std::uint64_t>();
  return entry;
}

}  // namespace

Result<std::string> manifest_to_json(const Manifest& manifest) {
  ordered_json document;
  document["format"] = kManifestFormat;
  document["parley_version"] = manifest.parley_version;
  document["source_commit"] = manifest.source_commit;
  document["compiler"] = manifest.compiler;
  document["debian_packages"] = ordered_json::array();
  for (const auto& package : manifest.debian_packages) {
    document["debian_packages"].push_back(ordered_json{{"name", package.name},
                                                       {"version", package.version},
                                                       {"architecture", package.architecture}});
  }
  document["files"] = ordered_json::array();
  for (const auto& entry : manifest.files) {
    switch (entry.kind) {
      case EntryKind::kFile:
        document["files"].push_back(
            ordered_json{{"path", entry.path}, {"sha256", entry.sha256}, {"size", entry.size}});
        break;
      case EntryKind::kSymlink:
        document["files"].push_back(
            ordered_json{{"path", entry.path}, {"symlink", entry.link_target}});
        break;
      case EntryKind::kOther:
        return make_error(0, entry.path + " is neither a regular file nor a symbolic link");
    }
  }
  return dump_json(document);
}

Result<Manifest> parse_manifest(std::string_view text) {
  const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return make_error(0, "the manifest is not a JSON object");
  }
  auto format = json_string(document, "format");
  if (!format || *format != kManifestFormat) {
    return make_error(0, "the manifest format is not " + std::string(kManifestFormat));
  }
  Manifest manifest;
  for (auto [key, field] : {std::pair{"parley_version", &manifest.parley_version},
                            std::pair{"source_commit", &manifest.source_commit},
                            std::pair{"compiler", &manifest.compiler}}) {
    auto value = json_string(document, key);
    if (!value) return value.error();
    *field = std::move(value.value());
  }
  const auto packages = document.find("debian_packages");
  if (packages == document.end() || !packages->is_array()) {
    return make_error(0, "debian_packages is not an array");
  }
  for (const auto& item : *packages) {
    if (!item.is_object()) return make_error(0, "a debian_packages[] item is not an object");
    auto name = json_string(item, "name");
    auto version = json_string(item, "version");
    auto architecture = json_string(item, "architecture");
    if (!name || !version || !architecture) {
      return make_error(0, "a debian_packages[] item lacks name, version or architecture");
    }
    manifest.debian_packages.push_back(DebianPackage{
        std::move(name.value()), std::move(version.value()), std::move(architecture.value())});
  }
  const auto files = document.find("files");
  if (files == document.end() || !files->is_array()) return make_error(0, "files is not an array");
  for (const auto& item : *files) {
    auto entry = parse_entry(item);
    if (!entry) return entry.error();
    manifest.files.push_back(std::move(entry.value()));
  }
  std::sort(manifest.files.begin(), manifest.files.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  const auto duplicate =
      std::adjacent_find(manifest.files.begin(), manifest.files.end(),
                         [](const auto& a, const auto& b) { return a.path == b.path; });
  if (duplicate != manifest.files.end()) {
    return make_error(0, "file " + duplicate->path + " is listed twice");
  }
  return manifest;
}

Result<std::vector<ManifestEntry>> scan_tree(const fs::path& root, const ScanOptions& options) {
  std::error_code error;
  if (!fs::is_directory(root, error)) {
    return make_error(0, root.string() + " is not a directory");
  }
  std::vector<ManifestEntry> entries;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    const fs::directory_entry& item = *it;
    const fs::file_status status = item.symlink_status(error);
    if (error) break;
    if (fs::is_directory(status)) continue;  // recursed into; empty folders are not recorded
    ManifestEntry entry;
    entry.path = item.path().lexically_relative(root).generic_string();
    if (std::find(options.exclude.begin(), options.exclude.end(), entry.path) !=
        options.exclude.end()) {
      continue;
    }
    if (fs::is_symlink(status)) {
      entry.kind = EntryKind::kSymlink;
      entry.link_target = fs::read_symlink(item.path(), error).string();
      if (error) break;
    } else if (fs::is_regular_file(status)) {
      auto digest = digest_file(item.path());
      if (!digest) return digest.error();
      entry.sha256 = std::move(digest->sha256);
      entry.size = digest->size;
    } else {
      entry.kind = EntryKind::kOther;
    }
    entries.push_back(std::move(entry));
  }
  if (error) {
    return make_error(error.value(), "cannot read " + root.string() + ": " + error.message());
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  return entries;
}

TreeDiff diff_entries(const std::vector<ManifestEntry>& expected,
                      const std::vector<ManifestEntry>& actual) {
  TreeDiff diff;
  auto want = expected.begin();
  auto have = actual.begin();
  while (want != expected.end() || have != actual.end()) {
    if (have == actual.end() || (want != expected.end() && want->path < have->path)) {
      diff.missing.push_back((want++)->path);
    } else if (want == expected.end() || have->path < want->path) {
      diff.added.push_back((have++)->path);
    } else {
      if (!(*want == *have)) diff.changed.push_back(want->path);
      ++want;
      ++have;
    }
  }
  return diff;
}

}  // namespace parley::trust
