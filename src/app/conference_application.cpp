#include "app/conference_application.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <string>

#include "app/conference_mute_cue.hpp"
#include "app/tenant_argument.hpp"
#include "net/loop_timer.hpp"

namespace parley::app {
namespace {

// Digits kept while a PIN is keyed: a longer entry is wrong anyway.
constexpr std::size_t kMaxKeyed = 16;

bool same_codec(const media::CodecSpec& a, const media::CodecSpec& b) {
  return a.encoding == b.encoding && a.clock_rate == b.clock_rate && a.channels == b.channels &&
         a.fmtp == b.fmtp;
}

store::UnixMillis wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ConferenceSession final : public sip::LocalSession,
                                public media::LocalEndpoint::Listener,
                                public ConferenceRoster::Removable {
 public:
  ConferenceSession(media::ConferenceRooms& rooms, ConferenceRoster& roster,
                    const store::ConferenceRoom& room, ApplicationContext& context)
      : rooms_(rooms),
        roster_(roster),
        pin_(room.pin),
        moderator_pin_(room.moderator_pin),
        admitted_(room.pin.empty()),
        label_(room.number + " (" + context.call.caller + ")"),
        hang_up_(context.hang_up),
        pin_timer_(context.pool, context.worker, [this] { on_pin_timeout(); }) {
    entry_->tenant = room.tenant_id;
    entry_->room = room.number;
    entry_->caller = context.call.caller;
    entry_->worker = context.worker;
    entry_->session = this;
  }

  ~ConferenceSession() override {
    pin_timer_.cancel();
    entry_->session = nullptr;  // a removal posted to this worker finds no one
    if (registered_) roster_.remove_entry(entry_->id);
    if (seat_) rooms_.release(seat_);
  }
  ConferenceSession(const ConferenceSession&) = delete;
  ConferenceSession& operator=(const ConferenceSession&) = delete;

  Result<void> start(ApplicationContext& context, std::size_t max_participants) {
    auto seat = rooms_.reserve(context.argument, max_participants, context.worker);
    if (!seat) return seat.error();
    seat_ = std::move(seat).value();
    entry_->seat = seat_;
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
    if (!joined_) return 0;
    cue_mute_change();
    const std::size_t size = seat_->take_mixed(out);
    // While the cue plays, the room's mix is dropped and fill_frame() speaks instead.
    return cue_.playing() ? 0 : size;
  }

  bool fill_frame(std::span<std::int16_t> pcm) override {
    return cue_.fill(pcm, endpoint_->sample_rate());
  }

  void on_dtmf(const media::DtmfDigit& digit) override {
    // The key going down counts: an end packet may be lost, the first one rarely is.
    if (ended_ || digit.end) return;
    if (admitted_) {
      on_key_in_room(digit.digit);
      return;
    }
    if (digit.digit == '*') {
      keyed_.clear();
      return;
    }
    if (digit.digit != '#') {
      if (keyed_.size() < kMaxKeyed) keyed_.push_back(digit.digit);
      return;
    }
    const bool moderator = !moderator_pin_.empty() && keyed_ == moderator_pin_;
    if (moderator || keyed_ == pin_) {
      admitted_ = true;
      entry_->moderator = moderator;
      keyed_.clear();
      pin_timer_.cancel();
      spdlog::info("conference {}: PIN accepted{}", label_, moderator ? " (moderator)" : "");
      join_if_ready();
      return;
    }
    keyed_.clear();
    ++wrong_;
    spdlog::warn("conference {}: wrong PIN ({} of {})", label_, wrong_, kPinTries);
    if (wrong_ >= kPinTries) end_call("too many wrong PINs");
  }

  void remove_from_room(std::string_view why) override {
    spdlog::info("conference {}: {}", label_, why);
    end_call(std::string(why));
  }

 private:
  // Keys once admitted (decision 0034): '*' and one digit is a command; digits ended by '#' are
  // the moderator PIN (for rooms without a PIN, whose moderator is admitted at once).
  void on_key_in_room(char key) {
    if (command_) {
      command_ = false;
      run_command(key);
      return;
    }
    if (key == '*') {
      command_ = true;
      keyed_.clear();
      return;
    }
    if (key != '#') {
      if (keyed_.size() < kMaxKeyed) keyed_.push_back(key);
      return;
    }
    const bool moderator = !moderator_pin_.empty() && keyed_ == moderator_pin_;
    keyed_.clear();
    if (entry_->moderator || moderator_pin_.empty()) return;
    if (!moderator) {
      ++wrong_;
      spdlog::warn("conference {}: wrong moderator PIN ({} of {})", label_, wrong_, kPinTries);
      if (wrong_ >= kPinTries) end_call("too many wrong PINs");
      return;
    }
    entry_->moderator = true;
    spdlog::info("conference {}: now the moderator", label_);
  }

  void run_command(char key) {
    if (key == kToggleMuteKey) {
      const bool muted = !seat_->muted();
      seat_->set_muted(muted);
      spdlog::info("conference {}: {} themselves", label_, muted ? "muted" : "unmuted");
      return;
    }
    if (!entry_->moderator || !registered_) return;  // the rest are the moderator's
    if (key == kMuteOthersKey || key == kUnmuteOthersKey) {
      const bool muted = key == kMuteOthersKey;
      const std::size_t changed = roster_.set_others_muted(entry_->tenant, entry_->room, muted);
      spdlog::info("conference {}: moderator {} {} participants", label_,
                   muted ? "muted" : "unmuted", changed);
    } else if (key == kRemoveLastKey) {
      if (!roster_.remove_last(entry_->tenant, entry_->room)) {
        spdlog::info("conference {}: moderator asked to remove the last participant: none", label_);
      }
    }
  }

  // The seat's mute flag may change on any thread (keys of a moderator on another worker, the
  // REST API); the participant hears the change on its own loop's next tick.
  void cue_mute_change() {
    const bool muted = seat_->muted();
    if (muted == cued_muted_) return;
    cued_muted_ = muted;
    cue_.start(muted);
  }

  void join_if_ready() {
    if (!admitted_ || ended_) return;
    const auto& codec = endpoint_->codec();
    if (!codec) return;
    if (joined_codec_ && same_codec(*joined_codec_, *codec)) return;
    rooms_.join(seat_, *codec);
    joined_codec_ = *codec;
    joined_ = true;
    if (!registered_) {
      entry_->joined_ms = wall_ms();
      roster_.add(entry_);
      registered_ = true;
    }
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
  ConferenceRoster& roster_;
  const std::string pin_;
  const std::string moderator_pin_;
  bool admitted_;
  std::string label_;
  std::function<void()> hang_up_;
  std::string keyed_;
  int wrong_ = 0;
  bool ended_ = false;
  bool joined_ = false;
  bool command_ = false;  // '*' was pressed in the room: the next key is a command
  bool registered_ = false;
  bool cued_muted_ = false;  // the mute state the participant last heard a cue for
  MuteCue cue_;
  std::optional<media::CodecSpec> joined_codec_;
  std::shared_ptr<media::ConferenceSeat> seat_;
  std::shared_ptr<ConferenceRoster::Entry> entry_ = std::make_shared<ConferenceRoster::Entry>();
  net::LoopTimer pin_timer_;
  // Last: destroyed first, so that it never calls back into a half-destroyed session.
  std::unique_ptr<media::LocalEndpoint> endpoint_;
};

}  // namespace

ApplicationMaker conference_maker(media::ConferenceRooms& rooms,
                                  const ConferenceDirectory& directory, ConferenceRoster& roster) {
  return [&rooms, &directory,
          &roster](ApplicationContext& context) -> Result<std::unique_ptr<sip::LocalSession>> {
    const auto parsed = parse_tenant_argument(context.argument);
    if (!parsed) return Error{404, "No such conference room"};
    const auto room = directory.find(parsed->first, parsed->second);
    if (!room) return Error{404, "No such conference room"};
    auto session = std::make_unique<ConferenceSession>(rooms, roster, *room, context);
    if (auto started = session->start(context, room->max_participants); !started) {
      return started.error();
    }
    return std::unique_ptr<sip::LocalSession>(std::move(session));
  };
}

}  // namespace parley::app
