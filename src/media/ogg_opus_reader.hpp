#pragma once
// decode_ogg_opus: an uploaded Ogg/Opus file (RFC 7845) decoded to one mono 48 kHz AudioClip,
// for prompts, greetings and music on hold. The identification header (OpusHead) must be
// version 0.x with channel mapping family 0 (mono or stereo; stereo is mixed down by libopus),
// the comment header (OpusTags) must follow it, and every audio packet must decode. The
// pre-skip is dropped from the start, the last granule position trims the encoder's padding at
// the end, and the header's output gain is applied. Anything else is refused with a message
// naming what is wrong.
//
// Pure apart from libopus's decoder state; decoding a long file takes a while (about 1 ms of CPU
// per second of audio), so call it off the worker loops.

#include <cstdint>
#include <memory>
#include <span>

#include "base/result.hpp"
#include "media/audio_player.hpp"

namespace parley::media {

Result<std::shared_ptr<const AudioClip>> decode_ogg_opus(std::span<const std::uint8_t> bytes);

}  // namespace parley::media
