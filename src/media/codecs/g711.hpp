#pragma once
// G.711 (ITU-T G.711) µ-law ("PCMU", RTP payload type 0) and A-law ("PCMA", type 8): 8 kHz,
// one byte per sample, no state, no concealment of its own.
//
// The sample functions map 16-bit linear PCM to and from the 8-bit codewords as the
// Recommendation's tables do (µ-law on 14 magnitude bits with the 33 bias, A-law on 13 bits);
// the transmitted bit inversions (all bits for µ-law, even bits for A-law) are included.

#include <cstdint>
#include <string_view>

#include "media/codecs/codec.hpp"

namespace parley::media {

std::uint8_t linear_to_ulaw(std::int16_t sample);
std::int16_t ulaw_to_linear(std::uint8_t code);
std::uint8_t linear_to_alaw(std::int16_t sample);
std::int16_t alaw_to_linear(std::uint8_t code);

// One G.711 codec; `alaw` picks the law. Stateless apart from the law, cheap to create.
class G711Codec final : public AudioCodec {
 public:
  explicit G711Codec(bool alaw) : alaw_(alaw) {}

  std::string_view name() const override { return alaw_ ? "PCMA" : "PCMU"; }
  int sample_rate() const override { return 8000; }
  int clock_rate() const override { return 8000; }
  Result<std::size_t> encode(std::span<const std::int16_t> pcm,
                             std::span<std::uint8_t> out) override;
  Result<std::size_t> decode(std::span<const std::uint8_t> payload,
                             std::span<std::int16_t> pcm) override;
  std::size_t decoded_samples(std::span<const std::uint8_t> payload) const override {
    return payload.size();
  }
  void reset() override {}

 private:
  bool alaw_;
};

}  // namespace parley::media
