#include "trust/digest.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace parley::trust {
namespace {

constexpr std::size_t kChunk = std::size_t{64} * 1024;

struct MdContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using MdContext = std::unique_ptr<EVP_MD_CTX, MdContextFree>;

struct FileClose {
  void operator()(std::FILE* file) const {
    std::fclose(file);  // NOLINT(cppcoreguidelines-owning-memory): this deleter is the owner
  }
};
using File = std::unique_ptr<std::FILE, FileClose>;

Error io_error(const std::filesystem::path& path, const char* what, int error_number) {
  return make_error(error_number, "cannot " + std::string(what) + " " + path.string() + ": " +
                                      std::strerror(error_number));
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const std::uint8_t byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0f]);
  }
  return hex;
}

std::string to_base64(std::span<const std::uint8_t> bytes) {
  std::string text(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  text.resize(std::strlen(text.c_str()));
  return text;
}

Result<std::vector<std::uint8_t>> from_base64(std::string_view text) {
  std::vector<std::uint8_t> bytes(text.size() / 4 * 3 + 3);
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &length,
                        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return make_error(0, "not valid base64");
  }
  bytes.resize(length);
  return bytes;
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return to_hex(std::span(digest.data(), length));
}

std::string sha256_hex(std::string_view bytes) {
  return sha256_hex(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));  // NOLINT
}

Result<FileDigest> digest_file(const std::filesystem::path& path) {
  const File file(std::fopen(path.c_str(), "rb"));
  if (!file) return io_error(path, "open", errno);
  const MdContext context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    return make_error(0, "OpenSSL cannot start a SHA-256 digest");
  }
  FileDigest result;
  std::array<std::uint8_t, kChunk> buffer{};
  for (;;) {
    const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    if (got > 0) {
      EVP_DigestUpdate(context.get(), buffer.data(), got);
      result.size += got;
    }
    if (got < buffer.size()) {
      if (std::ferror(file.get()) != 0) return io_error(path, "read", errno);
      break;
    }
  }
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &length);
  result.sha256 = to_hex(std::span(digest.data(), length));
  return result;
}

Result<std::string> read_file(const std::filesystem::path& path) {
  const File file(std::fopen(path.c_str(), "rb"));
  if (!file) return io_error(path, "open", errno);
  std::string content;
  std::array<char, kChunk> buffer{};
  for (;;) {
    const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    content.append(buffer.data(), got);
    if (got < buffer.size()) {
      if (std::ferror(file.get()) != 0) return io_error(path, "read", errno);
      break;
    }
  }
  return content;
}

}  // namespace parley::trust
