// ConferenceRooms with a real two-worker pool: a room opens on the worker of its first caller
// and stays there, seats are counted and capped (486), the room closes after its last seat and
// the next caller opens a new one on its own worker; audio put into one seat reaches the other
// seat's mix through the room's 20 ms clock and never comes back to its sender.

#include "media/conference_rooms.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <future>
#include <numbers>
#include <thread>
#include <utility>
#include <vector>

#include "media/codecs/g711.hpp"
#include "net/worker_pool.hpp"

namespace parley::media {
namespace {

using namespace std::chrono_literals;

class ConferenceRoomsTest : public ::testing::Test {
 protected:
  void SetUp() override { pool_.start(); }
  void TearDown() override { pool_.shutdown(std::chrono::milliseconds(200)); }

  // Runs `task` on worker `worker` and waits for it.
  void run_on(std::size_t worker, const std::function<void()>& task) {
    std::promise<void> done;
    pool_.post(worker, [&] {
      task();
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  }

  std::shared_ptr<ConferenceSeat> reserve_on(std::size_t worker, std::size_t max,
                                             int* status = nullptr) {
    std::shared_ptr<ConferenceSeat> seat;
    run_on(worker, [&] {
      auto reserved = rooms_.reserve("1:800", max, worker);
      if (reserved) {
        seat = *reserved;
      } else if (status != nullptr) {
        *status = reserved.error().code;
      }
    });
    return seat;
  }

  net::WorkerPool pool_{2};
  ConferenceRooms rooms_{pool_, ConferenceOptions{.tones = false}};
};

TEST_F(ConferenceRoomsTest, OpensOnTheFirstCallersWorkerCountsSeatsAndCloses) {
  auto first = reserve_on(1, 2);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->room_worker(), 1U);
  auto second = reserve_on(0, 2);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->room_worker(), 1U);  // the room stays where it opened
  int status = 0;
  EXPECT_EQ(reserve_on(0, 2, &status), nullptr);
  EXPECT_EQ(status, 486);
  EXPECT_EQ(rooms_.seats("1:800"), 2U);
  EXPECT_EQ(rooms_.seats("1:801"), 0U);

  rooms_.release(first);
  EXPECT_EQ(rooms_.seats("1:800"), 1U);
  rooms_.release(second);
  EXPECT_EQ(rooms_.seats("1:800"), 0U);
  EXPECT_EQ(rooms_.room_count(), 0U);

  auto again = reserve_on(0, 2);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->room_worker(), 0U);  // a new room, on the new first caller's worker
  rooms_.release(again);
}

double level(const std::vector<std::uint8_t>& ulaw) {
  double sum = 0;
  for (const std::uint8_t code : ulaw) {
    const double sample = ulaw_to_linear(code);
    sum += sample * sample;
  }
  return ulaw.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(ulaw.size()));
}

TEST_F(ConferenceRoomsTest, EachSeatHearsTheOthersButNotItself) {
  auto talker = reserve_on(0, 10);
  auto listener = reserve_on(1, 10);
  ASSERT_NE(talker, nullptr);
  ASSERT_NE(listener, nullptr);
  const CodecSpec pcmu{"PCMU", 8000, 1, ""};
  rooms_.join(talker, pcmu);
  rooms_.join(listener, pcmu);

  std::vector<std::uint8_t> heard_by_listener;
  std::vector<std::uint8_t> heard_by_talker;
  std::array<std::uint8_t, ConferenceSeat::kMaxPayload> out{};
  std::array<std::uint8_t, 160> frame{};
  auto next = std::chrono::steady_clock::now();
  // 1.2 s of a 1 kHz tone at about -10 dBm0, paced like a phone.
  for (int i = 0; i < 60; ++i) {
    for (std::size_t n = 0; n < frame.size(); ++n) {
      const double t = static_cast<double>(i * 160 + static_cast<int>(n)) / 8000.0;
      frame[n] = linear_to_ulaw(
          static_cast<std::int16_t>(8000.0 * std::sin(2 * std::numbers::pi * 1000 * t)));
    }
    talker->put_received(static_cast<std::uint16_t>(100 + i), static_cast<std::uint32_t>(i * 160),
                         frame);
    next += 20ms;
    std::this_thread::sleep_until(next);
    if (i < 20) continue;  // the jitter buffer and the first ticks
    if (const std::size_t size = listener->take_mixed(out); size > 0) {
      heard_by_listener.insert(heard_by_listener.end(), out.begin(), out.begin() + size);
    }
    if (const std::size_t size = talker->take_mixed(out); size > 0) {
      heard_by_talker.insert(heard_by_talker.end(), out.begin(), out.begin() + size);
    }
  }
  EXPECT_GE(heard_by_listener.size(), 160U * 30);
  EXPECT_GE(heard_by_talker.size(), 160U * 30);  // the talker's stream runs too: silence
  EXPECT_GT(level(heard_by_listener), 3000.0);
  EXPECT_LT(level(heard_by_talker), 50.0);

  rooms_.release(talker);
  rooms_.release(listener);
  EXPECT_EQ(rooms_.room_count(), 0U);
}

// A muted seat (decision 0034) is not heard by the others but still hears them; unmuting it,
// from any thread, brings it back within a tick or two.
TEST_F(ConferenceRoomsTest, MutedSeatHearsTheRoomButIsNotHeard) {
  auto a = reserve_on(0, 10);
  auto b = reserve_on(1, 10);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const CodecSpec pcmu{"PCMU", 8000, 1, ""};
  rooms_.join(a, pcmu);
  rooms_.join(b, pcmu);

  std::array<std::uint8_t, ConferenceSeat::kMaxPayload> out{};
  std::array<std::uint8_t, 160> frame{};
  int sent = 0;
  // Both talk for `frames` × 20 ms; returns what each heard after the first 15 frames.
  const auto talk = [&](int frames) {
    std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> heard;
    auto next = std::chrono::steady_clock::now();
    for (int i = 0; i < frames; ++i, ++sent) {
      for (std::size_t n = 0; n < frame.size(); ++n) {
        const double t = static_cast<double>(sent * 160 + static_cast<int>(n)) / 8000.0;
        frame[n] = linear_to_ulaw(
            static_cast<std::int16_t>(8000.0 * std::sin(2 * std::numbers::pi * 1000 * t)));
      }
      a->put_received(static_cast<std::uint16_t>(sent), static_cast<std::uint32_t>(sent * 160),
                      frame);
      b->put_received(static_cast<std::uint16_t>(sent), static_cast<std::uint32_t>(sent * 160),
                      frame);
      next += 20ms;
      std::this_thread::sleep_until(next);
      if (const std::size_t size = a->take_mixed(out); size > 0 && i >= 15) {
        heard.first.insert(heard.first.end(), out.begin(), out.begin() + size);
      }
      if (const std::size_t size = b->take_mixed(out); size > 0 && i >= 15) {
        heard.second.insert(heard.second.end(), out.begin(), out.begin() + size);
      }
    }
    return heard;
  };

  const auto before = talk(40);
  EXPECT_GT(level(before.first), 3000.0);  // each hears the other
  EXPECT_GT(level(before.second), 3000.0);

  a->set_muted(true);
  EXPECT_TRUE(a->muted());
  const auto muted = talk(40);
  EXPECT_GT(level(muted.first), 3000.0);  // a still hears b
  EXPECT_LT(level(muted.second), 50.0);   // b no longer hears a
  EXPECT_GE(muted.second.size(), 160U * 20);

  a->set_muted(false);
  const auto after = talk(40);
  EXPECT_GT(level(after.second), 3000.0);

  rooms_.release(a);
  rooms_.release(b);
}

TEST_F(ConferenceRoomsTest, SeatRingsDropTheOldestInsteadOfGrowing) {
  ConferenceSeat seat("1:800", 0);
  std::array<std::uint8_t, 160> frame{};
  for (int i = 0; i < 10; ++i) {
    frame[0] = static_cast<std::uint8_t>(i);
    seat.put_mixed(frame);
  }
  EXPECT_EQ(seat.dropped(), 10U - ConferenceSeat::kMixedSlots);
  std::array<std::uint8_t, 200> out{};
  ASSERT_EQ(seat.take_mixed(out), 160U);
  EXPECT_EQ(out[0], 10 - ConferenceSeat::kMixedSlots);  // the oldest kept
  std::vector<std::uint8_t> huge(ConferenceSeat::kMaxPayload + 1);
  seat.put_received(1, 1, huge);
  EXPECT_EQ(seat.dropped(), 10U - ConferenceSeat::kMixedSlots + 1);
}

}  // namespace
}  // namespace parley::media
