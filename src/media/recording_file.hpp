#pragma once
// RecordingFile: the file a call recording goes into, whatever its format (decision 0039):
// stereo 16-bit PCM WAV (WavWriter) or stereo Ogg/Opus (OggOpusWriter). The recording writer
// thread opens one per recording, appends interleaved stereo PCM and closes it.
//
// File I/O blocks: off the worker loops only. Thread-safety: none.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::media {

enum class RecordingFormat : std::uint8_t { kWav, kOpus };

// "wav" or "opus" (the `[recording] format` setting); nullopt for anything else.
std::optional<RecordingFormat> parse_recording_format(std::string_view name);
// The file name extension: ".wav" or ".opus" (RFC 7845 §9's recommendation for Ogg/Opus).
std::string_view recording_extension(RecordingFormat format);

class RecordingFile {
 public:
  virtual ~RecordingFile() = default;
  // Appends interleaved frames (left, right, left, ...).
  virtual Result<void> write_interleaved(std::span<const std::int16_t> samples) = 0;
  // Writes what is pending, ends the file properly and closes it; later writes fail.
  virtual Result<void> close() = 0;
  virtual std::uint64_t frames_written() const = 0;
};

// Creates `path` (which may exist, empty: the caller reserves the name) for stereo PCM at
// `sample_rate` (8000, 16000 or 48000 for Opus).
Result<std::unique_ptr<RecordingFile>> open_recording_file(RecordingFormat format,
                                                           const std::string& path,
                                                           int sample_rate);

}  // namespace parley::media
