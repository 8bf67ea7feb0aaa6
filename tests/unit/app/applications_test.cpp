// Applications: the feature code that names the echo test, the factory's choice of maker by
// kind, and an echo session that answers an offer on a real worker loop and port.

#include "app/applications.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <future>

#include "media/rtp_relay.hpp"
#include "net/worker_pool.hpp"

namespace parley::app {
namespace {

using namespace std::chrono_literals;

TEST(ApplicationForDialled, StarFortyThreeIsTheEchoTest) {
  EXPECT_EQ(application_for_dialled("*43"), "echo");
  EXPECT_EQ(application_for_dialled("*97"), "voicemail-menu");
  for (const char* other : {"", "*4", "*430", "43", "1001", "*78", "*43#", "*971", "97"}) {
    EXPECT_EQ(application_for_dialled(other), std::nullopt) << other;
  }
}

class ApplicationsTest : public ::testing::Test {
 protected:
  void SetUp() override { pool_.start(); }
  void TearDown() override { pool_.shutdown(2s); }

  // Runs create() and, when it succeeds, answer(offer) on the worker; the session is destroyed
  // there too.
  std::pair<Result<void>, Result<std::string>> call(std::string_view application,
                                                    const std::string& offer) {
    std::promise<std::pair<Result<void>, Result<std::string>>> done;
    pool_.post(0, [&] {
      auto session = applications_.create(sip::CallMediaInfo{1, "1001", "*43"}, application, [] {});
      if (!session.ok()) {
        done.set_value({session.error(), Error{0, "not asked"}});
        return;
      }
      auto answered = session.value()->answer(offer);
      session.value().reset();  // before the test thread looks at the ports
      done.set_value({Result<void>{}, answered});
    });
    auto future = done.get_future();
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    return future.get();
  }

  net::WorkerPool pool_{1};
  media::PortPool ports_{static_cast<std::uint16_t>(26000 + (::getpid() % 40) * 20),
                         static_cast<std::uint16_t>(26000 + (::getpid() % 40) * 20 + 19)};
  SteadyClock clock_;
  Applications applications_{
      pool_, ports_, clock_,
      media::LocalEndpointOptions{.bind_address = *net::SocketAddress::parse("127.0.0.1:0")}};
};

const std::string kOffer =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\n";

TEST_F(ApplicationsTest, EchoAnswersAnOffer) {
  EXPECT_TRUE(applications_.has("echo"));
  auto [created, answered] = call("echo", kOffer);
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_TRUE(answered.ok()) << answered.error().message;
  EXPECT_NE(answered->find("m=audio "), std::string::npos);
  EXPECT_NE(answered->find("a=rtpmap:0 PCMU/8000"), std::string::npos) << *answered;
  EXPECT_EQ(ports_.in_use(), 0U);  // the session (and its port) went with the call
}

TEST_F(ApplicationsTest, UnknownKindsAre404AndNewKindsPlugInByName) {
  auto [created, _] = call("conference:3001", kOffer);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, 404);
  std::string argument;
  applications_.add(
      "conference",
      [&argument](ApplicationContext& context) -> Result<std::unique_ptr<sip::LocalSession>> {
        argument = context.argument;
        return Error{486, "Room Full"};
      });
  auto [full, unused] = call("conference:3001", kOffer);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, 486);
  EXPECT_EQ(argument, "3001");
}

}  // namespace
}  // namespace parley::app
