#include "app/ivr_application.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <numbers>
#include <optional>
#include <string>

#include "app/prompt_playback.hpp"
#include "app/tenant_argument.hpp"
#include "net/loop_timer.hpp"
#include "pbx/ivr_menu.hpp"

namespace parley::app {
namespace {

// Menus, schedules and menus again: a loop in the configuration ends here.
constexpr int kMaxHops = 8;

// Played when a menu has no usable greeting: 300 ms at 440 Hz, so the caller knows to key.
std::shared_ptr<const media::AudioClip> make_tone() {
  constexpr int kRate = 8000;
  std::vector<std::int16_t> samples(kRate * 3 / 10);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double phase = 2.0 * std::numbers::pi * 440.0 * static_cast<double>(i) / kRate;
    samples[i] = static_cast<std::int16_t>(std::lround(6000.0 * std::sin(phase)));
  }
  auto clip = media::AudioClip::from_samples(std::move(samples), kRate);
  return clip ? std::move(clip).value() : nullptr;
}

class IvrSession final : public sip::LocalSession, public media::LocalEndpoint::Listener {
 public:
  IvrSession(std::shared_ptr<const IvrSnapshot> snapshot, const media::PromptLibrary* prompts,
             UnixClock unix_now, store::TenantId tenant, std::string start,
             ApplicationContext& context, std::shared_ptr<const media::AudioClip> tone)
      : snapshot_(std::move(snapshot)),
        prompts_(prompts),
        unix_now_(std::move(unix_now)),
        tenant_(tenant),
        start_(std::move(start)),
        label_(start_ + " (" + context.call.caller + ")"),
        hang_up_(context.hang_up),
        tone_(std::move(tone)),
        digit_timer_(context.pool, context.worker, [this] { on_digit_timeout(); }) {}

  ~IvrSession() override { digit_timer_.cancel(); }
  IvrSession(const IvrSession&) = delete;
  IvrSession& operator=(const IvrSession&) = delete;

  Result<void> start(ApplicationContext& context) {
    auto endpoint = media::LocalEndpoint::create(context.pool, context.worker, context.ports,
                                                 context.clock, context.endpoint, *this);
    if (!endpoint) return endpoint.error();
    endpoint_ = std::move(endpoint).value();
    return {};
  }

  Result<std::string> answer(std::string_view offer) override { return endpoint_->answer(offer); }
  TimePoint last_media() const override { return endpoint_->last_media(); }

  void set_redirect(std::function<void(std::string)> redirect) override {
    redirect_ = std::move(redirect);
  }

  void on_redirect_failed(int status) override {
    spdlog::info("ivr {}: transfer failed with {}", label_, status);
    leaving_ = false;
    play_system("unavailable", true);
    play_greeting();
  }

  void on_audio(std::span<const std::int16_t> /*pcm*/) override {}

  void on_dtmf(const media::DtmfDigit& digit) override {
    // The key going down counts (an end packet may be lost; the first one rarely is).
    if (digit.end || leaving_ || !navigator_) return;
    stop_playback();
    digit_timer_.cancel();
    handle(navigator_->on_digit(digit.digit), 0);
  }

  bool fill_frame(std::span<std::int16_t> pcm) override {
    if (endpoint_->sample_rate() == 0) return false;
    if (!started_) {
      started_ = true;
      go_to(pbx::Destination{pbx::DestinationKind::kMenu, start_}, 0);
    }
    while (!player_ && !queue_.empty()) {
      player_ = player_for(queue_.front(), endpoint_->sample_rate());
      queue_.pop_front();
    }
    if (!player_) return false;
    if (play_frame(player_, pcm) && queue_.empty()) on_playback_done();
    return true;
  }

 private:
  void handle(const pbx::MenuDecision& decision, int hops) {
    switch (decision.step) {
      case pbx::MenuStep::kWait:
        arm_digit_timer();
        return;
      case pbx::MenuStep::kInvalid:
        spdlog::info("ivr {}: invalid choice", label_);
        play_system("invalid", false);
        play_greeting();
        return;
      case pbx::MenuStep::kReplay:
        play_greeting();
        return;
      case pbx::MenuStep::kGo:
        go_to(decision.destination, hops);
        return;
    }
  }

  void go_to(const pbx::Destination& destination, int hops) {
    if (hops > kMaxHops) {
      spdlog::warn("ivr {}: more than {} menus and schedules in a row; hanging up", label_,
                   kMaxHops);
      leave_with_goodbye();
      return;
    }
    switch (destination.kind) {
      case pbx::DestinationKind::kMenu:
      case pbx::DestinationKind::kSchedule: {
        const IvrSnapshot::Key key{tenant_, destination.target};
        if (destination.kind == pbx::DestinationKind::kMenu) {
          if (const auto menu = snapshot_->menus.find(key); menu != snapshot_->menus.end()) {
            enter_menu(menu->second);
            return;
          }
        }
        // A schedule (also when "menu:" names one: an IVR number may point at either).
        if (const auto schedule = snapshot_->schedules.find(key);
            schedule != snapshot_->schedules.end()) {
          const std::string& next = schedule->second.destination_at(unix_now_());
          spdlog::info("ivr {}: schedule {} is {} -> {}", label_, destination.target,
                       schedule->second.is_open(unix_now_()) ? "open" : "closed", next);
          const auto parsed = pbx::parse_destination(next);
          go_to(parsed ? *parsed : pbx::Destination{}, hops + 1);
          return;
        }
        spdlog::warn("ivr {}: no menu or schedule {}", label_, destination.target);
        leave_with_goodbye();
        return;
      }
      case pbx::DestinationKind::kNumber:
        leave_for(destination.target);
        return;
      case pbx::DestinationKind::kVoicemail:
        leave_for("app:voicemail:" + destination.target);
        return;
      case pbx::DestinationKind::kHangup:
        leave_with_goodbye();
        return;
    }
  }

  void enter_menu(const IvrMenuEntry& entry) {
    std::set<std::string, std::less<>> dialable;
    if (entry.menu.direct_dial) {
      if (const auto found = snapshot_->dialable.find(tenant_);
          found != snapshot_->dialable.end()) {
        dialable = found->second;
      }
    }
    navigator_.emplace(entry.menu, std::move(dialable));
    greeting_ = entry.greeting ? entry.greeting : tone_;
    stop_playback();
    play_greeting();
  }

  void leave_for(const std::string& target) {
    spdlog::info("ivr {}: caller goes to {}", label_, target);
    digit_timer_.cancel();
    stop_playback();
    if (!redirect_) {
      leave_with_goodbye();
      return;
    }
    leaving_ = true;
    play_system("please_hold", false);
    redirect_(target);
  }

  void leave_with_goodbye() {
    leaving_ = true;
    hang_up_after_playback_ = true;
    digit_timer_.cancel();
    stop_playback();
    play_system("goodbye", false);
    if (queue_.empty()) end_call();
  }

  void play_system(std::string_view key, bool interrupt) {
    if (interrupt) stop_playback();
    if (prompts_ == nullptr) return;
    if (auto clip = prompts_->standard(key)) queue_.push_back(std::move(clip));
  }

  void play_greeting() {
    if (greeting_) queue_.push_back(greeting_);
    if (queue_.empty() && !player_) arm_digit_timer();
  }

  void stop_playback() {
    queue_.clear();
    player_.reset();
  }

  void on_playback_done() {
    if (hang_up_after_playback_) {
      end_call();
      return;
    }
    if (!leaving_) arm_digit_timer();
  }

  void arm_digit_timer() {
    if (!navigator_ || leaving_) return;
    digit_timer_.arm(std::chrono::steady_clock::now() +
                     std::chrono::seconds(navigator_->menu().timeout_seconds));
  }

  void on_digit_timeout() {
    if (leaving_ || !navigator_ || player_ || !queue_.empty()) return;
    handle(navigator_->on_timeout(), 0);
  }

  void end_call() {
    if (ended_) return;
    ended_ = true;
    if (hang_up_) hang_up_();
  }

  std::shared_ptr<const IvrSnapshot> snapshot_;
  const media::PromptLibrary* prompts_;
  UnixClock unix_now_;
  store::TenantId tenant_;
  std::string start_;
  std::string label_;
  std::function<void()> hang_up_;
  std::function<void(std::string)> redirect_;
  std::shared_ptr<const media::AudioClip> tone_;
  std::shared_ptr<const media::AudioClip> greeting_;
  std::optional<pbx::MenuNavigator> navigator_;
  std::deque<std::shared_ptr<const media::AudioClip>> queue_;
  std::optional<media::AudioPlayer> player_;
  bool started_ = false;
  bool leaving_ = false;
  bool hang_up_after_playback_ = false;
  bool ended_ = false;
  net::LoopTimer digit_timer_;
  // Last: destroyed first, so that it never calls back into a half-destroyed session.
  std::unique_ptr<media::LocalEndpoint> endpoint_;
};

}  // namespace

UnixClock shifted_unix_clock(std::int64_t offset_seconds) {
  return [offset_seconds] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() +
           offset_seconds;
  };
}

ApplicationMaker ivr_maker(const IvrDirectory& directory, const media::PromptLibrary* prompts,
                           UnixClock unix_now) {
  return [&directory, prompts, unix_now = std::move(unix_now), tone = make_tone()](
             ApplicationContext& context) -> Result<std::unique_ptr<sip::LocalSession>> {
    const auto parsed = parse_tenant_argument(context.argument);
    if (!parsed) return Error{404, "No such menu"};
    auto snapshot = directory.current();
    const IvrSnapshot::Key key{parsed->first, std::string(parsed->second)};
    if (!snapshot->menus.contains(key) && !snapshot->schedules.contains(key)) {
      return Error{404, "No such menu"};
    }
    auto session =
        std::make_unique<IvrSession>(std::move(snapshot), prompts, unix_now, parsed->first,
                                     std::string(parsed->second), context, tone);
    if (auto started = session->start(context); !started) return started.error();
    return std::unique_ptr<sip::LocalSession>(std::move(session));
  };
}

}  // namespace parley::app
