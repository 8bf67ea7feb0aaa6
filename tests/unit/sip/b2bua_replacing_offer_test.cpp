// Which offer an INVITE with Replaces is crossed with (decision 0047): the transfer offer for the
// replaced side, rendered for a browser or an SDES newcomer, plain otherwise; the transfer offer
// is always made first, since the renderings render the offer it leaves pending.

#include "sip/b2bua_replacing_offer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::sip {
namespace {

// The media seam's answers as markers, and the order it was asked in.
class Renderings final : public CallMedia {
 public:
  bool negotiated = true;
  bool webrtc_enabled = true;
  std::vector<std::string> asked;

  Result<std::string> offer(MediaSide /*from*/, std::string_view /*sdp*/) override {
    return std::string("offer");
  }
  Result<std::string> answer(MediaSide /*from*/, std::string_view /*sdp*/) override {
    return std::string("answer");
  }
  Result<std::string> transfer_offer(MediaSide to) override {
    asked.push_back(side("transfer", to));
    if (!negotiated) return Error{488, "no negotiated media to transfer"};
    return side("plain", to);
  }
  Result<std::string> webrtc_offer(MediaSide to) override {
    asked.push_back(side("webrtc", to));
    if (!webrtc_enabled) return Error{488, "WebRTC media is not enabled"};
    return side("webrtc", to);
  }
  Result<std::string> sdes_offer(MediaSide to) override {
    asked.push_back(side("sdes", to));
    return side("sdes", to);
  }
  TimePoint last_media() const override { return {}; }

 private:
  static std::string side(std::string what, MediaSide to) {
    return what + (to == MediaSide::kCaller ? " to caller" : " to callee");
  }
};

TEST(ReplacingOffer, IsRenderedForTheNewcomer) {
  Renderings media;
  EXPECT_EQ(replacing_offer(media, MediaSide::kCallee, CrossedSecurity::kWebRtc).value(),
            "webrtc to callee");
  EXPECT_EQ(replacing_offer(media, MediaSide::kCaller, CrossedSecurity::kSdes).value(),
            "sdes to caller");
  EXPECT_EQ(replacing_offer(media, MediaSide::kCallee, CrossedSecurity::kPlain).value(),
            "plain to callee");
  const std::vector<std::string> order{"transfer to callee", "webrtc to callee",
                                       "transfer to caller", "sdes to caller",
                                       "transfer to callee"};
  EXPECT_EQ(media.asked, order);
}

TEST(ReplacingOffer, RefusalsKeepTheirStatus) {
  Renderings media;
  media.webrtc_enabled = false;
  auto refused = replacing_offer(media, MediaSide::kCallee, CrossedSecurity::kWebRtc);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 488);
  media.negotiated = false;
  media.asked.clear();
  auto early = replacing_offer(media, MediaSide::kCallee, CrossedSecurity::kWebRtc);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, 488);
  EXPECT_EQ(media.asked, std::vector<std::string>{"transfer to callee"})
      << "nothing is rendered without a transfer offer";
}

}  // namespace
}  // namespace parley::sip
