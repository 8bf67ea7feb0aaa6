#pragma once
// Helpers shared by the codec and transcoder tests: tone packets in a given codec, decoding of
// a run of payloads, measurement windows. Not a test target itself (no _test suffix).

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "media/codecs/codec.hpp"
#include "media/codecs/registry.hpp"
#include "media/codecs/tone.hpp"
#include "media/transcoder.hpp"

namespace parley::media::test {

struct Packet {
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::vector<std::uint8_t> payload;
};

inline std::unique_ptr<AudioCodec> make(const CodecSpec& spec, CodecUse use) {
  auto codec =
      create_codec(CodecParams{spec.encoding, spec.clock_rate, spec.channels, spec.fmtp, use});
  EXPECT_TRUE(codec.ok()) << spec.encoding;
  return codec ? std::move(codec).value() : nullptr;
}

// `count` packets of `ptime_ms` of a tone, encoded in `spec`, numbered from `first_sequence`.
inline std::vector<Packet> tone_packets(const CodecSpec& spec, double frequency, double dbm0,
                                        int count, int ptime_ms = 20,
                                        std::uint16_t first_sequence = 1000) {
  auto codec = make(spec, CodecUse::kEncode);
  std::vector<Packet> packets;
  if (!codec) return packets;
  ToneGenerator tone(frequency, dbm0, codec->sample_rate());
  std::vector<std::int16_t> pcm(static_cast<std::size_t>(codec->sample_rate() * ptime_ms / 1000));
  const auto advance = static_cast<std::uint32_t>(codec->clock_rate() * ptime_ms / 1000);
  std::vector<std::uint8_t> out(4000);
  for (int i = 0; i < count; ++i) {
    tone.generate(pcm);
    auto bytes = codec->encode(pcm, out);
    EXPECT_TRUE(bytes.ok());
    packets.push_back(
        Packet{static_cast<std::uint16_t>(first_sequence + i),
               static_cast<std::uint32_t>(i) * advance + 12345,
               std::vector<std::uint8_t>(
                   out.begin(), out.begin() + static_cast<std::ptrdiff_t>(bytes.value()))});
  }
  return packets;
}

// Decodes payloads one after another into one PCM track.
inline std::vector<std::int16_t> decode_all(
    const CodecSpec& spec, const std::vector<std::vector<std::uint8_t>>& payloads) {
  auto codec = make(spec, CodecUse::kDecode);
  std::vector<std::int16_t> track;
  if (!codec) return track;
  std::vector<std::int16_t> pcm(5760);
  for (const auto& payload : payloads) {
    auto samples = codec->decode(payload, pcm);
    EXPECT_TRUE(samples.ok());
    if (samples)
      track.insert(track.end(), pcm.begin(),
                   pcm.begin() + static_cast<std::ptrdiff_t>(samples.value()));
  }
  return track;
}

// The last `ms` milliseconds of a track.
inline std::span<const std::int16_t> tail(const std::vector<std::int16_t>& track, int rate,
                                          int ms) {
  const auto n = static_cast<std::size_t>(rate) * static_cast<std::size_t>(ms) / 1000;
  if (track.size() < n) return {};
  return std::span(track).subspan(track.size() - n);
}

}  // namespace parley::media::test
