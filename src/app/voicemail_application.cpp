#include "app/voicemail_application.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

#include "app/prompt_playback.hpp"
#include "app/voicemail_service.hpp"
#include "net/worker_pool.hpp"
#include "store/validation.hpp"

namespace parley::app {
namespace {

constexpr int kLeadFrames = 15;  // 300 ms of silence before the beep
constexpr int kBeepFrames = 20;  // 400 ms
constexpr double kBeepHz = 1000.0;
constexpr double kBeepAmplitude = 6000.0;
// How long the beep waits for the box check (limit, disk, greeting) beyond the lead silence; the
// check is a store query, so it normally answers within the lead.
constexpr int kMaxCheckWaitFrames = 100;

class VoicemailSession final : public sip::LocalSession, public media::LocalEndpoint::Listener {
 public:
  VoicemailSession(VoicemailService& service, media::VoicemailDepositInfo info,
                   std::function<void()> hang_up)
      : service_(service),
        writer_(service.writer()),
        info_(std::move(info)),
        hang_up_(std::move(hang_up)) {}

  ~VoicemailSession() override {
    // The caller hung up (or we did): the writer seals and indexes what was said.
    if (deposit_) deposit_->finish();
  }
  VoicemailSession(const VoicemailSession&) = delete;
  VoicemailSession& operator=(const VoicemailSession&) = delete;

  Result<void> start(ApplicationContext& context) {
    auto made = media::LocalEndpoint::create(context.pool, context.worker, context.ports,
                                             context.clock, context.endpoint, *this);
    if (!made.ok()) return made.error();
    endpoint_ = std::move(made).value();
    check_box(context);
    return {};
  }

  Result<std::string> answer(std::string_view offer) override { return endpoint_->answer(offer); }
  TimePoint last_media() const override { return endpoint_->last_media(); }

  void on_audio(std::span<const std::int16_t> pcm) override {
    if (!recording_ || ending_) return;
    if (!deposit_) {
      const int rate = endpoint_->sample_rate();
      if (rate <= 0) return;
      deposit_ = writer_.start(info_, rate);
      max_samples_ = static_cast<std::uint64_t>(rate) *
                     static_cast<std::uint64_t>(
                         std::chrono::duration_cast<std::chrono::seconds>(kMaxMessage).count());
    }
    if (deposit_->failed()) {
      // The disk let the message down (full): the writer removes what it wrote; the caller
      // hears why and the call ends (decision 0040).
      spdlog::warn("voicemail for box {} from {}: the message could not be written; apologising",
                   info_.box, info_.caller);
      deposit_->finish();
      recording_ = false;
      apologising_ = true;
      return;
    }
    deposit_->append(pcm);
    recorded_ += pcm.size();
    if (recorded_ >= max_samples_) end();
  }

  void on_dtmf(const media::DtmfDigit& digit) override {
    if (digit.digit == '#' && digit.end) end();
  }

  bool fill_frame(std::span<std::int16_t> pcm) override {
    if (apologising_) return apologise(pcm);
    if (frames_played_ == kLeadFrames) {
      // The beep waits for the box check: a full box apologises instead, a recorded greeting
      // plays first.
      if (!check_ && ++check_wait_frames_ <= kMaxCheckWaitFrames) return false;
      if (check_ && !announced_) {
        if (!player_) start_announcement(endpoint_->sample_rate());
        if (player_ && !play_frame(player_, pcm)) return true;
        announced_ = true;
        if (check_->full) end();
        return true;
      }
      if (check_ && check_->full) return false;
    }
    if (frames_played_ >= kLeadFrames + kBeepFrames) {
      recording_ = true;  // the beep is over: what the caller says now is the message
      return false;
    }
    const int frame = frames_played_++;
    if (frame < kLeadFrames) return false;
    const double rate = static_cast<double>(pcm.size()) * 50.0;
    for (std::int16_t& sample : pcm) {
      const double phase =
          2.0 * std::numbers::pi * kBeepHz * static_cast<double>(beep_sample_++) / rate;
      sample = static_cast<std::int16_t>(std::lround(kBeepAmplitude * std::sin(phase)));
    }
    return true;
  }

 private:
  void check_box(ApplicationContext& context) {
    net::WorkerPool& pool = context.pool;
    const std::size_t worker = context.worker;
    std::weak_ptr<int> alive = alive_;
    VoicemailSession* self = this;
    const bool queued = service_.jobs().submit([&service = service_, &pool, worker, alive, self,
                                                tenant = info_.tenant_id, box = info_.box] {
      DepositCheck check = service.check_deposit(tenant, box);
      // Runs on the call's loop, where the session is destroyed: alive means alive.
      pool.post(worker, [alive, self, check = std::move(check)]() mutable {
        if (alive.lock()) self->check_ = std::move(check);
      });
    });
    if (!queued) check_ = DepositCheck{};  // no check possible: take the message as before
  }

  // The apology of a full box, or the box's recorded greeting (none: straight to the beep).
  void start_announcement(int rate) {
    const auto clip = check_->full ? service_.prompts().mailbox_full() : check_->greeting;
    player_ = player_for(clip, rate);
  }

  // The "could not be saved" apology, then the hang-up (at once without spoken prompts).
  bool apologise(std::span<std::int16_t> pcm) {
    if (ending_) return false;
    if (!apology_started_) {
      apology_started_ = true;
      player_ = player_for(service_.prompts().recording_failed(), endpoint_->sample_rate());
    }
    const bool spoke = player_.has_value();
    if (spoke && !play_frame(player_, pcm)) return true;
    end();  // after the apology's last frame (in `pcm` now), or at once without one
    return spoke;
  }

  void end() {
    if (ending_) return;
    ending_ = true;
    if (hang_up_) hang_up_();
  }

  VoicemailService& service_;
  media::VoicemailWriter& writer_;
  media::VoicemailDepositInfo info_;
  std::function<void()> hang_up_;
  std::shared_ptr<media::VoicemailDeposit> deposit_;
  int frames_played_ = 0;
  std::uint64_t beep_sample_ = 0;
  bool recording_ = false;
  bool apologising_ = false;  // the message could not be written
  bool apology_started_ = false;
  bool ending_ = false;
  std::uint64_t recorded_ = 0;
  std::uint64_t max_samples_ = 0;
  std::optional<DepositCheck> check_;
  int check_wait_frames_ = 0;
  bool announced_ = false;
  std::optional<media::AudioPlayer> player_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // jobs' results hold it weakly
  // Last: destroyed first, so that it never calls back into a half-destroyed session.
  std::unique_ptr<media::LocalEndpoint> endpoint_;
};

}  // namespace

Result<std::unique_ptr<sip::LocalSession>> make_voicemail_session(ApplicationContext& context,
                                                                  VoicemailService& service) {
  if (!store::check_extension_number(context.argument)) return Error{404, "No such mailbox"};
  media::VoicemailDepositInfo info;
  info.tenant_id = context.call.tenant_id;
  info.box = std::string(context.argument);
  info.caller = context.call.caller;
  auto session = std::make_unique<VoicemailSession>(service, std::move(info), context.hang_up);
  if (auto started = session->start(context); !started.ok()) return started.error();
  return std::unique_ptr<sip::LocalSession>(std::move(session));
}

}  // namespace parley::app
