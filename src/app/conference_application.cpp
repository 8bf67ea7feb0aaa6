#include "app/conference_application.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <optional>
#include <string>

#include "net/loop_timer.hpp"

namespace parley::app {
namespace {

// Digits kept while a PIN is keyed: a longer entry is wrong anyway.
constexpr std::size_t kMaxKeyed = 16;

bool same_codec(const media::CodecSpec& a, const media::CodecSpec& b) {
  return a.encoding == b.encoding && a.clock_rate == b.clock_rate && a.channels == b.channels &&
         a.fmtp == b.fmtp;
}

class ConferenceSession final : public sip::LocalSession, public media::LocalEndpoint::Listener {
 public:
  ConferenceSession(media::ConferenceRooms& rooms, const store::ConferenceRoom& room,
                    ApplicationContext& context)
      : rooms_(rooms),
        pin_(room.pin),
        admitted_(room.pin.empty()),
        label_(room.number + " (" + context.call.caller + ")"),
        hang_up_(context.hang_up),
        pin_timer_(context.pool, context.worker, [this] { on_pin_timeout(); }) {}

  ~ConferenceSession() override {
    pin_timer_.cancel();
    if (seat_) rooms_.release(seat_);
  }
  ConferenceSession(const ConferenceSession&) = delete;
  ConferenceSession& operator=(const ConferenceSession&) = delete;

  Result<void> start(ApplicationContext& context, std::size_t max_participants) {
    auto seat = rooms_.reserve(context.argument, max_participants, context.worker);
    if (!seat) return seat.error();
    seat_ = std::move(seat).value();
    auto endpoint = media::LocalEndpoint::create(context.pool, context.worker, context.ports,
                                                 context.clock, context.endpoint, *this);
    if (!endpoint) return endpoint.error();
    endpoint_ = std::move(endpoint).value();
    if (!admitted_) pin_timer_.arm(std::chrono::steady_clock::now() + kPinSeconds);
    return {};
  }

  Result<std::string> answer(std::string_view offer) override {
    auto answered = endpoint_->answer(offer);
    if (answered) join_if_ready();
    return answered;
  }

  TimePoint last_media() const override { return endpoint_->last_media(); }

  void on_audio(std::span<const std::int16_t> /*pcm*/) override {}  // payload mode: not used

  bool on_payload(std::uint16_t sequence, std::uint32_t timestamp,
                  std::span<const std::uint8_t> payload) override {
    if (joined_) seat_->put_received(sequence, timestamp, payload);
    return true;  // never decoded here: the room's mixer decodes
  }

  std::size_t fill_payload(std::span<std::uint8_t> out) override {
    return joined_ ? seat_->take_mixed(out) : 0;
  }

  bool fill_frame(std::span<std::int16_t> /*pcm*/) override { return false; }

  void on_dtmf(const media::DtmfDigit& digit) override {
    // The key going down counts: an end packet may be lost, the first one rarely is.
    if (admitted_ || ended_ || digit.end) return;
    if (digit.digit == '*') {
      keyed_.clear();
      return;
    }
    if (digit.digit != '#') {
      if (keyed_.size() < kMaxKeyed) keyed_.push_back(digit.digit);
      return;
    }
    if (keyed_ == pin_) {
      admitted_ = true;
      pin_timer_.cancel();
      spdlog::info("conference {}: PIN accepted", label_);
      join_if_ready();
      return;
    }
    keyed_.clear();
    ++wrong_;
    spdlog::warn("conference {}: wrong PIN ({} of {})", label_, wrong_, kPinTries);
    if (wrong_ >= kPinTries) end_call("too many wrong PINs");
  }

 private:
  void join_if_ready() {
    if (!admitted_ || ended_) return;
    const auto& codec = endpoint_->codec();
    if (!codec) return;
    if (joined_codec_ && same_codec(*joined_codec_, *codec)) return;
    rooms_.join(seat_, *codec);
    joined_codec_ = *codec;
    joined_ = true;
  }

  void on_pin_timeout() {
    if (!admitted_) end_call("no PIN within " + std::to_string(kPinSeconds.count()) + " s");
  }

  void end_call(const std::string& why) {
    if (ended_) return;
    ended_ = true;
    spdlog::warn("conference {}: caller turned away: {}", label_, why);
    if (hang_up_) hang_up_();
  }

  media::ConferenceRooms& rooms_;
  const std::string pin_;
  bool admitted_;
  std::string label_;
  std::function<void()> hang_up_;
  std::string keyed_;
  int wrong_ = 0;
  bool ended_ = false;
  bool joined_ = false;
  std::optional<media::CodecSpec> joined_codec_;
  std::shared_ptr<media::ConferenceSeat> seat_;
  net::LoopTimer pin_timer_;
  // Last: destroyed first, so that it never calls back into a half-destroyed session.
  std::unique_ptr<media::LocalEndpoint> endpoint_;
};

// "<tenant id>:<number>" → its parts.
std::optional<std::pair<store::TenantId, std::string_view>> parse_argument(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return std::nullopt;
  }
  store::TenantId tenant = 0;
  const auto* end = text.data() + colon;
  const auto parsed = std::from_chars(text.data(), end, tenant);
  if (parsed.ec != std::errc{} || parsed.ptr != end) return std::nullopt;
  return std::make_pair(tenant, text.substr(colon + 1));
}

}  // namespace

ApplicationMaker conference_maker(media::ConferenceRooms& rooms,
                                  const ConferenceDirectory& directory) {
  return [&rooms,
          &directory](ApplicationContext& context) -> Result<std::unique_ptr<sip::LocalSession>> {
    const auto parsed = parse_argument(context.argument);
    if (!parsed) return Error{404, "No such conference room"};
    const auto room = directory.find(parsed->first, parsed->second);
    if (!room) return Error{404, "No such conference room"};
    auto session = std::make_unique<ConferenceSession>(rooms, *room, context);
    if (auto started = session->start(context, room->max_participants); !started) {
      return started.error();
    }
    return std::unique_ptr<sip::LocalSession>(std::move(session));
  };
}

}  // namespace parley::app
