#include "app/park_application.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "app/park_service.hpp"
#include "net/loop_timer.hpp"

namespace parley::app {
namespace {

bool same_codec(const media::CodecSpec& a, const media::CodecSpec& b) {
  return a.encoding == b.encoding && a.clock_rate == b.clock_rate && a.channels == b.channels &&
         a.fmtp == b.fmtp;
}

std::optional<std::uint32_t> parse_slot(std::string_view text) {
  std::uint32_t slot = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), slot);
  if (text.empty() || parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return slot;
}

std::string bridge_room(pbx::ParkTicket ticket) {
  return "park:" + std::to_string(ticket);
}

// One side of a parked call: the parked caller (kParkee) or whoever retrieved it (kRetriever).
// Both own a LocalEndpoint; once bridged, its payloads go through a seat of the ticket's bridge
// room (payload mode), before that the parkee's frames are the announcement and the music.
class ParkSession final : public sip::LocalSession, public media::LocalEndpoint::Listener {
 public:
  ParkSession(ParkService& park, pbx::ParkSide side, ApplicationContext& context)
      : park_(park),
        side_(side),
        worker_(context.worker),
        hang_up_(context.hang_up),
        poll_timer_(context.pool, context.worker, [this] { poll(); }) {}

  ~ParkSession() override {
    poll_timer_.cancel();
    endpoint_.reset();  // no more callbacks into this session
    if (seat_) park_.bridges().release(seat_);
    if (ticket_ != 0) park_.lot().leave(ticket_, side_);
  }
  ParkSession(const ParkSession&) = delete;
  ParkSession& operator=(const ParkSession&) = delete;

  // Parkee: the endpoint, then the slot. Retriever: the endpoint, then the slot's call (so that
  // a call taken is never left without its retriever for lack of a port).
  Result<void> start(ApplicationContext& context, std::uint32_t slot, std::string parker) {
    auto endpoint = media::LocalEndpoint::create(context.pool, context.worker, context.ports,
                                                 context.clock, context.endpoint, *this);
    if (!endpoint) return endpoint.error();
    endpoint_ = std::move(endpoint).value();
    const store::TenantId tenant = context.call.tenant_id;
    if (side_ == pbx::ParkSide::kParkee) {
      auto parked = park_.lot().park(tenant, slot, parker, context.call.caller);
      if (!parked) return parked.error();
      ticket_ = parked->ticket;
      slot_ = parked->slot;
      parker_ = std::move(parker);
      deadline_ = std::chrono::steady_clock::now() + park_.options().timeout;
      for (auto& clip : park_.announcement(slot_)) announcement_.push_back(std::move(clip));
      spdlog::info("park: {} parked in slot {} by {}", context.call.caller, slot_, parker_);
    } else {
      auto taken = park_.lot().retrieve(tenant, slot, context.call.caller);
      if (!taken) return taken.error();
      ticket_ = taken->ticket;
      slot_ = taken->slot;
      spdlog::info("park: slot {} retrieved by {}", slot_, context.call.caller);
      if (!bridge()) return Error{503, "Park Bridge Unavailable"};
    }
    poll_timer_.arm(std::chrono::steady_clock::now() + kParkPollInterval);
    return {};
  }

  Result<std::string> answer(std::string_view offer) override {
    auto answered = endpoint_->answer(offer);
    if (!answered) return answered;
    if (!music_ && park_.options().music && endpoint_->sample_rate() != 0 &&
        side_ == pbx::ParkSide::kParkee) {
      auto player = media::AudioPlayer::create(park_.options().music, endpoint_->sample_rate());
      if (player) music_ = std::move(player).value();
    }
    join_if_ready();
    return answered;
  }

  TimePoint last_media() const override { return endpoint_->last_media(); }

  std::string summary() const override {
    return side_ == pbx::ParkSide::kParkee ? "Parked at " + std::to_string(slot_) : std::string();
  }

  void set_redirect(std::function<void(std::string)> redirect) override {
    redirect_ = std::move(redirect);
  }

  void on_redirect_failed(int status) override {
    // Rung back: the parker's voicemail; passed on by its retriever: the target's.
    const std::string& owner = transferred_to_.empty() ? parker_ : transferred_to_;
    if (!tried_voicemail_ && redirect_ && !owner.empty()) {
      tried_voicemail_ = true;
      spdlog::info("park: {} did not answer the call of slot {} ({}); to voicemail", owner, slot_,
                   status);
      redirect_("app:voicemail:" + owner);
      return;
    }
    spdlog::info("park: nobody took back the call of slot {}; hanging up", slot_);
    end_call();
  }

  // The retriever passes the parked caller on (decision 0041); the parkee's poll rings `target`.
  Result<void> transfer(std::string_view target) override {
    if (side_ != pbx::ParkSide::kRetriever) return Error{403, "Transfer Not Supported Here"};
    auto passed = park_.lot().transfer(ticket_, std::string(target));
    if (passed.ok()) spdlog::info("park: the call of slot {} is transferred to {}", slot_, target);
    return passed;
  }

  std::string connected_party() const override {
    const auto status = park_.lot().status(ticket_);
    if (!status) return {};
    return side_ == pbx::ParkSide::kRetriever ? status->parkee : status->retriever;
  }

  void on_audio(std::span<const std::int16_t> /*pcm*/) override {}
  void on_dtmf(const media::DtmfDigit& /*digit*/) override {}

  bool on_payload(std::uint16_t sequence, std::uint32_t timestamp,
                  std::span<const std::uint8_t> payload) override {
    if (!joined_) return false;
    seat_->put_received(sequence, timestamp, payload);
    return true;  // the bridge's mixer decodes
  }

  std::size_t fill_payload(std::span<std::uint8_t> out) override {
    return joined_ ? seat_->take_mixed(out) : 0;
  }

  bool fill_frame(std::span<std::int16_t> pcm) override {
    if (seat_) return false;  // bridged: a tick without a mixed payload is silence
    if (speak(pcm)) return true;
    if (!music_) return false;
    const auto frame = music_->next_frame();
    std::copy_n(frame.begin(), std::min(frame.size(), pcm.size()), pcm.begin());
    return true;
  }

 private:
  void poll() {
    if (ended_) return;
    const auto status = park_.lot().status(ticket_);
    if (!status) {
      end_call();
      return;
    }
    if (side_ == pbx::ParkSide::kRetriever) {
      if (status->parkee_gone) {
        spdlog::info("park: the parked call of slot {} hung up", slot_);
        end_call();
        return;
      }
    } else if (status->state == pbx::ParkState::kRetrieved) {
      if (!status->transfer_target.empty()) {
        if (transferred_to_.empty()) pass_on(status->transfer_target);
      } else if ((!seat_ && !bridge()) || status->retriever_gone) {
        end_call();
        return;
      }
    } else if (status->state == pbx::ParkState::kParked &&
               std::chrono::steady_clock::now() >= deadline_ && park_.lot().expire(ticket_)) {
      ring_back();
    }
    poll_timer_.arm(std::chrono::steady_clock::now() + kParkPollInterval);
  }

  void ring_back() {
    spdlog::info("park: slot {} timed out; ringing {} back", slot_, parker_);
    if (!redirect_ || parker_.empty()) {
      end_call();
      return;
    }
    redirect_(parker_);
  }

  // The retriever transferred the call: the bridge is left (the music plays again while the
  // target rings) and the B2BUA's redirect rings the target.
  void pass_on(const std::string& target) {
    transferred_to_ = target;
    if (seat_) park_.bridges().release(seat_);
    seat_.reset();
    joined_ = false;
    joined_codec_.reset();
    if (!redirect_) {
      end_call();
      return;
    }
    redirect_(target);
  }

  bool bridge() {
    auto seat = park_.bridges().reserve(bridge_room(ticket_), 2, worker_);
    if (!seat) {
      spdlog::warn("park: cannot bridge slot {}: {}", slot_, seat.error().message);
      return false;
    }
    seat_ = std::move(seat).value();
    join_if_ready();
    return true;
  }

  void join_if_ready() {
    if (!seat_ || ended_) return;
    const auto& codec = endpoint_->codec();
    if (!codec) return;
    if (joined_codec_ && same_codec(*joined_codec_, *codec)) return;
    park_.bridges().join(seat_, *codec);
    joined_codec_ = *codec;
    joined_ = true;
  }

  // The next frame of the slot announcement; false once it is over.
  bool speak(std::span<std::int16_t> pcm) {
    while (!speaker_ && !announcement_.empty() && endpoint_->sample_rate() != 0) {
      auto speaker = media::AudioPlayer::create(announcement_.front(), endpoint_->sample_rate());
      announcement_.pop_front();
      if (speaker) speaker_ = std::move(speaker).value();
    }
    if (!speaker_) return false;
    const auto frame = speaker_->next_frame();
    std::copy_n(frame.begin(), std::min(frame.size(), pcm.size()), pcm.begin());
    if (speaker_->loops() > 0) speaker_.reset();
    return true;
  }

  void end_call() {
    if (ended_) return;
    ended_ = true;
    if (hang_up_) hang_up_();
  }

  ParkService& park_;
  const pbx::ParkSide side_;
  const std::size_t worker_;
  std::function<void()> hang_up_;
  std::function<void(std::string)> redirect_;
  pbx::ParkTicket ticket_ = 0;
  std::uint32_t slot_ = 0;
  std::string parker_;
  std::string transferred_to_;  // set once the retriever passed the call on
  std::chrono::steady_clock::time_point deadline_{};
  bool tried_voicemail_ = false;
  bool ended_ = false;
  bool joined_ = false;
  std::optional<media::CodecSpec> joined_codec_;
  std::shared_ptr<media::ConferenceSeat> seat_;
  std::deque<std::shared_ptr<const media::AudioClip>> announcement_;
  std::optional<media::AudioPlayer> speaker_;
  std::optional<media::AudioPlayer> music_;
  net::LoopTimer poll_timer_;
  // Last: destroyed first (the destructor resets it earlier still).
  std::unique_ptr<media::LocalEndpoint> endpoint_;
};

Result<std::unique_ptr<sip::LocalSession>> make_session(ParkService& park, pbx::ParkSide side,
                                                        ApplicationContext& context,
                                                        std::uint32_t slot, std::string parker) {
  auto session = std::make_unique<ParkSession>(park, side, context);
  if (auto started = session->start(context, slot, std::move(parker)); !started) {
    return started.error();
  }
  return std::unique_ptr<sip::LocalSession>(std::move(session));
}

}  // namespace

ApplicationMaker park_maker(ParkService& park) {
  return [&park](ApplicationContext& context) -> Result<std::unique_ptr<sip::LocalSession>> {
    // "<slot>:<parker>"
    const std::string_view argument = context.argument;
    const std::size_t colon = argument.find(':');
    const auto slot = parse_slot(argument.substr(0, colon));
    if (colon == std::string_view::npos || !slot) return Error{404, "No Such Park Slot"};
    return make_session(park, pbx::ParkSide::kParkee, context, *slot,
                        std::string(argument.substr(colon + 1)));
  };
}

ApplicationMaker park_retrieve_maker(ParkService& park) {
  return [&park](ApplicationContext& context) -> Result<std::unique_ptr<sip::LocalSession>> {
    const auto slot = parse_slot(context.argument);
    if (!slot || *slot == 0) return Error{404, "No Such Park Slot"};
    return make_session(park, pbx::ParkSide::kRetriever, context, *slot, {});
  };
}

}  // namespace parley::app
