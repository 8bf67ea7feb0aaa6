#include "base/check.hpp"

#include <spdlog/spdlog.h>

namespace parley {

std::atomic<unsigned long>& bug_counter() {
  static std::atomic<unsigned long> counter{0};
  return counter;
}

void report_bug(const char* what, const char* file, int line) {
  bug_counter().fetch_add(1, std::memory_order_relaxed);
  spdlog::error("BUG: {} at {}:{}", what, file, line);
}

}  // namespace parley
