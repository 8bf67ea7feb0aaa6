// Call-queue load: a queue with N waiting callers hearing music, and agents answering them.
//
// Two parts, each measured in this thread's CPU time (CLOCK_THREAD_CPUTIME_ID):
// 1. The line (pbx::CallQueue, what QueueCenter runs under its mutex): N callers join; every
//    caller polls as a session does every 250 ms (position, expire, an offer for the head),
//    `agents` agents answer the head's offers and come back after their call. Reported as queue
//    operations per second (join, position, expire, next_offer, answered, agent_done each count
//    one) and the CPU a second of 250 ms polls by N callers costs.
// 2. The music: N callers' hold music as the queue application makes it every 20 ms (an
//    AudioPlayer over the shared built-in clip plus a PCMU or G.722 encode per caller;
//    media::MusicOnHold is exactly that pair). Reported as CPU per caller-tick, callers per core
//    (20 ms / that), and memory per waiting caller: heap growth (glibc mallinfo2) and VmRSS
//    growth over creating the N players, divided by N. The RTP send per packet is in the
//    media-relay figures (docs/performance.md); the LocalEndpoint's socket pair is not counted.
//
// Prints one JSON object on stdout.

#include <malloc.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "media/music_on_hold.hpp"
#include "pbx/call_queue.hpp"

namespace {

using parley::ManualClock;
using parley::pbx::CallQueue;
using parley::pbx::EveryAgentAvailable;
using parley::pbx::QueueCallerId;
using parley::pbx::QueueSettings;
using parley::pbx::QueueStrategy;

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
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

struct LineResult {
  double ops_per_second = 0;
  double cpu_ms_per_poll_second = 0;
  std::uint64_t answered = 0;
};

// Simulates `seconds` of queue time in 250 ms poll rounds.
LineResult run_line(int callers, int agents, int seconds, QueueStrategy strategy) {
  ManualClock clock;
  QueueSettings settings;
  settings.strategy = strategy;
  settings.max_callers = 0;
  settings.max_wait = std::chrono::hours(1);
  std::vector<std::string> members;
  for (int i = 0; i < agents; ++i) members.push_back(std::to_string(2000 + i));
  CallQueue queue(settings, members, clock);
  EveryAgentAvailable all;
  std::vector<QueueCallerId> waiting;
  std::uint64_t ops = 0;
  const double start = thread_cpu_seconds();
  for (int i = 0; i < callers; ++i) {
    waiting.push_back(*queue.join());
    ++ops;
  }
  // Each agent talks for 8 polls (2 s) per caller, then is free again.
  std::vector<std::pair<std::string, int>> talking;
  const int rounds = seconds * 4;
  for (int round = 0; round < rounds; ++round) {
    clock.advance(std::chrono::milliseconds(250));
    for (auto it = talking.begin(); it != talking.end();) {
      if (--it->second == 0) {
        queue.agent_done(it->first);
        ++ops;
        it = talking.erase(it);
      } else {
        ++it;
      }
    }
    for (QueueCallerId caller : waiting) {
      (void)queue.expire();
      const std::size_t position = queue.position(caller);
      ops += 2;
      if (position == 1) {
        ++ops;
        if (auto offer = queue.next_offer(all)) {
          (void)queue.answered(caller, offer->agents.front());
          talking.emplace_back(offer->agents.front(), 8);
          ++ops;
        }
      }
    }
    std::erase_if(waiting, [&](QueueCallerId id) { return queue.position(id) == 0; });
    while (static_cast<int>(waiting.size()) < callers) {  // new callers keep the line full
      waiting.push_back(*queue.join());
      ++ops;
    }
  }
  const double cpu = thread_cpu_seconds() - start;
  LineResult result;
  result.ops_per_second = static_cast<double>(ops) / cpu;
  result.cpu_ms_per_poll_second = cpu * 1000.0 / seconds;
  result.answered = queue.stats().answered;
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  int callers = 500;
  int agents = 20;
  int ticks = 500;
  std::string codec = "PCMU";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--callers") callers = std::atoi(argv[i + 1]);
    if (flag == "--agents") agents = std::atoi(argv[i + 1]);
    if (flag == "--ticks") ticks = std::atoi(argv[i + 1]);
    if (flag == "--codec") codec = argv[i + 1];
  }
  if (callers <= 0 || agents <= 0 || ticks <= 0 || (codec != "PCMU" && codec != "G722")) {
    std::fprintf(stderr,
                 "usage: queue_bench [--callers N] [--agents N] [--ticks N] [--codec PCMU|G722]\n");
    return 2;
  }

  const LineResult ring_all = run_line(callers, agents, 60, QueueStrategy::kRingAll);
  const LineResult longest = run_line(callers, agents, 60, QueueStrategy::kLongestIdle);

  auto clip = parley::media::built_in_hold_music();
  // G.722 is named 8000 in SDP (RFC 3551) but encodes 16 kHz audio.
  const parley::media::CodecSpec spec{codec, 8000, 1, {}};
  const std::size_t heap_before = heap_bytes();
  const long rss_before = rss_kb();
  std::vector<std::unique_ptr<parley::media::MusicOnHold>> players;
  players.reserve(static_cast<std::size_t>(callers));
  for (int i = 0; i < callers; ++i) {
    auto player = parley::media::MusicOnHold::create(clip, spec);
    if (!player) {
      std::fprintf(stderr, "queue_bench: %s\n", player.error().message.c_str());
      return 1;
    }
    players.push_back(std::move(player).value());
  }
  const double heap_per_caller =
      static_cast<double>(heap_bytes() - heap_before) / static_cast<double>(callers);
  const double rss_per_caller =
      static_cast<double>(rss_kb() - rss_before) * 1024.0 / static_cast<double>(callers);
  parley::media::EncodedFrame frame;
  std::size_t bytes = 0;
  for (int t = 0; t < 50; ++t) {
    for (auto& player : players) bytes += player->next(frame) ? frame.payload.size() : 0;
  }
  const double start = thread_cpu_seconds();
  for (int t = 0; t < ticks; ++t) {
    for (auto& player : players) bytes += player->next(frame) ? frame.payload.size() : 0;
  }
  const double cpu = thread_cpu_seconds() - start;
  const double us_per_caller_tick = cpu * 1e6 / (static_cast<double>(ticks) * callers);

  std::printf(
      "{\"callers\": %d, \"agents\": %d, \"codec\": \"%s\", \"ticks\": %d,\n"
      " \"line_ring_all_ops_per_s\": %.0f, \"line_ring_all_cpu_ms_per_s\": %.3f,"
      " \"line_ring_all_answered\": %llu,\n"
      " \"line_longest_idle_ops_per_s\": %.0f, \"line_longest_idle_cpu_ms_per_s\": %.3f,"
      " \"line_longest_idle_answered\": %llu,\n"
      " \"music_us_per_caller_tick\": %.3f, \"music_callers_per_core\": %.0f,"
      " \"music_heap_bytes_per_caller\": %.0f, \"music_rss_bytes_per_caller\": %.0f,"
      " \"bytes\": %zu}\n",
      callers, agents, codec.c_str(), ticks, ring_all.ops_per_second,
      ring_all.cpu_ms_per_poll_second, static_cast<unsigned long long>(ring_all.answered),
      longest.ops_per_second, longest.cpu_ms_per_poll_second,
      static_cast<unsigned long long>(longest.answered), us_per_caller_tick,
      20000.0 / us_per_caller_tick, heap_per_caller, rss_per_caller, bytes);
  return 0;
}
