#pragma once
// VoicemailService: `parley serve`'s voicemail (decision 0021). Owns a store connection of its
// own (like CallRecording) and the VoicemailWriter thread, indexes every message the writer
// finishes (store::VoicemailStore::insert_voicemail, on the writer thread) and registers the
// "voicemail" application with Applications.
//
// Messages live in `<data>/voicemail/<tenant id>/<box>/`. The service must outlive the worker
// pool: calls still up at shutdown have their messages sealed when the writer goes.
//
// Thread-safety: open() and add_to() at start-up; the writer calls on_voicemail_written() on its
// thread; the store is safe from any thread.

#include <filesystem>
#include <functional>
#include <memory>

#include "app/applications.hpp"
#include "base/result.hpp"
#include "media/voicemail_writer.hpp"
#include "store/voicemail_store.hpp"

namespace parley::app {

class VoicemailService final : public media::VoicemailWriter::Listener {
  struct Key {};  // only open() constructs one

 public:
  // Called on the writer thread after a message was indexed (message-waiting updates).
  using BoxChanged = std::function<void(store::TenantId tenant, const std::string& box)>;

  static Result<std::unique_ptr<VoicemailService>> open(const std::filesystem::path& data_dir,
                                                        BoxChanged on_box_changed = {});
  VoicemailService(Key key, std::unique_ptr<store::VoicemailStore> store,
                   std::filesystem::path directory, BoxChanged on_box_changed);
  ~VoicemailService() override;
  VoicemailService(const VoicemailService&) = delete;
  VoicemailService& operator=(const VoicemailService&) = delete;

  // Registers "voicemail:<box>" (make_voicemail_session).
  void add_to(Applications& applications);

  Result<void> on_voicemail_written(const media::WrittenVoicemail& message) override;

  media::VoicemailWriter& writer() { return *writer_; }

 private:
  std::unique_ptr<store::VoicemailStore> store_;
  BoxChanged on_box_changed_;
  std::unique_ptr<media::VoicemailWriter> writer_;  // after store_: stops before it closes
};

}  // namespace parley::app
