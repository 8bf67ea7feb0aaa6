#include "media/audio_player.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "media/ogg_opus_reader.hpp"
#include "media/ogg_stream_reader.hpp"

namespace parley::media {
namespace {

constexpr std::uint16_t kFormatPcm = 1;
constexpr std::uint16_t kFormatExtensible = 0xFFFE;
constexpr std::size_t kFmtMinBytes = 16;
constexpr std::size_t kExtensibleBytes = 40;  // fmt chunk with the extensible tail
constexpr std::size_t kChunkHeaderBytes = 8;
constexpr std::size_t kRiffHeaderBytes = 12;
// 48 kHz, 16-bit, mono, kMaxClipSeconds, plus room for headers and metadata chunks.
constexpr std::size_t kMaxFileBytes =
    std::size_t{48000} * 2 * AudioClip::kMaxClipSeconds + (std::size_t{1} << 20U);
// Input read per resampler call: small enough to sit in cache, large enough for few calls.
constexpr std::size_t kResampleChunk = 960;
// next_frame() gives up (and pads with silence) after this many resampler calls without
// filling a frame; it never happens with a sane resampler, but the loop stays bounded.
constexpr int kMaxResampleCalls = 64;

std::uint16_t read16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>(bytes[at] | (bytes[at + 1] << 8U));
}
std::uint32_t read32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint32_t>(bytes[at]) | (static_cast<std::uint32_t>(bytes[at + 1]) << 8U) |
         (static_cast<std::uint32_t>(bytes[at + 2]) << 16U) |
         (static_cast<std::uint32_t>(bytes[at + 3]) << 24U);
}
bool tag_is(std::span<const std::uint8_t> bytes, std::size_t at, std::string_view tag) {
  return std::memcmp(bytes.data() + at, tag.data(), 4) == 0;
}
void put16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value & 0xFFU));
  out.push_back(static_cast<std::uint8_t>(value >> 8U));
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<std::uint8_t>((value >> static_cast<unsigned>(shift)) & 0xFFU));
  }
}
void put_tag(std::vector<std::uint8_t>& out, std::string_view tag) {
  out.insert(out.end(), tag.begin(), tag.end());
}

bool supported_rate(std::uint32_t rate) {
  return rate == 8000 || rate == 16000 || rate == 48000;
}

// The whole file, refused above kMaxFileBytes before anything is read.
Result<std::vector<std::uint8_t>> read_audio_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return make_error(0, path + ": cannot open: " + std::strerror(errno));
  const std::streamoff size = file.tellg();
  if (size < 0) return make_error(0, path + ": cannot read its size");
  if (static_cast<std::size_t>(size) > kMaxFileBytes) {
    return make_error(
        0, path + ": file is larger than " + std::to_string(kMaxFileBytes >> 20U) + " MiB");
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  file.seekg(0);
  if (!file.read(reinterpret_cast<char*>(bytes.data()), size)) {  // NOLINT byte buffer
    return make_error(0, path + ": read failed");
  }
  return bytes;
}

Error wav_error(const std::string& what) {
  return make_error(0, "WAV: " + what);
}

struct Format {
  std::uint16_t tag = 0;
  std::uint16_t channels = 0;
  std::uint32_t rate = 0;
  std::uint16_t bits = 0;
};

Result<Format> parse_format(std::span<const std::uint8_t> chunk) {
  if (chunk.size() < kFmtMinBytes) return wav_error("fmt chunk is too short");
  Format format{read16(chunk, 0), read16(chunk, 2), read32(chunk, 4), read16(chunk, 14)};
  if (format.tag == kFormatExtensible) {
    // The subformat GUID starts with the format code (KSDATAFORMAT_SUBTYPE_PCM = 1).
    if (chunk.size() < kExtensibleBytes) return wav_error("extensible fmt chunk is too short");
    format.tag = read16(chunk, 24);
  }
  if (format.tag != kFormatPcm) {
    return wav_error("format " + std::to_string(format.tag) +
                     " is not PCM (compressed or float WAV files are not supported; convert "
                     "to 16-bit PCM)");
  }
  if (format.channels != 1) {
    return wav_error(std::to_string(format.channels) + " channels; only mono is supported");
  }
  if (format.bits != 16) {
    return wav_error(std::to_string(format.bits) + "-bit samples; only 16-bit is supported");
  }
  if (!supported_rate(format.rate)) {
    return wav_error("sample rate " + std::to_string(format.rate) +
                     " Hz; supported are 8000, 16000 and 48000 Hz");
  }
  return format;
}

}  // namespace

Result<std::shared_ptr<const AudioClip>> AudioClip::parse_wav(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kRiffHeaderBytes || !tag_is(bytes, 0, "RIFF") || !tag_is(bytes, 8, "WAVE")) {
    return wav_error("not a RIFF/WAVE file");
  }
  std::optional<Format> format;
  std::span<const std::uint8_t> data;
  bool have_data = false;
  std::size_t at = kRiffHeaderBytes;
  // Each chunk advances `at` by at least its header, so this ends within size/8 rounds.
  while (at + kChunkHeaderBytes <= bytes.size()) {
    const std::uint32_t size = read32(bytes, at + 4);
    const std::size_t body = at + kChunkHeaderBytes;
    if (size > bytes.size() - body) {
      return wav_error("chunk '" +
                       std::string(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                   bytes.begin() + static_cast<std::ptrdiff_t>(at) + 4) +
                       "' claims " + std::to_string(size) + " bytes but the file ends first");
    }
    const auto chunk = bytes.subspan(body, size);
    if (tag_is(bytes, at, "fmt ")) {
      auto parsed = parse_format(chunk);
      if (!parsed) return parsed.error();
      format = *parsed;
    } else if (tag_is(bytes, at, "data")) {
      if (!format) return wav_error("data chunk before the fmt chunk");
      data = chunk;
      have_data = true;
      break;
    }
    at = body + size + (size & 1U);  // chunks are padded to even sizes
  }
  if (!format) return wav_error("no fmt chunk");
  if (!have_data) return wav_error("no data chunk");
  if (data.size() % 2 != 0) return wav_error("data chunk has an odd number of bytes");
  std::vector<std::int16_t> samples(data.size() / 2);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i] = static_cast<std::int16_t>(read16(data, 2 * i));
  }
  return from_samples(std::move(samples), static_cast<int>(format->rate));
}

Result<std::shared_ptr<const AudioClip>> AudioClip::from_samples(std::vector<std::int16_t> samples,
                                                                 int sample_rate) {
  if (sample_rate <= 0 || !supported_rate(static_cast<std::uint32_t>(sample_rate))) {
    return make_error(0, "audio: sample rate " + std::to_string(sample_rate) +
                             " Hz; supported are 8000, 16000 and 48000 Hz");
  }
  const auto rate = static_cast<std::size_t>(sample_rate);
  if (samples.size() < rate / 50) return make_error(0, "audio: shorter than one 20 ms frame");
  if (samples.size() > rate * kMaxClipSeconds) {
    return make_error(0, "audio: longer than " + std::to_string(kMaxClipSeconds) + " s");
  }
  return std::shared_ptr<const AudioClip>(
      std::make_shared<const AudioClip>(std::move(samples), sample_rate));
}

Result<std::shared_ptr<const AudioClip>> AudioClip::load_wav(const std::string& path) {
  auto bytes = read_audio_file(path);
  if (!bytes) return bytes.error();
  auto clip = parse_wav(*bytes);
  if (!clip) return make_error(0, path + ": " + clip.error().message);
  return clip;
}

Result<std::shared_ptr<const AudioClip>> AudioClip::load(const std::string& path) {
  auto bytes = read_audio_file(path);
  if (!bytes) return bytes.error();
  auto clip = parse(*bytes);
  if (!clip) return make_error(0, path + ": " + clip.error().message);
  return clip;
}

Result<std::shared_ptr<const AudioClip>> AudioClip::parse(std::span<const std::uint8_t> bytes) {
  if (looks_like_ogg(bytes)) return decode_ogg_opus(bytes);
  if (bytes.size() >= kRiffHeaderBytes && tag_is(bytes, 0, "RIFF")) return parse_wav(bytes);
  return make_error(0, "neither a WAV (RIFF/WAVE) nor an Ogg/Opus file");
}

std::vector<std::uint8_t> to_wav_bytes(const AudioClip& clip) {
  const auto data_bytes = static_cast<std::uint32_t>(clip.samples().size() * 2);
  const auto rate = static_cast<std::uint32_t>(clip.sample_rate());
  std::vector<std::uint8_t> out;
  out.reserve(44 + data_bytes);
  put_tag(out, "RIFF");
  put32(out, 36 + data_bytes);
  put_tag(out, "WAVE");
  put_tag(out, "fmt ");
  put32(out, 16);
  put16(out, kFormatPcm);
  put16(out, 1);         // mono
  put32(out, rate);      // sample rate
  put32(out, rate * 2);  // bytes per second
  put16(out, 2);         // block align
  put16(out, 16);        // bits per sample
  put_tag(out, "data");
  put32(out, data_bytes);
  for (const std::int16_t sample : clip.samples()) put16(out, static_cast<std::uint16_t>(sample));
  return out;
}

Result<AudioPlayer> AudioPlayer::create(std::shared_ptr<const AudioClip> clip, int output_rate,
                                        int frame_ms) {
  if (clip == nullptr) return make_error(0, "audio player: no clip");
  if (output_rate < 8000 || output_rate > 48000) {
    return make_error(
        0, "audio player: output rate " + std::to_string(output_rate) + " Hz is out of range");
  }
  if (frame_ms < 10 || frame_ms > 120 || frame_ms % 10 != 0) {
    return make_error(0, "audio player: frame of " + std::to_string(frame_ms) + " ms");
  }
  std::optional<Resampler> resampler;
  if (clip->sample_rate() != output_rate) {
    auto made = Resampler::create(clip->sample_rate(), output_rate);
    if (!made) return made.error();
    resampler.emplace(std::move(made).value());
  }
  const auto frame_samples =
      static_cast<std::size_t>(output_rate) * static_cast<std::size_t>(frame_ms) / 1000;
  return AudioPlayer(std::move(clip), std::move(resampler), output_rate, frame_samples);
}

std::span<const std::int16_t> AudioPlayer::next_frame() {
  const std::span<const std::int16_t> source = clip_->samples();
  std::size_t filled = 0;
  if (!resampler_) {
    while (filled < frame_.size()) {
      const std::size_t take = std::min(frame_.size() - filled, source.size() - cursor_);
      std::copy_n(source.begin() + static_cast<std::ptrdiff_t>(cursor_), take,
                  frame_.begin() + static_cast<std::ptrdiff_t>(filled));
      filled += take;
      cursor_ += take;
      if (cursor_ == source.size()) {
        cursor_ = 0;
        ++loops_;
      }
    }
    return frame_;
  }
  // The resampler keeps its filter history across the loop point, so the seam is as smooth as
  // the clip's own ending and beginning.
  for (int calls = 0; filled < frame_.size() && calls < kMaxResampleCalls; ++calls) {
    const auto input = source.subspan(cursor_, std::min(kResampleChunk, source.size() - cursor_));
    const auto counts =
        resampler_->process(input, std::span(frame_).subspan(filled, frame_.size() - filled));
    filled += counts.produced;
    cursor_ += counts.consumed;
    if (cursor_ == source.size()) {
      cursor_ = 0;
      ++loops_;
    }
  }
  std::fill(frame_.begin() + static_cast<std::ptrdiff_t>(filled), frame_.end(), std::int16_t{0});
  return frame_;
}

void AudioPlayer::rewind() {
  cursor_ = 0;
  if (resampler_) resampler_->reset();
}

}  // namespace parley::media
