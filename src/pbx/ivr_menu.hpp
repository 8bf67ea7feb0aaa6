#pragma once
// What a caller's keys mean in an auto-attendant menu (issue 7, decision 0022). Pure: the IVR
// application (app/ivr_application.hpp) feeds it digits and timeouts and does what it decides.
//
// - A digit with an option goes to the option's destination at once, unless direct dial is on
//   and some dialable number starts with that digit: then the navigator waits for more digits
//   (a timeout, '#', or a complete number that no longer number extends, ends the entry).
// - With direct dial, keyed digits that form a dialable number (an extension) go there.
// - Anything else is an invalid entry: the greeting plays again ("invalid choice" first); a
//   timeout without any key plays it again too. After max_attempts of either, the caller goes
//   to the fallback destination.
//
// Not thread-safe; one per call.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "store/ivr_store.hpp"

namespace parley::pbx {

enum class DestinationKind : std::uint8_t { kNumber, kMenu, kSchedule, kVoicemail, kHangup };

struct Destination {
  DestinationKind kind = DestinationKind::kHangup;
  std::string target;  // the number, menu, schedule or box; empty for kHangup
  friend bool operator==(const Destination&, const Destination&) = default;
};

// The destination text of store::check_ivr_destination; nullopt when it is not one.
std::optional<Destination> parse_destination(std::string_view text);

enum class MenuStep : std::uint8_t {
  kWait,     // keep collecting (the greeting goes on)
  kGo,       // leave the menu for MenuDecision::destination
  kInvalid,  // say "invalid choice" and play the greeting again
  kReplay,   // nothing was keyed: play the greeting again
};

struct MenuDecision {
  MenuStep step = MenuStep::kWait;
  Destination destination;  // for kGo
};

class MenuNavigator {
 public:
  // `dialable`: the numbers direct dial may reach (the tenant's extensions); ignored unless the
  // menu allows direct dial.
  MenuNavigator(store::IvrMenu menu, std::set<std::string, std::less<>> dialable);

  MenuDecision on_digit(char digit);
  // The menu's timeout ran out since the greeting ended or the last key.
  MenuDecision on_timeout();

  const store::IvrMenu& menu() const { return menu_; }
  const std::string& keyed() const { return keyed_; }
  std::uint32_t failures() const { return failures_; }

 private:
  const store::IvrOption* option_for(char digit) const;
  bool extends_a_number(std::string_view prefix) const;
  MenuDecision finish_entry();
  MenuDecision fail(MenuStep step);

  store::IvrMenu menu_;
  std::set<std::string, std::less<>> dialable_;
  std::string keyed_;
  std::uint32_t failures_ = 0;
};

}  // namespace parley::pbx
