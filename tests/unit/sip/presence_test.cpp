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

TEST(Presence, CombinesTheUsersChoiceWithLiveState) {
  PresenceInputs inputs;
  inputs.registered = true;
  inputs.user = UserPresence{UserState::kAway, "Lunch"};
  PresenceStatus status = derive_presence(inputs);
  EXPECT_TRUE(status.open);
  EXPECT_EQ(status.state, PresenceState::kAway);
  EXPECT_EQ(status.note, "Away");
  EXPECT_EQ(status.activity, "away");
  EXPECT_EQ(status.user_note, "Lunch");

  inputs.user.state = UserState::kBusy;
  status = derive_presence(inputs);
  EXPECT_EQ(status.state, PresenceState::kBusy);
  EXPECT_EQ(status.activity, "busy");

  // Live facts beat what the user said: a call, then do-not-disturb.
  inputs.ringing = true;
  EXPECT_EQ(derive_presence(inputs).state, PresenceState::kRinging);
  inputs.in_call = true;
  status = derive_presence(inputs);
  EXPECT_EQ(status.state, PresenceState::kOnThePhone);
  EXPECT_TRUE(status.on_the_phone);
  EXPECT_EQ(status.activity, "");
  EXPECT_EQ(status.user_note, "Lunch");
  inputs.do_not_disturb = true;
  status = derive_presence(inputs);
  EXPECT_EQ(status.state, PresenceState::kDoNotDisturb);
  EXPECT_FALSE(status.open);

  // Invisible hides everything, the note included; so does not being registered.
  inputs.user = UserPresence{UserState::kOffline, "secret"};
  status = derive_presence(inputs);
  EXPECT_EQ(status.state, PresenceState::kOffline);
  EXPECT_FALSE(status.open);
  EXPECT_FALSE(status.on_the_phone);
  EXPECT_EQ(status.user_note, "");
  inputs.user = UserPresence{UserState::kAway, "x"};
  inputs.registered = false;
  EXPECT_EQ(derive_presence(inputs).state, PresenceState::kOffline);
  EXPECT_EQ(derive_presence(inputs).user_note, "");
}

TEST(Presence, StateNames) {
  EXPECT_EQ(presence_state_name(PresenceState::kDoNotDisturb), "dnd");
  EXPECT_EQ(presence_state_name(PresenceState::kOnThePhone), "on-the-phone");
  EXPECT_EQ(presence_state_name(PresenceState::kAway), "away");
  EXPECT_EQ(presence_state_name(PresenceState::kOffline), "offline");
}

TEST(Presence, PidfCarriesTheUsersNoteAndActivity) {
  PresenceInputs inputs;
  inputs.registered = true;
  inputs.user = UserPresence{UserState::kAway, "At lunch & back <soon>"};
  const std::string xml = build_pidf("sip:1001@x", derive_presence(inputs));
  EXPECT_NE(xml.find("<note>At lunch &amp; back &lt;soon&gt;</note>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<rpid:activities><rpid:away/></rpid:activities>"), std::string::npos);
  EXPECT_NE(xml.find("<dm:note>Away</dm:note>"), std::string::npos);
}

TEST(Presence, PidfForBusyExtension) {
  PresenceStatus busy;
  busy.open = true;
  busy.note = "On the phone";
  busy.on_the_phone = true;
  const std::string xml = build_pidf("sip:1001@example.com", busy);
  EXPECT_NE(xml.find("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\""), std::string::npos);
  EXPECT_NE(xml.find("entity=\"sip:1001@example.com\""), std::string::npos);
  EXPECT_NE(xml.find("<status><basic>open</basic></status>"), std::string::npos);
  EXPECT_NE(xml.find("<note>On the phone</note>"), std::string::npos);
  EXPECT_NE(xml.find("<rpid:on-the-phone/>"), std::string::npos);
  EXPECT_NE(xml.rfind("</presence>\n"), std::string::npos);
}

TEST(Presence, PidfForOfflineExtensionHasNoActivity) {
  PresenceStatus offline;
  offline.note = "Offline";
  const std::string xml = build_pidf("sip:1001@x", offline);
  EXPECT_NE(xml.find("<basic>closed</basic>"), std::string::npos);
  EXPECT_NE(xml.find("<note>Offline</note>"), std::string::npos);
  EXPECT_EQ(xml.find("dm:person id"), std::string::npos);
}

}  // namespace
}  // namespace parley::sip
