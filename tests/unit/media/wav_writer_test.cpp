#include "media/wav_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "media/codecs/tone.hpp"

namespace parley::media {
namespace {

class WavWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("parley_wav_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::uint8_t> read(const std::string& name) {
    std::ifstream in(dir_ / name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static std::uint32_t u32(const std::vector<std::uint8_t>& b, std::size_t at) {
    return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) |
           (static_cast<std::uint32_t>(b[at + 3]) << 24);
  }
  static std::uint16_t u16(const std::vector<std::uint8_t>& b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
  }
  static std::int16_t sample(const std::vector<std::uint8_t>& b, std::size_t index) {
    return static_cast<std::int16_t>(u16(b, 44 + 2 * index));
  }

  std::filesystem::path dir_;
};

TEST_F(WavWriterTest, StereoHeaderAndOneLegPerChannel) {
  {
    auto wav = WavWriter::open((dir_ / "call.wav").string(), 8000);
    ASSERT_TRUE(wav.ok());
    const std::vector<std::int16_t> left = {1, 2, 3, -32768};
    const std::vector<std::int16_t> right = {-1, 32767};
    ASSERT_TRUE(wav->write_stereo(left, right).ok());
    EXPECT_EQ(wav->frames_written(), 4U);
    ASSERT_TRUE(wav->close().ok());
    EXPECT_FALSE(wav->write_stereo(left, right).ok());  // closed
  }
  const auto b = read("call.wav");
  ASSERT_EQ(b.size(), 44U + 4 * 4);
  EXPECT_EQ(std::memcmp(b.data(), "RIFF", 4), 0);
  EXPECT_EQ(u32(b, 4), 36U + 16);
  EXPECT_EQ(std::memcmp(b.data() + 8, "WAVEfmt ", 8), 0);
  EXPECT_EQ(u32(b, 16), 16U);
  EXPECT_EQ(u16(b, 20), 1);      // PCM
  EXPECT_EQ(u16(b, 22), 2);      // channels
  EXPECT_EQ(u32(b, 24), 8000U);  // rate
  EXPECT_EQ(u32(b, 28), 32000U);
  EXPECT_EQ(u16(b, 32), 4);
  EXPECT_EQ(u16(b, 34), 16);
  EXPECT_EQ(std::memcmp(b.data() + 36, "data", 4), 0);
  EXPECT_EQ(u32(b, 40), 16U);
  const std::vector<std::int16_t> expected = {1, -1, 2, 32767, 3, 0, -32768, 0};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(sample(b, i), expected[i]) << i;
}

TEST_F(WavWriterTest, LongToneRoundTripsAndDestructorFinishesTheHeader) {
  ToneGenerator tone(1000, -10, 16000);
  std::vector<std::int16_t> left(16000);
  tone.generate(left);
  const std::vector<std::int16_t> right(16000, 0);
  {
    auto wav = WavWriter::open((dir_ / "tone.wav").string(), 16000);
    ASSERT_TRUE(wav.ok());
    ASSERT_TRUE(wav->write_stereo(left, right).ok());  // more than one internal block
  }  // no close(): the destructor patches the sizes
  const auto b = read("tone.wav");
  ASSERT_EQ(b.size(), 44U + 16000 * 4);
  EXPECT_EQ(u32(b, 40), 16000U * 4);
  std::vector<std::int16_t> read_left(16000);
  for (std::size_t i = 0; i < read_left.size(); ++i) {
    read_left[i] = sample(b, 2 * i);
    ASSERT_EQ(sample(b, 2 * i + 1), 0);
  }
  EXPECT_EQ(read_left, left);
  EXPECT_NEAR(tone_level_dbm0(read_left, 1000, 16000), -10.0, 0.05);
}

TEST_F(WavWriterTest, MonoInterleavedAndErrors) {
  auto mono = WavWriter::open((dir_ / "mono.wav").string(), 48000, 1);
  ASSERT_TRUE(mono.ok());
  const std::vector<std::int16_t> samples = {5, 6, 7};
  EXPECT_FALSE(mono->write_stereo(samples, samples).ok());
  EXPECT_TRUE(mono->write_interleaved(samples).ok());
  EXPECT_EQ(mono->frames_written(), 3U);
  ASSERT_TRUE(mono->close().ok());
  EXPECT_EQ(read("mono.wav").size(), 44U + 6);

  auto stereo = WavWriter::open((dir_ / "odd.wav").string(), 8000);
  ASSERT_TRUE(stereo.ok());
  EXPECT_FALSE(stereo->write_interleaved(samples).ok());  // 3 samples is not whole frames
  EXPECT_FALSE(WavWriter::open((dir_ / "missing" / "x.wav").string(), 8000).ok());
  EXPECT_FALSE(WavWriter::open((dir_ / "bad.wav").string(), 0).ok());
}

}  // namespace
}  // namespace parley::media
