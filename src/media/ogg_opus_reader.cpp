#include "media/ogg_opus_reader.hpp"

#include <opus/opus.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "media/ogg_stream_reader.hpp"

namespace parley::media {
namespace {

constexpr int kRate = 48000;               // Opus always decodes at 48 kHz here
constexpr int kMaxFrameSamples = 5760;     // 120 ms at 48 kHz, the longest Opus packet
constexpr std::size_t kHeadBytes = 19;     // OpusHead with mapping family 0
constexpr double kGainStepsPerDb = 256.0;  // output gain is Q7.8 dB

Error opus_error(const std::string& what) {
  return make_error(0, "Ogg/Opus: " + what);
}

bool starts_with(const std::vector<std::uint8_t>& packet, std::string_view magic) {
  return packet.size() >= magic.size() &&
         std::equal(magic.begin(), magic.end(), packet.begin(),
                    [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; });
}

struct OpusHead {
  int channels = 0;
  std::uint16_t pre_skip = 0;
  std::int16_t output_gain = 0;  // Q7.8 dB
};

Result<OpusHead> parse_head(const std::vector<std::uint8_t>& packet) {
  if (!starts_with(packet, "OpusHead")) return opus_error("the first packet is not OpusHead");
  if (packet.size() < kHeadBytes) return opus_error("OpusHead is too short");
  const std::uint8_t version = packet[8];
  if ((version >> 4U) != 0) {
    return opus_error("OpusHead version " + std::to_string(version) + " is not 0.x");
  }
  OpusHead head;
  head.channels = packet[9];
  head.pre_skip = static_cast<std::uint16_t>(packet[10] | (packet[11] << 8U));
  head.output_gain = static_cast<std::int16_t>(packet[16] | (packet[17] << 8U));
  const std::uint8_t family = packet[18];
  if (family != 0) {
    return opus_error("channel mapping family " + std::to_string(family) +
                      " (surround) is not supported; upload mono or stereo");
  }
  if (head.channels < 1 || head.channels > 2) {
    return opus_error(std::to_string(head.channels) + " channels with mapping family 0");
  }
  return head;
}

struct DecoderDeleter {
  void operator()(OpusDecoder* decoder) const { opus_decoder_destroy(decoder); }
};

void apply_gain(std::vector<std::int16_t>& samples, std::int16_t gain) {
  if (gain == 0) return;
  const double factor = std::pow(10.0, static_cast<double>(gain) / (20.0 * kGainStepsPerDb));
  for (std::int16_t& sample : samples) {
    const double scaled = std::round(static_cast<double>(sample) * factor);
    sample = static_cast<std::int16_t>(std::clamp(scaled, -32768.0, 32767.0));
  }
}

}  // namespace

Result<std::shared_ptr<const AudioClip>> decode_ogg_opus(std::span<const std::uint8_t> bytes) {
  auto stream = read_ogg_stream(bytes);
  if (!stream) return stream.error();
  const auto& packets = stream->packets;
  if (packets.empty()) return opus_error("no packets");
  auto head = parse_head(packets[0]);
  if (!head) return head.error();
  if (packets.size() < 2 || !starts_with(packets[1], "OpusTags")) {
    return opus_error("the second packet is not OpusTags");
  }
  int status = OPUS_OK;
  // Mono output: libopus mixes a stereo stream down itself.
  const std::unique_ptr<OpusDecoder, DecoderDeleter> decoder(
      opus_decoder_create(kRate, 1, &status));
  if (status != OPUS_OK || decoder == nullptr) {
    return opus_error(std::string("decoder: ") + opus_strerror(status));
  }
  const std::size_t limit =
      static_cast<std::size_t>(AudioClip::kMaxClipSeconds) * kRate + head->pre_skip;
  std::vector<std::int16_t> samples;
  std::vector<std::int16_t> frame(kMaxFrameSamples);
  for (std::size_t i = 2; i < packets.size(); ++i) {
    const auto& packet = packets[i];
    if (packet.empty()) return opus_error("audio packet " + std::to_string(i) + " is empty");
    const int decoded =
        opus_decode(decoder.get(), packet.data(), static_cast<opus_int32>(packet.size()),
                    frame.data(), kMaxFrameSamples, 0);
    if (decoded < 0) {
      return opus_error("audio packet " + std::to_string(i) +
                        " does not decode: " + opus_strerror(decoded));
    }
    samples.insert(samples.end(), frame.begin(), frame.begin() + decoded);
    if (samples.size() > limit) {
      return opus_error("longer than " + std::to_string(AudioClip::kMaxClipSeconds) + " s");
    }
  }
  // The granule position counts samples from the start, pre-skip included (RFC 7845 §4).
  if (stream->has_granule && stream->last_granule < samples.size()) {
    samples.resize(static_cast<std::size_t>(stream->last_granule));
  }
  const std::size_t skip = std::min<std::size_t>(head->pre_skip, samples.size());
  samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(skip));
  apply_gain(samples, head->output_gain);
  auto clip = AudioClip::from_samples(std::move(samples), kRate);
  if (!clip) return opus_error(clip.error().message);
  return clip;
}

}  // namespace parley::media
