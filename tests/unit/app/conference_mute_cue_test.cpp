// MuteCue by ear: Goertzel over the frames a participant would hear (decision 0040).
#include "app/conference_mute_cue.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "media/codecs/tone.hpp"

namespace parley::app {
namespace {

// Amplitude of `hz` in `pcm` (a pure sine of amplitude A gives about A).
double goertzel(const std::vector<std::int16_t>& pcm, double hz, int rate) {
  return media::goertzel_peak(pcm, hz, rate);
}

// The 20 ms frames of `cue` until it stops (at most 50), joined.
std::vector<std::int16_t> play(MuteCue& cue, int rate, int* frames = nullptr) {
  std::vector<std::int16_t> heard;
  std::vector<std::int16_t> frame(static_cast<std::size_t>(rate) / 50);
  int count = 0;
  while (count < 50 && cue.fill(frame, rate)) {
    heard.insert(heard.end(), frame.begin(), frame.end());
    ++count;
  }
  if (frames != nullptr) *frames = count;
  return heard;
}

std::vector<std::int16_t> part(const std::vector<std::int16_t>& pcm, std::size_t from,
                               std::size_t size) {
  return {pcm.begin() + static_cast<std::ptrdiff_t>(from),
          pcm.begin() + static_cast<std::ptrdiff_t>(from + size)};
}

TEST(MuteCueTest, SilentUntilStarted) {
  MuteCue cue;
  std::vector<std::int16_t> frame(160, 7);
  EXPECT_FALSE(cue.fill(frame, 8000));
  EXPECT_FALSE(cue.playing());
  EXPECT_EQ(frame[0], 7);  // untouched
}

TEST(MuteCueTest, MutedFallsFrom440To330AndStopsAfter300Ms) {
  for (const int rate : {8000, 16000}) {
    MuteCue cue;
    cue.start(true);
    int frames = 0;
    const auto heard = play(cue, rate, &frames);
    EXPECT_EQ(frames, 15) << rate;  // 300 ms of 20 ms frames
    EXPECT_FALSE(cue.playing());
    const std::size_t note = static_cast<std::size_t>(rate) * MuteCue::kNoteMs / 1000;
    const auto first = part(heard, 0, note);
    const auto second = part(heard, note, note);
    EXPECT_GT(goertzel(first, MuteCue::kMutedFirstHz, rate), MuteCue::kAmplitude * 0.8) << rate;
    EXPECT_LT(goertzel(first, MuteCue::kMutedSecondHz, rate), MuteCue::kAmplitude * 0.1) << rate;
    EXPECT_GT(goertzel(second, MuteCue::kMutedSecondHz, rate), MuteCue::kAmplitude * 0.8) << rate;
    EXPECT_LT(goertzel(second, MuteCue::kMutedFirstHz, rate), MuteCue::kAmplitude * 0.1) << rate;
    for (const double other : {MuteCue::kUnmutedFirstHz, MuteCue::kUnmutedSecondHz}) {
      EXPECT_LT(goertzel(heard, other, rate), MuteCue::kAmplitude * 0.05) << rate;
    }
  }
}

TEST(MuteCueTest, UnmutedRisesFrom1500To1750) {
  MuteCue cue;
  cue.start(false);
  const auto heard = play(cue, 8000);
  ASSERT_EQ(heard.size(), 2400U);
  EXPECT_GT(goertzel(part(heard, 0, 1200), MuteCue::kUnmutedFirstHz, 8000),
            MuteCue::kAmplitude * 0.8);
  EXPECT_GT(goertzel(part(heard, 1200, 1200), MuteCue::kUnmutedSecondHz, 8000),
            MuteCue::kAmplitude * 0.8);
  for (const double other : {MuteCue::kMutedFirstHz, MuteCue::kMutedSecondHz}) {
    EXPECT_LT(goertzel(heard, other, 8000), MuteCue::kAmplitude * 0.05);
  }
}

TEST(MuteCueTest, FadesInWithoutAClick) {
  MuteCue cue;
  cue.start(true);
  std::vector<std::int16_t> frame(160);
  ASSERT_TRUE(cue.fill(frame, 8000));
  EXPECT_EQ(frame[0], 0);
  EXPECT_LT(std::abs(frame[5]), 3000);  // 5 ms fade: still quiet after 0.6 ms
}

TEST(MuteCueTest, ANewChangeRestartsWithTheNewCue) {
  MuteCue cue;
  cue.start(true);
  std::vector<std::int16_t> frame(160);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(cue.fill(frame, 8000));
  cue.start(false);
  int frames = 0;
  const auto heard = play(cue, 8000, &frames);
  EXPECT_EQ(frames, 15);
  EXPECT_GT(goertzel(part(heard, 0, 1200), MuteCue::kUnmutedFirstHz, 8000),
            MuteCue::kAmplitude * 0.8);
  EXPECT_LT(goertzel(heard, MuteCue::kMutedSecondHz, 8000), MuteCue::kAmplitude * 0.05);
}

}  // namespace
}  // namespace parley::app
