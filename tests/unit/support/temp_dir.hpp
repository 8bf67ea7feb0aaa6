#pragma once
// A fresh folder under the system temp folder, removed with everything in it at the end: the
// data folder of tests that use a real SQLite file.

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "base/check.hpp"

namespace parley::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "parley-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    PARLEY_CHECK(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace parley::test
