#include "app/park_service.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "app/applications.hpp"
#include "app/park_application.hpp"
#include "media/prompt_library.hpp"

namespace parley::app {
namespace {

constexpr std::array<std::string_view, 11> kSpokenTexts{"zero",  "one",  "two",           "three",
                                                        "four",  "five", "six",           "seven",
                                                        "eight", "nine", "Parked in slot"};
constexpr std::size_t kLeadIn = 10;

media::ConferenceOptions bridge_options() {
  media::ConferenceOptions options;
  options.max_participants = 2;
  options.max_speakers = 0;  // both parties are always heard
  options.tones = false;     // a retrieved call is a call, not a conference
  return options;
}

}  // namespace

ParkService::ParkService(net::WorkerPool& pool, ParkOptions options)
    : options_(std::move(options)), lot_(options_.lot), bridges_(pool, bridge_options()) {}

ParkService::~ParkService() {
  jobs_.stop();
}

void ParkService::add_to(Applications& applications) {
  applications.add(std::string(kParkKind), park_maker(*this));
  applications.add(std::string(kParkRetrieveKind), park_retrieve_maker(*this));
}

std::optional<std::string> ParkService::transfer_application(std::string_view transferor,
                                                             std::string_view target) const {
  const auto slot = lot_.slot_for(target);
  if (!slot) return std::nullopt;
  return std::string(kParkKind) + ":" + std::to_string(*slot) + ":" + std::string(transferor);
}

std::optional<sip::CallPlan> ParkService::plan_dialled(std::string_view dialled) const {
  const auto slot = lot_.slot_for(dialled);
  if (!slot) return std::nullopt;
  if (*slot == 0) {
    return sip::CallPlan{.reject_status = 403, .reject_reason = "Transfer A Call To Park It"};
  }
  return sip::CallPlan{.application = std::string(kParkRetrieveKind) + ":" + std::to_string(*slot)};
}

std::vector<std::shared_ptr<const media::AudioClip>> ParkService::announcement(std::uint32_t slot) {
  if (!options_.announce) return {};
  {
    const std::lock_guard lock(mutex_);
    if (spoken_ready_) {
      std::vector<std::shared_ptr<const media::AudioClip>> clips{spoken_[kLeadIn]};
      for (const char digit : std::to_string(slot)) {
        clips.push_back(spoken_[static_cast<std::size_t>(digit - '0')]);
      }
      return clips;
    }
  }
  if (!synthesis_asked_.exchange(true)) {
    if (!jobs_.submit([this] { synthesise(); })) synthesis_asked_ = false;
  }
  return {};
}

void ParkService::synthesise() {
  std::array<std::shared_ptr<const media::AudioClip>, 11> clips;
  for (std::size_t i = 0; i < kSpokenTexts.size(); ++i) {
    auto clip = media::synthesize_speech(kSpokenTexts[i]);
    if (!clip) {
      spdlog::warn("park: cannot speak slot numbers ({}); parked callers hear music only",
                   clip.error().message);
      return;
    }
    clips[i] = std::move(clip).value();
  }
  const std::lock_guard lock(mutex_);
  spoken_ = std::move(clips);
  spoken_ready_ = true;
}

}  // namespace parley::app
