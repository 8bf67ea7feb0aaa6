#pragma once
// SHA-256 of memory and files (OpenSSL EVP), and the hex and base64 encodings the release files
// use. Pure functions, thread-safe.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace parley::trust {

// Lower-case hex of `bytes`.
std::string to_hex(std::span<const std::uint8_t> bytes);
// Standard base64 with padding (RFC 4648 §4).
std::string to_base64(std::span<const std::uint8_t> bytes);
// Decodes standard base64 with padding; an error on any other character or a bad length.
Result<std::vector<std::uint8_t>> from_base64(std::string_view text);

// SHA-256 of `bytes` as 64 lower-case hex digits.
std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view bytes);

// A file's SHA-256 (lower-case hex) and size, read in one streaming pass.
struct FileDigest {
  std::string sha256;
  std::uint64_t size = 0;
};
Result<FileDigest> digest_file(const std::filesystem::path& path);

// The whole content of a file; an error naming the path when it cannot be read.
Result<std::string> read_file(const std::filesystem::path& path);

}  // namespace parley::trust
