#pragma once
// OggOpusWriter: records interleaved 16-bit PCM as Ogg/Opus (RFC 7845): an identification header
// (OpusHead: channel count, pre-skip, the input rate), a comment header (OpusTags), then one
// Opus packet per 20 ms frame, 50 to a page, with granule positions at 48 kHz. libopus encodes
// at the input rate itself (8, 12, 16, 24 or 48 kHz), so no resampling is needed. Stereo keeps
// one call leg per channel, as the WAV recording does.
//
// Each full page is written and flushed as soon as it is complete, so a file cut short (a crash,
// a full disk) holds every second but the last, in pages whose CRCs check; close() (or the
// destructor) encodes the last partial frame padded with silence, sets the final granule
// position to the true end (the decoder trims the padding) and marks the last page EOS.
//
// File I/O blocks: off the worker loops (the recording writer thread). Thread-safety: none.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "media/ogg_page_writer.hpp"
#include "media/recording_file.hpp"

struct OpusEncoder;  // libopus, kept out of this header

namespace parley::media {

class OggOpusWriter final : public RecordingFile {
 public:
  static constexpr int kFrameMs = 20;
  static constexpr std::size_t kPacketsPerPage = 50;
  static constexpr int kBitrate = 48000;  // stereo voice: each leg keeps its own channel

  static Result<std::unique_ptr<OggOpusWriter>> open(const std::string& path, int sample_rate,
                                                     int channels = 2);
  ~OggOpusWriter() override;
  OggOpusWriter(const OggOpusWriter&) = delete;
  OggOpusWriter& operator=(const OggOpusWriter&) = delete;

  Result<void> write_interleaved(std::span<const std::int16_t> samples) override;
  Result<void> close() override;
  std::uint64_t frames_written() const override { return frames_in_; }
  int pre_skip() const { return pre_skip_; }

 private:
  struct EncoderDeleter {
    void operator()(OpusEncoder* encoder) const;
  };
  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }  // NOLINT(*-owning-memory)
  };
  OggOpusWriter(std::FILE* file, OpusEncoder* encoder, int sample_rate, int channels,
                std::uint32_t serial);

  Result<void> write_headers();
  Result<void> encode_frame();
  Result<void> write_page(bool last);
  std::uint64_t granule() const;

  std::unique_ptr<std::FILE, FileCloser> file_;
  std::unique_ptr<OpusEncoder, EncoderDeleter> encoder_;
  OggPageWriter pages_;
  int sample_rate_;
  int channels_;
  std::size_t frame_samples_;  // per channel
  int pre_skip_ = 0;           // at 48 kHz
  std::vector<std::int16_t> pending_;
  std::size_t pending_frames_ = 0;
  std::vector<std::uint8_t> packet_;
  std::size_t packets_on_page_ = 0;
  std::uint64_t frames_in_ = 0;       // PCM frames handed in
  std::uint64_t frames_encoded_ = 0;  // PCM frames covered by packets (with padding)
};

}  // namespace parley::media
