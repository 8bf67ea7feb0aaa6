// Transcoder micro-benchmark: one direction of a transcoded call, one 20 ms frame per iteration
// (push one RTP payload, pop the re-encoded frame), for PCMU->opus and opus->PCMU, plus the same
// for G.722 and the plain codecs alone. `streams_per_core` is how many such directions one core
// keeps in real time; a PCMU<->opus call needs one of each direction.
//   build/release/bench/transcode_bench

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "media/codecs/registry.hpp"
#include "media/codecs/tone.hpp"
#include "media/transcoder.hpp"

namespace {

namespace media = parley::media;

constexpr int kPackets = 250;  // 5 s of varied tone, replayed in a loop

// 20 ms payloads of a two-tone signal (a steady single tone would flatter Opus).
std::vector<std::vector<std::uint8_t>> make_payloads(const media::CodecSpec& spec) {
  auto codec = media::create_codec(media::CodecParams{spec.encoding, spec.clock_rate, spec.channels,
                                                      spec.fmtp, media::CodecUse::kEncode});
  std::vector<std::vector<std::uint8_t>> payloads;
  if (!codec) return payloads;
  const int rate = codec.value()->sample_rate();
  media::ToneGenerator low(440, -15, rate);
  media::ToneGenerator high(1330, -20, rate);
  std::vector<std::int16_t> a(static_cast<std::size_t>(rate / 50));
  std::vector<std::int16_t> b(a.size());
  std::vector<std::uint8_t> out(4000);
  for (int i = 0; i < kPackets; ++i) {
    low.generate(a);
    high.generate(b);
    for (std::size_t k = 0; k < a.size(); ++k) a[k] = static_cast<std::int16_t>(a[k] + b[k]);
    auto bytes = codec.value()->encode(a, out);
    if (!bytes) return {};
    payloads.emplace_back(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(bytes.value()));
  }
  return payloads;
}

void transcode(benchmark::State& state, const media::CodecSpec& input,
               const media::CodecSpec& output) {
  const auto payloads = make_payloads(input);
  auto transcoder = media::Transcoder::create(input, output);
  if (payloads.empty() || !transcoder) {
    state.SkipWithError("cannot set up the transcoder");
    return;
  }
  const auto advance = static_cast<std::uint32_t>(input.clock_rate / 50);
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::size_t index = 0;
  media::EncodedFrame frame;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    transcoder.value()->push(sequence++, timestamp, payloads[index]);
    timestamp += advance;
    index = index + 1 == payloads.size() ? 0 : index + 1;
    while (transcoder.value()->pop(frame)) bytes += frame.payload.size();
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations());
  state.counters["streams_per_core"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 0.020, benchmark::Counter::kIsRate);
}

const media::CodecSpec kPcmu{"PCMU", 8000, 1, ""};
const media::CodecSpec kPcma{"PCMA", 8000, 1, ""};
const media::CodecSpec kG722{"G722", 8000, 1, ""};
const media::CodecSpec kOpus{"opus", 48000, 2, "useinbandfec=1"};

void BM_PcmuToOpus(benchmark::State& state) {
  transcode(state, kPcmu, kOpus);
}
void BM_OpusToPcmu(benchmark::State& state) {
  transcode(state, kOpus, kPcmu);
}
void BM_PcmuToPcma(benchmark::State& state) {
  transcode(state, kPcmu, kPcma);
}
void BM_PcmuToG722(benchmark::State& state) {
  transcode(state, kPcmu, kG722);
}
void BM_G722ToPcmu(benchmark::State& state) {
  transcode(state, kG722, kPcmu);
}
BENCHMARK(BM_PcmuToOpus);
BENCHMARK(BM_OpusToPcmu);
BENCHMARK(BM_PcmuToPcma);
BENCHMARK(BM_PcmuToG722);
BENCHMARK(BM_G722ToPcmu);

}  // namespace

BENCHMARK_MAIN();
