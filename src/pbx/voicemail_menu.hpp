#pragma once
// VoicemailMenu: what a box owner's keys mean when they dial in to their voicemail (issue 7,
// decision 0029). Pure: the application (app/voicemail_menu_application.hpp) feeds it the
// box's state, keys, results of the blocking work it asked for, and timeouts, and carries out
// the actions it returns, in order.
//
// 1. PIN: "Please enter your PIN followed by hash". Digits collect (at most kMaxPinDigits; more
//    make the entry wrong), '*' starts again, '#' (or a timeout after some digits) asks for a
//    check (kCheckPin). A wrong PIN says so and asks again; the third wrong PIN of the call says
//    goodbye and hangs up. A box without a PIN, or locked by the PinGuard, cannot be opened.
// 2. "You have N new messages", then the messages one by one: new ones first, oldest first (the
//    order they came in), then saved ones, oldest first. After each message the key help plays.
// 3. Keys: 7 delete, 9 save, 6 next, 4 previous, 0 record the greeting (ended by #), # goodbye.
//    Any other key plays the help again. Three timeouts in a row without a key end the call.
//
// Keys interrupt what is playing (the application stops playback on every key); a kHangUp
// action means "hang up once what is queued has played".
//
// Not thread-safe; one per call.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::pbx {

inline constexpr std::size_t kMaxPinDigits = 12;
inline constexpr int kMaxPinAttempts = 3;
inline constexpr int kMaxSilentTimeouts = 3;

enum class VoicemailPrompt : std::uint8_t {
  kEnterPin,
  kWrongPin,
  kLocked,          // "This mailbox is locked. Please try again later."
  kNoPin,           // "This mailbox has no PIN."
  kYouHave,         // "You have"
  kNewMessages,     // "new messages."
  kNoMessages,      // "There are no messages."
  kMessageDeleted,  // "Message deleted."
  kMessageSaved,    // "Message saved."
  kNoMoreMessages,  // "There are no more messages."
  kFirstMessage,    // "This is the first message."
  kHelp,            // the key help
  kRecordGreeting,  // "Record your greeting after the tone, then press hash."
  kBeep,
  kGreetingSaved,
  kGoodbye,
};

struct VoicemailAction {
  enum class Kind : std::uint8_t {
    kPlay,            // prompt
    kSayNumber,       // number
    kPlayMessage,     // message (its audio)
    kCheckPin,        // pin: verify it, then call on_pin_checked()
    kPinAccepted,     // for the brute-force brake: forget the box's failures
    kPinRejected,     // for the brute-force brake: count one failure
    kDeleteMessage,   // message
    kSaveMessage,     // message
    kStartGreeting,   // record the caller's audio once the queued prompts have played
    kFinishGreeting,  // stop recording and keep it as the box's greeting
    kHangUp,          // once the queued audio has played
  };
  Kind kind = Kind::kPlay;
  VoicemailPrompt prompt = VoicemailPrompt::kEnterPin;
  std::int64_t message = 0;
  std::uint32_t number = 0;
  std::string pin;
  friend bool operator==(const VoicemailAction&, const VoicemailAction&) = default;
};
using VoicemailActions = std::vector<VoicemailAction>;

struct VoicemailMenuMessage {
  std::int64_t id = 0;
  std::int64_t received_at = 0;  // Unix ms: orders the messages
  bool is_new = true;
};

struct VoicemailBoxState {
  bool has_pin = false;
  bool locked = false;
  std::vector<VoicemailMenuMessage> messages;  // any order
};

enum class PinCheck : std::uint8_t { kAccepted, kRejected, kLocked };

class VoicemailMenu {
 public:
  enum class State : std::uint8_t { kStarting, kPin, kCheckingPin, kMenu, kGreeting, kEnded };

  // The box as it was when the call arrived; the first actions to take.
  VoicemailActions start(VoicemailBoxState box);
  VoicemailActions on_digit(char digit);
  VoicemailActions on_pin_checked(PinCheck result);
  // Nothing was keyed for a while after the prompts had played.
  VoicemailActions on_timeout();
  // The greeting reached its maximum length: as if '#' was pressed.
  VoicemailActions on_greeting_limit();

  State state() const { return state_; }
  // The messages in playing order (deleted ones gone) and the one being played.
  const std::vector<VoicemailMenuMessage>& messages() const { return messages_; }
  std::size_t current() const { return current_; }
  int pin_attempts() const { return pin_attempts_; }

 private:
  VoicemailActions pin_digit(char digit);
  VoicemailActions menu_digit(char digit);
  VoicemailActions check_pin();
  VoicemailActions play_current(VoicemailActions actions) const;
  VoicemailActions advance(VoicemailActions actions);
  VoicemailActions goodbye(VoicemailActions actions);

  State state_ = State::kStarting;
  std::vector<VoicemailMenuMessage> messages_;
  std::size_t current_ = 0;
  std::string pin_;
  bool pin_too_long_ = false;
  int pin_attempts_ = 0;
  int silent_timeouts_ = 0;
};

}  // namespace parley::pbx
