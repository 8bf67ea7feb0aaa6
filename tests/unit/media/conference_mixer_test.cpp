// ConferenceMixer with real codecs: every participant sends a tone of its own in its codec, the
// mixer's output for each participant is decoded with that codec and measured with Goertzel.

#include "media/mixer/conference_mixer.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "media/codecs/codec.hpp"
#include "media/codecs/registry.hpp"
#include "media/codecs/tone.hpp"

namespace parley::media {
namespace {

const CodecSpec kPcmu{"PCMU", 8000, 1, ""};
const CodecSpec kPcma{"PCMA", 8000, 1, ""};
const CodecSpec kG722{"G722", 8000, 1, ""};
const CodecSpec kOpus{"opus", 48000, 2, ""};

constexpr double kTalkDbm0 = -10.0;
constexpr double kHeardDbm0 = -16.0;   // a tone at -10 dBm0, after two codec passes
constexpr double kAbsentDbm0 = -40.0;  // what is left of one's own tone (coding noise)

std::unique_ptr<AudioCodec> make_codec(const CodecSpec& spec, CodecUse use) {
  auto codec =
      create_codec(CodecParams{spec.encoding, spec.clock_rate, spec.channels, spec.fmtp, use});
  EXPECT_TRUE(codec.ok()) << spec.encoding;
  return std::move(codec).value();
}

// A phone in the room: sends a tone (or silence) in its codec, decodes what it receives.
struct Phone {
  Phone(ConferenceMixer& mixer, const CodecSpec& spec, double tone_hz)
      : codec(spec),
        encoder(make_codec(spec, CodecUse::kEncode)),
        decoder(make_codec(spec, CodecUse::kDecode)),
        tone(tone_hz, kTalkDbm0, encoder->sample_rate()),
        frame(static_cast<std::size_t>(encoder->sample_rate() / 50)),
        sending(tone_hz > 0.0) {
    auto joined = mixer.join(spec);
    EXPECT_TRUE(joined.ok());
    if (joined) id = joined.value();
  }

  // The next 20 ms packet (a tone or silence).
  std::vector<std::uint8_t> next_packet() {
    if (sending) {
      tone.generate(frame);
    } else {
      std::fill(frame.begin(), frame.end(), std::int16_t{0});
    }
    std::vector<std::uint8_t> out(1500);
    auto bytes = encoder->encode(frame, out);
    EXPECT_TRUE(bytes.ok());
    out.resize(bytes.value());
    return out;
  }

  void send(ConferenceMixer& mixer) {
    const auto payload = next_packet();
    mixer.push(id, sequence, timestamp, payload);
    ++sequence;
    timestamp += static_cast<std::uint32_t>(encoder->clock_rate() / 50);
  }

  void receive(const EncodedFrame& frame_in) {
    ++packets;
    std::vector<std::int16_t> pcm(5760);
    auto samples = decoder->decode(frame_in.payload, pcm);
    ASSERT_TRUE(samples.ok());
    heard.insert(heard.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(*samples));
    EXPECT_EQ(frame_in.samples, static_cast<std::uint32_t>(decoder->clock_rate() / 50));
    if (frame_in.marker) ++markers;
  }

  // Level of `hz` in what was heard `from_ms_ago`…`to_ms_ago` before the end.
  double level(double hz, int from_ms_ago = 200, int to_ms_ago = 0) const {
    const int rate = decoder->sample_rate();
    const auto from = static_cast<std::size_t>(rate / 1000 * from_ms_ago);
    const auto to = static_cast<std::size_t>(rate / 1000 * to_ms_ago);
    if (heard.size() < from) return -200.0;
    const std::span<const std::int16_t> window(heard.data() + heard.size() - from, from - to);
    return tone_level_dbm0(window, hz, rate);
  }

  CodecSpec codec;
  std::unique_ptr<AudioCodec> encoder;
  std::unique_ptr<AudioCodec> decoder;
  ToneGenerator tone;
  std::vector<std::int16_t> frame;
  bool sending;
  ParticipantId id = 0;
  std::uint16_t sequence = 100;
  std::uint32_t timestamp = 5000;
  std::vector<std::int16_t> heard;
  int packets = 0;
  int markers = 0;
};

class Room : public ConferenceMixer::Listener {
 public:
  explicit Room(ConferenceOptions options = quiet()) {
    auto made = ConferenceMixer::create(options, *this);
    EXPECT_TRUE(made.ok());
    mixer = std::move(made).value();
  }
  static ConferenceOptions quiet() {
    ConferenceOptions options;
    options.tones = false;
    return options;
  }

  Phone& add(const CodecSpec& spec, double tone_hz) {
    phones.push_back(std::make_unique<Phone>(*mixer, spec, tone_hz));
    return *phones.back();
  }

  void on_mixed(ParticipantId id, const EncodedFrame& frame) override {
    for (auto& phone : phones) {
      if (phone->id == id) {
        phone->receive(frame);
        return;
      }
    }
    ADD_FAILURE() << "output for an unknown participant " << id;
  }

  // `count` ticks, every phone sending one packet before each.
  void run(int count) {
    for (int i = 0; i < count; ++i) {
      for (auto& phone : phones) {
        if (mixer->contains(phone->id)) phone->send(*mixer);
      }
      mixer->tick();
    }
  }

  std::unique_ptr<ConferenceMixer> mixer;
  std::vector<std::unique_ptr<Phone>> phones;
};

struct Trio {
  const char* name;
  CodecSpec a, b, c;
  int room_rate;
};

void PrintTo(const Trio& trio, std::ostream* out) {
  *out << trio.name;
}

class ConferenceMixerTrio : public ::testing::TestWithParam<Trio> {};

TEST_P(ConferenceMixerTrio, EachHearsTheOthersAndNotThemselves) {
  const Trio& trio = GetParam();
  Room room;
  Phone& a = room.add(trio.a, 500);
  Phone& b = room.add(trio.b, 900);
  Phone& c = room.add(trio.c, 1300);
  EXPECT_EQ(room.mixer->sample_rate(), trio.room_rate);
  room.run(50);
  for (const Phone* phone : {&a, &b, &c}) {
    EXPECT_GE(phone->packets, 49) << phone->codec.encoding;
    EXPECT_EQ(phone->markers, 1) << phone->codec.encoding;
  }
  EXPECT_LT(a.level(500), kAbsentDbm0);
  EXPECT_GT(a.level(900), kHeardDbm0);
  EXPECT_GT(a.level(1300), kHeardDbm0);
  EXPECT_GT(b.level(500), kHeardDbm0);
  EXPECT_LT(b.level(900), kAbsentDbm0);
  EXPECT_GT(b.level(1300), kHeardDbm0);
  EXPECT_GT(c.level(500), kHeardDbm0);
  EXPECT_GT(c.level(900), kHeardDbm0);
  EXPECT_LT(c.level(1300), kAbsentDbm0);
  const auto stats = room.mixer->stats();
  EXPECT_EQ(stats.ticks, 50U);
  EXPECT_EQ(stats.frames_concealed, 0U);
  EXPECT_EQ(stats.packets_dropped, 0U);
  EXPECT_EQ(stats.queue_trims, 0U);
}

INSTANTIATE_TEST_SUITE_P(Codecs, ConferenceMixerTrio,
                         ::testing::Values(Trio{"G711", kPcmu, kPcma, kPcmu, 8000},
                                           Trio{"G722", kG722, kG722, kG722, 16000},
                                           Trio{"Opus", kOpus, kOpus, kOpus, 16000},
                                           Trio{"WidebandMix", kG722, kOpus, kG722, 16000},
                                           Trio{"NarrowbandMix", kG722, kOpus, kPcmu, 8000}),
                         [](const ::testing::TestParamInfo<Trio>& info) {
                           return std::string(info.param.name);
                         });

TEST(ConferenceMixer, RoomTurnsNarrowbandWithG711AndBackWhenItLeaves) {
  Room room;
  Phone& a = room.add(kG722, 500);
  room.add(kOpus, 900);
  EXPECT_EQ(room.mixer->sample_rate(), 16000);
  room.run(20);
  Phone& g711 = room.add(kPcmu, 1300);
  EXPECT_EQ(room.mixer->sample_rate(), 8000);
  room.run(30);
  EXPECT_GT(a.level(1300), kHeardDbm0);
  EXPECT_GT(g711.level(900), kHeardDbm0);
  EXPECT_GT(a.level(900), kHeardDbm0);
  room.mixer->leave(g711.id);
  EXPECT_EQ(room.mixer->sample_rate(), 16000);
  room.run(30);
  EXPECT_GT(a.level(900), kHeardDbm0);
  EXPECT_LT(a.level(1300), kAbsentDbm0);
  // A 7 kHz tone survives only a wideband path end to end.
  Phone& high = room.add(kG722, 7000);
  room.run(30);
  EXPECT_GT(a.level(7000), kHeardDbm0);
  (void)high;
}

TEST(ConferenceMixer, MutedParticipantHearsButIsNotHeard) {
  Room room;
  Phone& a = room.add(kPcmu, 500);
  Phone& b = room.add(kPcmu, 900);
  Phone& c = room.add(kOpus, 1300);
  room.mixer->set_muted(c.id, true);
  room.run(40);
  EXPECT_LT(a.level(1300), kAbsentDbm0);
  EXPECT_LT(b.level(1300), kAbsentDbm0);
  EXPECT_GT(c.level(500), kHeardDbm0);
  EXPECT_GT(c.level(900), kHeardDbm0);
  room.mixer->set_muted(c.id, false);
  room.run(20);
  EXPECT_GT(a.level(1300), kHeardDbm0);
  EXPECT_LT(c.level(1300), kAbsentDbm0);
}

TEST(ConferenceMixer, JoinAndLeaveTonesReachEveryone) {
  ConferenceOptions options;  // tones on: 700 Hz then 1100 Hz on join, the reverse on leave
  Room room(options);
  Phone& a = room.add(kPcmu, 0);
  Phone& b = room.add(kG722, 0);
  room.run(30);  // the join tones are over
  EXPECT_LT(a.level(700), kAbsentDbm0);
  Phone& c = room.add(kOpus, 0);
  room.run(10);  // 200 ms: both notes of the join tone, 100 ms each
  for (const Phone* phone : {&a, &b, &c}) {
    EXPECT_GT(phone->level(700, 200, 100), -25.0) << phone->codec.encoding;
    EXPECT_GT(phone->level(1100, 100, 0), -25.0) << phone->codec.encoding;
    EXPECT_LT(phone->level(1100, 200, 100), -35.0) << phone->codec.encoding;
  }
  room.run(10);
  EXPECT_LT(a.level(700), kAbsentDbm0);
  room.mixer->leave(c.id);
  room.run(10);
  for (const Phone* phone : {&a, &b}) {
    EXPECT_GT(phone->level(1100, 200, 100), -25.0) << phone->codec.encoding;
    EXPECT_GT(phone->level(700, 100, 0), -25.0) << phone->codec.encoding;
  }
}

TEST(ConferenceMixer, ListenersShareOneEncodePerCodec) {
  Room room;
  room.add(kPcmu, 500);  // the only talker
  for (int i = 0; i < 9; ++i) room.add(kPcmu, 0);
  for (int i = 0; i < 5; ++i) room.add(kOpus, 0);
  room.run(20);
  const auto before = room.mixer->stats().encodes;
  room.run(10);
  // Per tick: the talker's own mix, the PCMU listeners' mix and the Opus listeners' mix.
  EXPECT_EQ(room.mixer->stats().encodes - before, 30U);
  for (std::size_t i = 1; i < room.phones.size(); ++i) {
    EXPECT_GT(room.phones[i]->level(500), kHeardDbm0) << i;
  }
}

TEST(ConferenceMixer, OnlyTheLoudestSpeakersAreMixed) {
  ConferenceOptions options = Room::quiet();
  options.max_speakers = 2;
  Room room(options);
  Phone& loud1 = room.add(kPcmu, 500);
  Phone& loud2 = room.add(kPcmu, 900);
  Phone& soft = room.add(kPcmu, 1300);
  soft.tone = ToneGenerator(1300, -30.0, 8000);
  Phone& listener = room.add(kPcmu, 0);
  room.run(30);
  EXPECT_GT(listener.level(500), kHeardDbm0);
  EXPECT_GT(listener.level(900), kHeardDbm0);
  EXPECT_LT(listener.level(1300), -45.0);  // left out: it would be -30 dBm0
  // Everyone but themselves still holds for the chosen speakers.
  EXPECT_LT(loud1.level(500), kAbsentDbm0);
  EXPECT_GT(loud1.level(900), kHeardDbm0);
  EXPECT_LT(loud2.level(900), kAbsentDbm0);
  EXPECT_GT(soft.level(500), kHeardDbm0);
  EXPECT_GT(soft.level(900), kHeardDbm0);
}

TEST(ConferenceMixer, LoudSumsClipInsteadOfWrapping) {
  Room room;
  Phone& a = room.add(kPcmu, 1000);
  Phone& b = room.add(kPcmu, 1000);
  Phone& listener = room.add(kPcmu, 0);
  a.tone = ToneGenerator(1000, 3.0, 8000);  // near full scale: the sum would overflow 16 bits
  b.tone = ToneGenerator(1000, 3.0, 8000);
  room.run(20);
  const auto tail = std::span(listener.heard).last(160);
  const auto [low, high] = std::minmax_element(tail.begin(), tail.end());
  EXPECT_GT(*high, 30000);
  EXPECT_LT(*low, -30000);
  EXPECT_GT(listener.level(1000, 20), 0.0);  // a clipped sine, not a wrapped one
}

TEST(ConferenceMixer, LossReorderingGarbageAndSilenceNeitherCrashNorStall) {
  Room room;
  Phone& a = room.add(kOpus, 500);
  Phone& b = room.add(kG722, 900);
  Phone& c = room.add(kPcmu, 1300);
  room.run(10);
  for (int i = 0; i < 40; ++i) {
    const auto pa = a.next_packet();
    const auto pb = b.next_packet();
    if (i % 7 != 3) room.mixer->push(a.id, a.sequence, a.timestamp, pa);  // every 7th lost
    if (i % 5 == 0) {
      room.mixer->push(b.id, b.sequence, b.timestamp, pb);
      room.mixer->push(b.id, b.sequence, b.timestamp, pb);  // a duplicate
    }
    // c goes silent (no packets at all) for the whole run.
    ++a.sequence;
    a.timestamp += 960;
    ++b.sequence;
    b.timestamp += 160;
    const std::vector<std::uint8_t> garbage(1400, static_cast<std::uint8_t>(0xFF - i));
    const auto late = static_cast<std::uint16_t>(a.sequence - 3);
    room.mixer->push(a.id, late, 0, garbage);
    room.mixer->push(a.id, late, 0, {});
    room.mixer->push(a.id, a.sequence, 0, std::vector<std::uint8_t>(4000, 1));  // too large
    if (i == 20) {
      // Undecodable packets in sequence, after a jump (a restarted sender).
      a.sequence = static_cast<std::uint16_t>(a.sequence + 5000);
      room.mixer->push(c.id, 7, 0, garbage);
      room.mixer->push(a.id, a.sequence++, a.timestamp, garbage);
      room.mixer->push(a.id, a.sequence++, a.timestamp, {});
    }
    room.mixer->push(12345678, 1, 1, pa);  // nobody
    room.mixer->tick();
  }
  const auto stats = room.mixer->stats();
  EXPECT_GT(stats.frames_concealed, 0U);
  EXPECT_GT(stats.frames_missing, 40U);  // c's silence and b's gaps
  EXPECT_GT(stats.packets_dropped, 0U);
  for (const Phone* phone : {&a, &b, &c}) EXPECT_EQ(phone->packets, 50) << phone->codec.encoding;
  room.run(20);  // back to normal
  EXPECT_GT(c.level(500), kHeardDbm0);
}

TEST(ConferenceMixer, FastSenderClockDoesNotBuildDelay) {
  ConferenceOptions options = Room::quiet();
  options.max_queue_frames = 50;  // so only the standing-queue rule can drop audio
  Room room(options);
  Phone& fast = room.add(kPcmu, 500);
  Phone& listener = room.add(kPcmu, 0);
  // 2 % fast: an extra packet every 50 ticks, for 10 s.
  for (int t = 0; t < 500; ++t) {
    fast.send(*room.mixer);
    if (t % 50 == 49) fast.send(*room.mixer);
    listener.send(*room.mixer);
    room.mixer->tick();
  }
  const auto stats = room.mixer->stats();
  EXPECT_GE(stats.queue_trims, 4U);  // the surplus is 10 frames; one is kept in the queue
  EXPECT_EQ(stats.frames_decoded, 1010U);
  EXPECT_GT(listener.level(500), kHeardDbm0);
}

TEST(ConferenceMixer, MembershipAndErrors) {
  ConferenceOptions options = Room::quiet();
  options.max_participants = 2;
  Room room(options);
  Phone& a = room.add(kPcmu, 500);
  Phone& b = room.add(kPcmu, 900);
  EXPECT_FALSE(room.mixer->join(kPcmu).ok());  // full
  EXPECT_EQ(room.mixer->participant_count(), 2U);
  room.run(10);
  room.mixer->leave(b.id);  // a moderator's removal is a leave
  room.mixer->leave(b.id);  // twice: ignored
  EXPECT_FALSE(room.mixer->contains(b.id));
  const int before = b.packets;
  room.run(10);
  EXPECT_EQ(b.packets, before);
  EXPECT_EQ(a.packets, 20);
  auto again = room.mixer->join(kPcmu);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again.value(), b.id);  // the slot is reused, the id is not
  EXPECT_FALSE(room.mixer->join(CodecSpec{"GSM", 8000, 1, ""}).ok());
  ConferenceOptions bad;
  bad.max_participants = 0;
  Room::Listener* listener = &room;
  EXPECT_FALSE(ConferenceMixer::create(bad, *listener).ok());
}

}  // namespace
}  // namespace parley::media
