#pragma once
// ConferenceMixer: the audio of one conference room. Every participant hears everyone but
// themselves ("N-1" mixing), at 16 kHz when every participant's codec is wideband (G.722, Opus)
// and at 8 kHz as soon as one is not (G.711).
//
// Interface (what the owner does):
//   - join(codec) when a call enters the room, leave(id) when it hangs up or a moderator removes
//     it; set_muted(id, …) for mute (a muted participant still hears the room).
//   - push(id, sequence, timestamp, payload) for every RTP packet the participant sends, as it
//     arrives: the payload only, in the participant's codec; RTP headers, SSRC and sockets stay
//     with the caller.
//   - tick() every 20 ms from the owning worker's timer. Each tick takes one 20 ms frame from
//     every participant (silence where none arrived), mixes, encodes and hands each participant
//     its payload for this tick through Listener::on_mixed, which the owner wraps in its own RTP
//     header (sequence +1, timestamp + frame.samples, marker from frame.marker).
//
// Mixing, per tick: the frames of the "speakers" are summed once; a speaker hears that sum minus
// its own frame, every other participant hears the whole sum (O(N) work, not O(N²)). Speakers are
// the unmuted participants whose frame is above `speech_floor_dbm0`, and with `max_speakers` > 0
// only the loudest few of those (by frame energy, a held speaker winning ties within 3 dB), as
// conference bridges do: nobody can hear more than a handful of simultaneous talkers anyway, and
// it bounds both the clipping and the number of different mixes. Sums are clipped to 16 bits.
// Join and leave tones are added to everybody's mix.
//
// Encoding: participants who hear the same mix in the same codec share one encode (all the
// non-speakers of one codec hear the whole sum), so a tick costs one decode per participant but
// only (speakers + codecs in the room) encodes. Stateful encoders (G.722, Opus) therefore switch a
// participant between its own encoder (while it speaks) and its codec's shared one; the decoder at
// the far end takes that like a short packet loss.
//
// Input: each participant has a small jitter buffer (media/jitter_buffer) and the codec's own
// concealment (or a repeat-and-fade) for packets it gives up on; decoded audio waits in a short
// queue for the next tick (at most `max_queue_frames`, oldest dropped; a queue that stays two
// frames deep for a second, a sender clock faster than ours, loses a frame). Packets of any
// ptime up to `max_queue_frames` × 20 ms are taken; output is always 20 ms.
//
// Memory: join() creates the participant's codec states and buffers; push() and tick() never
// allocate. A change of room rate (a G.711 participant joins a wideband room, or the last one
// leaves) rebuilds every participant's codec path inside join()/leave().
//
// Thread-safety: none. One room belongs to one worker loop; all calls come from it. The listener
// is called from tick() and must not call back into the mixer.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/result.hpp"
#include "media/transcoder.hpp"

namespace parley::media {

// A participant within one room: its slot and the slot's generation, so an id is never reused
// while the room lives.
using ParticipantId = std::uint64_t;

struct ConferenceTone {
  double first_hz = 0.0;
  double second_hz = 0.0;
  int segment_ms = 100;  // each of the two notes
};

struct ConferenceOptions {
  std::size_t max_participants = 128;  // slots allocated by create()
  int max_speakers = 4;                // loudest participants mixed; 0 = every speaker
  double speech_floor_dbm0 = -55.0;    // quieter frames (line noise) are not mixed
  int jitter_frames = 2;               // packets held to reorder before a gap is concealed
  int max_queue_frames = 6;            // decoded audio waiting for ticks (≥ the longest ptime)
  double tone_level_dbm0 = -18.0;
  ConferenceTone join_tone{700.0, 1100.0, 100};   // rising
  ConferenceTone leave_tone{1100.0, 700.0, 100};  // falling
  bool tones = true;
};

class ConferenceMixer {
  class Room;
  struct Passkey {  // only create() constructs, after checking the options
    explicit Passkey() = default;
  };

 public:
  static constexpr int kTickMs = 20;

  class Listener {
   public:
    virtual ~Listener() = default;
    // One participant's audio for this tick, in its codec (payload valid during the call only;
    // participants sharing an encode get the same bytes).
    virtual void on_mixed(ParticipantId id, const EncodedFrame& frame) = 0;
  };

  struct Stats {
    std::uint64_t ticks = 0;
    std::uint64_t encodes = 0;           // codec encode calls (shared ones counted once)
    std::uint64_t frames_decoded = 0;    // packets decoded
    std::uint64_t frames_concealed = 0;  // losses concealed
    std::uint64_t frames_missing = 0;    // participant-ticks with no audio (silence mixed)
    std::uint64_t packets_dropped = 0;   // duplicates, too late, undecodable
    std::uint64_t queue_trims = 0;       // queued audio dropped to bound the delay
  };

  // `listener` is borrowed and must outlive the mixer.
  static Result<std::unique_ptr<ConferenceMixer>> create(const ConferenceOptions& options,
                                                         Listener& listener);
  ConferenceMixer(Passkey, std::unique_ptr<Room> room);
  ~ConferenceMixer();
  ConferenceMixer(const ConferenceMixer&) = delete;
  ConferenceMixer& operator=(const ConferenceMixer&) = delete;

  // Adds a participant speaking `codec` (SDP encoding name, clock rate, fmtp). Errors: room full,
  // codec not supported. Plays the join tone.
  Result<ParticipantId> join(const CodecSpec& codec);
  // Removes a participant (hang-up or a moderator's removal); unknown ids are ignored. Plays the
  // leave tone to those who remain.
  void leave(ParticipantId id);
  void set_muted(ParticipantId id, bool muted);

  // One received RTP payload of the participant.
  void push(ParticipantId id, std::uint16_t sequence, std::uint32_t timestamp,
            std::span<const std::uint8_t> payload);
  // One 20 ms mixing period: see above.
  void tick();

  int sample_rate() const;  // 8000 or 16000
  std::size_t participant_count() const;
  bool contains(ParticipantId id) const;
  Stats stats() const;

 private:
  std::unique_ptr<Room> room_;
};

}  // namespace parley::media
