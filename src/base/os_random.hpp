#pragma once
// Seeds from the operating system's entropy pool without std::random_device.
//
// Constructing a std::random_device costs tens of microseconds on a virtual machine (libstdc++
// probes the CPU with `cpuid`, which traps to the hypervisor), and per-call code (RTP relays,
// SDP origins) made one for every call: ~6 % of a worker's CPU at 500 calls/s (decision 0044).
// getrandom(2) is one cheap system call.
//
// Thread-safety: may be called from any thread.

#include <cstdint>

namespace parley::base {

// 64 bits from getrandom(2); never blocks once the kernel's pool is initialised (always true
// after boot). Falls back to a clock-and-address mix only if the system call fails.
std::uint64_t os_random_u64();

}  // namespace parley::base
