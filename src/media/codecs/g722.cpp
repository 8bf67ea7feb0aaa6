#include "media/codecs/g722.hpp"

#include <algorithm>
#include <cstddef>

namespace parley::media {

namespace {

// QMF coefficients h0..h23 (scaled by 2^13; each polyphase half sums to 4096).
constexpr std::array<int, 24> kQmf = {3,    -11,  -11,  53,   12,   -156, 32,   362,
                                      -210, -805, 951,  3876, 3876, 951,  -805, -210,
                                      362,  32,   -156, 12,   53,   -11,  -11,  3};

// QUANTL decision levels for the 6-bit lower sub-band quantiser, and its codewords for
// negative (kIln) and positive (kIlp) differences by interval.
constexpr std::array<int, 30> kQ6 = {0,    35,   72,   110,  150,  190,  233,  276,  323,  370,
                                     422,  473,  530,  587,  650,  714,  786,  858,  940,  1023,
                                     1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919};
constexpr std::array<int, 31> kIln = {0,  63, 62, 31, 30, 29, 28, 27, 26, 25, 24,
                                      23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
                                      12, 11, 10, 9,  8,  7,  6,  5,  4};
constexpr std::array<int, 31> kIlp = {0,  61, 60, 59, 58, 57, 56, 55, 54, 53, 52,
                                      51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41,
                                      40, 39, 38, 37, 36, 35, 34, 33, 32};

// INVQBL: 6-bit inverse quantiser output levels, by codeword.
constexpr std::array<int, 64> kQm6 = {
    -136,   -136,   -136,  -136,  -24808, -21904, -19008, -16704, -14984, -13512, -12280,
    -11192, -10232, -9360, -8576, -7856,  -7192,  -6576,  -6000,  -5456,  -4944,  -4464,
    -4008,  -3576,  -3168, -2776, -2400,  -2032,  -1688,  -1360,  -1040,  -728,   24808,
    21904,  19008,  16704, 14984, 13512,  12280,  11192,  10232,  9360,   8576,   7856,
    7192,   6576,   6000,  5456,  4944,   4464,   4008,   3576,   3168,   2776,   2400,
    2032,   1688,   1360,  1040,  728,    432,    136,    -432,   -136};

// INVQAL: 4-bit inverse quantiser (the embedded core feeding the predictor), by codeword >> 2.
constexpr std::array<int, 16> kQm4 = {0,     -20456, -12896, -8968, -6288, -4240, -2584, -1200,
                                      20456, 12896,  8968,   6288,  4240,  2584,  1200,  0};
// LOGSCL: codeword >> 2 to magnitude class, and the log scale factor multiplier per class.
constexpr std::array<int, 16> kRl42 = {0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0};
constexpr std::array<int, 8> kWl = {-60, -30, 58, 172, 334, 538, 1198, 3042};

// Upper sub-band: QUANTH codewords by magnitude class, INVQAH levels and LOGSCH multipliers.
constexpr std::array<int, 3> kIhn = {0, 1, 0};
constexpr std::array<int, 3> kIhp = {0, 3, 2};
constexpr std::array<int, 4> kQm2 = {-7408, -1616, 7408, 1616};
constexpr std::array<int, 4> kRh2 = {2, 1, 2, 1};
constexpr std::array<int, 3> kWh = {0, -214, 798};

// SCALEL/SCALEH: 2^(i/32) scaled by 2048, the antilog of the scale factor's fractional part.
constexpr std::array<int, 32> kIlb = {
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008};

constexpr int kLowInitialDet = 32;
constexpr int kHighInitialDet = 8;

int sat16(int value) {
  return std::clamp(value, -32768, 32767);
}

// SCALEL (shift 8) / SCALEH (shift 10): scale factor from the log scale factor.
int scale_factor(int nb, int shift) {
  const int fraction = (nb >> 6) & 31;
  const int exponent = shift - (nb >> 11);
  const int linear = exponent < 0 ? kIlb[fraction] << -exponent : kIlb[fraction] >> exponent;
  return linear << 2;
}

void update_low_scale(G722Codec::Band& band, int ril) {
  const int nb = ((band.nb * 127) >> 7) + kWl[kRl42[ril]];  // LOGSCL, leakage 127/128
  band.nb = std::clamp(nb, 0, 18432);
  band.det = scale_factor(band.nb, 8);
}

void update_high_scale(G722Codec::Band& band, int ih) {
  const int nb = ((band.nb * 127) >> 7) + kWh[kRh2[ih]];  // LOGSCH
  band.nb = std::clamp(nb, 0, 22528);
  band.det = scale_factor(band.nb, 10);
}

// Block 4: reconstruction, pole and zero predictor adaptation and the next signal estimate,
// identical for both sub-bands; `d` is the quantised difference the predictor sees.
void adapt_predictor(G722Codec::Band& band, int d) {
  band.d[0] = d;
  band.r[0] = sat16(band.s + d);   // RECONS
  band.p[0] = sat16(band.sz + d);  // PARREC

  // UPPOL2
  const int sg0 = band.p[0] >> 15;
  const int sg1 = band.p[1] >> 15;
  const int sg2 = band.p[2] >> 15;
  const int a1x4 = sat16(band.a[1] * 4);
  int wd2 = sg0 == sg1 ? -a1x4 : a1x4;
  wd2 = std::min(wd2, 32767);
  int apl2 = (wd2 >> 7) + (sg0 == sg2 ? 128 : -128) + ((band.a[2] * 32512) >> 15);
  apl2 = std::clamp(apl2, -12288, 12288);
  band.ap[2] = apl2;

  // UPPOL1
  const int apl1 = sat16((sg0 == sg1 ? 192 : -192) + ((band.a[1] * 32640) >> 15));
  const int limit = sat16(15360 - apl2);
  band.ap[1] = std::clamp(apl1, -limit, limit);

  // UPZERO
  const int step = d == 0 ? 0 : 128;
  const int sgd = d >> 15;
  for (std::size_t i = 1; i < 7; ++i) {
    const int sgi = band.d[i] >> 15;
    band.bp[i] = sat16((sgi == sgd ? step : -step) + ((band.b[i] * 32640) >> 15));
  }

  // DELAYA
  for (std::size_t i = 6; i > 0; --i) {
    band.d[i] = band.d[i - 1];
    band.b[i] = band.bp[i];
  }
  for (std::size_t i = 2; i > 0; --i) {
    band.r[i] = band.r[i - 1];
    band.p[i] = band.p[i - 1];
    band.a[i] = band.ap[i];
  }

  // FILTEP
  const int pole1 = (band.a[1] * sat16(band.r[1] + band.r[1])) >> 15;
  const int pole2 = (band.a[2] * sat16(band.r[2] + band.r[2])) >> 15;
  band.sp = sat16(pole1 + pole2);

  // FILTEZ
  int sz = 0;
  for (std::size_t i = 6; i > 0; --i)
    sz = sat16(sz + ((band.b[i] * sat16(band.d[i] + band.d[i])) >> 15));
  band.sz = sz;

  band.s = sat16(band.sp + band.sz);  // PREDIC
}

}  // namespace

void G722Codec::reset() {
  for (Band* band : {&enc_low_, &enc_high_, &dec_low_, &dec_high_}) *band = Band{};
  enc_low_.det = dec_low_.det = kLowInitialDet;
  enc_high_.det = dec_high_.det = kHighInitialDet;
  enc_qmf_.fill(0);
  dec_qmf_.fill(0);
}

std::uint8_t G722Codec::encode_pair(int x0, int x1) {
  // Transmit QMF: x0 is the older sample of the pair.
  std::copy_backward(enc_qmf_.begin(), enc_qmf_.end() - 2, enc_qmf_.end());
  enc_qmf_[1] = x0;
  enc_qmf_[0] = x1;
  int even = 0;
  int odd = 0;
  for (std::size_t i = 0; i < 24; i += 2) {
    even += kQmf[i] * enc_qmf_[i];
    odd += kQmf[i + 1] * enc_qmf_[i + 1];
  }
  // 16-bit input, 15-bit sub-band signals.
  const int xlow = sat16((even + odd) >> 14);
  const int xhigh = sat16((even - odd) >> 14);

  // Lower sub-band: SUBTRA, QUANTL, INVQAL, LOGSCL, SCALEL, block 4.
  const int el = sat16(xlow - enc_low_.s);
  const int wdl = el >= 0 ? el : -(el + 1);
  std::size_t interval = 1;
  while (interval < kQ6.size() && wdl >= ((kQ6[interval] * enc_low_.det) >> 12)) ++interval;
  const int ilow = el < 0 ? kIln[interval] : kIlp[interval];
  const int ril = ilow >> 2;
  const int dlow = (enc_low_.det * kQm4[ril]) >> 15;
  update_low_scale(enc_low_, ril);
  adapt_predictor(enc_low_, dlow);

  // Upper sub-band: SUBTRA, QUANTH, INVQAH, LOGSCH, SCALEH, block 4.
  const int eh = sat16(xhigh - enc_high_.s);
  const int wdh = eh >= 0 ? eh : -(eh + 1);
  const std::size_t mih = wdh >= ((564 * enc_high_.det) >> 12) ? 2 : 1;
  const int ihigh = eh < 0 ? kIhn[mih] : kIhp[mih];
  const int dhigh = (enc_high_.det * kQm2[ihigh]) >> 15;
  update_high_scale(enc_high_, ihigh);
  adapt_predictor(enc_high_, dhigh);

  return static_cast<std::uint8_t>((ihigh << 6) | ilow);
}

void G722Codec::decode_code(std::uint8_t code, std::int16_t& out0, std::int16_t& out1) {
  const int ilow = code & 0x3F;
  const int ihigh = (code >> 6) & 0x03;

  // Lower sub-band: the full 6-bit INVQBL for the output, the 4-bit core for the predictor.
  const int dlow6 = (dec_low_.det * kQm6[ilow]) >> 15;
  const int rlow = std::clamp(dec_low_.s + dlow6, -16384, 16383);
  const int ril = ilow >> 2;
  const int dlow = (dec_low_.det * kQm4[ril]) >> 15;
  update_low_scale(dec_low_, ril);
  adapt_predictor(dec_low_, dlow);

  const int dhigh = (dec_high_.det * kQm2[ihigh]) >> 15;
  const int rhigh = std::clamp(dec_high_.s + dhigh, -16384, 16383);
  update_high_scale(dec_high_, ihigh);
  adapt_predictor(dec_high_, dhigh);

  // Receive QMF.
  std::copy_backward(dec_qmf_.begin(), dec_qmf_.end() - 2, dec_qmf_.end());
  dec_qmf_[0] = rlow - rhigh;
  dec_qmf_[1] = rlow + rhigh;
  int even = 0;
  int odd = 0;
  for (std::size_t i = 0; i < 24; i += 2) {
    even += kQmf[i] * dec_qmf_[i];
    odd += kQmf[i + 1] * dec_qmf_[i + 1];
  }
  out0 = static_cast<std::int16_t>(sat16(even >> 11));
  out1 = static_cast<std::int16_t>(sat16(odd >> 11));
}

Result<std::size_t> G722Codec::encode(std::span<const std::int16_t> pcm,
                                      std::span<std::uint8_t> out) {
  if (pcm.size() % 2 != 0) return make_error(0, "G.722 encode: odd number of samples");
  const std::size_t codes = pcm.size() / 2;
  if (out.size() < codes) return make_error(0, "G.722 encode: output buffer too small");
  for (std::size_t i = 0; i < codes; ++i) out[i] = encode_pair(pcm[2 * i], pcm[2 * i + 1]);
  return codes;
}

Result<std::size_t> G722Codec::decode(std::span<const std::uint8_t> payload,
                                      std::span<std::int16_t> pcm) {
  if (pcm.size() < payload.size() * 2)
    return make_error(0, "G.722 decode: output buffer too small");
  for (std::size_t i = 0; i < payload.size(); ++i)
    decode_code(payload[i], pcm[2 * i], pcm[2 * i + 1]);
  return payload.size() * 2;
}

}  // namespace parley::media
