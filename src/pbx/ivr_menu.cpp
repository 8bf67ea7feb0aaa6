#include "pbx/ivr_menu.hpp"

#include <algorithm>

namespace parley::pbx {
namespace {

constexpr std::size_t kMaxKeyed = 15;

}  // namespace

std::optional<Destination> parse_destination(std::string_view text) {
  if (!store::check_ivr_destination(text)) return std::nullopt;
  if (text == "hangup") return Destination{};
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Destination{DestinationKind::kNumber, std::string(text)};
  }
  const std::string_view kind = text.substr(0, colon);
  std::string target(text.substr(colon + 1));
  if (kind == "menu") return Destination{DestinationKind::kMenu, std::move(target)};
  if (kind == "schedule") return Destination{DestinationKind::kSchedule, std::move(target)};
  return Destination{DestinationKind::kVoicemail, std::move(target)};
}

MenuNavigator::MenuNavigator(store::IvrMenu menu, std::set<std::string, std::less<>> dialable)
    : menu_(std::move(menu)), dialable_(std::move(dialable)) {
  if (!menu_.direct_dial) dialable_.clear();
}

const store::IvrOption* MenuNavigator::option_for(char digit) const {
  const auto found = std::find_if(menu_.options.begin(), menu_.options.end(),
                                  [digit](const store::IvrOption& o) { return o.digit == digit; });
  return found == menu_.options.end() ? nullptr : &*found;
}

bool MenuNavigator::extends_a_number(std::string_view prefix) const {
  const auto next = dialable_.upper_bound(prefix);
  return next != dialable_.end() && next->size() > prefix.size() &&
         std::string_view(*next).substr(0, prefix.size()) == prefix;
}

MenuDecision MenuNavigator::on_digit(char digit) {
  if (digit == '#' && !keyed_.empty()) return finish_entry();
  if (keyed_.empty() && !extends_a_number(std::string_view(&digit, 1))) {
    if (const auto* option = option_for(digit)) {
      auto destination = parse_destination(option->destination);
      if (destination) return MenuDecision{MenuStep::kGo, std::move(*destination)};
      return fail(MenuStep::kInvalid);
    }
    if (dialable_.empty() || digit < '0' || digit > '9') return fail(MenuStep::kInvalid);
  }
  if (digit < '0' || digit > '9' || keyed_.size() >= kMaxKeyed) return fail(MenuStep::kInvalid);
  keyed_.push_back(digit);
  if (dialable_.contains(keyed_) && !extends_a_number(keyed_)) return finish_entry();
  if (!extends_a_number(keyed_) && !dialable_.contains(keyed_)) return fail(MenuStep::kInvalid);
  return MenuDecision{};
}

MenuDecision MenuNavigator::on_timeout() {
  if (!keyed_.empty()) return finish_entry();
  return fail(MenuStep::kReplay);
}

MenuDecision MenuNavigator::finish_entry() {
  std::string entry;
  entry.swap(keyed_);
  if (dialable_.contains(entry)) {
    return MenuDecision{MenuStep::kGo, Destination{DestinationKind::kNumber, std::move(entry)}};
  }
  if (entry.size() == 1) {
    if (const auto* option = option_for(entry[0])) {
      if (auto destination = parse_destination(option->destination)) {
        return MenuDecision{MenuStep::kGo, std::move(*destination)};
      }
    }
  }
  return fail(MenuStep::kInvalid);
}

MenuDecision MenuNavigator::fail(MenuStep step) {
  keyed_.clear();
  if (++failures_ >= menu_.max_attempts) {
    auto fallback = parse_destination(menu_.fallback);
    return MenuDecision{MenuStep::kGo, fallback ? std::move(*fallback) : Destination{}};
  }
  return MenuDecision{step, {}};
}

}  // namespace parley::pbx
