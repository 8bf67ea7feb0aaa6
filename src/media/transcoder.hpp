#pragma once
// Transcoder: turns the RTP payloads of one direction of a call from one codec into another
// (PCMU ↔ PCMA ↔ G.722 ↔ Opus, at any of their clock rates), through a small jitter buffer.
//
// The relay pushes every RTP packet of the input codec as it arrives; the transcoder puts it in
// order (a reorder/jitter buffer of a few frames keyed by sequence number, dropping duplicates and
// packets that arrive after their slot was played), decodes it to 16-bit PCM, resamples to the
// output codec's rate (speexdsp) when the rates differ, conceals a lost frame (codec PLC where the
// codec has one, else repeats/attenuates), and encodes output frames of `output_ptime`. The relay
// then pops ready frames and wraps them in RTP headers of its own (sequence, timestamp, SSRC of
// the output leg).
//
// Codec names are matched case-insensitively: "PCMU"/8000, "PCMA"/8000, "G722"/8000 (RTP clock
// 8000, audio 16 kHz, RFC 3551 §4.5.2), "opus"/48000/2 (RFC 7587: always 48000/2 in SDP, mono
// encoding is fine).
//
// Steady state allocates nothing: buffers are sized at creation.
// Thread-safety: none; owned and used by one worker loop.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::media {

struct CodecSpec {
  std::string encoding;  // as in SDP: "PCMU", "PCMA", "G722", "opus"
  int clock_rate = 8000;
  int channels = 1;
  std::string fmtp;
};

// Whether a Transcoder can decode and encode this codec.
bool can_transcode(std::string_view encoding, int clock_rate);

struct TranscoderOptions {
  int output_ptime_ms = 20;
  int jitter_frames = 3;  // frames held for reordering before the oldest is played regardless
};

// One output frame: an encoded payload and the RTP timestamp advance it covers in the output
// codec's clock ("samples"), and whether it follows a gap (the relay sets the marker then).
struct EncodedFrame {
  std::span<const std::uint8_t> payload;  // valid until the next call on the Transcoder
  std::uint32_t samples = 0;
  bool marker = false;  // added by codecs: first frame after a gap, resync or talkspurt start
};

// Adds generated audio (a DTMF tone) to each output frame just before it is encoded. Called on
// the Transcoder's thread with PCM at the output codec's sample rate.
class FrameMixer {
 public:
  virtual ~FrameMixer() = default;
  virtual void mix(std::span<std::int16_t> pcm) = 0;
};

class Transcoder {
 public:
  static Result<std::unique_ptr<Transcoder>> create(const CodecSpec& input, const CodecSpec& output,
                                                    const TranscoderOptions& options = {});
  virtual ~Transcoder() = default;

  // One received RTP payload of the input codec with its header fields.
  virtual void push(std::uint16_t sequence, std::uint32_t timestamp,
                    std::span<const std::uint8_t> payload) = 0;
  // Ready output frames, one per call, oldest first; false when none is ready.
  virtual bool pop(EncodedFrame& frame) = 0;
  // Every output frame goes through `mixer` (borrowed; null = none) before encoding.
  virtual void set_mixer(FrameMixer* mixer) { (void)mixer; }
  // One output frame of silence through the mixer: audio for the other leg while the input
  // sends none (a phone that sends only RFC 4733 events during a key press). False when this
  // transcoder cannot generate.
  virtual bool generate(EncodedFrame& frame) {
    (void)frame;
    return false;
  }
  // The PCM rate of the output codec (what the mixer sees).
  virtual int output_sample_rate() const { return 8000; }
  // Statistics for tests and metrics.
  virtual std::uint64_t frames_decoded() const = 0;
  virtual std::uint64_t frames_concealed() const = 0;
  virtual std::uint64_t packets_dropped() const = 0;  // duplicates, too late, undecodable
};

}  // namespace parley::media
