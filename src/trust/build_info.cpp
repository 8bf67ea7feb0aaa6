#include "trust/build_info.hpp"

#include "trust/build_info_generated.hpp"

namespace parley::trust {

std::string build_source_commit() {
  return generated::kSourceCommit;
}

std::string build_compiler() {
#if defined(__clang__)
  std::string compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  std::string compiler = "gcc " __VERSION__;
#else
  std::string compiler = "unknown";
#endif
  // clang's version macro ends with a space.
  while (!compiler.empty() && compiler.back() == ' ') compiler.pop_back();
  return compiler;
}

std::vector<DebianPackage> build_debian_packages() {
  std::vector<DebianPackage> packages;
  for (const generated::PackageRecord* record = generated::kDebianPackages; record->name != nullptr;
       ++record) {
    packages.push_back(DebianPackage{record->name, record->version, record->architecture});
  }
  return packages;
}

}  // namespace parley::trust
