// Forwarding out through a trunk (decision 0047): the Diversion lines of a forwarding chain and
// which number a forwarded caller is presented with, per the trunk's caller-ID passthrough.

#include "app/forward_external.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace parley::app {
namespace {

sip::ExternalTarget trunk_target(bool passthrough) {
  sip::ExternalTarget target;
  target.request_uri = "sip:442071234567@provider.example";
  target.from_uri = "sip:+441234500000@provider.example";
  target.caller_id_passthrough = passthrough;
  return target;
}

TEST(DiversionLines, NameEveryHopNewestFirstWithRfc5806Reasons) {
  const std::vector<pbx::Diversion> chain{
      {"1002", "no-answer"}, {"600", "user-busy"}, {"1003", "sideways"}};
  EXPECT_EQ(diversion_lines(chain, "example.com"),
            "Diversion: <sip:1003@example.com>;reason=unknown;counter=1\r\n"
            "Diversion: <sip:600@example.com>;reason=user-busy;counter=1\r\n"
            "Diversion: <sip:1002@example.com>;reason=no-answer;counter=1\r\n");
  EXPECT_EQ(diversion_lines({}, "example.com"), "");
}

TEST(DiversionLines, EscapeWhatIsNoUriUser) {
  const std::vector<pbx::Diversion> chain{{"a b>;x", "unconditional"}};
  EXPECT_EQ(diversion_lines(chain, "example.com"),
            "Diversion: <sip:a%20b%3E%3Bx@example.com>;reason=unconditional;counter=1\r\n");
}

TEST(PresentForwardedCaller, ByDefaultTheTrunksNumberStaysWithTheCallerAsDisplayName) {
  sip::ExternalTarget target = trunk_target(false);
  present_forwarded_caller(target, {"+447700900123", true}, "Diversion: <sip:1002@x>\r\n");
  EXPECT_EQ(target.from_uri, "sip:+441234500000@provider.example");
  EXPECT_EQ(target.from_display, "+447700900123");
  EXPECT_EQ(target.extra_lines, "Diversion: <sip:1002@x>\r\n");
}

TEST(PresentForwardedCaller, PassthroughPresentsAnOutsideCallerWithTheTrunkAsserted) {
  sip::ExternalTarget target = trunk_target(true);
  present_forwarded_caller(target, {"+447700900123", true}, "Diversion: <sip:1002@x>\r\n");
  EXPECT_EQ(target.from_uri, "sip:+447700900123@provider.example");
  EXPECT_EQ(target.from_display, "");
  EXPECT_EQ(target.extra_lines,
            "Diversion: <sip:1002@x>\r\n"
            "P-Asserted-Identity: <sip:+441234500000@provider.example>\r\n");
}

TEST(PresentForwardedCaller, PassthroughNeverPresentsExtensionsOrNonNumbers) {
  for (const ForwardedCaller caller :
       {ForwardedCaller{"1001", false}, ForwardedCaller{"anonymous", true},
        ForwardedCaller{"+", true}, ForwardedCaller{"", true}}) {
    sip::ExternalTarget target = trunk_target(true);
    present_forwarded_caller(target, caller, "");
    EXPECT_EQ(target.from_uri, "sip:+441234500000@provider.example") << caller.number;
    EXPECT_EQ(target.from_display, caller.number);
    EXPECT_EQ(target.extra_lines, "") << caller.number;
  }
}

}  // namespace
}  // namespace parley::app
