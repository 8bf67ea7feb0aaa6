#pragma once
// The fuzz targets' assertion: a broken invariant aborts, which libFuzzer reports as a crash
// with the input that caused it (assert() would vanish in a release-mode fuzz build).

#include <cstdlib>

namespace fuzz {

inline void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace fuzz
