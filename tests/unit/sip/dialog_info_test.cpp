#include "sip/dialog_info.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace parley::sip {
namespace {

TEST(DialogInfo, IdleExtensionIsAnEmptyFullDocument) {
  const std::string xml = build_dialog_info("sip:1001@example.com", 0, {});
  EXPECT_EQ(xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"0\" "
            "state=\"full\" entity=\"sip:1001@example.com\"/>\n");
}

TEST(DialogInfo, RingingCalleeHasEarlyRecipientDialogWithoutIdsWhileForking) {
  const std::vector<DialogInfoEntry> dialogs = {
      {"a1-r", CallDirection::kRecipient, DialogInfoState::kEarly, {}, {}, {}, "sip:1002@x"}};
  const std::string xml = build_dialog_info("sip:1001@x", 7, dialogs);
  EXPECT_NE(xml.find("version=\"7\""), std::string::npos);
  EXPECT_NE(xml.find("<dialog id=\"a1-r\" direction=\"recipient\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<state>early</state>"), std::string::npos);
  EXPECT_NE(xml.find("<remote><identity>sip:1002@x</identity></remote>"), std::string::npos);
  EXPECT_NE(xml.find("<local><identity>sip:1001@x</identity></local>"), std::string::npos);
  EXPECT_EQ(xml.find("call-id"), std::string::npos);
  EXPECT_NE(xml.rfind("</dialog-info>\n"), std::string::npos);
}

TEST(DialogInfo, ConfirmedDialogCarriesCallIdAndTags) {
  const std::vector<DialogInfoEntry> dialogs = {
      {"b-i", CallDirection::kInitiator, DialogInfoState::kConfirmed, "c1@h", "lt", "rt", {}}};
  const std::string xml = build_dialog_info("sip:1001@x", 1, dialogs);
  EXPECT_NE(xml.find("<dialog id=\"b-i\" call-id=\"c1@h\" local-tag=\"lt\" remote-tag=\"rt\" "
                     "direction=\"initiator\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<state>confirmed</state>"), std::string::npos);
  EXPECT_EQ(xml.find("<remote>"), std::string::npos);
}

TEST(DialogInfo, SeveralDialogsInOrder) {
  const std::vector<DialogInfoEntry> dialogs = {
      {"one", CallDirection::kInitiator, DialogInfoState::kConfirmed, {}, {}, {}, {}},
      {"two", CallDirection::kRecipient, DialogInfoState::kTerminated, {}, {}, {}, {}}};
  const std::string xml = build_dialog_info("sip:1@x", 2, dialogs);
  const auto one = xml.find("id=\"one\"");
  const auto two = xml.find("id=\"two\"");
  ASSERT_NE(one, std::string::npos);
  ASSERT_NE(two, std::string::npos);
  EXPECT_LT(one, two);
  EXPECT_NE(xml.find("<state>terminated</state>"), std::string::npos);
}

TEST(DialogInfo, EscapesMarkupAndDropsControlBytes) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(xml_escape(std::string("x\x01y\tz", 5)), "xy\tz");
  const std::vector<DialogInfoEntry> dialogs = {
      {"<id>", CallDirection::kInitiator, DialogInfoState::kEarly, "\"q\"", {}, {}, {}}};
  const std::string xml = build_dialog_info("sip:a&b@x", 0, dialogs);
  EXPECT_NE(xml.find("entity=\"sip:a&amp;b@x\""), std::string::npos);
  EXPECT_NE(xml.find("id=\"&lt;id&gt;\""), std::string::npos);
  EXPECT_NE(xml.find("call-id=\"&quot;q&quot;\""), std::string::npos);
}

TEST(DialogInfo, PhasesMapToRfc4235States) {
  EXPECT_EQ(dialog_info_state(CallPhase::kRinging), DialogInfoState::kEarly);
  EXPECT_EQ(dialog_info_state(CallPhase::kConfirmed), DialogInfoState::kConfirmed);
  EXPECT_EQ(dialog_info_state(CallPhase::kTerminated), DialogInfoState::kTerminated);
  EXPECT_EQ(to_text(DialogInfoState::kTrying), "trying");
}

}  // namespace
}  // namespace parley::sip
