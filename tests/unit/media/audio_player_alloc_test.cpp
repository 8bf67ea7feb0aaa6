// Steady-state allocation check for playback: after creation, AudioPlayer::next_frame() and
// MusicOnHold::next() must not reach operator new. This binary replaces the global operator
// new/delete to count calls (as transcoder_alloc_test does); speexdsp and libopus are C and
// allocate only at creation.

#include <gtest/gtest.h>

#include <vector>

#include "media/audio_player.hpp"
#include "media/music_on_hold.hpp"
#include "support/allocation_counter.hpp"

namespace parley::media {
namespace {

TEST(AudioPlayerAllocation, FramesAllocateNothingAcrossLoops) {
  const auto clip = built_in_hold_music();
  for (const int rate : {8000, 16000, 48000}) {
    auto player = AudioPlayer::create(clip, rate);
    ASSERT_TRUE(player.ok());
    const long before = parley::test::allocation_count();
    for (int i = 0; i < 1700; ++i) (void)player->next_frame();  // 34 s: past the loop point twice
    EXPECT_EQ(parley::test::allocation_count(), before) << rate;
    EXPECT_EQ(player->loops(), 2U) << rate;
  }
}

TEST(AudioPlayerAllocation, MusicOnHoldFramesAllocateNothing) {
  for (const CodecSpec& codec : {CodecSpec{"PCMU", 8000, 1, ""}, CodecSpec{"G722", 8000, 1, ""},
                                 CodecSpec{"opus", 48000, 2, ""}}) {
    auto music = MusicOnHold::create(built_in_hold_music(), codec);
    ASSERT_TRUE(music.ok());
    EncodedFrame frame;
    const long before = parley::test::allocation_count();
    for (int i = 0; i < 200; ++i) ASSERT_TRUE((*music)->next(frame));
    EXPECT_EQ(parley::test::allocation_count(), before) << codec.encoding;
  }
}

// The counter itself works (otherwise the tests above could not fail).
TEST(AudioPlayerAllocation, CounterSeesAllocations) {
  const long before = parley::test::allocation_count();
  auto v = std::make_unique<std::vector<int>>(100);
  EXPECT_GT(parley::test::allocation_count(), before);
}

}  // namespace
}  // namespace parley::media
