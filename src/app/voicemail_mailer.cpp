#include "app/voicemail_mailer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "app/mail_message.hpp"

namespace parley::app {
namespace {

// A 3-minute wideband message is ~5.8 MB; anything far larger is not one of ours.
constexpr std::uintmax_t kMaxAttachmentBytes = 32ULL * 1024 * 1024;

Result<std::vector<std::uint8_t>> read_file(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return make_error(0, "cannot read " + path + ": " + error.message());
  if (size > kMaxAttachmentBytes) return make_error(0, path + " is too large to mail");
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error(0, "cannot open " + path);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!file) return make_error(0, "cannot read " + path);
  return bytes;
}

std::string seconds_text(std::uint64_t duration_ms) {
  const std::uint64_t seconds = (duration_ms + 500) / 1000;
  return std::to_string(seconds / 60) + ":" + (seconds % 60 < 10 ? "0" : "") +
         std::to_string(seconds % 60);
}

}  // namespace

std::string compose_voicemail_mail(const VoicemailMailerOptions& options,
                                   const VoicemailMailer::Mail& mail,
                                   std::span<const std::uint8_t> wav, std::string_view message_id) {
  const store::VoicemailMessage& message = mail.message;
  const std::string caller = message.caller.empty() ? "an unknown caller" : message.caller;
  const auto when = static_cast<std::time_t>(message.received_at / 1000);
  MailMessage out;
  out.from = options.from;
  out.to = mail.to;
  out.date = when;
  out.message_id = std::string(message_id);
  out.subject = "Voicemail from " + caller + " for " + message.box + " (" +
                seconds_text(message.duration_ms) + ")";
  out.text = "You have a new voicemail message in box " + message.box +
             ".\n\nFrom: " + header_safe(caller) + "\nReceived: " + mail_date(when) +
             "\nLength: " + seconds_text(message.duration_ms) +
             "\n\nThe recording is attached as a WAV file.\n";
  out.attachment.filename = "voicemail-" + std::to_string(message.id) + ".wav";
  out.attachment.content_type = "audio/wav";
  out.attachment.bytes = wav;
  return compose_mail(out);
}

VoicemailMailer::VoicemailMailer(VoicemailMailerOptions options, Outbox* outbox)
    : options_(std::move(options)), outbox_(outbox), thread_([this] { run(); }) {}

VoicemailMailer::~VoicemailMailer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (!queue_.empty()) {
    spdlog::warn("voicemail e-mail: {} message(s) not sent at shutdown{}", queue_.size(),
                 outbox_ != nullptr ? "; the outbox keeps them for the next start" : "");
  }
}

bool VoicemailMailer::enqueue(Mail mail) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queued) {
      spdlog::error("voicemail e-mail: queue full; message {} of box {} is not mailed to {}{}",
                    mail.message.id, mail.message.box, mail.to,
                    outbox_ != nullptr ? " before the next start (it stays in the outbox)" : "");
      return false;
    }
    // The outbox keeps wall-clock times; the queue waits on the monotonic clock.
    const auto wait = std::chrono::milliseconds(std::max<store::UnixMillis>(
        0, mail.next_attempt - std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count()));
    const int attempts = mail.attempts;
    queue_.push_back(Pending{std::move(mail), attempts, std::chrono::steady_clock::now() + wait});
  }
  wake_.notify_all();
  return true;
}

void VoicemailMailer::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto next = std::min_element(queue_.begin(), queue_.end(),
                                       [](const auto& a, const auto& b) { return a.due < b.due; });
    if (next->due > std::chrono::steady_clock::now()) {
      wake_.wait_until(lock, next->due);
      continue;
    }
    Pending pending = std::move(*next);
    queue_.erase(next);
    lock.unlock();
    const bool done = attempt(pending);
    tell_outbox(pending, done);
    lock.lock();
    if (!done) queue_.push_back(std::move(pending));
  }
}

void VoicemailMailer::tell_outbox(const Pending& pending, bool done) {
  if (outbox_ == nullptr) return;
  const store::VoicemailId id = pending.mail.message.id;
  if (done) {
    outbox_->on_mail_done(id);
    return;
  }
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
      pending.due - std::chrono::steady_clock::now());
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  outbox_->on_mail_rescheduled(id, pending.attempt, (wall + wait).count());
}

bool VoicemailMailer::attempt(Pending& pending) {
  const store::VoicemailMessage& message = pending.mail.message;
  ++pending.attempt;
  auto wav = read_file(message.path);
  if (!wav) {
    spdlog::error("voicemail e-mail of message {} (box {}): {}", message.id, message.box,
                  wav.error().message);
    ++given_up_;
    return true;
  }
  const std::string message_id =
      "<voicemail." + std::to_string(message.id) + "." + std::to_string(next_message_id_++) + "." +
      std::to_string(message.received_at) + "@" + options_.smtp.helo + ">";
  const std::string mail = compose_voicemail_mail(options_, pending.mail, *wav, message_id);
  auto sent = send_mail(options_.smtp, SmtpEnvelope{options_.from, pending.mail.to}, mail);
  if (sent) {
    spdlog::info("voicemail e-mail: message {} of box {} sent to {}", message.id, message.box,
                 pending.mail.to);
    ++sent_;
    return true;
  }
  const bool permanent = sent.error().code >= 500;
  if (permanent || pending.attempt >= options_.attempts) {
    spdlog::error("voicemail e-mail: message {} of box {} not sent to {} after {} attempt(s): {}",
                  message.id, message.box, pending.mail.to, pending.attempt, sent.error().message);
    ++given_up_;
    return true;
  }
  const auto delay = options_.first_retry * (1 << std::min(pending.attempt - 1, 10));
  spdlog::warn(
      "voicemail e-mail: message {} to {} failed (attempt {} of {}), retrying in {} ms: {}",
      message.id, pending.mail.to, pending.attempt, options_.attempts, delay.count(),
      sent.error().message);
  pending.due = std::chrono::steady_clock::now() + delay;
  return false;
}

}  // namespace parley::app
