#pragma once
// Three levels of assertion (see ARCHITECTURE.md):
//   PARLEY_ASSERT(c)  debug builds only;
//   PARLEY_CHECK(c)   always; aborts with file and line;
//   PARLEY_BUG(msg)   logs and counts an impossible state, then carries on.

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace parley {

// Count of PARLEY_BUG hits since start; exported as a metric later.
std::atomic<unsigned long>& bug_counter();

[[noreturn]] inline void check_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "PARLEY_CHECK failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

void report_bug(const char* what, const char* file, int line);

}  // namespace parley

#define PARLEY_CHECK(c) \
  ((c) ? static_cast<void>(0) : ::parley::check_failed(#c, __FILE__, __LINE__))
#ifdef NDEBUG
#define PARLEY_ASSERT(c) static_cast<void>(0)
#else
#define PARLEY_ASSERT(c) PARLEY_CHECK(c)
#endif
#define PARLEY_BUG(what) ::parley::report_bug((what), __FILE__, __LINE__)
