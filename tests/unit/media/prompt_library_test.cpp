// Spoken prompts from the real espeak-ng: the speech has energy and a plausible length, is
// written to the cache folder once and read back from it by a second library (the data folder
// across a restart), and bad text is refused.

#include "media/prompt_library.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "support/temp_dir.hpp"

namespace parley::media {
namespace {

double rms(std::span<const std::int16_t> samples) {
  double sum = 0;
  for (const auto s : samples) sum += static_cast<double>(s) * s;
  return samples.empty() ? 0 : std::sqrt(sum / static_cast<double>(samples.size()));
}

TEST(PromptLibraryTest, SpeaksCachesAndReloads) {
  test::TempDir dir;
  auto library = PromptLibrary::open(dir.path() / "prompts");
  ASSERT_TRUE(library.ok()) << library.error().message;
  EXPECT_EQ((*library)->find("Press one for sales."), nullptr);
  auto clip = (*library)->prepare("Press one for sales.");
  ASSERT_TRUE(clip.ok()) << clip.error().message;
  EXPECT_EQ((*clip)->sample_rate(), kPromptSampleRate);
  EXPECT_GT((*clip)->seconds(), 0.5);
  EXPECT_LT((*clip)->seconds(), 5.0);
  EXPECT_GT(rms((*clip)->samples()), 300.0);  // speech, not silence
  const auto file = (*library)->file_for("Press one for sales.");
  EXPECT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ((*library)->find("Press one for sales."), *clip);

  // A fresh library (a restart) reads the same audio from the file.
  auto again = PromptLibrary::open(dir.path() / "prompts");
  ASSERT_TRUE(again.ok());
  auto cached = (*again)->prepare("Press one for sales.");
  ASSERT_TRUE(cached.ok());
  ASSERT_EQ((*cached)->samples().size(), (*clip)->samples().size());
  EXPECT_TRUE(std::equal((*cached)->samples().begin(), (*cached)->samples().end(),
                         (*clip)->samples().begin()));
  EXPECT_NE((*library)->file_for("Goodbye."), file);
}

TEST(PromptLibraryTest, StandardPromptsAndBadText) {
  test::TempDir dir;
  auto library = PromptLibrary::open(dir.path() / "prompts");
  ASSERT_TRUE(library.ok());
  ASSERT_TRUE((*library)->prepare_standard().ok());
  for (const auto& prompt : standard_prompts()) {
    EXPECT_NE((*library)->standard(prompt.key), nullptr) << prompt.key;
  }
  EXPECT_EQ(standard_prompt_text("nope"), "");
  EXPECT_FALSE(synthesize_speech("").ok());
  EXPECT_FALSE(synthesize_speech(std::string(kMaxPromptText + 1, 'a')).ok());
  EXPECT_FALSE(synthesize_speech(std::string("a\0b", 3)).ok());
}

}  // namespace
}  // namespace parley::media
