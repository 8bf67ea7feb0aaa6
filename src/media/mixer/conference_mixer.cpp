#include "media/mixer/conference_mixer.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "media/codecs/registry.hpp"
#include "media/codecs/tone.hpp"
#include "media/mixer/mixer_encoder.hpp"
#include "media/mixer/mixer_input.hpp"

namespace parley::media {

namespace {

constexpr int kNarrowRate = 8000;
constexpr int kWideRate = 16000;
constexpr std::size_t kMaxTickSamples = kWideRate * ConferenceMixer::kTickMs / 1000;
constexpr int kSlotBits = 32;
constexpr std::int64_t kHeldSpeakerBonus = 2;  // 3 dB: a talker is not cut by a near tie

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

bool is_wideband(const CodecSpec& codec) {
  const std::string name = lowercase(codec.encoding);
  return name == "g722" || name == "opus";
}

// Participants whose codecs share this key can share an encoder stream.
std::string group_key(const CodecSpec& codec) {
  return lowercase(codec.encoding) + "/" + std::to_string(codec.clock_rate) + ";" + codec.fmtp;
}

std::int16_t clip(std::int32_t value) {
  return static_cast<std::int16_t>(std::clamp(value, std::int32_t{-32768}, std::int32_t{32767}));
}

// A two-note beep added to the room's sum, a tick at a time.
class TonePlayer {
 public:
  void start(const ConferenceTone& tone, double level_dbm0, int rate) {
    tone_ = tone;
    level_dbm0_ = level_dbm0;
    rate_ = rate;
    segment_ = 0;
    begin_segment();
  }
  void stop() { generator_.reset(); }

  void add_to(std::span<std::int32_t> sum) {
    std::size_t done = 0;
    while (generator_ && done < sum.size()) {
      const std::size_t count = std::min(sum.size() - done, remaining_);
      const std::span<std::int16_t> chunk(buffer_.data(), count);
      generator_->generate(chunk);
      for (std::size_t i = 0; i < count; ++i) sum[done + i] += chunk[i];
      done += count;
      remaining_ -= count;
      if (remaining_ == 0) {
        ++segment_;
        begin_segment();
      }
    }
  }

 private:
  void begin_segment() {
    if (segment_ >= 2 || tone_.segment_ms <= 0) {
      generator_.reset();
      return;
    }
    generator_.emplace(segment_ == 0 ? tone_.first_hz : tone_.second_hz, level_dbm0_, rate_);
    remaining_ =
        static_cast<std::size_t>(rate_) * static_cast<std::size_t>(tone_.segment_ms) / 1000;
  }

  ConferenceTone tone_;
  double level_dbm0_ = 0.0;
  int rate_ = kNarrowRate;
  int segment_ = 0;
  std::size_t remaining_ = 0;
  std::optional<ToneGenerator> generator_;
  std::array<std::int16_t, kMaxTickSamples> buffer_{};
};

// The participants of one codec: the encoder stream of those who hear the whole mix.
struct Group {
  std::string key;
  CodecSpec codec;
  std::unique_ptr<MixerEncoder> encoder;
  int members = 0;
  bool needed = false;  // this tick, someone in the group hears the whole mix
  std::span<const std::uint8_t> payload;
};

struct Participant {
  ParticipantId id = 0;
  CodecSpec codec;
  Group* group = nullptr;
  std::unique_ptr<MixerInput> input;
  std::unique_ptr<MixerEncoder> own;  // the stream of the mix without itself, while it speaks
  std::array<std::int16_t, kMaxTickSamples> frame{};
  std::int64_t energy = 0;
  bool has_frame = false;
  bool muted = false;
  bool speaking = false;
  bool was_speaking = false;
  bool marker = true;  // the first packet of a stream, or the first after a rebuild
};

}  // namespace

class ConferenceMixer::Room {
 public:
  Room(const ConferenceOptions& options, Listener& listener)
      : options_(options),
        listener_(listener),
        slots_(options.max_participants),
        generations_(options.max_participants, 0) {
    active_.reserve(options.max_participants);
    speakers_.reserve(static_cast<std::size_t>(std::max(options.max_speakers, 0)) + 1);
    set_rate(kWideRate);
  }

  Result<ParticipantId> join(const CodecSpec& codec) {
    if (!codec_supported(codec.encoding, codec.clock_rate)) {
      return make_error(0, "conference: unsupported codec " + codec.encoding + "/" +
                               std::to_string(codec.clock_rate));
    }
    const auto free_slot = std::find(slots_.begin(), slots_.end(), nullptr);
    if (free_slot == slots_.end()) return make_error(0, "conference: room full");
    const bool wide = is_wideband(codec) &&
                      std::all_of(active_.begin(), active_.end(),
                                  [](const Participant* p) { return is_wideband(p->codec); });
    const int rate = wide ? kWideRate : kNarrowRate;
    if (rate != rate_) {
      if (auto rebuilt = rebuild(rate); !rebuilt) return rebuilt.error();
    }
    auto participant = std::make_unique<Participant>();
    participant->codec = codec;
    if (auto made = make_streams(*participant, rate_); !made) return made.error();
    auto group = find_or_make_group(codec);
    if (!group) return group.error();
    participant->group = group.value();
    ++participant->group->members;
    const auto slot = static_cast<std::size_t>(free_slot - slots_.begin());
    participant->id = (static_cast<ParticipantId>(generations_[slot]) << kSlotBits) | slot;
    const ParticipantId id = participant->id;
    active_.push_back(participant.get());
    *free_slot = std::move(participant);
    if (options_.tones) tone_.start(options_.join_tone, options_.tone_level_dbm0, rate_);
    return id;
  }

  void leave(ParticipantId id) {
    Participant* participant = find(id);
    if (participant == nullptr) return;
    retire_counters(*participant->input);
    Group* group = participant->group;
    if (--group->members == 0) {
      std::erase_if(groups_, [group](const auto& g) { return g.get() == group; });
    }
    std::erase(active_, participant);
    const auto slot = static_cast<std::size_t>(id & ((ParticipantId{1} << kSlotBits) - 1));
    slots_[slot].reset();
    ++generations_[slot];
    // The last narrowband participant gone: the room turns wideband. If that cannot be built
    // (it could before), the room stays narrowband, which everyone can still hear.
    const bool wide = std::all_of(active_.begin(), active_.end(),
                                  [](const Participant* p) { return is_wideband(p->codec); });
    if (wide && rate_ != kWideRate && !active_.empty()) (void)rebuild(kWideRate);
    if (options_.tones && !active_.empty()) {
      tone_.start(options_.leave_tone, options_.tone_level_dbm0, rate_);
    }
  }

  void set_muted(ParticipantId id, bool muted) {
    if (Participant* participant = find(id)) participant->muted = muted;
  }

  void push(ParticipantId id, std::uint16_t sequence, std::uint32_t timestamp,
            std::span<const std::uint8_t> payload) {
    if (Participant* participant = find(id)) {
      participant->input->push(sequence, timestamp, payload);
    } else {
      ++retired_.packets_dropped;
    }
  }

  void tick() {
    ++ticks_;
    const std::span<std::int32_t> sum(total_.data(), tick_samples_);
    std::fill(sum.begin(), sum.end(), 0);
    for (Participant* p : active_) take_frame(*p);
    choose_speakers();
    for (Participant* p : speakers_) {
      p->speaking = true;
      for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += p->frame[i];
    }
    tone_.add_to(sum);

    for (const auto& group : groups_) group->needed = false;
    for (Participant* p : active_) {
      if (!p->speaking) p->group->needed = true;
    }
    const std::span<std::int16_t> whole(whole_.data(), tick_samples_);
    for (std::size_t i = 0; i < sum.size(); ++i) whole[i] = clip(sum[i]);
    for (const auto& group : groups_) {
      if (!group->needed) continue;
      group->payload = group->encoder->encode(whole);
      ++encodes_;
    }

    const std::span<std::int16_t> others(others_.data(), tick_samples_);
    for (Participant* p : active_) {
      EncodedFrame frame;
      frame.samples = p->group->encoder->tick_samples();
      if (p->speaking) {
        for (std::size_t i = 0; i < sum.size(); ++i) others[i] = clip(sum[i] - p->frame[i]);
        frame.payload = p->own->encode(others);
        ++encodes_;
      } else {
        frame.payload = p->group->payload;
      }
      p->was_speaking = p->speaking;
      if (frame.payload.empty()) continue;  // a codec error: this participant misses a packet
      frame.marker = p->marker;
      p->marker = false;
      listener_.on_mixed(p->id, frame);
    }
  }

  int sample_rate() const { return rate_; }
  std::size_t participant_count() const { return active_.size(); }
  bool contains(ParticipantId id) const { return find(id) != nullptr; }

  Stats stats() const {
    Stats stats = retired_;
    stats.ticks = ticks_;
    stats.encodes = encodes_;
    stats.frames_missing = missing_;
    for (const Participant* p : active_) {
      stats.frames_decoded += p->input->frames_decoded();
      stats.frames_concealed += p->input->frames_concealed();
      stats.packets_dropped += p->input->packets_dropped();
      stats.queue_trims += p->input->queue_trims();
    }
    return stats;
  }

 private:
  Participant* find(ParticipantId id) const {
    const auto slot = static_cast<std::size_t>(id & ((ParticipantId{1} << kSlotBits) - 1));
    if (slot >= slots_.size() || !slots_[slot] || slots_[slot]->id != id) return nullptr;
    return slots_[slot].get();
  }

  void set_rate(int rate) {
    rate_ = rate;
    tick_samples_ = static_cast<std::size_t>(rate) * kTickMs / 1000;
    // Gives the speech floor as the energy of a frame of a sine at that level.
    const double peak = dbm0_to_peak(options_.speech_floor_dbm0);
    floor_energy_ =
        static_cast<std::int64_t>(peak * peak / 2.0 * static_cast<double>(tick_samples_));
  }

  Result<void> make_streams(Participant& participant, int rate) const {
    auto input = MixerInput::create(
        participant.codec,
        MixerInputOptions{rate, options_.jitter_frames, options_.max_queue_frames});
    if (!input) return input.error();
    auto own = MixerEncoder::create(participant.codec, rate);
    if (!own) return own.error();
    participant.input = std::move(input).value();
    participant.own = std::move(own).value();
    participant.marker = true;
    return {};
  }

  Result<Group*> find_or_make_group(const CodecSpec& codec) {
    const std::string key = group_key(codec);
    for (const auto& group : groups_) {
      if (group->key == key) return group.get();
    }
    auto encoder = MixerEncoder::create(codec, rate_);
    if (!encoder) return encoder.error();
    auto group = std::make_unique<Group>();
    group->key = key;
    group->codec = codec;
    group->encoder = std::move(encoder).value();
    groups_.push_back(std::move(group));
    return groups_.back().get();
  }

  // Every codec path at a new room rate; all or nothing.
  Result<void> rebuild(int rate) {
    std::vector<Participant> fresh(active_.size());
    for (std::size_t i = 0; i < active_.size(); ++i) {
      fresh[i].codec = active_[i]->codec;
      if (auto made = make_streams(fresh[i], rate); !made) return made.error();
    }
    std::vector<std::unique_ptr<MixerEncoder>> encoders;
    for (const auto& group : groups_) {
      auto encoder = MixerEncoder::create(group->codec, rate);
      if (!encoder) return encoder.error();
      encoders.push_back(std::move(encoder).value());
    }
    for (std::size_t i = 0; i < active_.size(); ++i) {
      retire_counters(*active_[i]->input);
      active_[i]->input = std::move(fresh[i].input);
      active_[i]->own = std::move(fresh[i].own);
      active_[i]->marker = true;
    }
    for (std::size_t i = 0; i < groups_.size(); ++i) groups_[i]->encoder = std::move(encoders[i]);
    tone_.stop();
    set_rate(rate);
    return {};
  }

  void retire_counters(const MixerInput& input) {
    retired_.frames_decoded += input.frames_decoded();
    retired_.frames_concealed += input.frames_concealed();
    retired_.packets_dropped += input.packets_dropped();
    retired_.queue_trims += input.queue_trims();
  }

  void take_frame(Participant& p) {
    p.speaking = false;
    const std::span<std::int16_t> frame(p.frame.data(), tick_samples_);
    p.has_frame = p.input->take(frame);
    p.energy = 0;
    if (!p.has_frame) {
      ++missing_;
      return;
    }
    for (const std::int16_t sample : frame) p.energy += std::int64_t{sample} * sample;
  }

  // The loudest unmuted participants above the floor, at most max_speakers (0: all of them).
  void choose_speakers() {
    speakers_.clear();
    const auto limit = static_cast<std::size_t>(std::max(options_.max_speakers, 0));
    const auto score = [](const Participant* p) {
      return p->was_speaking ? p->energy * kHeldSpeakerBonus : p->energy;
    };
    for (Participant* p : active_) {
      if (p->muted || !p->has_frame || p->energy < floor_energy_) continue;
      if (limit == 0) {
        speakers_.push_back(p);
        continue;
      }
      // Sorted insertion into at most `limit` + 1 entries (capacity reserved at creation).
      auto at = std::find_if(speakers_.begin(), speakers_.end(),
                             [&](const Participant* q) { return score(p) > score(q); });
      if (at == speakers_.end() && speakers_.size() >= limit) continue;
      speakers_.insert(at, p);
      if (speakers_.size() > limit) speakers_.pop_back();
    }
  }

  ConferenceOptions options_;
  Listener& listener_;
  std::vector<std::unique_ptr<Participant>> slots_;
  std::vector<std::uint32_t> generations_;
  std::vector<Participant*> active_;
  std::vector<Participant*> speakers_;
  std::vector<std::unique_ptr<Group>> groups_;
  TonePlayer tone_;
  int rate_ = kWideRate;
  std::size_t tick_samples_ = 0;
  std::int64_t floor_energy_ = 0;
  std::array<std::int32_t, kMaxTickSamples> total_{};
  std::array<std::int16_t, kMaxTickSamples> whole_{};
  std::array<std::int16_t, kMaxTickSamples> others_{};
  std::uint64_t ticks_ = 0;
  std::uint64_t encodes_ = 0;
  std::uint64_t missing_ = 0;
  Stats retired_;  // counters of inputs already destroyed
};

Result<std::unique_ptr<ConferenceMixer>> ConferenceMixer::create(const ConferenceOptions& options,
                                                                 Listener& listener) {
  if (options.max_participants == 0 || options.max_participants > (std::size_t{1} << 20)) {
    return make_error(0, "conference: max_participants out of range");
  }
  if (options.max_speakers < 0 || options.jitter_frames < 0 || options.jitter_frames > 16 ||
      options.max_queue_frames < 1 || options.max_queue_frames > 50) {
    return make_error(0, "conference: option out of range");
  }
  return std::make_unique<ConferenceMixer>(Passkey{}, std::make_unique<Room>(options, listener));
}

ConferenceMixer::ConferenceMixer(Passkey /*key*/, std::unique_ptr<Room> room)
    : room_(std::move(room)) {}
ConferenceMixer::~ConferenceMixer() = default;

Result<ParticipantId> ConferenceMixer::join(const CodecSpec& codec) {
  return room_->join(codec);
}
void ConferenceMixer::leave(ParticipantId id) {
  room_->leave(id);
}
void ConferenceMixer::set_muted(ParticipantId id, bool muted) {
  room_->set_muted(id, muted);
}
void ConferenceMixer::push(ParticipantId id, std::uint16_t sequence, std::uint32_t timestamp,
                           std::span<const std::uint8_t> payload) {
  room_->push(id, sequence, timestamp, payload);
}
void ConferenceMixer::tick() {
  room_->tick();
}
int ConferenceMixer::sample_rate() const {
  return room_->sample_rate();
}
std::size_t ConferenceMixer::participant_count() const {
  return room_->participant_count();
}
bool ConferenceMixer::contains(ParticipantId id) const {
  return room_->contains(id);
}
ConferenceMixer::Stats ConferenceMixer::stats() const {
  return room_->stats();
}

}  // namespace parley::media
