#include "app/voicemail_service.hpp"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <chrono>
#include <utility>

#include "app/durable_file.hpp"
#include "app/voicemail_application.hpp"
#include "app/voicemail_menu_application.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {
namespace {

constexpr std::string_view kGreetingFile = "greeting.wav";

store::UnixMillis wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<VoicemailService>> VoicemailService::open(
    const std::filesystem::path& data_dir, const media::PromptLibrary* prompts,
    BoxChanged on_box_changed, VoicemailServiceOptions options) {
  store::sqlite::SqliteStoreOptions store_options;
  store_options.data_dir = data_dir;
  store_options.create_if_missing = false;
  auto store = store::sqlite::SqliteStore::open(store_options);
  if (!store) return store.error();
  std::error_code error;  // stored paths stay valid whatever the CLI's folder
  const std::filesystem::path absolute = std::filesystem::absolute(data_dir, error);
  if (error) return make_error(error.value(), "voicemail folder: " + error.message());
  std::unique_ptr<media::PromptLibrary> own_prompts;
  if (auto library = media::PromptLibrary::open(absolute / "prompts"); library) {
    own_prompts = std::move(library).value();
  } else {
    spdlog::warn("voicemail prompts: {}", library.error().message);
  }
  auto service = std::make_unique<VoicemailService>(
      Key{}, std::move(store).value(), absolute / "voicemail",
      std::make_unique<VoicemailPrompts>(prompts, std::move(own_prompts)),
      std::move(on_box_changed), options);
  // Synthesis takes a while on the first start: off the loops and off the jobs thread (a
  // deposit's box check must not wait behind it); calls meanwhile hear what is ready.
  service->prompt_preparation_ = std::thread([prompts = service->prompts_.get()] {
    if (auto prepared = prompts->prepare(); !prepared) {
      spdlog::warn("voicemail prompts: {}", prepared.error().message);
    } else {
      spdlog::info("voicemail prompts ready");
    }
  });
  return service;
}

VoicemailService::VoicemailService(Key /*only open()*/,
                                   std::unique_ptr<store::VoicemailStore> store,
                                   std::filesystem::path directory,
                                   std::unique_ptr<VoicemailPrompts> prompts,
                                   BoxChanged on_box_changed, VoicemailServiceOptions options)
    : store_(std::move(store)),
      directory_(std::move(directory)),
      prompts_(std::move(prompts)),
      on_box_changed_(std::move(on_box_changed)),
      options_(options),
      pin_guard_(options.pin_guard) {
  if (options.mail) {
    mailer_ = std::make_unique<VoicemailMailer>(*options.mail, this);
    resume_outbox();  // before the writer: what it finishes at start is queued by itself
  }
  media::VoicemailWriterOptions writer_options;
  writer_options.directory = directory_;
  writer_ = std::make_unique<media::VoicemailWriter>(writer_options, *this);
}

VoicemailService::~VoicemailService() {
  writer_.reset();  // seals open messages while the store is still there
  mailer_.reset();  // its last try reports to the outbox (the store) before anything goes
  jobs_.stop();
  if (prompt_preparation_.joinable()) prompt_preparation_.join();
}

void VoicemailService::add_to(Applications& applications) {
  applications.add("voicemail", [this](ApplicationContext& context) {
    return make_voicemail_session(context, *this);
  });
  applications.add("voicemail-menu", [this](ApplicationContext& context) {
    return make_voicemail_menu_session(context, *this);
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
  std::string mail_to;
  if (mailer_) {
    auto settings = store_->get_voicemail_settings(row.tenant_id, row.box);
    if (!settings) {
      spdlog::warn("voicemail e-mail of box {}: {}", row.box, settings.error().message);
    } else {
      mail_to = settings->email;
    }
  }
  // The mail is queued in the same transaction as the row: a message is never indexed without
  // the mail it should cause, nor a mail queued for a message that could still be lost.
  const store::UnixMillis now = wall_ms();
  auto indexed = mail_to.empty() ? store_->insert_voicemail(row)
                                 : store_->insert_voicemail_with_mail(row, mail_to, now);
  if (!indexed) return indexed.error();
  if (on_box_changed_) on_box_changed_(row.tenant_id, row.box);
  if (!mail_to.empty()) {
    row.id = *indexed;
    mailer_->enqueue(VoicemailMailer::Mail{mail_to, std::move(row), 0, now});
  }
  return {};
}

void VoicemailService::resume_outbox() {
  auto queued = store_->list_voicemail_mail();
  if (!queued) {
    spdlog::error("voicemail e-mail outbox: {}", queued.error().message);
    return;
  }
  if (!queued->empty()) {
    spdlog::info("voicemail e-mail: {} message(s) from the outbox of an earlier run",
                 queued->size());
  }
  for (auto& mail : *queued) {
    mailer_->enqueue(VoicemailMailer::Mail{std::move(mail.recipient), std::move(mail.message),
                                           static_cast<int>(mail.attempts), mail.next_attempt});
  }
}

void VoicemailService::on_mail_rescheduled(store::VoicemailId message, int attempts,
                                           store::UnixMillis next_attempt) {
  auto kept = store_->reschedule_voicemail_mail(message, static_cast<std::uint32_t>(attempts),
                                                next_attempt);
  if (!kept) spdlog::warn("voicemail e-mail outbox: {}", kept.error().message);
}

void VoicemailService::on_mail_done(store::VoicemailId message) {
  if (auto removed = store_->remove_voicemail_mail(message); !removed) {
    spdlog::warn("voicemail e-mail outbox: {}", removed.error().message);
  }
}

std::filesystem::path VoicemailService::box_directory(store::TenantId tenant,
                                                      const std::string& box) const {
  return directory_ / std::to_string(tenant) / box;
}

DepositCheck VoicemailService::check_deposit(store::TenantId tenant, const std::string& box) {
  DepositCheck check;
  auto settings = store_->get_voicemail_settings(tenant, box);
  auto counts = store_->count_voicemail(tenant, box);
  if (settings && counts) {
    const std::uint64_t held =
        std::uint64_t{counts->new_messages} + std::uint64_t{counts->saved_messages};
    if (held >= settings->max_messages) {
      spdlog::info("voicemail box {} of tenant {} is full ({} of {} messages)", box, tenant, held,
                   settings->max_messages);
      check.full = true;
    }
    if (!settings->greeting_path.empty()) {
      if (auto greeting = media::AudioClip::load(settings->greeting_path); greeting) {
        check.greeting = std::move(greeting).value();
      } else {
        spdlog::warn("voicemail box {}: greeting {}: {}", box, settings->greeting_path,
                     greeting.error().message);
      }
    }
  } else {
    spdlog::warn("voicemail box {} of tenant {}: {}", box, tenant,
                 settings ? counts.error().message : settings.error().message);
  }
  // The folder may not exist yet; its parent is on the same disk.
  std::filesystem::path probe = directory_;
  std::error_code error;
  if (!std::filesystem::exists(probe, error)) probe = directory_.parent_path();
  struct statvfs disk {};
  if (::statvfs(probe.c_str(), &disk) == 0) {
    const std::uint64_t free_bytes =
        static_cast<std::uint64_t>(disk.f_bavail) * static_cast<std::uint64_t>(disk.f_frsize);
    if (free_bytes < options_.min_free_bytes) {
      spdlog::warn("voicemail: only {} bytes free on the data disk; box {} refuses the message",
                   free_bytes, box);
      check.full = true;
    }
  }
  return check;
}

Result<void> VoicemailService::delete_message(store::TenantId tenant, const std::string& box,
                                              store::VoicemailId id) {
  auto removed = store_->remove_voicemail(tenant, box, id);
  if (!removed) return removed.error();
  std::error_code error;
  std::filesystem::remove(removed->path, error);
  if (error) {
    spdlog::warn("voicemail message {} removed, but its file {} stays: {}", id, removed->path,
                 error.message());
  }
  if (on_box_changed_) on_box_changed_(tenant, box);
  return {};
}

Result<void> VoicemailService::save_message(store::TenantId tenant, const std::string& box,
                                            store::VoicemailId id) {
  auto saved = store_->set_voicemail_state(tenant, box, id, store::VoicemailState::kSaved);
  if (!saved) return saved.error();
  if (on_box_changed_) on_box_changed_(tenant, box);
  return {};
}

Result<void> VoicemailService::save_greeting(store::TenantId tenant, const std::string& box,
                                             std::span<const std::int16_t> samples, int rate) {
  auto clip = media::AudioClip::from_samples(
      std::vector<std::int16_t>(samples.begin(), samples.end()), rate);
  if (!clip) return clip.error();
  const std::vector<std::uint8_t> bytes = media::to_wav_bytes(**clip);
  const std::filesystem::path folder = box_directory(tenant, box);
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return make_error(500, "cannot create " + folder.string() + ": " + error.message());
  std::filesystem::permissions(folder, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  const std::filesystem::path path = folder / kGreetingFile;
  if (auto written = write_file_durably(path, bytes); !written) return written.error();
  return store_->set_voicemail_greeting(tenant, box, path.string());
}

bool VoicemailService::pin_locked(const std::string& box) {
  std::lock_guard lock(pin_mutex_);
  return pin_guard_.locked(box, clock_.now());
}

bool VoicemailService::record_pin_failure(const std::string& box) {
  std::lock_guard lock(pin_mutex_);
  return pin_guard_.record_failure(box, clock_.now());
}

void VoicemailService::record_pin_success(const std::string& box) {
  std::lock_guard lock(pin_mutex_);
  pin_guard_.record_success(box, clock_.now());
}

}  // namespace parley::app
