// Conference mixing load: how many participants one core mixes, per codec and room layout.
//
// Builds `rooms` ConferenceMixers of `room_size` participants, all in one codec. Per room,
// `talkers` participants send speech-level audio (three tones with a 4 Hz syllable envelope, a
// different set per talker), the others line noise below the mixer's speech floor (what a muted-
// by-habit listener's phone sends). Packets are encoded before the clock starts (a real encoder
// per role, 1 s of audio looped with running sequence numbers and timestamps); then every tick
// pushes one packet per participant into its room and ticks every room, exactly what the owning
// worker does every 20 ms, minus the sockets. The listener only counts the payload bytes.
//
// Measured over `ticks` ticks after `warmup` ticks: this thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID, so other load on the machine costs cache, not charged time) per tick
// and per participant-tick; participants per core = 20 ms / (CPU per participant-tick). Memory per
// participant is the heap growth (glibc mallinfo2, which sees libopus's and speexdsp's malloc too)
// and the VmRSS growth across the joins, divided by participants.
//
// Prints one JSON object per run on stdout (bench/conference/run.py reads it).

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <numbers>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "media/codecs/registry.hpp"
#include "media/mixer/conference_mixer.hpp"

namespace {

using parley::media::CodecParams;
using parley::media::CodecSpec;
using parley::media::CodecUse;
using parley::media::ConferenceMixer;
using parley::media::ConferenceOptions;
using parley::media::EncodedFrame;
using parley::media::ParticipantId;

struct Config {
  std::string codec = "pcmu";
  int rooms = 1;
  int room_size = 100;
  int talkers = 4;  // per room
  int max_speakers = 4;
  int warmup = 50;
  int ticks = 500;
};

constexpr int kLoopFrames = 50;  // 1 s of audio per role, looped

struct Stream {
  std::vector<std::vector<std::uint8_t>> packets;
  std::uint32_t advance = 0;
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

long rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

std::size_t heap_bytes() {
  return mallinfo2().uordblks;
}

CodecSpec spec_for(std::string_view codec) {
  if (codec == "opus") return CodecSpec{"opus", 48000, 2, ""};
  if (codec == "g722") return CodecSpec{"G722", 8000, 1, ""};
  if (codec == "pcma") return CodecSpec{"PCMA", 8000, 1, ""};
  return CodecSpec{"PCMU", 8000, 1, ""};
}

// Talker `index` (>= 0): three tones under a 4 Hz envelope, about -18 dBm0; index -1: line noise
// about -65 dBm0.
Stream make_stream(const CodecSpec& spec, int index) {
  auto made = parley::media::create_codec(
      CodecParams{spec.encoding, spec.clock_rate, spec.channels, spec.fmtp, CodecUse::kEncode});
  if (!made) {
    std::fprintf(stderr, "codec: %s\n", made.error().message.c_str());
    std::exit(2);
  }
  auto& codec = *made.value();
  const int rate = codec.sample_rate();
  Stream stream;
  stream.advance = static_cast<std::uint32_t>(codec.clock_rate() / 50);
  std::vector<std::int16_t> pcm(static_cast<std::size_t>(rate / 50));
  std::vector<std::uint8_t> out(1500);
  std::mt19937 random(static_cast<unsigned>(1234 + index));
  std::normal_distribution<double> noise(0.0, 13.0);  // ≈ -65 dBm0
  const double base = 300.0 + 110.0 * (index < 0 ? 0 : index % 7);
  long n = 0;
  for (int frame = 0; frame < kLoopFrames; ++frame) {
    for (auto& sample : pcm) {
      double value = noise(random);
      if (index >= 0) {
        const double t = static_cast<double>(n) / rate;
        const double envelope = 0.55 + 0.45 * std::sin(2 * std::numbers::pi * 4.0 * t);
        value += envelope * 1400.0 *
                 (std::sin(2 * std::numbers::pi * base * t) +
                  0.6 * std::sin(2 * std::numbers::pi * 2.3 * base * t) +
                  0.3 * std::sin(2 * std::numbers::pi * 4.1 * base * t));
      }
      sample = static_cast<std::int16_t>(std::lround(std::clamp(value, -32768.0, 32767.0)));
      ++n;
    }
    auto bytes = codec.encode(pcm, out);
    if (!bytes) std::exit(2);
    stream.packets.emplace_back(out.begin(),
                                out.begin() + static_cast<std::ptrdiff_t>(bytes.value()));
  }
  return stream;
}

class ByteCounter : public ConferenceMixer::Listener {
 public:
  void on_mixed(ParticipantId /*id*/, const EncodedFrame& frame) override {
    bytes += frame.payload.size();
    ++frames;
  }
  std::uint64_t bytes = 0;
  std::uint64_t frames = 0;
};

struct Member {
  ConferenceMixer* room = nullptr;
  ParticipantId id = 0;
  const Stream* stream = nullptr;
};

int run(const Config& config) {
  const CodecSpec spec = spec_for(config.codec);
  std::vector<Stream> talker_streams;
  for (int i = 0; i < std::max(config.talkers, 1); ++i)
    talker_streams.push_back(make_stream(spec, i));
  const Stream listener_stream = make_stream(spec, -1);

  ByteCounter counter;
  ConferenceOptions options;
  options.max_participants = static_cast<std::size_t>(config.room_size);
  options.max_speakers = config.max_speakers;
  std::vector<std::unique_ptr<ConferenceMixer>> rooms;
  std::vector<Member> members;
  members.reserve(static_cast<std::size_t>(config.rooms * config.room_size));
  const std::size_t heap_before = heap_bytes();
  const long rss_before = rss_kb();
  for (int r = 0; r < config.rooms; ++r) {
    auto room = ConferenceMixer::create(options, counter);
    if (!room) return 2;
    for (int p = 0; p < config.room_size; ++p) {
      auto id = room.value()->join(spec);
      if (!id) {
        std::fprintf(stderr, "join: %s\n", id.error().message.c_str());
        return 2;
      }
      const Stream* stream =
          p < config.talkers ? &talker_streams[static_cast<std::size_t>(p)] : &listener_stream;
      members.push_back(Member{room.value().get(), id.value(), stream});
    }
    rooms.push_back(std::move(room).value());
  }
  const std::size_t heap_after = heap_bytes();
  const long rss_after = rss_kb();

  const auto tick_all = [&](int t) {
    const auto index = static_cast<std::size_t>(t % kLoopFrames);
    for (const Member& m : members) {
      m.room->push(m.id, static_cast<std::uint16_t>(t),
                   static_cast<std::uint32_t>(t) * m.stream->advance, m.stream->packets[index]);
    }
    for (const auto& room : rooms) room->tick();
  };
  for (int t = 0; t < config.warmup; ++t) tick_all(t);
  std::uint64_t encodes_before = 0;
  for (const auto& room : rooms) encodes_before += room->stats().encodes;
  const std::uint64_t frames_before = counter.frames;
  const double cpu_start = thread_cpu_seconds();
  for (int t = config.warmup; t < config.warmup + config.ticks; ++t) tick_all(t);
  const double cpu = thread_cpu_seconds() - cpu_start;
  std::uint64_t encodes = 0;
  std::uint64_t missing = 0;
  for (const auto& room : rooms) {
    encodes += room->stats().encodes;
    missing += room->stats().frames_missing;
  }
  encodes -= encodes_before;

  const double participants = static_cast<double>(members.size());
  const double per_tick_us = cpu * 1e6 / config.ticks;
  const double per_participant_us = per_tick_us / participants;
  std::printf(
      "{\"codec\": \"%s\", \"rooms\": %d, \"room_size\": %d, \"talkers_per_room\": %d, "
      "\"max_speakers\": %d, \"participants\": %zu, \"ticks\": %d, \"cpu_s\": %.4f, "
      "\"cpu_us_per_tick\": %.1f, \"cpu_us_per_participant_tick\": %.3f, "
      "\"participants_per_core\": %.0f, \"encodes_per_tick\": %.2f, \"frames_out_per_tick\": "
      "%.1f, \"heap_bytes_per_participant\": %.0f, \"rss_kb_per_participant\": %.2f, "
      "\"room_rate\": %d, \"missing_frames\": %llu}\n",
      config.codec.c_str(), config.rooms, config.room_size, config.talkers, config.max_speakers,
      members.size(), config.ticks, cpu, per_tick_us, per_participant_us,
      20000.0 / per_participant_us, static_cast<double>(encodes) / config.ticks,
      static_cast<double>(counter.frames - frames_before) / config.ticks,
      static_cast<double>(heap_after - heap_before) / participants,
      static_cast<double>(rss_after - rss_before) / participants, rooms.front()->sample_rate(),
      static_cast<unsigned long long>(missing));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--codec") {
      config.codec = value;
    } else if (key == "--rooms") {
      config.rooms = std::atoi(value.c_str());
    } else if (key == "--room-size") {
      config.room_size = std::atoi(value.c_str());
    } else if (key == "--talkers") {
      config.talkers = std::atoi(value.c_str());
    } else if (key == "--max-speakers") {
      config.max_speakers = std::atoi(value.c_str());
    } else if (key == "--warmup") {
      config.warmup = std::atoi(value.c_str());
    } else if (key == "--ticks") {
      config.ticks = std::atoi(value.c_str());
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if ((argc - 1) % 2 != 0 || config.rooms < 1 || config.room_size < 1 || config.ticks < 1 ||
      config.warmup < 0 || config.talkers < 0 || config.talkers > config.room_size) {
    std::fprintf(stderr,
                 "usage: conference_bench [--codec pcmu|pcma|g722|opus] [--rooms N] "
                 "[--room-size N] [--talkers N] [--max-speakers N] [--warmup N] [--ticks N]\n");
    return 2;
  }
  return run(config);
}
