// Steady-state allocation check for playback: after creation, AudioPlayer::next_frame() and
// MusicOnHold::next() must not reach operator new. This binary replaces the global operator
// new/delete to count calls (as transcoder_alloc_test does); speexdsp and libopus are C and
// allocate only at creation.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "media/audio_player.hpp"
#include "media/music_on_hold.hpp"

namespace {
std::atomic<long> g_allocations{0};  // NOLINT test-only counter behind operator new
}

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;  // NOLINT replacing new
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);  // NOLINT replacing delete
}
void operator delete(void* p, std::size_t /*size*/) noexcept {
  std::free(p);  // NOLINT replacing delete
}

namespace parley::media {
namespace {

TEST(AudioPlayerAllocation, FramesAllocateNothingAcrossLoops) {
  const auto clip = built_in_hold_music();
  for (const int rate : {8000, 16000, 48000}) {
    auto player = AudioPlayer::create(clip, rate);
    ASSERT_TRUE(player.ok());
    const long before = g_allocations.load();
    for (int i = 0; i < 1700; ++i) (void)player->next_frame();  // 34 s: past the loop point twice
    EXPECT_EQ(g_allocations.load(), before) << rate;
    EXPECT_EQ(player->loops(), 2U) << rate;
  }
}

TEST(AudioPlayerAllocation, MusicOnHoldFramesAllocateNothing) {
  for (const CodecSpec& codec : {CodecSpec{"PCMU", 8000, 1, ""}, CodecSpec{"G722", 8000, 1, ""},
                                 CodecSpec{"opus", 48000, 2, ""}}) {
    auto music = MusicOnHold::create(built_in_hold_music(), codec);
    ASSERT_TRUE(music.ok());
    EncodedFrame frame;
    const long before = g_allocations.load();
    for (int i = 0; i < 200; ++i) ASSERT_TRUE((*music)->next(frame));
    EXPECT_EQ(g_allocations.load(), before) << codec.encoding;
  }
}

// The counter itself works (otherwise the tests above could not fail).
TEST(AudioPlayerAllocation, CounterSeesAllocations) {
  const long before = g_allocations.load();
  auto v = std::make_unique<std::vector<int>>(100);
  EXPECT_GT(g_allocations.load(), before);
}

}  // namespace
}  // namespace parley::media
