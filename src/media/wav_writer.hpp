#pragma once
// WavWriter: records 16-bit PCM into a RIFF/WAVE file, by default stereo with one call leg per
// channel (left = leg A, right = leg B) so a listener can tell the parties apart.
//
// The header's sizes are written as zero at open() and patched by close() (or the destructor),
// so a file cut short by a crash still holds its audio and most players read it.
// File I/O blocks: use it off the worker loops (the recorder's writer thread).
// Thread-safety: none.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace parley::media {

class WavWriter {
 public:
  static Result<WavWriter> open(const std::string& path, int sample_rate, int channels = 2);

  WavWriter(WavWriter&&) = default;
  WavWriter& operator=(WavWriter&&) = default;
  ~WavWriter();

  // Stereo: interleaves the two legs; a shorter leg is padded with silence.
  Result<void> write_stereo(std::span<const std::int16_t> left,
                            std::span<const std::int16_t> right);
  // Any channel count: already interleaved frames.
  Result<void> write_interleaved(std::span<const std::int16_t> samples);
  // Patches the header and closes; later writes fail.
  Result<void> close();

  std::uint64_t frames_written() const { return frames_; }
  int channels() const { return channels_; }

 private:
  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }  // NOLINT(*-owning-memory)
  };
  WavWriter(std::FILE* file, int sample_rate, int channels);
  Result<void> write_raw(std::span<const std::int16_t> samples);

  std::unique_ptr<std::FILE, FileCloser> file_;
  int sample_rate_;
  int channels_;
  std::uint64_t frames_ = 0;
  std::vector<std::uint8_t> scratch_;
};

}  // namespace parley::media
