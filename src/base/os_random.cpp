#include "base/os_random.hpp"

#include <sys/random.h>

#include <chrono>
#include <cstddef>

namespace parley::base {

std::uint64_t os_random_u64() {
  std::uint64_t value = 0;
  if (::getrandom(&value, sizeof value, 0) == static_cast<ssize_t>(sizeof value)) return value;
  // Not reached on Linux >= 3.17 outside a seccomp sandbox; seeds need not be secrets here.
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  value = static_cast<std::uint64_t>(now) ^ reinterpret_cast<std::uintptr_t>(&value);
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

}  // namespace parley::base
