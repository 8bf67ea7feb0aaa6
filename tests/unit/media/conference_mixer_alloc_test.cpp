// Steady-state allocation check for the conference mixer: after join() and a warm-up, push()
// and tick() must not reach operator new, with talkers, listeners, a muted participant, a lost
// packet, a participant gone silent, a join tone playing and a speaker change in the window.
// This binary replaces the global operator new/delete to count calls (as
// transcoder_alloc_test.cpp does); libopus and speexdsp allocate only at creation.

#include <gtest/gtest.h>

#include <vector>

#include "media/codecs/registry.hpp"
#include "media/codecs/tone.hpp"
#include "media/mixer/conference_mixer.hpp"
#include "support/allocation_counter.hpp"

namespace parley::media {
namespace {

struct Stream {
  ParticipantId id = 0;
  std::vector<std::vector<std::uint8_t>> packets;  // encoded before the measured window
  std::uint32_t advance = 0;
};

// `count` 20 ms packets of `spec`: a tone that stops halfway (so speakers change), or silence.
Stream encode_stream(const CodecSpec& spec, double hz, int count) {
  auto codec = create_codec(
      CodecParams{spec.encoding, spec.clock_rate, spec.channels, spec.fmtp, CodecUse::kEncode});
  EXPECT_TRUE(codec.ok());
  Stream stream;
  const int rate = codec.value()->sample_rate();
  stream.advance = static_cast<std::uint32_t>(codec.value()->clock_rate() / 50);
  ToneGenerator tone(hz, -12.0, rate);
  std::vector<std::int16_t> pcm(static_cast<std::size_t>(rate / 50));
  std::vector<std::uint8_t> out(1500);
  for (int i = 0; i < count; ++i) {
    std::fill(pcm.begin(), pcm.end(), std::int16_t{0});
    if (hz > 0 && i < count / 2) tone.generate(pcm);
    auto bytes = codec.value()->encode(pcm, out);
    EXPECT_TRUE(bytes.ok());
    stream.packets.emplace_back(out.begin(),
                                out.begin() + static_cast<std::ptrdiff_t>(bytes.value()));
  }
  return stream;
}

class Counter : public ConferenceMixer::Listener {
 public:
  void on_mixed(ParticipantId /*id*/, const EncodedFrame& frame) override {
    ++frames;
    bytes += frame.payload.size();
  }
  long frames = 0;
  std::size_t bytes = 0;
};

void run_room(const std::vector<CodecSpec>& codecs, int expected_rate) {
  constexpr int kTicks = 120;
  Counter counter;
  ConferenceOptions options;
  options.max_speakers = 2;
  auto made = ConferenceMixer::create(options, counter);
  ASSERT_TRUE(made.ok());
  ConferenceMixer& mixer = *made.value();
  std::vector<Stream> streams;
  const std::vector<double> tones{500, 900, 1300, 0, 0, 1700};
  for (std::size_t i = 0; i < codecs.size(); ++i) {
    streams.push_back(encode_stream(codecs[i], tones[i % tones.size()], kTicks));
    auto id = mixer.join(codecs[i]);
    ASSERT_TRUE(id.ok());
    streams.back().id = id.value();
  }
  ASSERT_EQ(mixer.sample_rate(), expected_rate);
  mixer.set_muted(streams[2].id, true);
  for (int t = 0; t < kTicks; ++t) {
    const long before = parley::test::allocation_count();
    for (std::size_t i = 0; i < streams.size(); ++i) {
      const bool lost = i == 0 && t == 60;
      const bool silent = i == 1 && t >= 70 && t < 80;  // nothing arrives: silence mixed
      if (lost || silent) continue;
      mixer.push(streams[i].id, static_cast<std::uint16_t>(t),
                 static_cast<std::uint32_t>(t) * streams[i].advance,
                 streams[i].packets[static_cast<std::size_t>(t)]);
    }
    mixer.tick();
    if (t >= 5) EXPECT_EQ(parley::test::allocation_count(), before) << "tick " << t;
  }
  const auto stats = mixer.stats();
  EXPECT_GT(stats.frames_concealed, 0U);
  EXPECT_GT(stats.frames_missing, 0U);
  EXPECT_GE(counter.frames, static_cast<long>(codecs.size()) * (kTicks - 1));
}

const CodecSpec kPcmu{"PCMU", 8000, 1, ""};
const CodecSpec kPcma{"PCMA", 8000, 1, ""};
const CodecSpec kG722{"G722", 8000, 1, ""};
const CodecSpec kOpus{"opus", 48000, 2, ""};

TEST(ConferenceMixerAllocation, NarrowbandRoomAllocatesNothingPerTick) {
  run_room({kPcmu, kG722, kOpus, kPcma, kPcmu, kOpus}, 8000);
}

TEST(ConferenceMixerAllocation, WidebandRoomAllocatesNothingPerTick) {
  run_room({kOpus, kG722, kOpus, kG722, kOpus, kOpus}, 16000);
}

// The counter itself works (otherwise the tests above could not fail).
TEST(ConferenceMixerAllocation, CounterSeesAllocations) {
  const long before = parley::test::allocation_count();
  auto v = std::make_unique<std::vector<int>>(100);
  EXPECT_GT(parley::test::allocation_count(), before);
}

}  // namespace
}  // namespace parley::media
