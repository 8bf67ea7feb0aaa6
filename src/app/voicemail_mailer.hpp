#pragma once
// VoicemailMailer: voicemail to e-mail (issue 7, decision 0034). After a message is indexed (its
// WAV complete and fsynced, its row committed: decision 0021), the voicemail service hands it
// here when the box has an e-mail address; the mailer sends it to the configured SMTP relay as a
// MIME message with the WAV attached (audio/wav, base64) and the caller and time in the subject
// and body.
//
// All of it runs on the mailer's own thread, never on a worker loop nor on the voicemail
// writer's thread: reading the file, composing, and the SMTP dialogue (send_mail blocks up to
// its timeout). A failed attempt that may succeed later (connection trouble, timeouts, 4xx) is
// retried after `first_retry`, then twice that, and so on, `attempts` tries in all; a permanent
// refusal (5xx) or the last failure is logged as an error and the message stays in the box.
// Nothing waits for the mail: a slow or dead relay costs calls nothing.
//
// The queue is bounded (enqueue() refuses beyond max_queued, logged). It is the memory image of
// the store's outbox (decision 0040): the service queues a mail in the same transaction as its
// message's row and hands it here; the mailer tells its Outbox after every try (rescheduled with
// the attempt count and the wall-clock time of the next try, or done: sent or given up), and at
// start the service hands back what the outbox still holds, so mail queued when the server
// stopped is sent after the next start with its back-off kept.
//
// Thread-safety: enqueue() from any thread. The destructor stops the thread after the attempt in
// progress. The Outbox is called on the mailer's thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "app/smtp_client.hpp"
#include "store/voicemail_store.hpp"

namespace parley::app {

struct VoicemailMailerOptions {
  SmtpOptions smtp;
  std::string from = "parley@localhost";  // the sender address (check_email_address)
  int attempts = 4;
  std::chrono::milliseconds first_retry{30000};
  std::size_t max_queued = 256;
};

class VoicemailMailer {
 public:
  struct Mail {
    std::string to;
    store::VoicemailMessage message;     // as indexed: id, box, caller, time, length, path
    int attempts = 0;                    // tries already made (before a restart)
    store::UnixMillis next_attempt = 0;  // wall clock; 0 or past: at once
  };

  // Where queued mail is kept across restarts (the store's outbox); told on the mailer's thread.
  class Outbox {
   public:
    virtual ~Outbox() = default;
    virtual void on_mail_rescheduled(store::VoicemailId message, int attempts,
                                     store::UnixMillis next_attempt) = 0;
    virtual void on_mail_done(store::VoicemailId message) = 0;  // sent or given up
  };

  // `outbox` may be null (nothing is kept); borrowed, it must outlive the mailer.
  explicit VoicemailMailer(VoicemailMailerOptions options, Outbox* outbox = nullptr);
  ~VoicemailMailer();
  VoicemailMailer(const VoicemailMailer&) = delete;
  VoicemailMailer& operator=(const VoicemailMailer&) = delete;

  // False when the queue is full or the mailer stopping (logged).
  bool enqueue(Mail mail);

  std::uint64_t sent() const { return sent_.load(); }
  std::uint64_t given_up() const { return given_up_.load(); }

 private:
  struct Pending {
    Mail mail;
    int attempt = 0;
    std::chrono::steady_clock::time_point due;
  };

  void run();
  // One try; true when done with the mail (sent or given up).
  bool attempt(Pending& pending);
  void tell_outbox(const Pending& pending, bool done);

  const VoicemailMailerOptions options_;
  Outbox* const outbox_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> given_up_{0};
  std::uint64_t next_message_id_ = 1;  // the mailer thread only
  std::thread thread_;                 // last: starts once the rest is ready
};

// The e-mail of one voicemail message, with `wav` attached (pure; for tests too).
std::string compose_voicemail_mail(const VoicemailMailerOptions& options,
                                   const VoicemailMailer::Mail& mail,
                                   std::span<const std::uint8_t> wav, std::string_view message_id);

}  // namespace parley::app
