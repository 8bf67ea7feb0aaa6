#include "media/prompt_library.hpp"

#include <espeak-ng/speak_lib.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace parley::media {
namespace {

constexpr std::string_view kVoice = "en";
// Part of every cache file name: a different voice or engine setting makes new files.
constexpr std::string_view kVoiceTag = "espeak-ng/en/160wpm/v1";

constexpr auto kStandard = std::to_array<StandardPrompt>({
    {"welcome", "Welcome."},
    {"invalid", "Sorry, that is not a valid choice."},
    {"goodbye", "Goodbye."},
    {"please_hold", "Please hold while we connect your call."},
    {"unavailable", "Sorry, nobody is available to take your call."},
    {"leave_message", "Please leave a message after the tone."},
    {"queue_position", "You are caller number"},
    {"queue_wait", "Please stay on the line. Your call is important to us."},
    {"enter_pin", "Please enter your PIN, followed by the hash key."},
    {"wrong_pin", "That PIN is not correct."},
    // Feature codes (decision 0028): the confirmation after *78, *79, *76, *72 ... *53.
    {"dnd_on", "Do not disturb is on."},
    {"dnd_off", "Do not disturb is off."},
    {"forward_set", "Call forwarding is set."},
    {"forward_cleared", "Call forwarding is cleared."},
    {"failed", "Sorry, that did not work."},
    {"digit_0", "zero"},
    {"digit_1", "one"},
    {"digit_2", "two"},
    {"digit_3", "three"},
    {"digit_4", "four"},
    {"digit_5", "five"},
    {"digit_6", "six"},
    {"digit_7", "seven"},
    {"digit_8", "eight"},
    {"digit_9", "nine"},
});

// espeak-ng keeps its engine in process-wide state; this lock serialises every use of it.
std::mutex& espeak_lock() {
  static std::mutex lock;
  return lock;
}

int espeak_rate = 0;  // guarded by espeak_lock(); 0 = not initialised

int collect(short* samples, int count, espeak_EVENT* events) {
  if (samples == nullptr || count <= 0 || events == nullptr) return 0;
  auto* out = static_cast<std::vector<std::int16_t>*>(events->user_data);
  if (out != nullptr) out->insert(out->end(), samples, samples + count);
  return 0;  // go on
}

std::uint64_t fnv1a(std::string_view a, std::string_view b) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::string_view part : {a, std::string_view("\n", 1), b}) {
    for (unsigned char c : part) {
      hash ^= c;
      hash *= 0x100000001b3ULL;
    }
  }
  return hash;
}

}  // namespace

std::span<const StandardPrompt> standard_prompts() {
  return kStandard;
}

std::string_view standard_prompt_text(std::string_view key) {
  for (const auto& prompt : kStandard) {
    if (prompt.key == key) return prompt.text;
  }
  return {};
}

Result<std::shared_ptr<const AudioClip>> synthesize_speech(std::string_view text) {
  if (text.empty() || text.size() > kMaxPromptText) {
    return Error{400, "prompt text must be 1 to " + std::to_string(kMaxPromptText) + " bytes"};
  }
  if (text.find('\0') != std::string_view::npos) return Error{400, "prompt text contains NUL"};
  std::vector<std::int16_t> samples;
  int rate = 0;
  {
    std::lock_guard lock(espeak_lock());
    if (espeak_rate == 0) {
      const int initialised =
          espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
      if (initialised <= 0)
        return Error{500, "espeak-ng could not start (is espeak-ng-data installed?)"};
      espeak_SetSynthCallback(collect);
      if (espeak_SetVoiceByName(std::string(kVoice).c_str()) != EE_OK) {
        return Error{500, "espeak-ng has no English voice"};
      }
      espeak_SetParameter(espeakRATE, 160, 0);
      espeak_rate = initialised;
    }
    const std::string copy(text);
    // SSML and phoneme input stay off: the text is spoken as written.
    const espeak_ERROR synthesized = espeak_Synth(copy.c_str(), copy.size() + 1, 0, POS_CHARACTER,
                                                  0, espeakCHARS_UTF8, nullptr, &samples);
    if (synthesized != EE_OK) return Error{500, "espeak-ng failed to speak the prompt"};
    rate = espeak_rate;
  }
  if (samples.empty()) return Error{400, "the prompt text has nothing to say"};
  auto resampler = Resampler::create(rate, kPromptSampleRate);
  if (!resampler) return resampler.error();
  std::vector<std::int16_t> converted(resampler->max_output(samples.size()) + 1);
  const auto counts = resampler->process(samples, converted);
  converted.resize(counts.produced);
  return AudioClip::from_samples(std::move(converted), kPromptSampleRate);
}

Result<std::unique_ptr<PromptLibrary>> PromptLibrary::open(std::filesystem::path cache_dir) {
  std::error_code error;
  std::filesystem::create_directories(cache_dir, error);
  if (error) {
    return Error{500, "cannot create " + cache_dir.string() + ": " + error.message()};
  }
  std::filesystem::permissions(cache_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  return std::make_unique<PromptLibrary>(std::move(cache_dir));
}

std::filesystem::path PromptLibrary::file_for(std::string_view text) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%016llx.wav",
                static_cast<unsigned long long>(fnv1a(kVoiceTag, text)));
  return dir_ / name;
}

Result<std::shared_ptr<const AudioClip>> PromptLibrary::prepare(std::string_view text) {
  if (auto known = find(text)) return known;
  const std::filesystem::path path = file_for(text);
  auto clip = AudioClip::load_wav(path.string());
  if (!clip) {
    auto spoken = synthesize_speech(text);
    if (!spoken) return spoken.error();
    clip = std::move(spoken);
    const std::vector<std::uint8_t> bytes = to_wav_bytes(**clip);
    // A name of its own per process and thread: two libraries over one cache (the server's and
    // a feature-code service's, or a CLI next to the server) may make the same prompt at once.
    const std::filesystem::path part =
        path.string() + "." + std::to_string(::getpid()) + "." +
        std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + ".part";
    {
      std::ofstream out(part, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
      if (!out.flush()) return Error{500, "cannot write " + part.string()};
    }
    std::error_code error;
    std::filesystem::rename(part, path, error);
    if (error) return Error{500, "cannot rename " + part.string() + ": " + error.message()};
  }
  std::lock_guard lock(mutex_);
  clips_.insert_or_assign(std::string(text), *clip);
  return *clip;
}

Result<void> PromptLibrary::prepare_standard() {
  Result<void> first_error;
  for (const auto& prompt : kStandard) {
    auto prepared = prepare(prompt.text);
    if (!prepared && first_error) first_error = prepared.error();
  }
  return first_error;
}

std::shared_ptr<const AudioClip> PromptLibrary::find(std::string_view text) const {
  std::lock_guard lock(mutex_);
  const auto found = clips_.find(text);
  return found == clips_.end() ? nullptr : found->second;
}

std::shared_ptr<const AudioClip> PromptLibrary::standard(std::string_view key) const {
  return find(standard_prompt_text(key));
}

}  // namespace parley::media
