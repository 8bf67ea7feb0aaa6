#include "sip/pidf.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sip/presence.hpp"

namespace parley::sip {
namespace {

// RFC 3863 §3.4 shape, with RFC 4480 activities as Bria and Linphone send them.
constexpr std::string_view kAwayDocument = R"(<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
    entity="sip:1001@example.com">
  <tuple id="t1">
    <status><basic>open</basic></status>
    <contact priority="0.8">sip:1001@192.0.2.4</contact>
  </tuple>
  <dm:person id="p1">
    <rpid:activities><rpid:away/></rpid:activities>
    <dm:note>Back at 3 &amp; then some</dm:note>
  </dm:person>
</presence>)";

// Whether `document` reads as `state` with `note`; a failure says what it read instead.
::testing::AssertionResult reads_as(std::string_view document, UserState state,
                                    std::string_view note) {
  auto read = parse_pidf(document);
  if (!read) return ::testing::AssertionFailure() << "refused: " << read.error().message;
  if (read->state != state || read->note != note) {
    return ::testing::AssertionFailure()
           << "read " << user_state_name(read->state) << " \"" << read->note << "\"";
  }
  return ::testing::AssertionSuccess();
}

TEST(Pidf, ReadsAwayAndThePersonNote) {
  EXPECT_TRUE(reads_as(kAwayDocument, UserState::kAway, "Back at 3 & then some"));
}

TEST(Pidf, AllTuplesClosedMeansOffline) {
  EXPECT_TRUE(
      reads_as("<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@b'>"
               "<tuple id='a'><status><basic>closed</basic></status></tuple>"
               "<tuple id='b'><status><basic> closed </basic></status><note>gone</note></tuple>"
               "</presence>",
               UserState::kOffline, "gone"));
}

TEST(Pidf, OneOpenTupleIsEnough) {
  EXPECT_TRUE(
      reads_as("<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@b'>"
               "<tuple id='a'><status><basic>closed</basic></status></tuple>"
               "<tuple id='b'><status><basic>open</basic></status></tuple></presence>",
               UserState::kAvailable, ""));
}

TEST(Pidf, PrefixedNamespacesAndBusyWinsOverAway) {
  // The tuple's note comes first.
  EXPECT_TRUE(reads_as(
      "<p:presence xmlns:p='urn:ietf:params:xml:ns:pidf' xmlns:r='urn:ietf:params:xml:ns:pidf:rpid'"
      " xmlns:d='urn:ietf:params:xml:ns:pidf:data-model' entity='sip:a@b'>"
      "<p:tuple id='x'><p:status><p:basic>open</p:basic></p:status>"
      "<p:note><![CDATA[In a <meeting>]]></p:note></p:tuple>"
      "<d:person id='y'><r:activities><r:away/><r:meeting/></r:activities></d:person>"
      "</p:presence>",
      UserState::kBusy, "In a <meeting>"));
}

TEST(Pidf, ActivitiesOutsideTheRpidNamespaceDoNotCount) {
  auto read = parse_pidf(
      "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
      "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model'"
      " entity='sip:a@b'><dm:person id='p'><activities><away/></activities></dm:person>"
      "</presence>");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->state, UserState::kAvailable);
}

TEST(Pidf, CharacterReferencesAndControlCharactersInNotes) {
  auto read = parse_pidf(
      "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@b'><tuple id='t'>"
      "<status><basic>open</basic></status><note>  caf&#xE9;&#10;&#233;t&#233;  </note>"
      "</tuple></presence>");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->note, "caf\xC3\xA9 \xC3\xA9t\xC3\xA9");
}

TEST(Pidf, LongNotesAreCutAtACharacterEdge) {
  std::string note;
  for (int i = 0; i < 200; ++i) note += "\xC3\xA9";  // 400 bytes of two-byte characters
  auto read = parse_pidf(
      "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='e'>"
      "<note>" +
      note + "</note></presence>");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->note.size(), kMaxNoteBytes);
  EXPECT_EQ(read->note, note.substr(0, kMaxNoteBytes));
}

TEST(Pidf, RefusesWhatIsNotPidf) {
  const std::string_view bad[] = {
      "",
      "   ",
      "hello",
      "<presence entity='e'/>",                               // no PIDF namespace
      "<pidf:presence entity='e'/>",                          // undeclared prefix
      "<x xmlns='urn:ietf:params:xml:ns:pidf'/>",             // wrong root
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'>",       // unclosed
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'></x>",   // mismatched
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'/><p/>",  // two roots
      "<!DOCTYPE presence [<!ENTITY a 'b'>]><presence xmlns='urn:ietf:params:xml:ns:pidf'/>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'>&bogus;</presence>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'>&#0;</presence>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'>&#xD800;</presence>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'>&#x110000;</presence>",
      "<presence xmlns=urn:ietf:params:xml:ns:pidf/>",  // unquoted attribute
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'a='b'/>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'><tuple id='t'><status><basic>maybe"
      "</basic></status></tuple></presence>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'>\xFF</presence>",  // not UTF-8
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'><!-- open",
  };
  for (std::string_view document : bad) {
    auto read = parse_pidf(document);
    EXPECT_FALSE(read) << document;
    if (!read) EXPECT_EQ(read.error().code, 400);
  }
}

TEST(Pidf, RefusesHugeAndDeepDocuments) {
  std::string huge = "<presence xmlns='urn:ietf:params:xml:ns:pidf'>";
  huge += std::string(kMaxPidfBytes, ' ');
  huge += "</presence>";
  EXPECT_FALSE(parse_pidf(huge));

  std::string deep = "<presence xmlns='urn:ietf:params:xml:ns:pidf'>";
  for (std::size_t i = 0; i < kMaxPidfDepth; ++i) deep += "<a>";
  for (std::size_t i = 0; i < kMaxPidfDepth; ++i) deep += "</a>";
  deep += "</presence>";
  EXPECT_FALSE(parse_pidf(deep));

  std::string wide = "<presence xmlns='urn:ietf:params:xml:ns:pidf'>";
  for (std::size_t i = 0; i < kMaxPidfElements; ++i) wide += "<a/>";
  wide += "</presence>";
  EXPECT_FALSE(parse_pidf(wide));
}

TEST(Pidf, UserStateNames) {
  for (UserState state :
       {UserState::kAvailable, UserState::kAway, UserState::kBusy, UserState::kOffline}) {
    EXPECT_EQ(parse_user_state(user_state_name(state)), state);
  }
  EXPECT_FALSE(parse_user_state("dnd"));
  EXPECT_FALSE(parse_user_state("Away"));
}

TEST(Pidf, WhatWeBuildWeReadBack) {
  PresenceInputs inputs;
  inputs.registered = true;
  inputs.user = UserPresence{UserState::kAway, "Lunch <back at 2> & \"soon\""};
  const auto built = [&] { return build_pidf("sip:1001@example.com", derive_presence(inputs)); };
  EXPECT_TRUE(reads_as(built(), UserState::kAway, inputs.user.note));

  inputs.user = UserPresence{UserState::kBusy, {}};
  EXPECT_TRUE(reads_as(built(), UserState::kBusy, "Busy"));

  inputs.user = UserPresence{UserState::kOffline, "hidden"};
  // Invisible: the note does not leak.
  EXPECT_TRUE(reads_as(built(), UserState::kOffline, "Offline"));
}

}  // namespace
}  // namespace parley::sip
