#pragma once
// Declarations of the data that build_info.cmake generates at build time. Internal to trust/:
// everything else reads it through build_info.hpp.

namespace parley::trust::generated {

struct PackageRecord {
  const char* name;
  const char* version;
  const char* architecture;
};

extern const char* const kSourceCommit;
// Terminated by a record whose name is nullptr.
extern const PackageRecord kDebianPackages[];

}  // namespace parley::trust::generated
