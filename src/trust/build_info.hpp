#pragma once
// What this binary was built from, recorded at build time and embedded: the source commit, the
// compiler, and the Debian packages it links or compiles in. Release manifests and the SBOM
// report these facts; none of them depends on the build folder or the clock, so two builds of
// one commit embed the same bytes. All functions are pure and thread-safe.

#include <string>
#include <vector>

namespace parley::trust {

// A Debian package as dpkg reported it on the build machine.
struct DebianPackage {
  std::string name;          // "libssl3"
  std::string version;       // "3.0.15-1~deb12u1", may carry an epoch ("1:1.10.0+ds-0.4")
  std::string architecture;  // "amd64", or "all" for header-only packages

  bool operator==(const DebianPackage&) const = default;
};

// `git rev-parse HEAD` of the source tree when the binary was built, with "-dirty" appended when
// tracked files differed from that commit; "unknown" without git. A build may override it
// (CMake cache variable PARLEY_SOURCE_COMMIT, used for trees exported without .git).
std::string build_source_commit();

// The compiler that built this library, from its predefined macros: "gcc 12.2.0",
// "clang 14.0.6".
std::string build_compiler();

// The Debian packages listed in PARLEY_SBOM_DEBIAN_PACKAGES that were installed at build time,
// in the order listed there.
std::vector<DebianPackage> build_debian_packages();

}  // namespace parley::trust
