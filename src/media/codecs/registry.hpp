#pragma once
// The codec registry: which codecs Parley can decode and encode, and a factory per SDP name.
// Compiled in (a constant table, no plugins, no start-up registration state): adding a codec
// means one row in registry.cpp.
//
// Names match case-insensitively with the SDP rtpmap clock rate: PCMU/8000, PCMA/8000,
// G722/8000, opus/48000. Thread-safe (the table is immutable).

#include <memory>
#include <string_view>

#include "base/result.hpp"
#include "media/codecs/codec.hpp"

namespace parley::media {

// Which halves of a codec the caller needs; a transcoder leg uses one, saving an Opus encoder
// (tens of kB) on the decoding side. Calling the half not asked for returns an error.
enum class CodecUse { kBoth, kEncode, kDecode };

struct CodecParams {
  std::string_view encoding;  // SDP encoding name
  int clock_rate = 8000;      // SDP rtpmap clock rate
  int channels = 1;           // SDP rtpmap channels (opus: always 2 in SDP; we encode mono)
  std::string_view fmtp;      // the fmtp of the payload type, for codec options
  CodecUse use = CodecUse::kBoth;
  // The PCM rate wanted at the codec's edge, 0 = the codec's own. Only Opus takes another
  // (8000, 12000, 16000, 24000 or 48000): opposite a G.711 leg it then encodes and decodes
  // narrowband PCM directly, with no resampler and a cheaper encoder.
  int pcm_rate = 0;
};

bool codec_supported(std::string_view encoding, int clock_rate);

Result<std::unique_ptr<AudioCodec>> create_codec(const CodecParams& params);

}  // namespace parley::media
