#include "app/voicemail_menu_application.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/prompt_playback.hpp"
#include "app/voicemail_service.hpp"
#include "http/api/credentials.hpp"
#include "net/loop_timer.hpp"
#include "net/worker_pool.hpp"
#include "pbx/voicemail_menu.hpp"
#include "store/validation.hpp"

namespace parley::app {
namespace {

using pbx::VoicemailAction;
using Kind = VoicemailAction::Kind;

// A message's audio is loaded by a job; the queue waits for it at most this long.
constexpr int kMaxLoadWaitFrames = 150;

// What the box looked like when the call arrived.
struct LoadedBox {
  bool ok = false;
  std::string pin_hash;
  bool locked = false;
  std::vector<store::VoicemailMessage> messages;
};

class VoicemailMenuSession final : public sip::LocalSession, public media::LocalEndpoint::Listener {
 public:
  VoicemailMenuSession(VoicemailService& service, ApplicationContext& context,
                       store::TenantId tenant, std::string box)
      : service_(service),
        pool_(context.pool),
        worker_(context.worker),
        tenant_(tenant),
        box_(std::move(box)),
        guard_key_(std::to_string(tenant_) + "/" + box_),
        hang_up_(context.hang_up),
        key_timer_(context.pool, context.worker, [this] { on_key_timeout(); }) {}

  ~VoicemailMenuSession() override { key_timer_.cancel(); }
  VoicemailMenuSession(const VoicemailMenuSession&) = delete;
  VoicemailMenuSession& operator=(const VoicemailMenuSession&) = delete;

  Result<void> start(ApplicationContext& context) {
    auto endpoint = media::LocalEndpoint::create(context.pool, context.worker, context.ports,
                                                 context.clock, context.endpoint, *this);
    if (!endpoint) return endpoint.error();
    endpoint_ = std::move(endpoint).value();
    load_box();
    return {};
  }

  Result<std::string> answer(std::string_view offer) override { return endpoint_->answer(offer); }
  TimePoint last_media() const override { return endpoint_->last_media(); }

  void on_audio(std::span<const std::int16_t> pcm) override {
    if (!recording_greeting_) return;
    const std::size_t room = greeting_.capacity() - greeting_.size();
    greeting_.insert(greeting_.end(), pcm.begin(), pcm.begin() + std::min(room, pcm.size()));
    if (greeting_.size() >= greeting_.capacity()) {
      recording_greeting_ = false;
      apply(menu_.on_greeting_limit());
    }
  }

  void on_dtmf(const media::DtmfDigit& digit) override {
    // The key going down counts (an end packet may be lost; the first one rarely is).
    if (digit.end || ended_) return;
    if (menu_.state() != pbx::VoicemailMenu::State::kGreeting) stop_playback();
    key_timer_.cancel();
    apply(menu_.on_digit(digit.digit));
  }

  bool fill_frame(std::span<std::int16_t> pcm) override {
    const int rate = endpoint_->sample_rate();
    if (rate == 0) return false;
    while (!player_ && !queue_.empty()) {
      Item& head = queue_.front();
      if (head.loading) {
        if (++load_wait_frames_ <= kMaxLoadWaitFrames) return false;  // silence meanwhile
        queue_.pop_front();
        continue;
      }
      load_wait_frames_ = 0;
      player_ = player_for(std::move(head.clip), rate);
      queue_.pop_front();
    }
    if (!player_) return false;
    if (play_frame(player_, pcm) && queue_.empty()) on_queue_played();
    return true;
  }

 private:
  struct Item {
    std::shared_ptr<const media::AudioClip> clip;
    store::VoicemailId message = 0;
    bool loading = false;  // a message whose audio a job is still reading
  };

  // Runs `work` on the jobs thread and `done(result)` back on the call's loop, if the session
  // is still there. False when the jobs thread refused (full or stopping).
  template <typename Work, typename Done>
  bool run_job(Work work, Done done) {
    std::weak_ptr<int> alive = alive_;
    net::WorkerPool& pool = pool_;
    const std::size_t worker = worker_;
    return service_.jobs().submit(
        [work = std::move(work), done = std::move(done), alive, &pool, worker]() mutable {
          auto result = work();
          // Runs on the call's loop, where the session is destroyed: alive means alive.
          pool.post(worker, [alive, done = std::move(done), result = std::move(result)]() mutable {
            if (alive.lock()) done(std::move(result));
          });
        });
  }

  void load_box() {
    const bool queued = run_job(
        [&service = service_, tenant = tenant_, box = box_, key = guard_key_] {
          LoadedBox loaded;
          auto settings = service.store().get_voicemail_settings(tenant, box);
          auto messages = service.store().list_voicemail(tenant, box, store::kMaxVoicemailPage);
          if (!settings || !messages) {
            spdlog::warn("voicemail menu of {}: {}", box,
                         settings ? messages.error().message : settings.error().message);
            return loaded;
          }
          loaded.ok = true;
          loaded.pin_hash = std::move(settings->pin_hash);
          loaded.messages = std::move(messages).value();
          loaded.locked = service.pin_locked(key);
          return loaded;
        },
        [this](LoadedBox loaded) { on_box_loaded(std::move(loaded)); });
    if (!queued) end_call();
  }

  void on_box_loaded(LoadedBox loaded) {
    if (!loaded.ok) {
      end_call();
      return;
    }
    pin_hash_ = std::move(loaded.pin_hash);
    pbx::VoicemailBoxState state;
    state.has_pin = !pin_hash_.empty();
    state.locked = loaded.locked;
    for (auto& message : loaded.messages) {
      state.messages.push_back(pbx::VoicemailMenuMessage{
          message.id, message.received_at, message.state == store::VoicemailState::kNew});
      paths_.emplace(message.id, std::move(message.path));
    }
    if (state.locked)
      spdlog::warn("voicemail menu of {}@{}: locked, caller refused", box_, tenant_);
    apply(menu_.start(std::move(state)));
  }

  void apply(const pbx::VoicemailActions& actions) {
    for (const VoicemailAction& action : actions) {
      switch (action.kind) {
        case Kind::kPlay:
          enqueue(service_.prompts().find(action.prompt));
          break;
        case Kind::kSayNumber:
          for (auto& clip : service_.prompts().number(action.number)) enqueue(std::move(clip));
          break;
        case Kind::kPlayMessage:
          play_message(action.message);
          break;
        case Kind::kCheckPin:
          check_pin(action.pin);
          break;
        case Kind::kPinAccepted:
          spdlog::info("voicemail menu of {}@{}: PIN accepted", box_, tenant_);
          break;
        case Kind::kPinRejected:
          spdlog::warn("voicemail menu of {}@{}: wrong PIN (attempt {} of this call)", box_,
                       tenant_, menu_.pin_attempts());
          break;
        case Kind::kDeleteMessage:
          change_message(action.message, /*remove=*/true);
          break;
        case Kind::kSaveMessage:
          change_message(action.message, /*remove=*/false);
          break;
        case Kind::kStartGreeting:
          start_greeting_after_queue_ = true;
          break;
        case Kind::kFinishGreeting:
          finish_greeting();
          break;
        case Kind::kHangUp:
          hang_up_after_queue_ = true;
          break;
      }
    }
    if (!player_ && queue_.empty()) on_queue_played();
  }

  void enqueue(std::shared_ptr<const media::AudioClip> clip) {
    if (clip) queue_.push_back(Item{std::move(clip), 0, false});
  }

  void play_message(store::VoicemailId id) {
    const auto path = paths_.find(id);
    if (path == paths_.end()) return;
    queue_.push_back(Item{nullptr, id, true});
    const bool queued = run_job(
        [file = path->second] {
          auto clip = media::AudioClip::load(file);
          if (!clip) spdlog::warn("voicemail message {}: {}", file, clip.error().message);
          return clip ? std::move(clip).value() : nullptr;
        },
        [this, id](std::shared_ptr<const media::AudioClip> clip) {
          for (auto it = queue_.begin(); it != queue_.end(); ++it) {
            if (!it->loading || it->message != id) continue;
            if (clip) {
              it->clip = std::move(clip);
              it->loading = false;
            } else {
              queue_.erase(it);
            }
            return;
          }
        });
    if (!queued) queue_.pop_back();
  }

  void check_pin(const std::string& pin) {
    const bool queued = run_job(
        [&service = service_, hash = pin_hash_, pin, key = guard_key_] {
          if (service.pin_locked(key)) return pbx::PinCheck::kLocked;
          if (!pin.empty() && http::api::verify_password(hash, pin)) {
            service.record_pin_success(key);
            return pbx::PinCheck::kAccepted;
          }
          if (service.record_pin_failure(key)) {
            spdlog::warn("voicemail box {} locked after too many wrong PINs", key);
          }
          return pbx::PinCheck::kRejected;
        },
        [this](pbx::PinCheck result) { apply(menu_.on_pin_checked(result)); });
    if (!queued) end_call();
  }

  void change_message(store::VoicemailId id, bool remove) {
    if (remove) paths_.erase(id);
    run_job(
        [&service = service_, tenant = tenant_, box = box_, id, remove] {
          auto changed = remove ? service.delete_message(tenant, box, id)
                                : service.save_message(tenant, box, id);
          if (!changed) spdlog::warn("voicemail message {}: {}", id, changed.error().message);
          return changed.ok();
        },
        [](bool /*changed*/) {});
  }

  void start_greeting() {
    const int rate = endpoint_->sample_rate();
    if (rate <= 0) return;
    greeting_.clear();
    greeting_.reserve(static_cast<std::size_t>(rate) *
                      static_cast<std::size_t>(kMaxGreeting.count()));
    recording_greeting_ = true;
  }

  void finish_greeting() {
    recording_greeting_ = false;
    start_greeting_after_queue_ = false;  // # before the beep: nothing to keep
    const int rate = endpoint_->sample_rate();
    // Under a second is a slip of the finger, not a greeting: the old one stays.
    if (rate <= 0 || greeting_.size() < static_cast<std::size_t>(rate)) {
      greeting_.clear();
      return;
    }
    run_job(
        [&service = service_, tenant = tenant_, box = box_, samples = std::move(greeting_), rate] {
          auto saved = service.save_greeting(tenant, box, samples, rate);
          if (!saved) spdlog::warn("voicemail greeting of {}: {}", box, saved.error().message);
          return saved.ok();
        },
        [](bool /*saved*/) {});
    greeting_ = {};
  }

  void stop_playback() {
    queue_.clear();
    player_.reset();
    load_wait_frames_ = 0;
  }

  void on_queue_played() {
    if (hang_up_after_queue_) {
      end_call();
      return;
    }
    if (start_greeting_after_queue_) {
      start_greeting_after_queue_ = false;
      start_greeting();
      return;
    }
    const auto state = menu_.state();
    if (state == pbx::VoicemailMenu::State::kPin || state == pbx::VoicemailMenu::State::kMenu) {
      key_timer_.arm(std::chrono::steady_clock::now() + kMenuKeyTimeout);
    }
  }

  void on_key_timeout() {
    if (ended_ || player_ || !queue_.empty()) return;
    apply(menu_.on_timeout());
  }

  void end_call() {
    if (ended_) return;
    ended_ = true;
    key_timer_.cancel();
    if (hang_up_) hang_up_();
  }

  VoicemailService& service_;
  net::WorkerPool& pool_;
  std::size_t worker_;
  store::TenantId tenant_;
  std::string box_;
  std::string guard_key_;
  std::function<void()> hang_up_;
  pbx::VoicemailMenu menu_;
  std::string pin_hash_;
  std::map<store::VoicemailId, std::string> paths_;
  std::deque<Item> queue_;
  std::optional<media::AudioPlayer> player_;
  int load_wait_frames_ = 0;
  bool hang_up_after_queue_ = false;
  bool start_greeting_after_queue_ = false;
  bool recording_greeting_ = false;
  std::vector<std::int16_t> greeting_;
  bool ended_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // jobs' results hold it weakly
  net::LoopTimer key_timer_;
  // Last: destroyed first, so that it never calls back into a half-destroyed session.
  std::unique_ptr<media::LocalEndpoint> endpoint_;
};

}  // namespace

Result<std::unique_ptr<sip::LocalSession>> make_voicemail_menu_session(ApplicationContext& context,
                                                                       VoicemailService& service) {
  // Always the caller's own box (the B2BUA authenticated the caller as this extension), whatever
  // follows "voicemail-menu:": no route may open someone else's box.
  const std::string box = context.call.caller;
  if (!store::check_extension_number(box)) return Error{404, "No such mailbox"};
  auto session =
      std::make_unique<VoicemailMenuSession>(service, context, context.call.tenant_id, box);
  if (auto started = session->start(context); !started) return started.error();
  return std::unique_ptr<sip::LocalSession>(std::move(session));
}

}  // namespace parley::app
