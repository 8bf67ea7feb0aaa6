#include "store/store.hpp"

#include <array>
#include <utility>

namespace parley::store {

namespace {

constexpr std::array<std::pair<Disposition, std::string_view>, 5> kDispositionNames{{
    {Disposition::kAnswered, "answered"},
    {Disposition::kBusy, "busy"},
    {Disposition::kNoAnswer, "no_answer"},
    {Disposition::kCancelled, "cancelled"},
    {Disposition::kFailed, "failed"},
}};

constexpr std::array<std::pair<HangupSide, std::string_view>, 3> kHangupSideNames{{
    {HangupSide::kCaller, "caller"},
    {HangupSide::kCallee, "callee"},
    {HangupSide::kSystem, "system"},
}};

constexpr std::array<std::pair<EndReason, std::string_view>, 3> kEndReasonNames{{
    {EndReason::kNormal, "normal"},
    {EndReason::kMediaTimeout, "media_timeout"},
    {EndReason::kShutdown, "shutdown"},
}};

}  // namespace

Error make_store_error(StoreError kind, std::string message) {
  return make_error(static_cast<int>(kind), std::move(message));
}

std::string_view to_text(Disposition disposition) {
  for (const auto& [value, name] : kDispositionNames) {
    if (value == disposition) return name;
  }
  return "unknown";
}

std::string_view to_text(HangupSide side) {
  for (const auto& [value, name] : kHangupSideNames) {
    if (value == side) return name;
  }
  return "unknown";
}

std::string_view to_text(EndReason reason) {
  for (const auto& [value, name] : kEndReasonNames) {
    if (value == reason) return name;
  }
  return "unknown";
}

std::optional<EndReason> parse_end_reason(std::string_view text) {
  for (const auto& [value, name] : kEndReasonNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::optional<Disposition> parse_disposition(std::string_view text) {
  for (const auto& [value, name] : kDispositionNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::optional<HangupSide> parse_hangup_side(std::string_view text) {
  for (const auto& [value, name] : kHangupSideNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace parley::store
