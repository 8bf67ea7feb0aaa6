#pragma once
// write_file_durably: a file replaced whole or not at all, and still there after a crash: the
// bytes go to `<path>.part` (mode 0600), are fsync'd, renamed over `path`, and the folder is
// fsync'd. A reader sees the old file or the new one, never half of either. Used for greetings
// and imported prompts. Blocking file I/O: off the worker loops.

#include <cstdint>
#include <filesystem>
#include <span>

#include "base/result.hpp"

namespace parley::app {

// Errors carry code 500 (the API answers them as such) and name the file and the cause.
Result<void> write_file_durably(const std::filesystem::path& path,
                                std::span<const std::uint8_t> bytes);

}  // namespace parley::app
