#include "media/codecs/g711.hpp"

#include <array>
#include <bit>
#include <cstddef>

namespace parley::media {

namespace {

constexpr int kUlawBias = 0x84;   // 33 in 14-bit units, scaled to 16 bits
constexpr int kUlawClip = 32635;  // largest magnitude whose biased value stays in 15 bits

constexpr std::int16_t ulaw_decode(std::uint8_t code) {
  const int inverted = static_cast<std::uint8_t>(~code);
  const int exponent = (inverted >> 4) & 0x07;
  const int mantissa = inverted & 0x0F;
  const int magnitude = (((mantissa << 3) + kUlawBias) << exponent) - kUlawBias;
  return static_cast<std::int16_t>((inverted & 0x80) != 0 ? -magnitude : magnitude);
}

constexpr std::int16_t alaw_decode(std::uint8_t code) {
  const int value = code ^ 0x55;  // even-bit inversion
  const int exponent = (value >> 4) & 0x07;
  const int mantissa = value & 0x0F;
  // Reconstruct at the middle of the quantisation interval (13-bit value times 8).
  const int magnitude =
      exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return static_cast<std::int16_t>((value & 0x80) != 0 ? magnitude : -magnitude);
}

template <std::int16_t (*Decode)(std::uint8_t)>
constexpr std::array<std::int16_t, 256> make_table() {
  std::array<std::int16_t, 256> table{};
  for (std::size_t i = 0; i < table.size(); ++i) table[i] = Decode(static_cast<std::uint8_t>(i));
  return table;
}

constexpr auto kUlawTable = make_table<ulaw_decode>();
constexpr auto kAlawTable = make_table<alaw_decode>();

}  // namespace

std::uint8_t linear_to_ulaw(std::int16_t sample) {
  int value = sample;
  const int sign = value < 0 ? 0x80 : 0x00;
  if (value < 0) value = -value;
  if (value > kUlawClip) value = kUlawClip;
  value += kUlawBias;  // now in [0x84, 0x7FFF]: the top set bit is 7..14
  const int exponent = static_cast<int>(std::bit_width(static_cast<unsigned>(value))) - 8;
  const int mantissa = (value >> (exponent + 3)) & 0x0F;
  return static_cast<std::uint8_t>(~(sign | (exponent << 4) | mantissa));
}

std::int16_t ulaw_to_linear(std::uint8_t code) {
  return kUlawTable[code];
}

std::uint8_t linear_to_alaw(std::int16_t sample) {
  int value = sample >> 3;  // A-law quantises 13 bits
  int sign = 0x80;          // set for positive values
  if (value < 0) {
    sign = 0x00;
    value = -value - 1;  // ones' complement magnitude, as the Recommendation's encoder does
  }
  int code = 0;
  if (value >= 0x1000) {
    code = 0x7F;  // overload: largest codeword
  } else if (value < 0x20) {
    code = value >> 1;  // segments 0 and 1 share the step of 2
  } else {
    const int exponent = static_cast<int>(std::bit_width(static_cast<unsigned>(value))) - 5;
    code = (exponent << 4) | ((value >> exponent) & 0x0F);
  }
  return static_cast<std::uint8_t>((sign | code) ^ 0x55);
}

std::int16_t alaw_to_linear(std::uint8_t code) {
  return kAlawTable[code];
}

Result<std::size_t> G711Codec::encode(std::span<const std::int16_t> pcm,
                                      std::span<std::uint8_t> out) {
  if (out.size() < pcm.size()) return make_error(0, "G.711 encode: output buffer too small");
  if (alaw_) {
    for (std::size_t i = 0; i < pcm.size(); ++i) out[i] = linear_to_alaw(pcm[i]);
  } else {
    for (std::size_t i = 0; i < pcm.size(); ++i) out[i] = linear_to_ulaw(pcm[i]);
  }
  return pcm.size();
}

Result<std::size_t> G711Codec::decode(std::span<const std::uint8_t> payload,
                                      std::span<std::int16_t> pcm) {
  if (pcm.size() < payload.size()) return make_error(0, "G.711 decode: output buffer too small");
  const auto& table = alaw_ ? kAlawTable : kUlawTable;
  for (std::size_t i = 0; i < payload.size(); ++i) pcm[i] = table[payload[i]];
  return payload.size();
}

}  // namespace parley::media
