// Which rendering of the pending offer a new leg's branch gets, by how its target is reached
// (decision 0048): WebRTC for browsers, SDES-SRTP for phones over TLS, else the plain offer.

#include "sip/b2bua_branch_offer.hpp"

#include <gtest/gtest.h>

namespace parley::sip {
namespace {

// The media seam's renderings as markers; `refuse` makes both fail (e.g. SDES off).
class Renderings final : public CallMedia {
 public:
  bool refuse = false;
  Result<std::string> offer(MediaSide /*from*/, std::string_view /*sdp*/) override {
    return std::string("plain");
  }
  Result<std::string> answer(MediaSide /*from*/, std::string_view /*sdp*/) override {
    return std::string("answer");
  }
  Result<std::string> webrtc_offer(MediaSide /*to*/) override {
    if (refuse) return Error{488, "WebRTC media is not enabled"};
    return std::string("webrtc");
  }
  Result<std::string> sdes_offer(MediaSide to) override {
    if (refuse) return Error{488, "SDES-SRTP is not offered"};
    return std::string(to == MediaSide::kCaller ? "sdes to caller" : "sdes to callee");
  }
  TimePoint last_media() const override { return {}; }
};

TEST(SecuredBranchOffer, ByTheTargetsTransport) {
  Renderings media;
  EXPECT_EQ(secured_branch_offer(media, MediaSide::kCallee, TransportKind::kWss), "webrtc");
  EXPECT_EQ(secured_branch_offer(media, MediaSide::kCallee, TransportKind::kWs), "webrtc");
  EXPECT_EQ(secured_branch_offer(media, MediaSide::kCallee, TransportKind::kTls), "sdes to callee");
  EXPECT_EQ(secured_branch_offer(media, MediaSide::kCaller, TransportKind::kTls), "sdes to caller")
      << "a blind transfer by the callee replaces the caller's side";
  EXPECT_EQ(secured_branch_offer(media, MediaSide::kCallee, TransportKind::kUdp), std::nullopt);
  EXPECT_EQ(secured_branch_offer(media, MediaSide::kCallee, TransportKind::kTcp), std::nullopt);
}

TEST(SecuredBranchOffer, ARefusedRenderingLeavesThePlainOffer) {
  Renderings media;
  media.refuse = true;
  EXPECT_EQ(secured_branch_offer(media, MediaSide::kCallee, TransportKind::kTls), std::nullopt);
  EXPECT_EQ(secured_branch_offer(media, MediaSide::kCallee, TransportKind::kWss), std::nullopt);
}

}  // namespace
}  // namespace parley::sip
