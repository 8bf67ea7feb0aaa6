#include "sip/presence.hpp"

#include <gtest/gtest.h>

namespace parley::sip {
namespace {

TEST(Presence, Mapping) {
  PresenceInputs inputs;
  EXPECT_FALSE(derive_presence(inputs).open);
  EXPECT_EQ(derive_presence(inputs).note, "Offline");

  inputs.registered = true;
  EXPECT_TRUE(derive_presence(inputs).open);
  EXPECT_EQ(derive_presence(inputs).note, "Available");

  inputs.ringing = true;
  EXPECT_TRUE(derive_presence(inputs).open);
  EXPECT_EQ(derive_presence(inputs).note, "Ringing");
  EXPECT_FALSE(derive_presence(inputs).on_the_phone);

  inputs.in_call = true;
  EXPECT_TRUE(derive_presence(inputs).open);
  EXPECT_EQ(derive_presence(inputs).note, "On the phone");
  EXPECT_TRUE(derive_presence(inputs).on_the_phone);

  inputs.do_not_disturb = true;
  EXPECT_FALSE(derive_presence(inputs).open);
  EXPECT_EQ(derive_presence(inputs).note, "Do not disturb");

  inputs.registered = false;
  EXPECT_EQ(derive_presence(inputs).note, "Offline");
}

TEST(Presence, PidfForBusyExtension) {
  const std::string xml =
      build_pidf("sip:1001@example.com", PresenceStatus{true, "On the phone", true});
  EXPECT_NE(xml.find("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\""), std::string::npos);
  EXPECT_NE(xml.find("entity=\"sip:1001@example.com\""), std::string::npos);
  EXPECT_NE(xml.find("<status><basic>open</basic></status>"), std::string::npos);
  EXPECT_NE(xml.find("<note>On the phone</note>"), std::string::npos);
  EXPECT_NE(xml.find("<rpid:on-the-phone/>"), std::string::npos);
  EXPECT_NE(xml.rfind("</presence>\n"), std::string::npos);
}

TEST(Presence, PidfForOfflineExtensionHasNoActivity) {
  const std::string xml = build_pidf("sip:1001@x", PresenceStatus{false, "Offline", false});
  EXPECT_NE(xml.find("<basic>closed</basic>"), std::string::npos);
  EXPECT_NE(xml.find("<note>Offline</note>"), std::string::npos);
  EXPECT_EQ(xml.find("dm:person id"), std::string::npos);
}

}  // namespace
}  // namespace parley::sip
