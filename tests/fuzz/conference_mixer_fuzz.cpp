// libFuzzer target: a conference room fed arbitrary RTP payloads (they come from the network),
// sequence numbers and membership changes. Every participant must get exactly one packet per
// tick with the codec's timestamp advance; nothing may crash, hang or leak.
//
// Input: byte 0 picks the codecs of three participants; then operations of one byte each:
// 0 tick, 1 push (participant, 2-byte sequence, length byte × 6, payload), 2 toggle mute,
// 3 leave and join again in another codec.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <span>

#include "fuzz_require.hpp"
#include "media/mixer/conference_mixer.hpp"

namespace media = parley::media;

namespace {

const std::array<media::CodecSpec, 4> kCodecs = {
    {{"PCMU", 8000, 1, ""}, {"PCMA", 8000, 1, ""}, {"G722", 8000, 1, ""}, {"opus", 48000, 2, ""}}};

class Checker : public media::ConferenceMixer::Listener {
 public:
  void on_mixed(media::ParticipantId id, const media::EncodedFrame& frame) override {
    fuzz::require(!frame.payload.empty() && frame.payload.size() <= 1500);
    fuzz::require(frame.samples == 160 || frame.samples == 960);
    ++received[id];
  }
  std::map<media::ParticipantId, int> received;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> input) : input_(input) {}
  bool empty() const { return input_.empty(); }
  std::uint8_t byte() {
    if (input_.empty()) return 0;
    const std::uint8_t value = input_.front();
    input_ = input_.subspan(1);
    return value;
  }
  std::span<const std::uint8_t> bytes(std::size_t count) {
    count = std::min(count, input_.size());
    const auto out = input_.first(count);
    input_ = input_.subspan(count);
    return out;
  }

 private:
  std::span<const std::uint8_t> input_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader reader(std::span(data, size));
  Checker checker;
  media::ConferenceOptions options;
  options.max_participants = 3;
  options.max_speakers = 2;
  auto made = media::ConferenceMixer::create(options, checker);
  fuzz::require(made.ok());
  media::ConferenceMixer& mixer = *made.value();
  const std::uint8_t choice = reader.byte();
  std::array<media::ParticipantId, 3> ids{};
  std::array<bool, 3> muted{};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto id = mixer.join(kCodecs[(choice >> (2 * i)) & 3U]);
    fuzz::require(id.ok());
    ids[i] = id.value();
  }
  int ticks = 0;
  constexpr int kMaxOperations = 400;  // bounds the work of one input
  for (int op = 0; op < kMaxOperations && !reader.empty(); ++op) {
    switch (reader.byte() % 4) {
      case 0:
        checker.received.clear();
        mixer.tick();
        ++ticks;
        for (const auto id : ids) fuzz::require(checker.received[id] == 1);
        fuzz::require(checker.received.size() == ids.size());
        break;
      case 1: {
        const std::size_t who = reader.byte() % ids.size();
        const auto high = reader.byte();
        const auto sequence = static_cast<std::uint16_t>((high << 8) | reader.byte());
        const auto length = static_cast<std::size_t>(reader.byte()) * 6;
        mixer.push(ids[who], sequence, sequence * 160U, reader.bytes(length));
        break;
      }
      case 2: {
        const std::size_t who = reader.byte() % ids.size();
        muted[who] = !muted[who];
        mixer.set_muted(ids[who], muted[who]);
        break;
      }
      default: {
        const std::size_t who = reader.byte() % ids.size();
        mixer.leave(ids[who]);
        fuzz::require(!mixer.contains(ids[who]));
        auto id = mixer.join(kCodecs[reader.byte() & 3U]);
        fuzz::require(id.ok());
        ids[who] = id.value();
        muted[who] = false;
        break;
      }
    }
  }
  fuzz::require(mixer.stats().ticks == static_cast<std::uint64_t>(ticks));
  return 0;
}
