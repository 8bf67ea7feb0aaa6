#pragma once
// What the CallPlacement tests share: Call-IDs that hash to a chosen worker, requests as wire
// text, call-state reports, and a two-worker placement for the tenant of "example.com".

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "protocol/sip/message.hpp"
#include "sip/call_affinity.hpp"
#include "sip/call_placement.hpp"

namespace parley::sip::testing {

inline constexpr std::size_t kWorkers = 2;
inline constexpr store::TenantId kTenant = 7;

inline protocol::sip::Message parse(const std::string& text) {
  auto parsed = protocol::sip::parse_message(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return std::move(parsed).value();
}

// A Call-ID that hashes to `worker`.
inline std::string call_id_on(std::size_t worker, std::string_view prefix) {
  for (int i = 0; i < 1000; ++i) {
    std::string id = std::string(prefix) + std::to_string(i) + "@phone";
    if (call_owner(id, kWorkers) == worker) return id;
  }
  ADD_FAILURE() << "no Call-ID for worker " << worker;
  return {};
}

// `method` from `from` to `to_user` (both at example.com); `extra` are whole header lines.
inline std::string request(std::string_view method, std::string_view from, std::string_view to_user,
                           std::string_view call_id, std::string_view to_tag = {},
                           std::string_view extra = {}) {
  std::string text =
      std::string(method) + " sip:" + std::string(to_user) + "@example.com SIP/2.0\r\n";
  text += "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK" +
          std::to_string(std::hash<std::string_view>{}(call_id) % 100000) + "\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "From: <sip:" + std::string(from) + "@example.com>;tag=f1\r\n";
  text += "To: <sip:" + std::string(to_user) + "@example.com>";
  if (!to_tag.empty()) text += ";tag=" + std::string(to_tag);
  text += "\r\nCall-ID: " + std::string(call_id) + "\r\n";
  text += "CSeq: 1 " + std::string(method) + "\r\n";
  text += std::string(extra) + "Content-Length: 0\r\n\r\n";
  return text;
}

inline ExtensionCallState state(std::string_view extension, std::string_view dialog_id,
                                CallPhase phase, std::string_view call_id = {},
                                CallDirection direction = CallDirection::kInitiator) {
  ExtensionCallState s;
  s.tenant = kTenant;
  s.extension = std::string(extension);
  s.dialog_id = std::string(dialog_id);
  s.phase = phase;
  s.call_id = std::string(call_id);
  s.direction = direction;
  return s;
}

using PickupFrom = std::function<std::vector<std::string>(
    store::TenantId tenant, std::string_view caller, std::string_view dialled)>;

inline CallPlacementOptions placement_options(const Clock& clock, PickupFrom pickup_from = {}) {
  return CallPlacementOptions{
      .workers = kWorkers,
      .clock = clock,
      .linger = std::chrono::seconds(32),
      .tenant_of_host = [](std::string_view host) -> std::optional<store::TenantId> {
        if (host == "example.com") return kTenant;
        return std::nullopt;
      },
      .pickup_from = std::move(pickup_from)};
}

}  // namespace parley::sip::testing
