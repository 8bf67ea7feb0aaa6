#include "app/voicemail_service.hpp"

#include <utility>

#include "app/voicemail_application.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {

Result<std::unique_ptr<VoicemailService>> VoicemailService::open(
    const std::filesystem::path& data_dir, BoxChanged on_box_changed) {
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = data_dir;
  options.create_if_missing = false;
  auto store = store::sqlite::SqliteStore::open(options);
  if (!store) return store.error();
  std::error_code error;  // stored paths stay valid whatever the CLI's folder
  const std::filesystem::path directory = std::filesystem::absolute(data_dir, error) / "voicemail";
  if (error) return make_error(error.value(), "voicemail folder: " + error.message());
  return std::make_unique<VoicemailService>(Key{}, std::move(store).value(), directory,
                                            std::move(on_box_changed));
}

VoicemailService::VoicemailService(Key /*only open()*/,
                                   std::unique_ptr<store::VoicemailStore> store,
                                   std::filesystem::path directory, BoxChanged on_box_changed)
    : store_(std::move(store)), on_box_changed_(std::move(on_box_changed)) {
  media::VoicemailWriterOptions options;
  options.directory = std::move(directory);
  writer_ = std::make_unique<media::VoicemailWriter>(options, *this);
}

VoicemailService::~VoicemailService() {
  writer_.reset();  // seals open messages while the store is still there
}

void VoicemailService::add_to(Applications& applications) {
  applications.add("voicemail", [this](ApplicationContext& context) {
    return make_voicemail_session(context, *writer_);
  });
}

Result<void> VoicemailService::on_voicemail_written(const media::WrittenVoicemail& message) {
  store::VoicemailMessage row;
  row.tenant_id = message.info.tenant_id;
  row.box = message.info.box;
  row.caller = message.info.caller;
  row.received_at = message.received_at_ms;
  row.duration_ms = message.duration_ms;
  row.size_bytes = message.size_bytes;
  row.path = message.path;
  auto indexed = store_->insert_voicemail(row);
  if (!indexed) return indexed.error();
  if (on_box_changed_) on_box_changed_(row.tenant_id, row.box);
  return {};
}

}  // namespace parley::app
