#include "media/recording_file.hpp"

#include "media/ogg_opus_writer.hpp"
#include "media/wav_writer.hpp"

namespace parley::media {
namespace {

class WavRecordingFile final : public RecordingFile {
 public:
  explicit WavRecordingFile(WavWriter writer) : writer_(std::move(writer)) {}
  Result<void> write_interleaved(std::span<const std::int16_t> samples) override {
    return writer_.write_interleaved(samples);
  }
  Result<void> close() override { return writer_.close(); }
  std::uint64_t frames_written() const override { return writer_.frames_written(); }

 private:
  WavWriter writer_;
};

}  // namespace

std::optional<RecordingFormat> parse_recording_format(std::string_view name) {
  if (name == "wav") return RecordingFormat::kWav;
  if (name == "opus") return RecordingFormat::kOpus;
  return std::nullopt;
}

std::string_view recording_extension(RecordingFormat format) {
  return format == RecordingFormat::kOpus ? ".opus" : ".wav";
}

Result<std::unique_ptr<RecordingFile>> open_recording_file(RecordingFormat format,
                                                           const std::string& path,
                                                           int sample_rate) {
  if (format == RecordingFormat::kOpus) {
    auto writer = OggOpusWriter::open(path, sample_rate, 2);
    if (!writer.ok()) return writer.error();
    return std::unique_ptr<RecordingFile>(std::move(writer).value());
  }
  auto writer = WavWriter::open(path, sample_rate, 2);
  if (!writer.ok()) return writer.error();
  return std::unique_ptr<RecordingFile>(
      std::make_unique<WavRecordingFile>(std::move(writer).value()));
}

}  // namespace parley::media
