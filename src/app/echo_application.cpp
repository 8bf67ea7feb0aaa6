#include "app/echo_application.hpp"

#include <algorithm>
#include <vector>

namespace parley::app {
namespace {

constexpr std::size_t kMaxQueuedFrames = 10;          // 200 ms
constexpr std::size_t kMaxFrameSamples = 16000 / 50;  // one 20 ms frame at 16 kHz

class EchoSession final : public sip::LocalSession, public media::LocalEndpoint::Listener {
 public:
  explicit EchoSession(std::function<void()> hang_up)
      : hang_up_(std::move(hang_up)), ring_(kMaxQueuedFrames * kMaxFrameSamples) {}

  Result<void> start(ApplicationContext& context) {
    auto made = media::LocalEndpoint::create(context.pool, context.worker, context.ports,
                                             context.clock, context.endpoint, *this);
    if (!made.ok()) return made.error();
    endpoint_ = std::move(made).value();
    return {};
  }

  Result<std::string> answer(std::string_view offer) override { return endpoint_->answer(offer); }
  TimePoint last_media() const override { return endpoint_->last_media(); }

  void on_audio(std::span<const std::int16_t> pcm) override {
    const std::size_t samples = std::min(pcm.size(), kMaxFrameSamples);
    if (queued_ == kMaxQueuedFrames) {
      head_ = (head_ + 1) % kMaxQueuedFrames;  // the caller runs ahead of us: drop its oldest
      --queued_;
    }
    const std::size_t slot = (head_ + queued_) % kMaxQueuedFrames;
    std::copy_n(pcm.begin(), samples,
                ring_.begin() + static_cast<std::ptrdiff_t>(slot * kMaxFrameSamples));
    ++queued_;
  }

  void on_dtmf(const media::DtmfDigit& digit) override {
    if (digit.digit == '#' && digit.end && hang_up_) hang_up_();
  }

  bool fill_frame(std::span<std::int16_t> pcm) override {
    if (queued_ == 0) return false;
    const auto from = ring_.begin() + static_cast<std::ptrdiff_t>(head_ * kMaxFrameSamples);
    std::copy_n(from, std::min(pcm.size(), kMaxFrameSamples), pcm.begin());
    head_ = (head_ + 1) % kMaxQueuedFrames;
    --queued_;
    return true;
  }

 private:
  std::function<void()> hang_up_;
  std::vector<std::int16_t> ring_;  // kMaxQueuedFrames frames, oldest at head_
  std::size_t head_ = 0;
  std::size_t queued_ = 0;
  // Last: destroyed first, so that it never calls back into a half-destroyed session.
  std::unique_ptr<media::LocalEndpoint> endpoint_;
};

}  // namespace

Result<std::unique_ptr<sip::LocalSession>> make_echo_session(ApplicationContext& context) {
  auto session = std::make_unique<EchoSession>(context.hang_up);
  if (auto started = session->start(context); !started.ok()) return started.error();
  return std::unique_ptr<sip::LocalSession>(std::move(session));
}

}  // namespace parley::app
