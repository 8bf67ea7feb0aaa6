#include "app/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace parley::app {
namespace {

bool write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
  return true;
}

bool fsync_directory(const std::filesystem::path& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced;
}

}  // namespace

Result<void> write_file_durably(const std::filesystem::path& path,
                                std::span<const std::uint8_t> bytes) {
  const std::filesystem::path part = path.string() + ".part";
  const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(500, "cannot create " + part.string());
  const bool written = write_all(fd, bytes) && ::fsync(fd) == 0;
  ::close(fd);
  std::error_code error;
  if (!written) {
    std::filesystem::remove(part, error);
    return make_error(500, "cannot write " + part.string() + " (disk full?)");
  }
  std::filesystem::rename(part, path, error);
  if (error) return make_error(500, "cannot rename " + part.string() + ": " + error.message());
  fsync_directory(path.parent_path());
  return {};
}

}  // namespace parley::app
