// What a transfer target is offered when the call was on hold (decision 0057): the party that
// stays answered the leaving party's hold recvonly, and the newcomer must still be offered both
// directions; a hold of the staying party's own stays a hold. MediaService with real sockets on
// loopback, as `parley serve` runs it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>

#include "media/call_media.hpp"
#include "media/rtp_relay.hpp"
#include "net/worker_pool.hpp"
#include "protocol/sdp/session_description.hpp"
#include "support/udp_test_peer.hpp"

namespace parley::media {
namespace {

namespace sdp = protocol::sdp;
using sip::MediaSide;

// the transfer-offer test ports (65300-65499); parallel test
// processes each take their own slice.
std::uint16_t port_base() {
  return static_cast<std::uint16_t>(65300 + (::getpid() % 8) * 24);
}

std::string sdp_of(std::uint16_t port, std::string_view direction) {
  return "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio " +
         std::to_string(port) +
         " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=" + std::string(direction) + "\r\n";
}

sdp::Direction direction_of(const std::string& text) {
  auto parsed = sdp::parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  if (!parsed.ok()) return sdp::Direction::kInactive;
  return parsed->media[0].effective_direction(parsed->direction);
}

class TransferOfferHoldTest : public ::testing::Test {
 protected:
  TransferOfferHoldTest()
      : pool_(1), ports_(port_base(), static_cast<std::uint16_t>(port_base() + 23)) {
    pool_.start();
    MediaOptions options;
    options.bind_address = *net::SocketAddress::parse("127.0.0.1:0");
    service_ = std::make_unique<MediaService>(pool_, ports_, clock_, options);
  }
  ~TransferOfferHoldTest() override {
    test::run_on(pool_, [this] { call_.reset(); });
    pool_.shutdown(std::chrono::milliseconds(200));
  }

  // The caller calls, the callee answers; then `holder` re-offers `hold` and the other side
  // answers `held_answer`; returns the offer for a newcomer in the callee's place.
  std::string transfer_offer_after(MediaSide holder, std::string_view hold,
                                   std::string_view held_answer) {
    const MediaSide other = holder == MediaSide::kCaller ? MediaSide::kCallee : MediaSide::kCaller;
    const test::UdpTestPeer& holder_phone = holder == MediaSide::kCaller ? caller_ : callee_;
    const test::UdpTestPeer& other_phone = holder == MediaSide::kCaller ? callee_ : caller_;
    std::string offered;
    test::run_on(pool_, [&] {
      auto created = service_->create(sip::CallMediaInfo{1, "1001", "1002"});
      ASSERT_TRUE(created.ok());
      call_ = std::move(created).value();
      ASSERT_TRUE(call_->offer(MediaSide::kCaller, sdp_of(caller_.port(), "sendrecv")).ok());
      ASSERT_TRUE(call_->answer(MediaSide::kCallee, sdp_of(callee_.port(), "sendrecv")).ok());
      auto relayed_hold = call_->offer(holder, sdp_of(holder_phone.port(), hold));
      ASSERT_TRUE(relayed_hold.ok()) << relayed_hold.error().message;
      ASSERT_TRUE(call_->answer(other, sdp_of(other_phone.port(), held_answer)).ok());
      auto made = call_->transfer_offer(MediaSide::kCallee);
      ASSERT_TRUE(made.ok()) << made.error().message;
      offered = *made;
    });
    return offered;
  }

  net::WorkerPool pool_;
  PortPool ports_;
  SteadyClock clock_;
  std::unique_ptr<MediaService> service_;
  std::unique_ptr<sip::CallMedia> call_;
  test::UdpTestPeer caller_;
  test::UdpTestPeer callee_;
};

TEST_F(TransferOfferHoldTest, ANewcomerTalksWithAPartyTheLeaverHeld) {
  // The callee (the transferor) held the caller, who answered recvonly; the target that takes
  // the callee's place is offered sendrecv, not the caller's held recvonly.
  const std::string offer = transfer_offer_after(MediaSide::kCallee, "sendonly", "recvonly");
  EXPECT_EQ(direction_of(offer), sdp::Direction::kSendRecv) << offer;
}

TEST_F(TransferOfferHoldTest, AStayingPartysOwnHoldStaysAHold) {
  // The caller itself holds (sendonly; the callee answered recvonly): the newcomer in the
  // callee's place hears the hold as the callee did (music, sendonly), not a resumed call.
  const std::string offer = transfer_offer_after(MediaSide::kCaller, "sendonly", "recvonly");
  EXPECT_EQ(direction_of(offer), sdp::Direction::kSendOnly) << offer;
}

TEST_F(TransferOfferHoldTest, WithoutAHoldTheOfferIsBothWays) {
  const std::string offer = transfer_offer_after(MediaSide::kCallee, "sendrecv", "sendrecv");
  EXPECT_EQ(direction_of(offer), sdp::Direction::kSendRecv) << offer;
}

}  // namespace
}  // namespace parley::media
