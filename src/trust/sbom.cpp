#include "trust/sbom.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "trust/digest.hpp"
#include "trust/json_util.hpp"

namespace parley::trust {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Percent-encodes everything but the purl spec's unreserved characters.
std::string purl_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '-' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0f]);
    }
  }
  return out;
}

bool json_flag(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_boolean() && found->get<bool>();
}

std::string json_optional_string(const json& object, const char* key) {
  auto value = json_string(object, key);
  return value ? std::move(value.value()) : std::string();
}

// lockfileVersion 2 and 3: "packages" keyed by install path ("node_modules/a/node_modules/b").
void collect_packages(const json& packages, std::vector<NpmPackage>& out) {
  for (const auto& [path, item] : packages.items()) {
    // The root ("") and workspace folders are the project's own code, links point at them.
    const auto last = path.rfind("node_modules/");
    if (last == std::string::npos || !item.is_object() || json_flag(item, "link")) continue;
    NpmPackage package;
    package.name = json_optional_string(item, "name");
    if (package.name.empty()) package.name = path.substr(last + 13);
    package.version = json_optional_string(item, "version");
    if (package.version.empty()) continue;
    package.integrity = json_optional_string(item, "integrity");
    package.resolved = json_optional_string(item, "resolved");
    package.dev = json_flag(item, "dev");
    out.push_back(std::move(package));
  }
}

// lockfileVersion 1: nested "dependencies" keyed by name.
void collect_dependencies(const json& dependencies, std::vector<NpmPackage>& out, int depth) {
  if (depth > 64) return;  // a lock file is not that deep; a hostile one must not overflow
  for (const auto& [name, item] : dependencies.items()) {
    if (!item.is_object()) continue;
    NpmPackage package{name, json_optional_string(item, "version"),
                       json_optional_string(item, "integrity"),
                       json_optional_string(item, "resolved"), json_flag(item, "dev")};
    if (!package.version.empty() && package.version.rfind("file:", 0) != 0) {
      out.push_back(std::move(package));
    }
    if (const auto nested = item.find("dependencies");
        nested != item.end() && nested->is_object()) {
      collect_dependencies(*nested, out, depth + 1);
    }
  }
}

// SRI "sha512-<base64> sha1-<base64>" as CycloneDX hashes (hex content).
ordered_json sri_hashes(std::string_view integrity) {
  static const std::map<std::string, std::string, std::less<>> kAlgorithms = {
      {"sha1", "SHA-1"}, {"sha256", "SHA-256"}, {"sha384", "SHA-384"}, {"sha512", "SHA-512"}};
  ordered_json hashes = ordered_json::array();
  std::size_t start = 0;
  while (start < integrity.size()) {
    std::size_t end = integrity.find(' ', start);
    if (end == std::string_view::npos) end = integrity.size();
    const std::string_view token = integrity.substr(start, end - start);
    start = end + 1;
    const auto dash = token.find('-');
    if (dash == std::string_view::npos) continue;
    const auto algorithm = kAlgorithms.find(token.substr(0, dash));
    auto digest = from_base64(token.substr(dash + 1));
    if (algorithm == kAlgorithms.end() || !digest) continue;
    hashes.push_back(ordered_json{{"alg", algorithm->second}, {"content", to_hex(*digest)}});
  }
  return hashes;
}

}  // namespace

Result<std::vector<NpmPackage>> parse_package_lock(std::string_view text) {
  const json document = json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return make_error(0, "the package lock is not a JSON object");
  }
  std::vector<NpmPackage> packages;
  if (const auto found = document.find("packages"); found != document.end() && found->is_object()) {
    collect_packages(*found, packages);
  } else if (const auto old = document.find("dependencies");
             old != document.end() && old->is_object()) {
    collect_dependencies(*old, packages, 0);
  } else {
    return make_error(0, "the package lock has neither 'packages' nor 'dependencies'");
  }
  std::sort(packages.begin(), packages.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.version, a.dev) < std::tie(b.name, b.version, b.dev);
  });
  // One entry per name@version; bundled wins over dev-only (sorted first: false < true).
  packages.erase(std::unique(packages.begin(), packages.end(),
                             [](const auto& a, const auto& b) {
                               return a.name == b.name && a.version == b.version;
                             }),
                 packages.end());
  return packages;
}

std::string debian_purl(const DebianPackage& package) {
  return "pkg:deb/debian/" + purl_encode(package.name) + "@" + purl_encode(package.version) +
         "?arch=" + purl_encode(package.architecture);
}

std::string npm_purl(const NpmPackage& package) {
  std::string path;
  if (!package.name.empty() && package.name.front() == '@') {
    const auto slash = package.name.find('/');
    path = purl_encode(package.name.substr(0, slash)) + "/" +
           purl_encode(slash == std::string::npos ? "" : package.name.substr(slash + 1));
  } else {
    path = purl_encode(package.name);
  }
  return "pkg:npm/" + path + "@" + purl_encode(package.version);
}

Result<std::string> make_cyclonedx_sbom(const SbomInput& input) {
  ordered_json bom;
  bom["$schema"] = "http://cyclonedx.org/schema/bom-1.5.schema.json";
  bom["bomFormat"] = "CycloneDX";
  bom["specVersion"] = "1.5";
  bom["version"] = 1;
  const ordered_json parley{
      {"type", "application"},
      {"bom-ref", "parley"},
      {"name", "parley"},
      {"version", input.parley_version},
      {"properties",
       ordered_json::array({{{"name", "parley:source_commit"}, {"value", input.source_commit}}})}};
  bom["metadata"] = ordered_json{
      {"tools",
       {{"components",
         ordered_json::array(
             {{{"type", "application"}, {"name", "parley"}, {"version", input.parley_version}}})}}},
      {"component", parley}};

  ordered_json components = ordered_json::array();
  std::set<std::string> seen;
  for (const auto& package : input.debian_packages) {
    const std::string purl = debian_purl(package);
    if (!seen.insert(purl).second) continue;
    components.push_back(ordered_json{{"type", "library"},
                                      {"bom-ref", purl},
                                      {"publisher", "Debian"},
                                      {"name", package.name},
                                      {"version", package.version},
                                      {"scope", "required"},
                                      {"purl", purl}});
  }
  for (const auto& package : input.npm_packages) {
    const std::string purl = npm_purl(package);
    if (!seen.insert(purl).second) continue;
    ordered_json component{{"type", "library"}, {"bom-ref", purl}};
    if (!package.name.empty() && package.name.front() == '@' &&
        package.name.find('/') != std::string::npos) {
      const auto slash = package.name.find('/');
      component["group"] = package.name.substr(0, slash);
      component["name"] = package.name.substr(slash + 1);
    } else {
      component["name"] = package.name;
    }
    component["version"] = package.version;
    component["scope"] = package.dev ? "excluded" : "required";
    if (ordered_json hashes = sri_hashes(package.integrity); !hashes.empty()) {
      component["hashes"] = std::move(hashes);
    }
    component["purl"] = purl;
    if (!package.resolved.empty()) {
      component["externalReferences"] =
          ordered_json::array({{{"type", "distribution"}, {"url", package.resolved}}});
    }
    if (!package.integrity.empty()) {
      component["properties"] =
          ordered_json::array({{{"name", "parley:npm:integrity"}, {"value", package.integrity}}});
    }
    components.push_back(std::move(component));
  }
  bom["components"] = std::move(components);
  return dump_json(bom);
}

}  // namespace parley::trust
