#include "pbx/voicemail_menu.hpp"

#include <algorithm>
#include <utility>

namespace parley::pbx {
namespace {

using Kind = VoicemailAction::Kind;

VoicemailAction play(VoicemailPrompt prompt) {
  return VoicemailAction{.kind = Kind::kPlay, .prompt = prompt};
}

VoicemailAction about(Kind kind, std::int64_t message) {
  return VoicemailAction{.kind = kind, .message = message};
}

std::uint32_t count_new(const std::vector<VoicemailMenuMessage>& messages) {
  return static_cast<std::uint32_t>(
      std::count_if(messages.begin(), messages.end(), [](const auto& m) { return m.is_new; }));
}

}  // namespace

VoicemailActions VoicemailMenu::goodbye(VoicemailActions actions) {
  state_ = State::kEnded;
  actions.push_back(play(VoicemailPrompt::kGoodbye));
  actions.push_back(VoicemailAction{.kind = Kind::kHangUp});
  return actions;
}

VoicemailActions VoicemailMenu::start(VoicemailBoxState box) {
  if (state_ != State::kStarting) return {};
  if (!box.has_pin) return goodbye({play(VoicemailPrompt::kNoPin)});
  if (box.locked) return goodbye({play(VoicemailPrompt::kLocked)});
  messages_ = std::move(box.messages);
  // New before saved; within each, the order they came in.
  std::stable_sort(messages_.begin(), messages_.end(), [](const auto& a, const auto& b) {
    if (a.is_new != b.is_new) return a.is_new;
    if (a.received_at != b.received_at) return a.received_at < b.received_at;
    return a.id < b.id;
  });
  state_ = State::kPin;
  return {play(VoicemailPrompt::kEnterPin)};
}

VoicemailActions VoicemailMenu::on_digit(char digit) {
  switch (state_) {
    case State::kPin:
      silent_timeouts_ = 0;
      return pin_digit(digit);
    case State::kMenu:
      silent_timeouts_ = 0;
      return menu_digit(digit);
    case State::kGreeting:
      if (digit != '#') return {};
      return on_greeting_limit();
    default:
      return {};  // starting, checking a PIN, or ended: keys mean nothing
  }
}

VoicemailActions VoicemailMenu::pin_digit(char digit) {
  if (digit >= '0' && digit <= '9') {
    if (pin_.size() < kMaxPinDigits) {
      pin_.push_back(digit);
    } else {
      pin_too_long_ = true;
    }
    return {};
  }
  if (digit == '*') {
    pin_.clear();
    pin_too_long_ = false;
    return {play(VoicemailPrompt::kEnterPin)};
  }
  if (digit == '#') {
    if (pin_.empty() && !pin_too_long_) return {play(VoicemailPrompt::kEnterPin)};
    return check_pin();
  }
  return {};
}

VoicemailActions VoicemailMenu::check_pin() {
  std::string pin = std::exchange(pin_, std::string());
  if (std::exchange(pin_too_long_, false)) pin.clear();  // never right: the check says no
  state_ = State::kCheckingPin;
  return {VoicemailAction{.kind = Kind::kCheckPin, .pin = std::move(pin)}};
}

VoicemailActions VoicemailMenu::on_pin_checked(PinCheck result) {
  if (state_ != State::kCheckingPin) return {};
  if (result == PinCheck::kLocked) return goodbye({play(VoicemailPrompt::kLocked)});
  if (result == PinCheck::kRejected) {
    ++pin_attempts_;
    VoicemailActions actions{VoicemailAction{.kind = Kind::kPinRejected},
                             play(VoicemailPrompt::kWrongPin)};
    if (pin_attempts_ >= kMaxPinAttempts) return goodbye(std::move(actions));
    state_ = State::kPin;
    actions.push_back(play(VoicemailPrompt::kEnterPin));
    return actions;
  }
  state_ = State::kMenu;
  current_ = 0;
  VoicemailActions actions{
      VoicemailAction{.kind = Kind::kPinAccepted}, play(VoicemailPrompt::kYouHave),
      VoicemailAction{.kind = Kind::kSayNumber, .number = count_new(messages_)},
      play(VoicemailPrompt::kNewMessages)};
  if (messages_.empty()) {
    actions.push_back(play(VoicemailPrompt::kNoMessages));
    actions.push_back(play(VoicemailPrompt::kHelp));
    return actions;
  }
  return play_current(std::move(actions));
}

VoicemailActions VoicemailMenu::play_current(VoicemailActions actions) const {
  if (current_ < messages_.size()) {
    actions.push_back(about(Kind::kPlayMessage, messages_[current_].id));
  }
  actions.push_back(play(VoicemailPrompt::kHelp));
  return actions;
}

// To the next message, or "no more messages" (staying on the last one).
VoicemailActions VoicemailMenu::advance(VoicemailActions actions) {
  if (current_ + 1 < messages_.size()) {
    ++current_;
    return play_current(std::move(actions));
  }
  actions.push_back(play(VoicemailPrompt::kNoMoreMessages));
  actions.push_back(play(VoicemailPrompt::kHelp));
  return actions;
}

VoicemailActions VoicemailMenu::menu_digit(char digit) {
  const bool have_message = current_ < messages_.size();
  switch (digit) {
    case '7': {
      if (!have_message) return {play(VoicemailPrompt::kNoMessages), play(VoicemailPrompt::kHelp)};
      VoicemailActions actions{about(Kind::kDeleteMessage, messages_[current_].id),
                               play(VoicemailPrompt::kMessageDeleted)};
      messages_.erase(messages_.begin() + static_cast<std::ptrdiff_t>(current_));
      if (current_ < messages_.size()) return play_current(std::move(actions));
      if (messages_.empty()) {
        current_ = 0;
        actions.push_back(play(VoicemailPrompt::kNoMessages));
        actions.push_back(play(VoicemailPrompt::kHelp));
        return actions;
      }
      current_ = messages_.size() - 1;
      actions.push_back(play(VoicemailPrompt::kNoMoreMessages));
      actions.push_back(play(VoicemailPrompt::kHelp));
      return actions;
    }
    case '9': {
      if (!have_message) return {play(VoicemailPrompt::kNoMessages), play(VoicemailPrompt::kHelp)};
      VoicemailActions actions;
      if (messages_[current_].is_new) {
        messages_[current_].is_new = false;
        actions.push_back(about(Kind::kSaveMessage, messages_[current_].id));
      }
      actions.push_back(play(VoicemailPrompt::kMessageSaved));
      return advance(std::move(actions));
    }
    case '6':
      if (!have_message) return {play(VoicemailPrompt::kNoMessages), play(VoicemailPrompt::kHelp)};
      return advance({});
    case '4':
      if (!have_message) return {play(VoicemailPrompt::kNoMessages), play(VoicemailPrompt::kHelp)};
      if (current_ == 0) return play_current({play(VoicemailPrompt::kFirstMessage)});
      --current_;
      return play_current({});
    case '0':
      state_ = State::kGreeting;
      return {play(VoicemailPrompt::kRecordGreeting), play(VoicemailPrompt::kBeep),
              VoicemailAction{.kind = Kind::kStartGreeting}};
    case '#':
      return goodbye({});
    default:
      return {play(VoicemailPrompt::kHelp)};
  }
}

VoicemailActions VoicemailMenu::on_greeting_limit() {
  if (state_ != State::kGreeting) return {};
  state_ = State::kMenu;
  return {VoicemailAction{.kind = Kind::kFinishGreeting}, play(VoicemailPrompt::kGreetingSaved),
          play(VoicemailPrompt::kHelp)};
}

VoicemailActions VoicemailMenu::on_timeout() {
  if (state_ != State::kPin && state_ != State::kMenu) return {};
  if (state_ == State::kPin && (!pin_.empty() || pin_too_long_)) return check_pin();
  if (++silent_timeouts_ >= kMaxSilentTimeouts) return goodbye({});
  return {play(state_ == State::kPin ? VoicemailPrompt::kEnterPin : VoicemailPrompt::kHelp)};
}

}  // namespace parley::pbx
