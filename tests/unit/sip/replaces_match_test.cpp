#include "sip/replaces_match.hpp"

#include <gtest/gtest.h>

namespace parley::sip {
namespace {

Dialog our_dialog() {
  Dialog dialog;
  dialog.call_id = "consult@phone";
  dialog.local_tag = "parley-tag";
  dialog.remote_tag = "phone-tag";
  return dialog;
}

protocol::sip::Replaces replaces(std::string call_id, std::string to, std::string from) {
  return {std::move(call_id), std::move(to), std::move(from), false};
}

TEST(ReplacesMatch, ToTagIsOursFromTagIsThePeers) {
  EXPECT_TRUE(replaces_names(our_dialog(), replaces("consult@phone", "parley-tag", "phone-tag")));
  // Tags the wrong way round, another Call-ID or a tag differing only in case name nothing.
  EXPECT_FALSE(replaces_names(our_dialog(), replaces("consult@phone", "phone-tag", "parley-tag")));
  EXPECT_FALSE(replaces_names(our_dialog(), replaces("other@phone", "parley-tag", "phone-tag")));
  EXPECT_FALSE(replaces_names(our_dialog(), replaces("consult@phone", "PARLEY-tag", "phone-tag")));
  EXPECT_FALSE(replaces_names(Dialog{}, replaces("", "", "")));
}

TEST(ReplacesMatch, Rfc3891Section3Verdicts) {
  auto plain = replaces("c", "a", "b");
  auto early_only = plain;
  early_only.early_only = true;
  EXPECT_EQ(replaces_refusal(DialogPhase::kConfirmed, plain), 0);
  EXPECT_EQ(replaces_refusal(DialogPhase::kConfirmed, early_only), 486);
  EXPECT_EQ(replaces_refusal(DialogPhase::kEarlyInitiatedByPeer, plain), 481);
  EXPECT_EQ(replaces_refusal(DialogPhase::kEarlyInitiatedByUs, early_only), 0);
  EXPECT_EQ(replaces_refusal(DialogPhase::kTerminated, plain), 603);
}

}  // namespace
}  // namespace parley::sip
