#include "media/codecs/registry.hpp"

#include <array>
#include <string>

#include "media/codecs/g711.hpp"
#include "media/codecs/g722.hpp"
#include "media/codecs/opus_codec.hpp"

namespace parley::media {

namespace {

using Factory = Result<std::unique_ptr<AudioCodec>> (*)(const CodecParams&);

struct Entry {
  std::string_view name;
  int clock_rate;
  Factory factory;
};

Result<std::unique_ptr<AudioCodec>> make_pcmu(const CodecParams& /*params*/) {
  return std::unique_ptr<AudioCodec>(std::make_unique<G711Codec>(false));
}
Result<std::unique_ptr<AudioCodec>> make_pcma(const CodecParams& /*params*/) {
  return std::unique_ptr<AudioCodec>(std::make_unique<G711Codec>(true));
}
Result<std::unique_ptr<AudioCodec>> make_g722(const CodecParams& /*params*/) {
  return std::unique_ptr<AudioCodec>(std::make_unique<G722Codec>());
}
Result<std::unique_ptr<AudioCodec>> make_opus(const CodecParams& params) {
  OpusOptions options = parse_opus_fmtp(params.fmtp);
  if (params.pcm_rate != 0) {
    options.pcm_rate = params.pcm_rate;
    // Opposite a narrowband or wideband leg the source limits quality, not the encoder:
    // complexity 1 halves the encoder's CPU against 5 (docs/performance.md, transcoding).
    if (params.pcm_rate <= 16000) options.complexity = 1;
  }
  options.encoder = params.use != CodecUse::kDecode;
  options.decoder = params.use != CodecUse::kEncode;
  auto codec = OpusCodec::create(options);
  if (!codec) return codec.error();
  return std::unique_ptr<AudioCodec>(std::move(codec).value());
}

constexpr std::array<Entry, 4> kCodecs = {{
    {"PCMU", 8000, &make_pcmu},
    {"PCMA", 8000, &make_pcma},
    {"G722", 8000, &make_g722},
    {"opus", 48000, &make_opus},
}};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const Entry* find(std::string_view encoding, int clock_rate) {
  for (const Entry& entry : kCodecs) {
    if (entry.clock_rate == clock_rate && equal_ignoring_case(entry.name, encoding)) return &entry;
  }
  return nullptr;
}

}  // namespace

bool codec_supported(std::string_view encoding, int clock_rate) {
  return find(encoding, clock_rate) != nullptr;
}

Result<std::unique_ptr<AudioCodec>> create_codec(const CodecParams& params) {
  const Entry* entry = find(params.encoding, params.clock_rate);
  if (entry == nullptr) {
    return make_error(0, "unsupported codec " + std::string(params.encoding) + "/" +
                             std::to_string(params.clock_rate));
  }
  return entry->factory(params);
}

}  // namespace parley::media
