#pragma once
// Spoken prompts (issue 7, decision 0022): text turned into speech by espeak-ng (Debian's
// libespeak-ng, nothing downloaded), cached as WAV files in the data folder and in memory, for
// every application that talks to callers (IVR menus, voicemail, queues).
//
// Nothing is synthesised at build time, so the shipped build stays byte-for-byte reproducible;
// prompts appear in `<data>/prompts/` the first time the server (or `parley ivr`) needs them, one
// file per text named by a stable hash of the voice and the text. A cached file is reused across
// restarts; a deleted one is made again.
//
// Synthesis blocks for tens to hundreds of milliseconds and espeak-ng keeps process-wide state:
// prepare() runs it under one process-wide lock and must be called off the worker loops (at
// start-up, on the maintenance thread when a menu changes). find() only reads memory and is what
// a call's loop uses.
//
// Clips are 16 kHz mono (AudioPlayer resamples to the call's rate).
//
// Thread-safety: all methods may be called from any thread.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "media/audio_player.hpp"

namespace parley::media {

inline constexpr int kPromptSampleRate = 16000;
inline constexpr std::size_t kMaxPromptText = 1000;

// Text of prompts the applications share, prepared at start-up.
struct StandardPrompt {
  std::string_view key;
  std::string_view text;
};
std::span<const StandardPrompt> standard_prompts();
// The text of a standard prompt ("invalid" → "Sorry, that is not a valid choice."); empty when
// unknown.
std::string_view standard_prompt_text(std::string_view key);

// Synthesises `text` (UTF-8, 1..kMaxPromptText bytes) with espeak-ng's default English voice.
// Blocking; serialised process-wide. Error 500 when espeak-ng cannot start, 400 for bad text.
Result<std::shared_ptr<const AudioClip>> synthesize_speech(std::string_view text);

class PromptLibrary {
 public:
  // `cache_dir` is created (mode 0700) if missing.
  static Result<std::unique_ptr<PromptLibrary>> open(std::filesystem::path cache_dir);

  // Makes sure `text` is in memory: from the cache file when it is there and valid, else
  // synthesised and written to it (atomically: temporary file, then rename). Blocking.
  Result<std::shared_ptr<const AudioClip>> prepare(std::string_view text);
  // Prepares every standard prompt; returns the first error (the others are still tried).
  Result<void> prepare_standard();

  // The clip of a prepared text; null when prepare() has not finished for it. Never blocks on
  // synthesis or disk.
  std::shared_ptr<const AudioClip> find(std::string_view text) const;
  // find(standard_prompt_text(key)).
  std::shared_ptr<const AudioClip> standard(std::string_view key) const;

  // The cache file that holds `text`.
  std::filesystem::path file_for(std::string_view text) const;

  explicit PromptLibrary(std::filesystem::path cache_dir) : dir_(std::move(cache_dir)) {}

 private:
  const std::filesystem::path dir_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const AudioClip>, std::less<>> clips_;  // by text
};

}  // namespace parley::media
