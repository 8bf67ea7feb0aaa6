#pragma once

// Counts calls to the global operator new, for the steady-state allocation tests. It replaces
// operator new/delete for the whole executable (the sanitizer runtimes allow a program to do
// so), so include it from exactly one source file per test executable; each tests/unit/*_test.cpp
// is its own executable. libopus and speexdsp are C and allocate only at creation, which the
// counter does not see.

#include <atomic>
#include <cstdlib>
#include <new>

namespace parley::test {

inline std::atomic<long> allocations{0};  // NOLINT test-only counter behind operator new

inline long allocation_count() {
  return allocations.load(std::memory_order_relaxed);
}

}  // namespace parley::test

// NOLINTBEGIN(misc-definitions-in-headers): replacement functions cannot be inline.
void* operator new(std::size_t size) {
  parley::test::allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;  // NOLINT replacing new
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);  // NOLINT replacing delete
}
void operator delete(void* p, std::size_t /*size*/) noexcept {
  std::free(p);  // NOLINT replacing delete
}
// NOLINTEND(misc-definitions-in-headers)
