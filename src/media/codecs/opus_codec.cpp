#include "media/codecs/opus_codec.hpp"

#include <opus/opus.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <limits>
#include <string>

namespace parley::media {

namespace {

bool parse_int(std::string_view text, int& value) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int to_int(std::size_t value) {
  return value > static_cast<std::size_t>(std::numeric_limits<int>::max())
             ? std::numeric_limits<int>::max()
             : static_cast<int>(value);
}

}  // namespace

OpusOptions parse_opus_fmtp(std::string_view fmtp) {
  OpusOptions options;
  while (!fmtp.empty()) {
    const std::size_t end = fmtp.find(';');
    const std::string_view item = trim(fmtp.substr(0, end));
    fmtp = end == std::string_view::npos ? std::string_view{} : fmtp.substr(end + 1);
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = trim(item.substr(0, equals));
    int value = 0;
    if (!parse_int(trim(item.substr(equals + 1)), value)) continue;
    if (key == "maxaveragebitrate") {
      // RFC 7587 §6.1: 6000 to 510000.
      if (value >= 6000 && value <= 510000) options.bitrate = std::min(options.bitrate, value);
    } else if (key == "useinbandfec") {
      options.inband_fec = value == 1;
    } else if (key == "usedtx") {
      options.dtx = value == 1;
    }
  }
  return options;
}

void OpusCodec::EncoderDeleter::operator()(OpusEncoder* encoder) const {
  opus_encoder_destroy(encoder);
}
void OpusCodec::DecoderDeleter::operator()(OpusDecoder* decoder) const {
  opus_decoder_destroy(decoder);
}

OpusCodec::OpusCodec(Passkey /*key*/, OpusEncoder* encoder, OpusDecoder* decoder,
                     const OpusOptions& options)
    : encoder_(encoder), decoder_(decoder), options_(options) {}

OpusCodec::~OpusCodec() = default;

Result<std::unique_ptr<OpusCodec>> OpusCodec::create(const OpusOptions& options) {
  const int rate = options.pcm_rate;
  if (rate != 8000 && rate != 12000 && rate != 16000 && rate != 24000 && rate != 48000) {
    return make_error(0, "opus: unsupported PCM rate " + std::to_string(rate));
  }
  int error = OPUS_OK;
  std::unique_ptr<OpusEncoder, EncoderDeleter> encoder;
  if (options.encoder) {
    encoder.reset(opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &error));
    if (error != OPUS_OK || !encoder) {
      return make_error(0, std::string("opus_encoder_create: ") + opus_strerror(error));
    }
    OpusEncoder* enc = encoder.get();
    if (opus_encoder_ctl(enc, OPUS_SET_BITRATE(options.bitrate)) != OPUS_OK ||
        opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(options.complexity)) != OPUS_OK ||
        opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(options.inband_fec ? 1 : 0)) != OPUS_OK ||
        opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(options.expected_loss_percent)) !=
            OPUS_OK ||
        opus_encoder_ctl(enc, OPUS_SET_DTX(options.dtx ? 1 : 0)) != OPUS_OK ||
        opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)) != OPUS_OK) {
      return make_error(0, "opus_encoder_ctl: invalid options");
    }
  }
  std::unique_ptr<OpusDecoder, DecoderDeleter> decoder;
  if (options.decoder) {
    decoder.reset(opus_decoder_create(rate, 1, &error));
    if (error != OPUS_OK || !decoder) {
      return make_error(0, std::string("opus_decoder_create: ") + opus_strerror(error));
    }
  }
  return std::make_unique<OpusCodec>(Passkey{}, encoder.release(), decoder.release(), options);
}

Result<std::size_t> OpusCodec::encode(std::span<const std::int16_t> pcm,
                                      std::span<std::uint8_t> out) {
  if (!encoder_) return make_error(0, "opus: created without an encoder");
  const opus_int32 bytes =
      opus_encode(encoder_.get(), pcm.data(), to_int(pcm.size()), out.data(), to_int(out.size()));
  if (bytes < 0) return make_error(0, std::string("opus_encode: ") + opus_strerror(bytes));
  return static_cast<std::size_t>(bytes);
}

Result<std::size_t> OpusCodec::decode(std::span<const std::uint8_t> payload,
                                      std::span<std::int16_t> pcm) {
  if (!decoder_) return make_error(0, "opus: created without a decoder");
  if (payload.empty()) return make_error(0, "opus_decode: empty payload");
  const int samples = opus_decode(decoder_.get(), payload.data(), to_int(payload.size()),
                                  pcm.data(), to_int(pcm.size()), 0);
  if (samples < 0) return make_error(0, std::string("opus_decode: ") + opus_strerror(samples));
  return static_cast<std::size_t>(samples);
}

std::size_t OpusCodec::decoded_samples(std::span<const std::uint8_t> payload) const {
  if (payload.empty()) return 0;
  const int samples = opus_packet_get_nb_samples(payload.data(), to_int(payload.size()), options_.pcm_rate);
  return samples > 0 ? static_cast<std::size_t>(samples) : 0;
}

bool OpusCodec::conceal(std::span<std::int16_t> pcm, std::span<const std::uint8_t> next_payload) {
  if (!decoder_) return false;
  int samples = -1;
  if (!next_payload.empty()) {
    // The LBRR data describes the frame before next_payload; frame_size picks how much of it.
    samples = opus_decode(decoder_.get(), next_payload.data(), to_int(next_payload.size()),
                          pcm.data(), to_int(pcm.size()), 1);
  }
  if (samples < 0) {
    samples = opus_decode(decoder_.get(), nullptr, 0, pcm.data(), to_int(pcm.size()), 0);
  }
  if (samples < 0) return false;
  // PLC always fills the requested duration; anything short is zeroed rather than left stale.
  for (std::size_t i = static_cast<std::size_t>(samples); i < pcm.size(); ++i) pcm[i] = 0;
  return true;
}

void OpusCodec::reset() {
  if (encoder_) opus_encoder_ctl(encoder_.get(), OPUS_RESET_STATE);
  if (decoder_) opus_decoder_ctl(decoder_.get(), OPUS_RESET_STATE);
}

}  // namespace parley::media
