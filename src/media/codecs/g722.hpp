#pragma once
// G.722 (ITU-T G.722) at 64 kbit/s ("G722"): 16 kHz wideband audio split by a 24-tap QMF into
// two 8 kHz sub-bands, the lower coded with 6-bit embedded ADPCM, the upper with 2-bit ADPCM; one
// byte per pair of input samples. RTP clock 8000 despite 16 kHz audio (RFC 3551 §4.5.2), so a
// 20 ms frame is 320 samples, 160 bytes and a timestamp advance of 160.
//
// Written from the Recommendation's block description (QMF, QUANTL/QUANTH, INVQAL/INVQBL,
// LOGSCL/LOGSCH, SCALEL/SCALEH, UPPOL1/2, UPZERO, FILTEP/FILTEZ, PREDIC) in 16-bit fixed point.
// No packet loss concealment (the Appendix III/IV PLCs are not implemented): after a loss the
// ADPCM state simply carries on, and the caller repeats or fades the last frame.

#include <array>
#include <cstdint>

#include "media/codecs/codec.hpp"

namespace parley::media {

class G722Codec final : public AudioCodec {
 public:
  G722Codec() { reset(); }

  std::string_view name() const override { return "G722"; }
  int sample_rate() const override { return 16000; }
  int clock_rate() const override { return 8000; }
  // pcm.size() must be even (one code per sample pair).
  Result<std::size_t> encode(std::span<const std::int16_t> pcm,
                             std::span<std::uint8_t> out) override;
  Result<std::size_t> decode(std::span<const std::uint8_t> payload,
                             std::span<std::int16_t> pcm) override;
  std::size_t decoded_samples(std::span<const std::uint8_t> payload) const override {
    return payload.size() * 2;
  }
  void reset() override;

  // The ADPCM state of one sub-band (the predictor and the scale factor adaptation).
  struct Band {
    int s = 0;                // signal estimate
    int sp = 0;               // pole section of the estimate
    int sz = 0;               // zero section of the estimate
    std::array<int, 3> r{};   // reconstructed signal, r[1..2] delayed
    std::array<int, 3> a{};   // pole coefficients a[1..2]
    std::array<int, 3> ap{};  // updated pole coefficients
    std::array<int, 3> p{};   // partial reconstructed signal, p[1..2] delayed
    std::array<int, 7> d{};   // quantised difference, d[1..6] delayed
    std::array<int, 7> b{};   // zero coefficients b[1..6]
    std::array<int, 7> bp{};  // updated zero coefficients
    int nb = 0;               // log scale factor
    int det = 0;              // scale factor
  };

 private:
  std::uint8_t encode_pair(int x0, int x1);
  void decode_code(std::uint8_t code, std::int16_t& out0, std::int16_t& out1);

  Band enc_low_, enc_high_, dec_low_, dec_high_;
  std::array<int, 24> enc_qmf_{};  // transmit QMF history, newest first
  std::array<int, 24> dec_qmf_{};  // receive QMF history of (rl - rh, rl + rh) pairs, newest first
};

}  // namespace parley::media
