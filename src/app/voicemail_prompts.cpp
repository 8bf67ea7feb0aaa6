#include "app/voicemail_prompts.hpp"

#include <cmath>
#include <numbers>
#include <string>

namespace parley::app {
namespace {

using pbx::VoicemailPrompt;

// A prompt is either a standard one (by key; the shared library's clip when it has it, else
// ours) or a text of ours.
struct PromptSource {
  std::string_view standard_key;
  std::string_view text;
};

PromptSource source_of(VoicemailPrompt prompt) {
  switch (prompt) {
    case VoicemailPrompt::kEnterPin:
      return {"enter_pin", {}};
    case VoicemailPrompt::kWrongPin:
      return {"wrong_pin", {}};
    case VoicemailPrompt::kGoodbye:
      return {"goodbye", {}};
    case VoicemailPrompt::kLocked:
      return {{}, "This mailbox is locked after too many wrong PINs. Please try again later."};
    case VoicemailPrompt::kNoPin:
      return {{}, "This mailbox has no PIN yet. Please ask your administrator to set one."};
    case VoicemailPrompt::kYouHave:
      return {{}, "You have"};
    case VoicemailPrompt::kNewMessages:
      return {{}, "new messages."};
    case VoicemailPrompt::kNoMessages:
      return {{}, "There are no messages."};
    case VoicemailPrompt::kMessageDeleted:
      return {{}, "Message deleted."};
    case VoicemailPrompt::kMessageSaved:
      return {{}, "Message saved."};
    case VoicemailPrompt::kNoMoreMessages:
      return {{}, "There are no more messages."};
    case VoicemailPrompt::kFirstMessage:
      return {{}, "This is the first message."};
    case VoicemailPrompt::kHelp:
      return {{},
              "Press 7 to delete, 9 to save, 4 for the previous message, 6 for the next, 0 to "
              "record your greeting, or hash to finish."};
    case VoicemailPrompt::kRecordGreeting:
      return {{}, "Record your greeting after the tone, then press hash."};
    case VoicemailPrompt::kGreetingSaved:
      return {{}, "Your greeting is saved."};
    case VoicemailPrompt::kBeep:
      return {};
  }
  return {};
}

constexpr VoicemailPrompt kOwnTexts[] = {
    VoicemailPrompt::kLocked,         VoicemailPrompt::kNoPin,
    VoicemailPrompt::kYouHave,        VoicemailPrompt::kNewMessages,
    VoicemailPrompt::kNoMessages,     VoicemailPrompt::kMessageDeleted,
    VoicemailPrompt::kMessageSaved,   VoicemailPrompt::kNoMoreMessages,
    VoicemailPrompt::kFirstMessage,   VoicemailPrompt::kHelp,
    VoicemailPrompt::kRecordGreeting, VoicemailPrompt::kGreetingSaved,
};

// 400 ms at 1 kHz, as the deposit's beep (decision 0021).
std::shared_ptr<const media::AudioClip> make_beep() {
  constexpr int kRate = 8000;
  std::vector<std::int16_t> samples(kRate * 4 / 10);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double phase = 2.0 * std::numbers::pi * 1000.0 * static_cast<double>(i) / kRate;
    samples[i] = static_cast<std::int16_t>(std::lround(6000.0 * std::sin(phase)));
  }
  auto clip = media::AudioClip::from_samples(std::move(samples), kRate);
  return clip ? std::move(clip).value() : nullptr;
}

}  // namespace

VoicemailPrompts::VoicemailPrompts(const media::PromptLibrary* shared,
                                   std::unique_ptr<media::PromptLibrary> own)
    : shared_(shared), own_(std::move(own)), beep_(make_beep()) {}

Result<void> VoicemailPrompts::prepare() const {
  if (own_ == nullptr) return {};
  Result<void> first_error;
  auto prepare_one = [&](std::string_view text) {
    if (own_->find(text)) return;
    // A second try: the shared library may have been writing the same cache file just then.
    if (own_->prepare(text)) return;
    if (auto made = own_->prepare(text); !made && first_error.ok()) first_error = made.error();
  };
  for (const VoicemailPrompt prompt : kOwnTexts) prepare_one(source_of(prompt).text);
  prepare_one(kMailboxFullText);
  prepare_one(kRecordingFailedText);
  // The standard ones too: the shared library prepares them only once an IVR menu exists.
  for (const std::string_view key : {"enter_pin", "wrong_pin", "goodbye"}) {
    prepare_one(media::standard_prompt_text(key));
  }
  for (char digit = '0'; digit <= '9'; ++digit) {
    prepare_one(media::standard_prompt_text(std::string("digit_") + digit));
  }
  return first_error;
}

std::shared_ptr<const media::AudioClip> VoicemailPrompts::find(VoicemailPrompt prompt) const {
  if (prompt == VoicemailPrompt::kBeep) return beep_;
  const PromptSource source = source_of(prompt);
  if (!source.standard_key.empty()) return standard(source.standard_key);
  return own_ == nullptr ? nullptr : own_->find(source.text);
}

std::vector<std::shared_ptr<const media::AudioClip>> VoicemailPrompts::number(
    std::uint32_t number) const {
  std::vector<std::shared_ptr<const media::AudioClip>> clips;
  for (const char digit : std::to_string(number)) {
    if (auto clip = standard(std::string("digit_") + digit)) clips.push_back(std::move(clip));
  }
  return clips;
}

std::shared_ptr<const media::AudioClip> VoicemailPrompts::standard(std::string_view key) const {
  if (shared_ != nullptr) {
    if (auto clip = shared_->standard(key)) return clip;
  }
  return own_ == nullptr ? nullptr : own_->find(media::standard_prompt_text(key));
}

std::shared_ptr<const media::AudioClip> VoicemailPrompts::mailbox_full() const {
  return own_ == nullptr ? nullptr : own_->find(kMailboxFullText);
}

std::shared_ptr<const media::AudioClip> VoicemailPrompts::recording_failed() const {
  return own_ == nullptr ? nullptr : own_->find(kRecordingFailedText);
}

}  // namespace parley::app
