#include "media/dtmf_tones.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace parley::media {
namespace {

constexpr std::array<double, 4> kRows{697.0, 770.0, 852.0, 941.0};
constexpr std::array<double, 4> kColumns{1209.0, 1336.0, 1477.0, 1633.0};
// Row and column index of events 0-15 (RFC 4733 order) on the keypad.
constexpr std::array<std::uint8_t, kDtmfEvents> kRowOf{3, 0, 0, 0, 1, 1, 1, 2,
                                                       2, 2, 3, 3, 0, 1, 2, 3};
constexpr std::array<std::uint8_t, kDtmfEvents> kColumnOf{1, 0, 1, 2, 0, 1, 2, 0,
                                                          1, 2, 0, 2, 3, 3, 3, 3};

constexpr double kBlockSeconds = 106.0 / 8000.0;
// Two whole blocks (26.5 ms): every tone of 40 ms covers at least two whole blocks whatever
// its alignment, so Q.24's 40 ms digits are always taken.
constexpr std::uint32_t kMinBlocks = 2;
constexpr double kMaxNormalTwistDb = 8.0;   // column tone below the row tone
constexpr double kMaxReverseTwistDb = 4.0;  // column tone above the row tone
constexpr double kGroupClearanceDb = 6.0;   // the chosen tone over the others of its group
constexpr double kMinPowerShare = 0.75;     // of the block's power in the two tones
constexpr int kMissesToEnd = 2;

double db(double ratio) {
  return 10.0 * std::log10(std::max(ratio, 1e-12));
}

// Mean power of the component at `frequency` (a sine of peak p has p²/2).
double tone_power(std::span<const std::int16_t> block, double frequency, int rate) {
  const double peak = goertzel_peak(block, frequency, rate);
  return peak * peak / 2.0;
}

// Index of the strongest, and whether it clears the rest of its group.
std::optional<std::size_t> strongest(const std::array<double, 4>& powers) {
  const auto best =
      static_cast<std::size_t>(std::max_element(powers.begin(), powers.end()) - powers.begin());
  for (std::size_t i = 0; i < powers.size(); ++i) {
    if (i != best && db(powers[best] / std::max(powers[i], 1e-12)) < kGroupClearanceDb) {
      return std::nullopt;
    }
  }
  return best;
}

double power_to_dbm0(double power) {
  return peak_to_dbm0(std::sqrt(2.0 * power));
}

}  // namespace

char dtmf_char(std::uint8_t event) {
  static constexpr std::string_view kChars = "0123456789*#ABCD";
  return event < kChars.size() ? kChars[event] : '?';
}

std::optional<DtmfPair> dtmf_pair(std::uint8_t event) {
  if (event >= kDtmfEvents) return std::nullopt;
  return DtmfPair{kRows[kRowOf[event]], kColumns[kColumnOf[event]]};
}

void DtmfToneGenerator::start(std::uint8_t event, double level_dbm0) {
  const auto pair = dtmf_pair(event);
  if (!pair) return;
  // Two equal tones: each carries half the power.
  const double each = level_dbm0 - 3.0103;
  row_.emplace(pair->row, each, sample_rate_);
  column_.emplace(pair->column, each, sample_rate_);
  playing_ = true;
}

void DtmfToneGenerator::mix(std::span<std::int16_t> pcm) {
  if (!playing_ || pcm.empty()) return;
  constexpr std::size_t kChunk = 160;
  std::array<std::int16_t, kChunk> row{};
  std::array<std::int16_t, kChunk> column{};
  while (!pcm.empty()) {
    const std::size_t n = std::min(kChunk, pcm.size());
    row_->generate(std::span(row.data(), n));
    column_->generate(std::span(column.data(), n));
    for (std::size_t i = 0; i < n; ++i) {
      const int sum = int{pcm[i]} + int{row[i]} + int{column[i]};
      pcm[i] = static_cast<std::int16_t>(std::clamp(sum, -32768, 32767));
    }
    pcm = pcm.subspan(n);
  }
}

DtmfDetector::DtmfDetector(int sample_rate)
    : sample_rate_(sample_rate),
      block_size_(std::clamp<std::size_t>(
          static_cast<std::size_t>(std::lround(sample_rate * kBlockSeconds)), 16, kMaxBlock)),
      min_samples_(static_cast<std::uint32_t>(block_size_) * kMinBlocks) {}

std::optional<std::uint8_t> DtmfDetector::active() const {
  if (active_ == kNone) return std::nullopt;
  return active_;
}

std::span<const DtmfDetector::Event> DtmfDetector::push(std::span<const std::int16_t> pcm) {
  event_count_ = 0;
  while (!pcm.empty()) {
    const std::size_t n = std::min(block_size_ - filled_, pcm.size());
    std::copy_n(pcm.begin(), n, block_.begin() + static_cast<std::ptrdiff_t>(filled_));
    filled_ += n;
    pcm = pcm.subspan(n);
    if (filled_ == block_size_) {
      on_block(classify(std::span(block_.data(), block_size_)));
      filled_ = 0;
    }
  }
  return std::span(events_.data(), event_count_);
}

DtmfDetector::Reading DtmfDetector::classify(std::span<const std::int16_t> block) const {
  std::array<double, 4> rows{};
  std::array<double, 4> columns{};
  for (std::size_t i = 0; i < 4; ++i) {
    rows[i] = tone_power(block, kRows[i], sample_rate_);
    columns[i] = tone_power(block, kColumns[i], sample_rate_);
  }
  const auto row = strongest(rows);
  const auto column = strongest(columns);
  if (!row || !column) return {};
  const double row_power = rows[*row];
  const double column_power = columns[*column];
  if (power_to_dbm0(row_power) < kMinToneDbm0 || power_to_dbm0(column_power) < kMinToneDbm0) {
    return {};
  }
  const double twist = db(row_power / column_power);  // > 0: column weaker
  if (twist > kMaxNormalTwistDb || -twist > kMaxReverseTwistDb) return {};
  const double total = rms(block);
  if ((row_power + column_power) < kMinPowerShare * total * total) return {};
  for (std::uint8_t event = 0; event < kDtmfEvents; ++event) {
    if (kRowOf[event] == *row && kColumnOf[event] == *column) {
      return Reading{event, power_to_dbm0(row_power + column_power)};
    }
  }
  return {};
}

void DtmfDetector::emit(Event::Kind kind, std::uint8_t event, std::uint32_t samples, double level) {
  if (event_count_ < events_.size()) events_[event_count_++] = Event{kind, event, samples, level};
}

void DtmfDetector::on_block(const Reading& reading) {
  const auto block = static_cast<std::uint32_t>(block_size_);
  if (active_ != kNone) {
    if (reading.event == active_) {
      // A bridged miss was part of the digit after all.
      active_samples_ += block * static_cast<std::uint32_t>(misses_ + 1);
      misses_ = 0;
      return;
    }
    // Another digit straight away ends this one at once; silence or noise after a grace block.
    if (reading.event == kNone && ++misses_ < kMissesToEnd) return;
    emit(Event::Kind::kEnd, active_, active_samples_, active_level_);
    active_ = kNone;
    misses_ = 0;
    candidate_ = kNone;
  }
  if (reading.event == kNone || reading.event != candidate_) {
    candidate_ = reading.event;
    candidate_samples_ = reading.event == kNone ? 0 : block;
    candidate_level_ = reading.level_dbm0;
  } else {
    candidate_samples_ += block;
  }
  if (candidate_ != kNone && candidate_samples_ >= min_samples_) {
    active_ = candidate_;
    active_samples_ = candidate_samples_;
    active_level_ = candidate_level_;
    candidate_ = kNone;
    emit(Event::Kind::kBegin, active_, active_samples_, active_level_);
  }
}

}  // namespace parley::media
