#pragma once
// Opus (RFC 6716) over RTP (RFC 7587) through libopus: always "opus/48000/2" in SDP; this codec
// encodes mono at 48 kHz and decodes any Opus packet (stereo ones are downmixed by libopus) to
// mono 48 kHz. Loss concealment is libopus's PLC; with in-band FEC (on by default, see
// OpusOptions) a lost frame is rebuilt from the LBRR data in the packet that follows it.

#include <cstdint>
#include <memory>
#include <string_view>

#include "media/codecs/codec.hpp"

struct OpusEncoder;
struct OpusDecoder;

namespace parley::media {

struct OpusOptions {
  int bitrate = 32000;            // bit/s; RFC 7587 "maxaveragebitrate" lowers it
  bool inband_fec = true;         // RFC 7587 "useinbandfec"
  int expected_loss_percent = 5;  // tells the encoder how much LBRR redundancy to spend
  int complexity = 5;             // 0..10; 5 halves the CPU of 10 for little loss at VoIP rates
  bool dtx = false;               // RFC 7587 "usedtx"
  int pcm_rate = 48000;           // PCM rate at our edge: 8000, 12000, 16000, 24000 or 48000
  bool encoder = true;            // create the encoder half
  bool decoder = true;            // create the decoder half
};

// Reads the RFC 7587 fmtp parameters that bind our encoder (the receiver's preferences):
// maxaveragebitrate, useinbandfec, usedtx. Unknown parameters are ignored.
OpusOptions parse_opus_fmtp(std::string_view fmtp);

class OpusCodec final : public AudioCodec {
  struct Passkey {  // only create() can construct, so every instance has valid libopus states
    explicit Passkey() = default;
  };

 public:
  static Result<std::unique_ptr<OpusCodec>> create(const OpusOptions& options);
  OpusCodec(Passkey, OpusEncoder* encoder, OpusDecoder* decoder, const OpusOptions& options);
  ~OpusCodec() override;
  OpusCodec(const OpusCodec&) = delete;
  OpusCodec& operator=(const OpusCodec&) = delete;

  std::string_view name() const override { return "opus"; }
  int sample_rate() const override { return options_.pcm_rate; }
  int clock_rate() const override { return 48000; }
  Result<std::size_t> encode(std::span<const std::int16_t> pcm,
                             std::span<std::uint8_t> out) override;
  Result<std::size_t> decode(std::span<const std::uint8_t> payload,
                             std::span<std::int16_t> pcm) override;
  std::size_t decoded_samples(std::span<const std::uint8_t> payload) const override;
  bool conceal(std::span<std::int16_t> pcm, std::span<const std::uint8_t> next_payload) override;
  void reset() override;

 private:
  struct EncoderDeleter {
    void operator()(OpusEncoder* encoder) const;
  };
  struct DecoderDeleter {
    void operator()(OpusDecoder* decoder) const;
  };
  std::unique_ptr<OpusEncoder, EncoderDeleter> encoder_;
  std::unique_ptr<OpusDecoder, DecoderDeleter> decoder_;
  OpusOptions options_;
};

}  // namespace parley::media
