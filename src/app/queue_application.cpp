#include "app/queue_application.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <string>
#include <utility>

#include "net/loop_timer.hpp"

namespace parley::app {
namespace {

constexpr std::string_view kVoicemailPrefix = "voicemail:";

class QueueSession final : public sip::LocalSession, public media::LocalEndpoint::Listener {
 public:
  QueueSession(QueueCenter& center, std::shared_ptr<const pbx::LiveState> live,
               std::shared_ptr<const media::AudioClip> music, const media::PromptLibrary* prompts,
               ApplicationContext& context)
      : center_(center),
        live_(std::move(live)),
        music_(std::move(music)),
        prompts_(prompts),
        tenant_(context.call.tenant_id),
        number_(context.argument),
        calling_party_(context.call.caller),
        label_(number_ + " (" + context.call.caller + ")"),
        hang_up_(context.hang_up),
        poll_timer_(context.pool, context.worker, [this] { poll(); }) {}

  ~QueueSession() override {
    poll_timer_.cancel();
    // Still in line (hung up while waiting or while agents rang): abandoned.
    if (caller_ && !answered_ && !left_) center_.leave(tenant_, number_, *caller_);
  }
  QueueSession(const QueueSession&) = delete;
  QueueSession& operator=(const QueueSession&) = delete;

  Result<void> start(ApplicationContext& context) {
    auto endpoint = media::LocalEndpoint::create(context.pool, context.worker, context.ports,
                                                 context.clock, context.endpoint, *this);
    if (!endpoint) return endpoint.error();
    endpoint_ = std::move(endpoint).value();
    auto joined = center_.join(tenant_, number_);
    caller_ = joined.caller;
    if (!caller_) {
      // Full (or removed since routing): the caller is answered and passed to the fallback at
      // the first tick, when the B2BUA can redirect an answered call.
      spdlog::info("queue {}: full, caller goes to the fallback", label_);
      pending_fallback_ = joined.fallback;
      must_leave_ = true;
    }
    // The first tick comes after the caller had time to ACK our 200: a redirect answered at
    // once re-INVITEs the caller, which must not cross its ACK.
    poll_timer_.arm(std::chrono::steady_clock::now() + kQueuePollInterval);
    return {};
  }

  Result<std::string> answer(std::string_view offer) override {
    auto answered = endpoint_->answer(offer);
    if (answered && !player_ && endpoint_->sample_rate() != 0 && music_) {
      auto player = media::AudioPlayer::create(music_, endpoint_->sample_rate());
      if (player) player_ = std::move(player).value();
    }
    return answered;
  }

  TimePoint last_media() const override { return endpoint_->last_media(); }

  void set_redirect(std::function<void(std::string)> redirect) override {
    redirect_ = std::move(redirect);
  }

  void on_redirect_failed(int status) override {
    if (leaving_) {
      spdlog::warn("queue {}: fallback failed with {}; hanging up", label_, status);
      if (hang_up_) hang_up_();
      return;
    }
    ringing_ = false;
    if (caller_) center_.offer_failed(tenant_, number_, *caller_);
    spdlog::debug("queue {}: agents did not answer ({})", label_, status);
    if (must_leave_) leave_for(pending_fallback_);
  }

  void on_redirect_answered(std::string_view extension) override {
    if (leaving_ || !caller_) return;
    answered_ = true;
    center_.answered(tenant_, number_, *caller_, extension);
    spdlog::info("queue {}: answered by {}", label_, extension);
  }

  void on_audio(std::span<const std::int16_t> /*pcm*/) override {}
  void on_dtmf(const media::DtmfDigit& /*digit*/) override {}

  bool fill_frame(std::span<std::int16_t> pcm) override {
    if (announcing_ && speak(pcm)) return true;
    if (!player_) return false;
    const auto frame = player_->next_frame();
    const std::size_t count = std::min(frame.size(), pcm.size());
    std::copy_n(frame.begin(), count, pcm.begin());
    return true;
  }

 private:
  void poll() {
    if (leaving_) return;
    if (must_leave_) {
      if (!ringing_) leave_for(pending_fallback_);
      return;
    }
    if (!caller_) return;
    const QueueStep step = center_.poll(tenant_, number_, *caller_, *live_);
    switch (step.kind) {
      case QueueStep::Kind::kWait:
        maybe_announce(step);
        break;
      case QueueStep::Kind::kRing:
        if (redirect_ && !ringing_) {
          ringing_ = true;
          center_.arm_offer(tenant_, number_, *caller_, calling_party_);
          // Only the agent's devices ring: its forwarding and voicemail are not the queue's.
          redirect_("agent:" + step.agents.front());
        } else {
          center_.offer_failed(tenant_, number_, *caller_);
        }
        break;
      case QueueStep::Kind::kFallback:
      case QueueStep::Kind::kGone:
        left_ = true;  // the center took it out of line already
        spdlog::info("queue {}: caller leaves for the fallback", label_);
        must_leave_ = true;
        pending_fallback_ = step.fallback;
        // While agents still ring the B2BUA cannot redirect; the fallback follows their end.
        if (!ringing_) leave_for(pending_fallback_);
        return;
    }
    poll_timer_.arm(std::chrono::steady_clock::now() + kQueuePollInterval);
  }

  // "You are caller number N" on entering and then every announce_interval of music; the music
  // pauses for it and goes on where it stopped. Not while agents ring: the caller is first.
  void maybe_announce(const QueueStep& step) {
    announce_interval_ = step.announce_interval;
    if (prompts_ == nullptr || announce_interval_.count() == 0 || announcing_ || ringing_) return;
    const auto now = std::chrono::steady_clock::now();
    if (next_announce_ && now < *next_announce_) return;
    std::deque<std::shared_ptr<const media::AudioClip>> clips;
    for (const std::string_view key : queue_announcement_prompts(step.position)) {
      auto clip = prompts_->standard(key);
      if (!clip) {
        // Not synthesised (espeak-ng missing, or still being made): music only for now.
        next_announce_ = now + announce_interval_;
        return;
      }
      clips.push_back(std::move(clip));
    }
    announcement_ = std::move(clips);
    announcing_ = true;
  }

  // The next frame of the announcement; false (and the announcement over) when it has ended.
  bool speak(std::span<std::int16_t> pcm) {
    while (!speaker_ && !announcement_.empty() && endpoint_->sample_rate() != 0) {
      auto speaker = media::AudioPlayer::create(announcement_.front(), endpoint_->sample_rate());
      announcement_.pop_front();
      if (speaker) speaker_ = std::move(speaker).value();
    }
    if (!speaker_) {
      announcing_ = false;
      announcement_.clear();
      next_announce_ = std::chrono::steady_clock::now() + announce_interval_;
      return false;
    }
    const auto frame = speaker_->next_frame();
    const std::size_t count = std::min(frame.size(), pcm.size());
    std::copy_n(frame.begin(), count, pcm.begin());
    if (speaker_->loops() > 0) speaker_.reset();  // this clip is over; the next frame goes on
    return true;
  }

  void leave_for(const std::string& fallback) {
    if (leaving_) return;
    leaving_ = true;
    left_ = true;
    if (caller_ && !answered_) center_.leave(tenant_, number_, *caller_);
    if (fallback.empty() || !redirect_) {
      if (hang_up_) hang_up_();
      return;
    }
    if (fallback.starts_with(kVoicemailPrefix)) {
      redirect_("app:" + fallback);
    } else {
      redirect_(fallback);
    }
  }

  QueueCenter& center_;
  std::shared_ptr<const pbx::LiveState> live_;
  std::shared_ptr<const media::AudioClip> music_;
  const media::PromptLibrary* prompts_;
  store::TenantId tenant_;
  std::string number_;
  std::string calling_party_;
  std::string label_;
  std::function<void()> hang_up_;
  std::function<void(std::string)> redirect_;
  std::unique_ptr<media::LocalEndpoint> endpoint_;
  std::optional<media::AudioPlayer> player_;  // the music
  // The position announcement being spoken: the clips still to come and the one playing.
  std::deque<std::shared_ptr<const media::AudioClip>> announcement_;
  std::optional<media::AudioPlayer> speaker_;
  bool announcing_ = false;
  std::chrono::seconds announce_interval_{0};
  std::optional<std::chrono::steady_clock::time_point> next_announce_;  // unset: on entering
  std::optional<pbx::QueueCallerId> caller_;
  std::string pending_fallback_;
  bool ringing_ = false;       // a redirect to agents is in flight
  bool answered_ = false;      // an agent took the caller
  bool left_ = false;          // out of the line (timed out, removed or leaving)
  bool must_leave_ = false;    // to the fallback as soon as no agent rings
  bool leaving_ = false;       // the fallback redirect (or hang-up) was asked for
  net::LoopTimer poll_timer_;  // last: destroyed first, so no tick runs into a half-gone session
};

}  // namespace

ApplicationMaker queue_maker(QueueCenter& center, std::shared_ptr<const pbx::LiveState> live,
                             std::shared_ptr<const media::AudioClip> music,
                             const media::PromptLibrary* prompts) {
  return [&center, live = std::move(live), music = std::move(music),
          prompts](ApplicationContext& context) -> Result<std::unique_ptr<sip::LocalSession>> {
    if (context.argument.empty() || !center.exists(context.call.tenant_id, context.argument)) {
      return Error{404, "No such queue"};
    }
    auto session = std::make_unique<QueueSession>(center, live, music, prompts, context);
    if (auto started = session->start(context); !started) return started.error();
    return std::unique_ptr<sip::LocalSession>(std::move(session));
  };
}

}  // namespace parley::app
