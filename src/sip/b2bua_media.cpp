// The B2BUA's side of media anchoring: which bodies go to the CallMedia, and the media timeout.
#include <algorithm>
#include <string>

#include "base/ascii.hpp"
#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"

namespace parley::sip {
namespace {

using protocol::sip::HeaderId;
using protocol::sip::Message;

// application/sdp, in any case, with or without parameters.
bool is_sdp(std::string_view content_type) {
  constexpr std::string_view kSdp = "application/sdp";
  while (!content_type.empty() && (content_type.front() == ' ' || content_type.front() == '\t')) {
    content_type.remove_prefix(1);
  }
  if (content_type.size() < kSdp.size()) return false;
  for (std::size_t i = 0; i < kSdp.size(); ++i) {
    if (base::ascii_lower(content_type[i]) != kSdp[i]) return false;
  }
  const std::string_view rest = content_type.substr(kSdp.size());
  return rest.empty() || rest.front() == ';' || rest.front() == ' ' || rest.front() == '\t';
}

// A held call may go without RTP this many times the media timeout (decision 0041).
constexpr int kHoldTimeoutFactor = 5;

// Whether an SDP offer puts the call on hold (decision 0017's rule, read from the text: a
// sendonly or inactive direction, or the old c=0.0.0.0 form).
bool offers_hold(std::string_view sdp) {
  return sdp.find("a=sendonly") != std::string_view::npos ||
         sdp.find("a=inactive") != std::string_view::npos ||
         sdp.find("c=IN IP4 0.0.0.0") != std::string_view::npos;
}

}  // namespace

Result<std::string> B2bua::media_body(Call& call, Side from, const Message& message,
                                      bool is_offer) {
  const std::string_view body = message.body();
  if (call.media == nullptr || body.empty() || !is_sdp(message.first(HeaderId::kContentType))) {
    return std::string(body);
  }
  const auto side = from == Side::kCaller ? MediaSide::kCaller : MediaSide::kCallee;
  if (!is_offer) return call.media->answer(side, body);
  auto offered = call.media->offer(side, body);
  if (offered.ok()) {
    bool& holding = call.holding[from == Side::kCaller ? 0 : 1];
    const bool holds = offers_hold(body);
    if (holding && !holds) call.hold_ended = options_.clock.now();
    holding = holds;
  }
  return offered;
}

void B2bua::arm_media_timer(Call& call, Duration delay) {
  if ((call.media == nullptr && call.local == nullptr) ||
      options_.media_timeout <= Duration::zero()) {
    return;
  }
  cancel_timer(call.media_timer);
  call.media_timer = schedule(call.id, TimerKind::kMediaCheck, delay);
}

void B2bua::check_media(Call& call) {
  if (!call.answered || (call.media == nullptr && call.local == nullptr)) return;
  const TimePoint now = options_.clock.now();
  const TimePoint last = std::max(
      call.local != nullptr ? call.local->last_media() : call.media->last_media(), call.hold_ended);
  // On hold the holder may be silent while the held party hears our music, so a held call gets
  // kHoldTimeoutFactor times as long (Asterisk's rtpholdtimeout plays the same part).
  const bool on_hold = call.media != nullptr && (call.holding[0] || call.holding[1]);
  const Duration timeout =
      on_hold ? options_.media_timeout * kHoldTimeoutFactor : options_.media_timeout;
  if (now - last >= timeout) {
    ++stats_.media_timeouts;
    call.end_reason = store::EndReason::kMediaTimeout;
    hang_up(call, store::HangupSide::kSystem, true, true);
    return;
  }
  // Check again when the timeout would be reached if nothing more arrives (or the hold ends).
  arm_media_timer(call, std::min<Duration>(options_.media_timeout, timeout - (now - last)));
}

}  // namespace parley::sip
