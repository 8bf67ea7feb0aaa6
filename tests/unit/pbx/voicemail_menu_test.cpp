// The voicemail menu's state machine (pbx::VoicemailMenu) and the PIN brute-force brake
// (pbx::PinGuard) with a ManualClock: what each key does, in which order messages play, and when
// a box locks and unlocks.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/clock.hpp"
#include "pbx/pin_guard.hpp"
#include "pbx/voicemail_menu.hpp"

namespace parley::pbx {
namespace {

using Kind = VoicemailAction::Kind;
using P = VoicemailPrompt;

VoicemailAction play(P prompt) {
  return VoicemailAction{.kind = Kind::kPlay, .prompt = prompt};
}
VoicemailAction message(Kind kind, std::int64_t id) {
  return VoicemailAction{.kind = kind, .message = id};
}
VoicemailAction plain(Kind kind) {
  return VoicemailAction{.kind = kind};
}
VoicemailAction check_pin(std::string pin) {
  return VoicemailAction{.kind = Kind::kCheckPin, .pin = std::move(pin)};
}

VoicemailActions keys(VoicemailMenu& menu, std::string_view typed) {
  VoicemailActions all;
  for (const char key : typed) {
    auto actions = menu.on_digit(key);
    all.insert(all.end(), actions.begin(), actions.end());
  }
  return all;
}

// Two new messages (ids 11 at t=200, 10 at t=100) and a saved one (12 at t=50).
VoicemailBoxState box_with_three() {
  VoicemailBoxState box;
  box.has_pin = true;
  box.messages = {{12, 50, false}, {11, 200, true}, {10, 100, true}};
  return box;
}

// A menu past the PIN.
VoicemailMenu opened(VoicemailBoxState box = box_with_three()) {
  VoicemailMenu menu;
  menu.start(std::move(box));
  keys(menu, "1234#");
  menu.on_pin_checked(PinCheck::kAccepted);
  return menu;
}

TEST(VoicemailMenu, AsksForThePinAndChecksItOnHash) {
  VoicemailMenu menu;
  EXPECT_EQ(menu.start(box_with_three()), VoicemailActions{play(P::kEnterPin)});
  EXPECT_TRUE(keys(menu, "12").empty());
  EXPECT_EQ(menu.on_digit('*'), VoicemailActions{play(P::kEnterPin)});  // starts again
  EXPECT_EQ(keys(menu, "4321#"), VoicemailActions{check_pin("4321")});
  EXPECT_EQ(menu.state(), VoicemailMenu::State::kCheckingPin);
  EXPECT_TRUE(menu.on_digit('7').empty());  // keys mean nothing while the PIN is checked
}

TEST(VoicemailMenu, ThreeWrongPinsSayGoodbyeAndHangUp) {
  VoicemailMenu menu;
  menu.start(box_with_three());
  for (int attempt = 1; attempt <= 2; ++attempt) {
    keys(menu, "0000#");
    EXPECT_EQ(
        menu.on_pin_checked(PinCheck::kRejected),
        (VoicemailActions{plain(Kind::kPinRejected), play(P::kWrongPin), play(P::kEnterPin)}));
    EXPECT_EQ(menu.state(), VoicemailMenu::State::kPin);
  }
  keys(menu, "0000#");
  EXPECT_EQ(menu.on_pin_checked(PinCheck::kRejected),
            (VoicemailActions{plain(Kind::kPinRejected), play(P::kWrongPin), play(P::kGoodbye),
                              plain(Kind::kHangUp)}));
  EXPECT_EQ(menu.state(), VoicemailMenu::State::kEnded);
  EXPECT_TRUE(menu.on_digit('1').empty());
}

TEST(VoicemailMenu, AnOverlongPinIsCheckedAsWrong) {
  VoicemailMenu menu;
  menu.start(box_with_three());
  const auto actions = keys(menu, std::string(kMaxPinDigits + 3, '1') + "#");
  ASSERT_EQ(actions.size(), 1U);
  EXPECT_EQ(actions[0].kind, Kind::kCheckPin);
  EXPECT_EQ(actions[0].pin, "");  // never matches a hash
}

TEST(VoicemailMenu, ABoxWithoutPinOrLockedCannotBeOpened) {
  VoicemailMenu no_pin;
  EXPECT_EQ(no_pin.start(VoicemailBoxState{}),
            (VoicemailActions{play(P::kNoPin), play(P::kGoodbye), plain(Kind::kHangUp)}));
  VoicemailMenu locked;
  VoicemailBoxState box = box_with_three();
  box.locked = true;
  EXPECT_EQ(locked.start(box),
            (VoicemailActions{play(P::kLocked), play(P::kGoodbye), plain(Kind::kHangUp)}));
  VoicemailMenu locked_meanwhile;
  locked_meanwhile.start(box_with_three());
  keys(locked_meanwhile, "1#");
  EXPECT_EQ(locked_meanwhile.on_pin_checked(PinCheck::kLocked),
            (VoicemailActions{play(P::kLocked), play(P::kGoodbye), plain(Kind::kHangUp)}));
}

TEST(VoicemailMenu, TheRightPinCountsNewMessagesAndPlaysNewOnesOldestFirst) {
  VoicemailMenu menu;
  menu.start(box_with_three());
  keys(menu, "1234#");
  EXPECT_EQ(
      menu.on_pin_checked(PinCheck::kAccepted),
      (VoicemailActions{plain(Kind::kPinAccepted), play(P::kYouHave),
                        VoicemailAction{.kind = Kind::kSayNumber, .number = 2},
                        play(P::kNewMessages), message(Kind::kPlayMessage, 10), play(P::kHelp)}));
  ASSERT_EQ(menu.messages().size(), 3U);
  EXPECT_EQ(menu.messages()[0].id, 10);
  EXPECT_EQ(menu.messages()[1].id, 11);
  EXPECT_EQ(menu.messages()[2].id, 12);  // saved last
}

TEST(VoicemailMenu, NextPreviousAndTheEnds) {
  VoicemailMenu menu = opened();
  EXPECT_EQ(
      menu.on_digit('4'),
      (VoicemailActions{play(P::kFirstMessage), message(Kind::kPlayMessage, 10), play(P::kHelp)}));
  EXPECT_EQ(menu.on_digit('6'),
            (VoicemailActions{message(Kind::kPlayMessage, 11), play(P::kHelp)}));
  EXPECT_EQ(menu.on_digit('6'),
            (VoicemailActions{message(Kind::kPlayMessage, 12), play(P::kHelp)}));
  EXPECT_EQ(menu.on_digit('6'), (VoicemailActions{play(P::kNoMoreMessages), play(P::kHelp)}));
  EXPECT_EQ(menu.current(), 2U);
  EXPECT_EQ(menu.on_digit('4'),
            (VoicemailActions{message(Kind::kPlayMessage, 11), play(P::kHelp)}));
}

TEST(VoicemailMenu, DeleteRemovesAndPlaysTheNext) {
  VoicemailMenu menu = opened();
  EXPECT_EQ(menu.on_digit('7'),
            (VoicemailActions{message(Kind::kDeleteMessage, 10), play(P::kMessageDeleted),
                              message(Kind::kPlayMessage, 11), play(P::kHelp)}));
  EXPECT_EQ(menu.messages().size(), 2U);
  menu.on_digit('6');  // on 12, the last
  EXPECT_EQ(menu.on_digit('7'),
            (VoicemailActions{message(Kind::kDeleteMessage, 12), play(P::kMessageDeleted),
                              play(P::kNoMoreMessages), play(P::kHelp)}));
  EXPECT_EQ(menu.current(), 0U);
  EXPECT_EQ(menu.on_digit('7'),
            (VoicemailActions{message(Kind::kDeleteMessage, 11), play(P::kMessageDeleted),
                              play(P::kNoMessages), play(P::kHelp)}));
  EXPECT_TRUE(menu.messages().empty());
  EXPECT_EQ(menu.on_digit('7'), (VoicemailActions{play(P::kNoMessages), play(P::kHelp)}));
  EXPECT_EQ(menu.on_digit('6'), (VoicemailActions{play(P::kNoMessages), play(P::kHelp)}));
}

TEST(VoicemailMenu, SaveMarksANewMessageOnceAndMovesOn) {
  VoicemailMenu menu = opened();
  EXPECT_EQ(menu.on_digit('9'),
            (VoicemailActions{message(Kind::kSaveMessage, 10), play(P::kMessageSaved),
                              message(Kind::kPlayMessage, 11), play(P::kHelp)}));
  menu.on_digit('6');  // 12, saved already: saving again changes nothing in the store
  EXPECT_EQ(menu.on_digit('9'),
            (VoicemailActions{play(P::kMessageSaved), play(P::kNoMoreMessages), play(P::kHelp)}));
}

TEST(VoicemailMenu, ZeroRecordsTheGreetingUntilHash) {
  VoicemailMenu menu = opened();
  EXPECT_EQ(menu.on_digit('0'), (VoicemailActions{play(P::kRecordGreeting), play(P::kBeep),
                                                  plain(Kind::kStartGreeting)}));
  EXPECT_EQ(menu.state(), VoicemailMenu::State::kGreeting);
  EXPECT_TRUE(menu.on_digit('7').empty());  // keys other than # are part of the greeting
  EXPECT_EQ(menu.on_digit('#'), (VoicemailActions{plain(Kind::kFinishGreeting),
                                                  play(P::kGreetingSaved), play(P::kHelp)}));
  EXPECT_EQ(menu.state(), VoicemailMenu::State::kMenu);
  menu.on_digit('0');
  EXPECT_EQ(menu.on_greeting_limit().front(), plain(Kind::kFinishGreeting));
}

TEST(VoicemailMenu, HashEndsAndUnknownKeysRepeatTheHelp) {
  VoicemailMenu menu = opened();
  EXPECT_EQ(menu.on_digit('2'), VoicemailActions{play(P::kHelp)});
  EXPECT_EQ(menu.on_digit('#'), (VoicemailActions{play(P::kGoodbye), plain(Kind::kHangUp)}));
}

TEST(VoicemailMenu, SilenceRepeatsThePromptThenEndsTheCall) {
  VoicemailMenu menu;
  menu.start(box_with_three());
  EXPECT_EQ(menu.on_timeout(), VoicemailActions{play(P::kEnterPin)});
  EXPECT_EQ(menu.on_timeout(), VoicemailActions{play(P::kEnterPin)});
  EXPECT_EQ(menu.on_timeout(), (VoicemailActions{play(P::kGoodbye), plain(Kind::kHangUp)}));

  VoicemailMenu typed;
  typed.start(box_with_three());
  keys(typed, "55");
  EXPECT_EQ(typed.on_timeout(), VoicemailActions{check_pin("55")});

  VoicemailMenu listening = opened();
  EXPECT_EQ(listening.on_timeout(), VoicemailActions{play(P::kHelp)});
  listening.on_digit('6');  // a key resets the count
  EXPECT_EQ(listening.on_timeout(), VoicemailActions{play(P::kHelp)});
  EXPECT_EQ(listening.on_timeout(), VoicemailActions{play(P::kHelp)});
  EXPECT_EQ(listening.on_timeout(), (VoicemailActions{play(P::kGoodbye), plain(Kind::kHangUp)}));
}

TEST(PinGuard, LocksABoxAfterTooManyFailuresWithinTheWindow) {
  ManualClock clock;
  PinGuard guard(PinGuardOptions{
      .max_failures = 3, .window = std::chrono::minutes(10), .lockout = std::chrono::minutes(5)});
  EXPECT_FALSE(guard.record_failure("1/1001", clock.now()));
  EXPECT_FALSE(guard.record_failure("1/1001", clock.now()));
  EXPECT_FALSE(guard.locked("1/1001", clock.now()));
  EXPECT_TRUE(guard.record_failure("1/1001", clock.now()));
  EXPECT_TRUE(guard.locked("1/1001", clock.now()));
  EXPECT_FALSE(guard.locked("1/1002", clock.now()));  // per box
  // The right PIN while locked lifts nothing.
  guard.record_success("1/1001", clock.now());
  clock.advance(std::chrono::minutes(4));
  EXPECT_TRUE(guard.locked("1/1001", clock.now()));
  EXPECT_FALSE(guard.record_failure("1/1001", clock.now()));  // already locked
  clock.advance(std::chrono::minutes(1));
  EXPECT_FALSE(guard.locked("1/1001", clock.now()));  // the lock runs out
}

TEST(PinGuard, OldFailuresAndSuccessForget) {
  ManualClock clock;
  PinGuard guard(PinGuardOptions{
      .max_failures = 3, .window = std::chrono::minutes(10), .lockout = std::chrono::minutes(5)});
  guard.record_failure("b", clock.now());
  guard.record_failure("b", clock.now());
  clock.advance(std::chrono::minutes(11));  // outside the window: a new count starts
  EXPECT_FALSE(guard.record_failure("b", clock.now()));
  EXPECT_FALSE(guard.record_failure("b", clock.now()));
  guard.record_success("b", clock.now());
  EXPECT_FALSE(guard.record_failure("b", clock.now()));
  EXPECT_FALSE(guard.record_failure("b", clock.now()));
  EXPECT_TRUE(guard.record_failure("b", clock.now()));
}

TEST(PinGuard, TracksABoundedNumberOfBoxes) {
  ManualClock clock;
  PinGuard guard(PinGuardOptions{.max_failures = 2,
                                 .window = std::chrono::minutes(1),
                                 .lockout = std::chrono::minutes(1),
                                 .max_boxes = 2});
  guard.record_failure("a", clock.now());
  guard.record_failure("b", clock.now());
  guard.record_failure("c", clock.now());  // full, nothing expired: not tracked
  EXPECT_EQ(guard.tracked(), 2U);
  clock.advance(std::chrono::minutes(2));
  guard.record_failure("c", clock.now());  // the stale ones make room
  EXPECT_EQ(guard.tracked(), 1U);
}

}  // namespace
}  // namespace parley::pbx
