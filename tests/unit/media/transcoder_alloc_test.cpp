// Steady-state allocation check: after warm-up, pushing and popping through a Transcoder must
// not reach operator new. This binary replaces the global operator new/delete to count calls
// (the sanitizer runtimes allow a program to replace them). libopus and speexdsp are C and
// allocate only at creation, which the counter does not see; their per-call paths are
// allocation-free by design (stack buffers only).

#include <gtest/gtest.h>

#include <vector>

#include "codec_test_util.hpp"
#include "media/transcoder.hpp"
#include "support/allocation_counter.hpp"

namespace parley::media {
namespace {

TEST(TranscoderAllocation, SteadyStateAllocatesNothing) {
  const CodecSpec pcmu{"PCMU", 8000, 1, ""};
  const CodecSpec opus{"opus", 48000, 2, ""};
  const CodecSpec g722{"G722", 8000, 1, ""};
  for (const auto& [input, output] : {std::pair{pcmu, opus}, std::pair{opus, pcmu},
                                      std::pair{g722, opus}, std::pair{pcmu, g722}}) {
    auto packets = test::tone_packets(input, 1000, -10, 200);
    packets.erase(packets.begin() + 150);                 // a loss on the way, concealed
    std::swap(packets[160], packets[161]);                // and a reordering
    packets.insert(packets.begin() + 170, packets[169]);  // and a duplicate
    auto transcoder = Transcoder::create(input, output);
    ASSERT_TRUE(transcoder.ok());
    Transcoder& t = *transcoder.value();
    EncodedFrame frame;
    std::size_t frames = 0;
    for (std::size_t i = 0; i < packets.size(); ++i) {
      const long before = parley::test::allocation_count();
      t.push(packets[i].sequence, packets[i].timestamp, packets[i].payload);
      while (t.pop(frame)) ++frames;
      if (i >= 10) EXPECT_EQ(parley::test::allocation_count(), before) << input.encoding << " packet " << i;
    }
    EXPECT_GE(frames, 195U);
    EXPECT_EQ(t.frames_concealed(), 1U);
    EXPECT_EQ(t.packets_dropped(), 1U);
  }
}

// The counter itself works (otherwise the test above could not fail).
TEST(TranscoderAllocation, CounterSeesAllocations) {
  const long before = parley::test::allocation_count();
  auto v = std::make_unique<std::vector<int>>(100);
  EXPECT_GT(parley::test::allocation_count(), before);
}

}  // namespace
}  // namespace parley::media
