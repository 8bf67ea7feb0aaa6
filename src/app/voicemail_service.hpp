#pragma once
// VoicemailService: `parley serve`'s voicemail (decisions 0021, 0029). Owns a store connection of
// its own (like CallRecording), the VoicemailWriter thread, and a BlockingJobs thread for the
// blocking work of calls on the worker loops (store queries, PIN checks, loading and deleting
// messages, writing greetings); indexes every message the writer finishes (on the writer
// thread); keeps the PIN brute-force brake (pbx::PinGuard); and registers the applications
// "voicemail" (leave a message) and "voicemail-menu" (listen to your own box, *97).
//
// Messages live in `<data>/voicemail/<tenant id>/<box>/`, a recorded greeting beside them as
// `greeting.wav`. With `options.mail` set, every indexed message of a box that has an e-mail
// address is queued in the store's outbox in the same transaction as its row and handed to the
// VoicemailMailer (voicemail_mailer.hpp, decisions 0034 and 0040), which tells the service (its
// Outbox) how each try went; at start the outbox's mail is handed to the mailer again. The service
// must outlive the worker pool: calls still up at shutdown have their messages sealed when the
// writer goes. stop_jobs() must be called after the pool's shutdown and before the pool is
// destroyed (jobs post their results to the loops).
//
// Thread-safety: open() and add_to() at start-up; the methods below marked "blocking" run on the
// jobs thread (or the CLI); the PIN brake is locked; the store is safe from any thread.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "app/applications.hpp"
#include "app/blocking_jobs.hpp"
#include "app/voicemail_mailer.hpp"
#include "app/voicemail_prompts.hpp"
#include "base/result.hpp"
#include "media/audio_player.hpp"
#include "media/voicemail_writer.hpp"
#include "pbx/pin_guard.hpp"
#include "store/voicemail_store.hpp"

namespace parley::app {

struct VoicemailServiceOptions {
  // Below this much free space on the data disk, callers hear the "mailbox full" apology
  // instead of leaving a message (a message is at most 3 minutes: 5.8 MB at 16 kHz).
  std::uint64_t min_free_bytes = 64ULL * 1024 * 1024;
  pbx::PinGuardOptions pin_guard;
  // Voicemail to e-mail through this relay (decision 0034); nullopt: no mail is sent.
  std::optional<VoicemailMailerOptions> mail;
};

// Whether a box takes a message now, and the greeting to play first.
struct DepositCheck {
  bool full = false;  // the box is at its limit or the disk nearly full
  std::shared_ptr<const media::AudioClip> greeting;  // null: the default (the beep alone)
};

class VoicemailService final : public media::VoicemailWriter::Listener,
                               public VoicemailMailer::Outbox {
  struct Key {};  // only open() constructs one

 public:
  // Called after a box's messages changed (indexed, deleted, saved), on the thread that changed
  // them. Message-waiting follows the store's change counter anyway; this is a quicker hint.
  using BoxChanged = std::function<void(store::TenantId tenant, const std::string& box)>;

  // `prompts` is the server's shared library (standard prompts), may be null.
  static Result<std::unique_ptr<VoicemailService>> open(const std::filesystem::path& data_dir,
                                                        const media::PromptLibrary* prompts,
                                                        BoxChanged on_box_changed = {},
                                                        VoicemailServiceOptions options = {});
  VoicemailService(Key key, std::unique_ptr<store::VoicemailStore> store,
                   std::filesystem::path directory, std::unique_ptr<VoicemailPrompts> prompts,
                   BoxChanged on_box_changed, VoicemailServiceOptions options);
  ~VoicemailService() override;
  VoicemailService(const VoicemailService&) = delete;
  VoicemailService& operator=(const VoicemailService&) = delete;

  // Registers "voicemail:<box>" and "voicemail-menu" (the caller's own box).
  void add_to(Applications& applications);
  // Runs the queued jobs and stops the jobs thread (see above).
  void stop_jobs() { jobs_.stop(); }

  Result<void> on_voicemail_written(const media::WrittenVoicemail& message) override;
  // The store's outbox, from the mailer's thread.
  void on_mail_rescheduled(store::VoicemailId message, int attempts,
                           store::UnixMillis next_attempt) override;
  void on_mail_done(store::VoicemailId message) override;

  media::VoicemailWriter& writer() { return *writer_; }
  BlockingJobs& jobs() { return jobs_; }
  store::VoicemailStore& store() { return *store_; }
  const VoicemailPrompts& prompts() const { return *prompts_; }

  // Blocking. The box's limit and the disk's free space, and its greeting.
  DepositCheck check_deposit(store::TenantId tenant, const std::string& box);
  // Blocking. Removes the row, then the file (decision 0021's order), then tells BoxChanged.
  Result<void> delete_message(store::TenantId tenant, const std::string& box,
                              store::VoicemailId id);
  // Blocking. Marks a message saved.
  Result<void> save_message(store::TenantId tenant, const std::string& box, store::VoicemailId id);
  // Blocking. Writes `samples` (mono, `rate` Hz) as the box's greeting.wav (temporary file,
  // fsync, rename, folder fsync) and records it in the store.
  Result<void> save_greeting(store::TenantId tenant, const std::string& box,
                             std::span<const std::int16_t> samples, int rate);

  // The PIN brake (thread-safe). `box` is the key "<tenant id>/<number>".
  bool pin_locked(const std::string& box);
  // True when this failure locked the box.
  bool record_pin_failure(const std::string& box);
  void record_pin_success(const std::string& box);

  std::filesystem::path box_directory(store::TenantId tenant, const std::string& box) const;

 private:
  // Hands the mailer what the outbox held at start (mail of earlier runs).
  void resume_outbox();

  std::unique_ptr<store::VoicemailStore> store_;
  const std::filesystem::path directory_;
  std::unique_ptr<VoicemailPrompts> prompts_;
  BoxChanged on_box_changed_;
  const VoicemailServiceOptions options_;
  std::mutex pin_mutex_;
  pbx::PinGuard pin_guard_;  // guarded by pin_mutex_
  SteadyClock clock_;
  std::thread prompt_preparation_;  // synthesises our prompts once, at start
  BlockingJobs jobs_;               // its jobs use store_ and prompts_, so it stops before they go
  std::unique_ptr<VoicemailMailer> mailer_;         // fed by the writer thread: goes after it
  std::unique_ptr<media::VoicemailWriter> writer_;  // after store_: stops before it closes
};

}  // namespace parley::app
