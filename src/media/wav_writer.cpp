#include "media/wav_writer.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

namespace parley::media {

namespace {

constexpr std::size_t kHeaderSize = 44;
constexpr std::size_t kScratchFrames = 1024;

void put_u16(std::uint8_t* at, std::uint32_t value) {
  at[0] = static_cast<std::uint8_t>(value);
  at[1] = static_cast<std::uint8_t>(value >> 8);
}
void put_u32(std::uint8_t* at, std::uint32_t value) {
  put_u16(at, value & 0xFFFF);
  put_u16(at + 2, value >> 16);
}

// The canonical 44-byte header for 16-bit PCM.
std::array<std::uint8_t, kHeaderSize> header(int sample_rate, int channels, std::uint32_t data) {
  std::array<std::uint8_t, kHeaderSize> h{};
  const auto rate = static_cast<std::uint32_t>(sample_rate);
  const auto chans = static_cast<std::uint32_t>(channels);
  std::memcpy(h.data(), "RIFF", 4);
  put_u32(h.data() + 4, data == 0 ? 0 : data + 36);
  std::memcpy(h.data() + 8, "WAVEfmt ", 8);
  put_u32(h.data() + 16, 16);  // fmt chunk size
  put_u16(h.data() + 20, 1);   // PCM
  put_u16(h.data() + 22, chans);
  put_u32(h.data() + 24, rate);
  put_u32(h.data() + 28, rate * chans * 2);  // byte rate
  put_u16(h.data() + 32, chans * 2);         // block align
  put_u16(h.data() + 34, 16);                // bits per sample
  std::memcpy(h.data() + 36, "data", 4);
  put_u32(h.data() + 40, data);
  return h;
}

Error io_error(const char* what) {
  return make_error(errno, std::string("wav: ") + what + ": " + std::strerror(errno));
}

}  // namespace

WavWriter::WavWriter(std::FILE* file, int sample_rate, int channels)
    : file_(file),
      sample_rate_(sample_rate),
      channels_(channels),
      scratch_(kScratchFrames * static_cast<std::size_t>(channels) * 2) {}

WavWriter::~WavWriter() {
  if (file_) (void)close();
}

Result<WavWriter> WavWriter::open(const std::string& path, int sample_rate, int channels) {
  if (sample_rate <= 0 || channels <= 0 || channels > 8) return make_error(0, "wav: bad format");
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) return io_error("open");
  const auto h = header(sample_rate, channels, 0);
  if (std::fwrite(h.data(), 1, h.size(), file.get()) != h.size()) return io_error("write");
  return WavWriter(file.release(), sample_rate, channels);
}

Result<void> WavWriter::write_raw(std::span<const std::int16_t> samples) {
  if (!file_) return make_error(0, "wav: closed");
  // Little-endian on disk whatever the host.
  while (!samples.empty()) {
    const std::size_t n = std::min(samples.size(), scratch_.size() / 2);
    for (std::size_t i = 0; i < n; ++i) {
      put_u16(scratch_.data() + 2 * i, static_cast<std::uint16_t>(samples[i]));
    }
    if (std::fwrite(scratch_.data(), 2, n, file_.get()) != n) return io_error("write");
    samples = samples.subspan(n);
  }
  return {};
}

Result<void> WavWriter::write_interleaved(std::span<const std::int16_t> samples) {
  const auto chans = static_cast<std::size_t>(channels_);
  if (samples.size() % chans != 0) return make_error(0, "wav: partial frame");
  auto written = write_raw(samples);
  if (written) frames_ += samples.size() / chans;
  return written;
}

Result<void> WavWriter::write_stereo(std::span<const std::int16_t> left,
                                     std::span<const std::int16_t> right) {
  if (channels_ != 2) return make_error(0, "wav: not a stereo file");
  const std::size_t frames = std::max(left.size(), right.size());
  std::array<std::int16_t, 512> block{};
  for (std::size_t start = 0; start < frames; start += block.size() / 2) {
    const std::size_t n = std::min(block.size() / 2, frames - start);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t at = start + i;
      block[2 * i] = at < left.size() ? left[at] : 0;
      block[2 * i + 1] = at < right.size() ? right[at] : 0;
    }
    auto written = write_interleaved(std::span(block.data(), 2 * n));
    if (!written) return written;
  }
  return {};
}

Result<void> WavWriter::close() {
  if (!file_) return {};
  std::unique_ptr<std::FILE, FileCloser> file = std::move(file_);
  const std::uint64_t bytes = frames_ * static_cast<std::uint64_t>(channels_) * 2;
  // RIFF sizes are 32-bit; a longer file keeps the maximum (players then read to the end).
  const auto data = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(bytes, std::numeric_limits<std::uint32_t>::max() - 36));
  const auto h = header(sample_rate_, channels_, data);
  if (std::fseek(file.get(), 0, SEEK_SET) != 0) return io_error("seek");
  if (std::fwrite(h.data(), 1, h.size(), file.get()) != h.size()) return io_error("write");
  // Closed by hand, not by the deleter, because a failed flush must be reported.
  if (std::fclose(file.release()) != 0) return io_error("close");  // NOLINT(*-owning-memory)
  return {};
}

}  // namespace parley::media
