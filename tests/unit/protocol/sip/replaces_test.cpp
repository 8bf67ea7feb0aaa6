#include "protocol/sip/replaces.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::protocol::sip {
namespace {

TEST(Replaces, Rfc3891Example) {
  auto r = parse_replaces("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->call_id, "98732@sip.example.com");
  EXPECT_EQ(r->to_tag, "ff87ff");
  EXPECT_EQ(r->from_tag, "r33th4x0r");
  EXPECT_FALSE(r->early_only);
}

TEST(Replaces, EarlyOnlySpacesCaseAndUnknownParameters) {
  auto r = parse_replaces(" abc@h ; TO-TAG = 1 ;x=y; From-Tag=2;early-only ");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->call_id, "abc@h");
  EXPECT_EQ(r->to_tag, "1");
  EXPECT_EQ(r->from_tag, "2");
  EXPECT_TRUE(r->early_only);
}

TEST(Replaces, RefusesWhatRfc3891Forbids) {
  for (const char* bad : {"", ";to-tag=1;from-tag=2", "abc", "abc;to-tag=1", "abc;from-tag=2",
                          "abc;to-tag=;from-tag=2", "abc;to-tag=1;to-tag=3;from-tag=2",
                          "a b;to-tag=1;from-tag=2", "abc;to-tag=1;from-tag=2;early-only=yes",
                          "abc;to-tag=1;from-tag=2;;", "abc;to-tag=1 2;from-tag=2"}) {
    auto r = parse_replaces(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, 400) << bad;
  }
  EXPECT_FALSE(parse_replaces(std::string(kMaxReplacesLength + 1, 'a')).ok());
}

TEST(Replaces, FoundInUriHeadersAndUnescaped) {
  auto found = replaces_in_uri_headers("Subject=hi&replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, "abc@h;to-tag=1;from-tag=2");
  auto none = replaces_in_uri_headers("Subject=hi");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(replaces_in_uri_headers("Replaces=a%4").ok());
  EXPECT_FALSE(replaces_in_uri_headers("Replaces=a&Replaces=b").ok());
  auto empty = replaces_in_uri_headers("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
}

}  // namespace
}  // namespace parley::protocol::sip
