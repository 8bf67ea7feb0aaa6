#include "app/feature_code_application.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

#include "media/local_endpoint.hpp"
#include "net/worker_pool.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {
namespace {

using pbx::FeatureAction;

constexpr std::array kOutcomes = {FeatureOutcome::kDndOn, FeatureOutcome::kDndOff,
                                  FeatureOutcome::kForwardSet, FeatureOutcome::kForwardCleared,
                                  FeatureOutcome::kFailed};

bool is_not_found(const Error& error) {
  // 404: no such number; 400: not even shaped like an extension number (an outside number).
  return error.code == static_cast<int>(store::StoreError::kNotFound) ||
         error.code == static_cast<int>(store::StoreError::kInvalidInput);
}

// The number after *72 / *90 / *52 as a destination, decided on fresh store reads (the
// in-memory dial plan may be up to a second old).
Result<store::Destination> forward_target(store::CallFeatureStore& store, store::TenantId tenant,
                                          const std::string& number) {
  if (!number.starts_with('+')) {
    auto extension = store.get_call_features(tenant, number);
    if (extension) return store::Destination{store::DestinationKind::kExtension, number};
    if (!is_not_found(extension.error())) return extension.error();
    auto group = store.get_ring_group(tenant, number);
    if (group) return store::Destination{store::DestinationKind::kRingGroup, number};
    if (!is_not_found(group.error())) return group.error();
  }
  return store::Destination{store::DestinationKind::kExternal, number};
}

Result<FeatureOutcome> set_dnd(store::CallFeatureStore& store, store::TenantId tenant,
                               std::string_view extension, bool on) {
  if (auto set = store.set_dnd(tenant, extension, on); !set) return set.error();
  return on ? FeatureOutcome::kDndOn : FeatureOutcome::kDndOff;
}

// --- the session -------------------------------------------------------------------------

constexpr int kLeadFrames = 10;  // 200 ms of silence first: the caller's audio path opens
constexpr int kTailFrames = 10;  // 200 ms after the prompt, so its end is not cut by the BYE
// The change has not come back after 5 s (a stuck disk): say it failed rather than wait.
constexpr int kMaxWaitFrames = 250;

// Beeps for a server without spoken prompts (espeak-ng missing): two short high ones for
// done, one long low one for failed.
std::shared_ptr<const media::AudioClip> make_beeps(double hz, int beeps, int beep_ms) {
  constexpr int kRate = 8000;
  const std::size_t beep = static_cast<std::size_t>(kRate * beep_ms / 1000);
  const std::size_t gap = kRate / 10;
  std::vector<std::int16_t> samples;
  for (int b = 0; b < beeps; ++b) {
    for (std::size_t i = 0; i < beep; ++i) {
      const double phase = 2.0 * std::numbers::pi * hz * static_cast<double>(i) / kRate;
      samples.push_back(static_cast<std::int16_t>(std::lround(6000.0 * std::sin(phase))));
    }
    samples.insert(samples.end(), gap, 0);
  }
  auto clip = media::AudioClip::from_samples(std::move(samples), kRate);
  return clip ? std::move(clip).value() : nullptr;
}

struct FallbackBeeps {
  std::shared_ptr<const media::AudioClip> done = make_beeps(880.0, 2, 150);
  std::shared_ptr<const media::AudioClip> failed = make_beeps(400.0, 1, 600);
};

class FeatureCodeSession final : public sip::LocalSession, public media::LocalEndpoint::Listener {
 public:
  FeatureCodeSession(FeatureCodeService& service, std::shared_ptr<const FallbackBeeps> beeps,
                     std::function<void()> hang_up)
      : service_(service), beeps_(std::move(beeps)), hang_up_(std::move(hang_up)) {}
  FeatureCodeSession(const FeatureCodeSession&) = delete;
  FeatureCodeSession& operator=(const FeatureCodeSession&) = delete;

  Result<void> start(ApplicationContext& context, FeatureRequest request) {
    auto endpoint = media::LocalEndpoint::create(context.pool, context.worker, context.ports,
                                                 context.clock, context.endpoint, *this);
    if (!endpoint) return endpoint.error();
    endpoint_ = std::move(endpoint).value();
    worker_ = context.worker;
    request_ = std::move(request);
    return {};
  }

  // The change is made once the call can be answered: a caller refused for its codecs (488)
  // changes nothing.
  Result<std::string> answer(std::string_view offer) override {
    auto answered = endpoint_->answer(offer);
    if (answered && request_) submit();
    return answered;
  }
  TimePoint last_media() const override { return endpoint_->last_media(); }

  void on_audio(std::span<const std::int16_t> /*pcm*/) override {}
  void on_dtmf(const media::DtmfDigit& /*digit*/) override {}

  bool fill_frame(std::span<std::int16_t> pcm) override {
    const int rate = endpoint_->sample_rate();
    if (rate == 0 || ended_) return false;
    ++frames_;
    if (!outcome_ && frames_ > kMaxWaitFrames) outcome_ = FeatureOutcome::kFailed;
    if (!outcome_ || frames_ <= kLeadFrames) return false;
    if (!started_playing_) {
      started_playing_ = true;
      auto clip = service_.prompt(*outcome_);
      if (!clip) clip = *outcome_ == FeatureOutcome::kFailed ? beeps_->failed : beeps_->done;
      if (clip) {
        auto player = media::AudioPlayer::create(std::move(clip), rate);
        if (player) player_ = std::move(player).value();
      }
    }
    if (player_) {
      const auto frame = player_->next_frame();
      std::copy_n(frame.begin(), std::min(frame.size(), pcm.size()), pcm.begin());
      // Played once. The frame that wrapped round carries a few ms of the start again; the
      // prompts begin with silence, so nothing is heard twice.
      if (player_->loops() > 0) player_.reset();
      return true;
    }
    if (++tail_frames_ >= kTailFrames) end();
    return false;
  }

 private:
  void submit() {
    FeatureRequest request = std::move(*request_);
    request_.reset();
    // The outcome comes back on this loop; the session may be gone by then (the caller hung
    // up), which `alive` tells, on the same loop that destroys the session.
    std::weak_ptr<const bool> alive = alive_;
    auto done = [alive = std::move(alive), this](FeatureOutcome outcome) {
      if (alive.lock()) on_outcome(outcome);
    };
    const std::string dialled = request.dialled;
    if (!service_.submit(std::move(request), worker_, std::move(done))) {
      spdlog::warn("feature code {}: the queue is full", dialled);
      outcome_ = FeatureOutcome::kFailed;
    }
  }

  void on_outcome(FeatureOutcome outcome) {
    if (!outcome_) outcome_ = outcome;
  }

  void end() {
    if (ended_) return;
    ended_ = true;
    if (hang_up_) hang_up_();
  }

  FeatureCodeService& service_;
  std::shared_ptr<const FallbackBeeps> beeps_;
  std::function<void()> hang_up_;
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
  std::size_t worker_ = 0;
  std::optional<FeatureRequest> request_;  // until answered
  std::optional<FeatureOutcome> outcome_;
  std::optional<media::AudioPlayer> player_;
  int frames_ = 0;
  int tail_frames_ = 0;
  bool started_playing_ = false;
  bool ended_ = false;
  // Last: destroyed first, so that it never calls back into a half-destroyed session.
  std::unique_ptr<media::LocalEndpoint> endpoint_;
};

bool is_call_feature(FeatureAction action) {
  switch (action) {
    case FeatureAction::kDndOn:
    case FeatureAction::kDndOff:
    case FeatureAction::kDndToggle:
    case FeatureAction::kForwardSet:
    case FeatureAction::kForwardClear:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view prompt_key(FeatureOutcome outcome) {
  switch (outcome) {
    case FeatureOutcome::kDndOn:
      return "dnd_on";
    case FeatureOutcome::kDndOff:
      return "dnd_off";
    case FeatureOutcome::kForwardSet:
      return "forward_set";
    case FeatureOutcome::kForwardCleared:
      return "forward_cleared";
    case FeatureOutcome::kFailed:
      break;
  }
  return "failed";
}

std::optional<sip::CallPlan> feature_code_plan(std::string_view dialled) {
  const auto code = pbx::parse_feature_code(dialled);
  if (!code) return std::nullopt;
  if (is_call_feature(code->action)) {
    return sip::CallPlan{.application = std::string(kFeatureCodeKind) + ":" + std::string(dialled)};
  }
  switch (code->action) {
    case FeatureAction::kInvalid:
      return sip::CallPlan{.reject_status = 484, .reject_reason = "Address Incomplete"};
    case FeatureAction::kUnknown:
      return sip::CallPlan{.reject_status = 404, .reject_reason = "Unknown Feature Code"};
    default:  // pickup (*8, **EXT): carried out with call pickup (decision 0024)
      return std::nullopt;
  }
}

Result<FeatureOutcome> apply_feature_code(store::CallFeatureStore& store, store::TenantId tenant,
                                          std::string_view extension,
                                          const pbx::FeatureCode& code) {
  switch (code.action) {
    case FeatureAction::kDndOn:
      return set_dnd(store, tenant, extension, true);
    case FeatureAction::kDndOff:
      return set_dnd(store, tenant, extension, false);
    case FeatureAction::kDndToggle: {
      auto features = store.get_call_features(tenant, extension);
      if (!features) return features.error();
      return set_dnd(store, tenant, extension, !features->dnd);
    }
    case FeatureAction::kForwardSet: {
      auto features = store.get_call_features(tenant, extension);
      if (!features) return features.error();
      auto destination = forward_target(store, tenant, code.number);
      if (!destination) return destination.error();
      store::CallForward forward{code.condition, std::move(destination).value(),
                                 store::kDefaultNoAnswerSeconds};
      for (const auto& existing : features->forwards) {
        if (existing.condition == code.condition) {
          forward.no_answer_seconds = existing.no_answer_seconds;
        }
      }
      if (auto set = store.set_forward(tenant, extension, forward); !set) return set.error();
      return FeatureOutcome::kForwardSet;
    }
    case FeatureAction::kForwardClear: {
      auto cleared = store.clear_forward(tenant, extension, code.condition);
      if (!cleared) return cleared.error();
      return FeatureOutcome::kForwardCleared;  // also when nothing was set: it is off now
    }
    default:
      return Error{400, "not a do-not-disturb or forwarding code"};
  }
}

Result<std::unique_ptr<FeatureCodeService>> FeatureCodeService::open(
    const std::filesystem::path& data_dir, net::WorkerPool& pool) {
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = data_dir;
  options.create_if_missing = false;
  auto store = store::sqlite::SqliteStore::open(options);
  if (!store) return store.error();
  std::unique_ptr<media::PromptLibrary> prompts;
  if (auto opened = media::PromptLibrary::open(data_dir / "prompts"); opened) {
    prompts = std::move(opened).value();
  } else {
    spdlog::warn("feature codes: no spoken confirmations: {}", opened.error().message);
  }
  return std::make_unique<FeatureCodeService>(Key{}, std::move(store).value(), std::move(prompts),
                                              pool);
}

FeatureCodeService::FeatureCodeService(Key /*only open()*/,
                                       std::unique_ptr<store::CallFeatureStore> store,
                                       std::unique_ptr<media::PromptLibrary> prompts,
                                       net::WorkerPool& pool)
    : store_(std::move(store)),
      prompts_(std::move(prompts)),
      pool_(pool),
      thread_([this] { run(); }) {}

FeatureCodeService::~FeatureCodeService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool FeatureCodeService::submit(FeatureRequest request, std::size_t worker, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= kMaxQueued) return false;
    queue_.push_back(Job{std::move(request), worker, std::move(done)});
  }
  wake_.notify_one();
  return true;
}

std::shared_ptr<const media::AudioClip> FeatureCodeService::prompt(FeatureOutcome outcome) const {
  if (prompts_ == nullptr) return nullptr;
  return prompts_->standard(prompt_key(outcome));
}

void FeatureCodeService::add_to(Applications& applications) {
  auto beeps = std::make_shared<const FallbackBeeps>();
  applications.add(
      std::string(kFeatureCodeKind),
      [this, beeps](ApplicationContext& context) -> Result<std::unique_ptr<sip::LocalSession>> {
        const auto code = pbx::parse_feature_code(context.argument);
        if (!code || !is_call_feature(code->action)) {
          return Error{404, "No such feature code"};
        }
        FeatureRequest request{context.call.tenant_id, context.call.caller, *code,
                               std::string(context.argument)};
        auto session = std::make_unique<FeatureCodeSession>(*this, beeps, context.hang_up);
        if (auto started = session->start(context, std::move(request)); !started) {
          return started.error();
        }
        return std::unique_ptr<sip::LocalSession>(std::move(session));
      });
}

void FeatureCodeService::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (queue_.empty() && !stopping_) {
      // Idle: speak the next confirmation, so that the first caller does not wait for it.
      lock.unlock();
      const bool more = prepare_next_prompt();
      lock.lock();
      if (more) continue;
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    }
    if (queue_.empty()) return;  // stopping, and everything carried out
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    carry_out(job);
    lock.lock();
  }
}

void FeatureCodeService::carry_out(Job& job) {
  const FeatureRequest& request = job.request;
  auto applied = apply_feature_code(*store_, request.tenant, request.extension, request.code);
  FeatureOutcome outcome = FeatureOutcome::kFailed;
  if (applied) {
    outcome = *applied;
    spdlog::info("feature code {} by extension {} (tenant {}): {}", request.dialled,
                 request.extension, request.tenant, prompt_key(outcome));
  } else {
    spdlog::warn("feature code {} by extension {} (tenant {}) failed: {}", request.dialled,
                 request.extension, request.tenant, applied.error().message);
  }
  // The confirmation is ready before the caller is told (blocking synthesis, here only).
  if (prompts_ != nullptr) {
    if (auto prepared = prompts_->prepare(media::standard_prompt_text(prompt_key(outcome)));
        !prepared) {
      spdlog::warn("feature codes: cannot speak '{}': {}", prompt_key(outcome),
                   prepared.error().message);
    }
  }
  pool_.post(job.worker, [done = std::move(job.done), outcome] { done(outcome); });
}

bool FeatureCodeService::prepare_next_prompt() {
  if (prompts_ == nullptr || prompts_tried_ >= kOutcomes.size()) return false;
  const std::string_view key = prompt_key(kOutcomes[prompts_tried_++]);
  if (auto prepared = prompts_->prepare(media::standard_prompt_text(key)); !prepared) {
    spdlog::warn("feature codes: cannot speak '{}': {}", key, prepared.error().message);
  }
  return prompts_tried_ < kOutcomes.size();
}

}  // namespace parley::app
