#pragma once
// VoicemailStore: the messages callers left in extensions' voicemail boxes, and each box's
// settings (issue 7, docs/decisions/0021-voicemail.md).
//
// A message row is written only after its WAV file is complete and fsynced (the deposit writer
// in media/ does that), so a row always names a whole file. insert_voicemail() is idempotent on
// the path: a writer that finalised a file but crashed before it knew the row was committed
// indexes it again at the next start and gets the same id.
//
// Settings: a box is enabled unless set otherwise (no row = defaults). The voicemail menu
// (decision 0029, migration 13) adds the PIN (stored only as an argon2id hash, as
// crypto_pwhash_str writes it), the recorded greeting's file and a per-box message limit.
//
// Every change (messages and settings) moves Store::change_counter(): a running server reloads
// the dial plan (enabled boxes) and the message-waiting counts when the CLI edits them.
// Rows go with their extension (removing the extension removes its messages' rows, not the
// files).
//
// A separate interface from Store so that SIP code and its test fakes do not grow; SqliteStore
// implements it (sqlite/sqlite_voicemail_store.cpp, schema migration 9).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

using VoicemailId = std::int64_t;

enum class VoicemailState : std::uint8_t { kNew, kSaved };
std::string_view to_text(VoicemailState state);  // "new", "saved"
std::optional<VoicemailState> parse_voicemail_state(std::string_view text);

inline constexpr std::size_t kMaxVoicemailPage = 1000;

struct VoicemailMessage {
  VoicemailId id = 0;  // assigned by insert_voicemail; ignored on input
  TenantId tenant_id = 0;
  std::string box;     // the extension number whose box holds it
  std::string caller;  // who left it (From user part, or the caller's extension)
  UnixMillis received_at = 0;
  std::uint64_t duration_ms = 0;
  std::uint64_t size_bytes = 0;
  std::string path;  // absolute path of the WAV file
  VoicemailState state = VoicemailState::kNew;
};

// What a message-waiting indication (RFC 3842) reports for one box.
struct VoicemailCounts {
  std::uint32_t new_messages = 0;
  std::uint32_t saved_messages = 0;
  bool operator==(const VoicemailCounts&) const = default;
};

inline constexpr std::uint32_t kDefaultVoicemailMaxMessages = 100;
inline constexpr std::uint32_t kMaxVoicemailMaxMessages = 10000;
inline constexpr std::size_t kMaxPinHashLength = 256;

struct VoicemailSettings {
  bool enabled = true;
  std::string pin_hash;       // empty: no PIN set, the menu cannot be opened
  std::string greeting_path;  // empty: the default greeting
  std::uint32_t max_messages = kDefaultVoicemailMaxMessages;
  std::string email;  // empty: new messages are not mailed (decision 0034, migration 16)
};

inline constexpr std::size_t kMaxEmailAddressLength = 254;  // RFC 5321 §4.5.3.1.3 path limit

// A plain addr-spec we can put into RCPT TO and a To header as it is: local@domain, printable
// ASCII without spaces, angle brackets, quotes, commas or control characters, one '@', at most
// kMaxEmailAddressLength. kInvalidInput saying so otherwise.
Result<void> check_email_address(std::string_view address);

struct VoicemailBox {
  TenantId tenant_id = 0;
  std::string box;
  bool operator==(const VoicemailBox&) const = default;
};

struct VoicemailBoxCounts {
  VoicemailBox box;
  VoicemailCounts counts;
  bool operator==(const VoicemailBoxCounts&) const = default;
};

// A voicemail's e-mail still to be sent (decision 0040, migration 18): queued in the same
// transaction as its message's row, removed when it is sent or given up, so mail queued when a
// server stops is sent after the next start. Goes with its message (deleting the message drops
// the mail).
struct VoicemailMail {
  VoicemailMessage message;
  std::string recipient;
  std::uint32_t attempts = 0;   // tries so far
  UnixMillis next_attempt = 0;  // wall-clock time of the next try
};

class VoicemailStore {
 public:
  virtual ~VoicemailStore() = default;
  VoicemailStore() = default;
  VoicemailStore(const VoicemailStore&) = delete;
  VoicemailStore& operator=(const VoicemailStore&) = delete;

  // Commits (synchronous=FULL) before returning the id; the same path again returns the first
  // row's id and changes nothing. kNotFound when the box is not an extension of the tenant.
  virtual Result<VoicemailId> insert_voicemail(const VoicemailMessage& message) = 0;
  // Newest first; limit capped at kMaxVoicemailPage.
  virtual Result<std::vector<VoicemailMessage>> list_voicemail(TenantId tenant,
                                                               std::string_view box,
                                                               std::size_t limit) = 0;
  // Removes the row and returns it (the caller deletes the file). kNotFound when the box holds
  // no such message.
  virtual Result<VoicemailMessage> remove_voicemail(TenantId tenant, std::string_view box,
                                                    VoicemailId id) = 0;
  virtual Result<void> set_voicemail_state(TenantId tenant, std::string_view box, VoicemailId id,
                                           VoicemailState state) = 0;
  virtual Result<VoicemailCounts> count_voicemail(TenantId tenant, std::string_view box) = 0;
  // Every box that holds messages, with its counts (for message-waiting after a reload).
  virtual Result<std::vector<VoicemailBoxCounts>> list_voicemail_counts() = 0;

  // kNotFound when the extension does not exist.
  virtual Result<void> set_voicemail_enabled(TenantId tenant, std::string_view box,
                                             bool enabled) = 0;
  virtual Result<VoicemailSettings> get_voicemail_settings(TenantId tenant,
                                                           std::string_view box) = 0;
  // The box's PIN hash (crypto_pwhash_str output; refused unless it starts "$argon2"); empty
  // removes the PIN. kNotFound when the extension does not exist.
  virtual Result<void> set_voicemail_pin_hash(TenantId tenant, std::string_view box,
                                              std::string_view pin_hash) = 0;
  // The greeting file (absolute path, or empty for the default greeting).
  virtual Result<void> set_voicemail_greeting(TenantId tenant, std::string_view box,
                                              std::string_view path) = 0;
  // The address new messages are mailed to (check_email_address), or empty for none.
  // kNotFound when the extension does not exist.
  virtual Result<void> set_voicemail_email(TenantId tenant, std::string_view box,
                                           std::string_view address) = 0;
  // At most `max_messages` (1..kMaxVoicemailMaxMessages) messages are kept in the box.
  virtual Result<void> set_voicemail_max_messages(TenantId tenant, std::string_view box,
                                                  std::uint32_t max_messages) = 0;
  // The boxes switched off, for the dial plan's in-memory snapshot (every other box is on).
  virtual Result<std::vector<VoicemailBox>> list_disabled_voicemail_boxes() = 0;

  // The voicemail outbox (VoicemailMail above). insert_voicemail() and, in the same transaction,
  // the message's mail to `recipient` (check_email_address) due at `next_attempt`; the same
  // path again returns the first row's id and queues nothing (its mail was queued with it).
  virtual Result<VoicemailId> insert_voicemail_with_mail(const VoicemailMessage& message,
                                                         std::string_view recipient,
                                                         UnixMillis next_attempt) = 0;
  // Every queued mail with its message, soonest first.
  virtual Result<std::vector<VoicemailMail>> list_voicemail_mail() = 0;
  // After a failed try. kNotFound when the mail is no longer queued (its message was deleted).
  virtual Result<void> reschedule_voicemail_mail(VoicemailId message, std::uint32_t attempts,
                                                 UnixMillis next_attempt) = 0;
  // Sent or given up. Removing a mail that is not queued is not an error.
  virtual Result<void> remove_voicemail_mail(VoicemailId message) = 0;
};

}  // namespace parley::store
