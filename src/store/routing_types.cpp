// Text forms of the value types of routing_store.hpp and call_limits_store.hpp.

#include <array>
#include <string>
#include <utility>

#include "store/call_limits_store.hpp"
#include "store/routing_store.hpp"

namespace parley::store {

namespace {

constexpr std::array<std::pair<DidDestinationKind, std::string_view>, 5> kDestinationNames{{
    {DidDestinationKind::kExtension, "extension"},
    {DidDestinationKind::kRingGroup, "ringgroup"},
    {DidDestinationKind::kIvr, "ivr"},
    {DidDestinationKind::kQueue, "queue"},
    {DidDestinationKind::kVoicemail, "voicemail"},
}};

constexpr std::array<std::pair<RoutePatternKind, std::string_view>, 3> kPatternNames{{
    {RoutePatternKind::kPrefix, "prefix"},
    {RoutePatternKind::kLength, "length"},
    {RoutePatternKind::kRegex, "regex"},
}};

constexpr std::array<std::pair<CallClass, std::string_view>, 5> kClassNames{{
    {CallClass::kInternal, "internal"},
    {CallClass::kNational, "national"},
    {CallClass::kMobile, "mobile"},
    {CallClass::kInternational, "international"},
    {CallClass::kPremium, "premium"},
}};

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                             std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view to_text(DidDestinationKind kind) {
  return name_of(kDestinationNames, kind);
}
std::optional<DidDestinationKind> parse_did_destination_kind(std::string_view text) {
  return value_of(kDestinationNames, text);
}
std::string_view to_text(RoutePatternKind kind) {
  return name_of(kPatternNames, kind);
}
std::optional<RoutePatternKind> parse_route_pattern_kind(std::string_view text) {
  return value_of(kPatternNames, text);
}
std::string_view to_text(CallClass call_class) {
  return name_of(kClassNames, call_class);
}
std::optional<CallClass> parse_call_class(std::string_view text) {
  return value_of(kClassNames, text);
}

std::string CallClassSet::to_text() const {
  std::string text;
  for (const auto& [value, name] : kClassNames) {
    if (!contains(value)) continue;
    if (!text.empty()) text += ',';
    text += name;
  }
  return text.empty() ? "none" : text;
}

Result<CallClassSet> CallClassSet::parse(std::string_view text) {
  CallClassSet set;
  if (trim(text) == "none") return set;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view word = trim(text.substr(0, comma));
    const auto value = parse_call_class(word);
    if (!value) {
      return make_store_error(StoreError::kInvalidInput,
                              "unknown call class '" + std::string(word.substr(0, 40)) +
                                  "'; the classes are internal, national, mobile, "
                                  "international, premium (or none)");
    }
    set.insert(*value);
    if (comma == std::string_view::npos) return set;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace parley::store
