// A DTMF storm through the voicemail menu (decision 0029): any sequence of keys, PIN results,
// timeouts and greeting limits, from any box, never crashes the state machine, never points it
// past its messages, never deletes or saves a message twice, and a call that has ended stays
// ended. The PIN brake sees the same failures and stays bounded.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "base/clock.hpp"
#include "fuzz_require.hpp"
#include "pbx/pin_guard.hpp"
#include "pbx/voicemail_menu.hpp"

namespace {

using parley::pbx::VoicemailAction;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  parley::pbx::VoicemailBoxState box;
  box.has_pin = (data[0] & 1) != 0;
  box.locked = (data[0] & 2) != 0;
  const int messages = (data[0] >> 2) & 7;
  for (int i = 0; i < messages; ++i) {
    box.messages.push_back({100 + i, (i * 37) % 5, (i % 2) == 0});
  }
  parley::pbx::VoicemailMenu menu;
  parley::ManualClock clock;
  parley::pbx::PinGuard guard(parley::pbx::PinGuardOptions{.max_boxes = 4});
  std::set<std::int64_t> deleted;
  std::set<std::int64_t> saved;
  auto check = [&](const parley::pbx::VoicemailActions& actions) {
    for (const VoicemailAction& action : actions) {
      if (action.kind == VoicemailAction::Kind::kDeleteMessage) {
        fuzz::require(deleted.insert(action.message).second);
      }
      if (action.kind == VoicemailAction::Kind::kSaveMessage) {
        fuzz::require(saved.insert(action.message).second);
        fuzz::require(!deleted.contains(action.message));
      }
      if (action.kind == VoicemailAction::Kind::kPlayMessage) {
        fuzz::require(!deleted.contains(action.message));
      }
      if (action.kind == VoicemailAction::Kind::kCheckPin) {
        fuzz::require(action.pin.size() <= parley::pbx::kMaxPinDigits);
      }
    }
    fuzz::require(menu.messages().empty() || menu.current() < menu.messages().size());
  };
  check(menu.start(box));
  static constexpr char kKeys[] = "0123456789*#ABCD";
  for (std::size_t i = 1; i < size; ++i) {
    const std::uint8_t byte = data[i];
    const bool was_ended = menu.state() == parley::pbx::VoicemailMenu::State::kEnded;
    parley::pbx::VoicemailActions actions;
    switch (byte >> 5) {
      case 0:
        actions = menu.on_timeout();
        break;
      case 1: {
        const auto result = static_cast<parley::pbx::PinCheck>(byte % 3);
        if (result == parley::pbx::PinCheck::kRejected) {
          guard.record_failure(std::string(1, static_cast<char>('a' + byte % 6)), clock.now());
        }
        actions = menu.on_pin_checked(result);
        break;
      }
      case 2:
        actions = menu.on_greeting_limit();
        clock.advance(std::chrono::minutes(byte % 20));
        break;
      default:
        actions = menu.on_digit(kKeys[byte % 16]);
        break;
    }
    if (was_ended) fuzz::require(actions.empty());
    check(actions);
    fuzz::require(guard.tracked() <= 4);
  }
  return 0;
}
