#pragma once
// The software bill of materials: a CycloneDX 1.5 JSON document listing the Debian packages the
// binary links or compiles in (from build_info.hpp) and the npm packages bundled into the web
// app (from its package-lock.json). Output is deterministic: no timestamp and no random serial
// number, so the SBOM of a reproducible build is reproducible too. Pure functions, thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "trust/build_info.hpp"

namespace parley::trust {

// One package of a package-lock.json.
struct NpmPackage {
  std::string name;       // "jssip", "@scope/name"
  std::string version;    // "3.10.1"
  std::string integrity;  // Subresource Integrity text: "sha512-<base64>" (may list several)
  std::string resolved;   // download address, when the lock file records one
  bool dev = false;       // a build tool (devDependencies), not shipped in the bundle

  bool operator==(const NpmPackage&) const = default;
};

// The packages of a package-lock.json (lockfileVersion 1, 2 or 3), without the root project
// and without workspace links, sorted by name then version, each name@version once.
Result<std::vector<NpmPackage>> parse_package_lock(std::string_view json);

// Package URLs (purl spec): pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64,
// pkg:npm/%40scope/name@1.2.3.
std::string debian_purl(const DebianPackage& package);
std::string npm_purl(const NpmPackage& package);

struct SbomInput {
  std::string parley_version;
  std::string source_commit;
  std::vector<DebianPackage> debian_packages;
  std::vector<NpmPackage> npm_packages;
};

// The CycloneDX 1.5 JSON document. Debian packages are "required" components; npm packages are
// "required" when bundled and "excluded" when dev-only, with their integrity hashes as
// CycloneDX hashes (hex) and, verbatim, as the property "parley:npm:integrity".
Result<std::string> make_cyclonedx_sbom(const SbomInput& input);

}  // namespace parley::trust
