#include "protocol/sip/header_id.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/sip/method.hpp"

namespace parley::protocol::sip {
namespace {

TEST(HeaderId, EveryCanonicalNameMapsBackInAnyCase) {
  for (int i = 1; i <= static_cast<int>(HeaderId::kWwwAuthenticate); ++i) {
    const auto id = static_cast<HeaderId>(i);
    const std::string name(canonical_name(id));
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_EQ(header_id_from_name(name), id) << name;
    std::string lower = name, upper = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(header_id_from_name(lower), id) << lower;
    EXPECT_EQ(header_id_from_name(upper), id) << upper;
  }
  EXPECT_EQ(canonical_name(HeaderId::kCallId), "Call-ID");
  EXPECT_EQ(canonical_name(HeaderId::kCSeq), "CSeq");
  EXPECT_EQ(canonical_name(HeaderId::kWwwAuthenticate), "WWW-Authenticate");
}

TEST(HeaderId, CompactForms) {
  const std::pair<char, HeaderId> forms[] = {{'i', HeaderId::kCallId},
                                             {'m', HeaderId::kContact},
                                             {'e', HeaderId::kContentEncoding},
                                             {'l', HeaderId::kContentLength},
                                             {'c', HeaderId::kContentType},
                                             {'f', HeaderId::kFrom},
                                             {'s', HeaderId::kSubject},
                                             {'k', HeaderId::kSupported},
                                             {'t', HeaderId::kTo},
                                             {'v', HeaderId::kVia},
                                             {'o', HeaderId::kEvent},
                                             {'u', HeaderId::kAllowEvents},
                                             {'r', HeaderId::kReferTo},
                                             {'b', HeaderId::kReferredBy},
                                             {'x', HeaderId::kSessionExpires}};
  for (const auto& [c, id] : forms) {
    EXPECT_EQ(header_id_from_name(std::string(1, c)), id) << c;
    EXPECT_EQ(header_id_from_name(std::string(1, static_cast<char>(c - 32))), id) << c;
  }
  EXPECT_EQ(header_id_from_name("a"), HeaderId::kOther);
  EXPECT_EQ(header_id_from_name("y"), HeaderId::kOther);
}

TEST(HeaderId, NearMissesAreOther) {
  for (const char* name : {"", "Tos", "Vi", "Call_ID", "Call-IDs", "C%6Fntact", "Contac",
                           "Content-Lengt", "X-Via", "Call\rID", "Record Route"}) {
    EXPECT_EQ(header_id_from_name(name), HeaderId::kOther) << name;
  }
}

TEST(HeaderId, ListHeaders) {
  EXPECT_TRUE(is_list_header(HeaderId::kVia));
  EXPECT_TRUE(is_list_header(HeaderId::kContact));
  EXPECT_TRUE(is_list_header(HeaderId::kRoute));
  EXPECT_TRUE(is_list_header(HeaderId::kRecordRoute));
  EXPECT_TRUE(is_list_header(HeaderId::kPath));
  EXPECT_TRUE(is_list_header(HeaderId::kAllow));
  EXPECT_TRUE(is_list_header(HeaderId::kSupported));
  EXPECT_TRUE(is_list_header(HeaderId::kAccept));
  EXPECT_FALSE(is_list_header(HeaderId::kAuthorization));
  EXPECT_FALSE(is_list_header(HeaderId::kWwwAuthenticate));
  EXPECT_FALSE(is_list_header(HeaderId::kProxyAuthenticate));
  EXPECT_FALSE(is_list_header(HeaderId::kDate));
  EXPECT_FALSE(is_list_header(HeaderId::kTo));
  EXPECT_FALSE(is_list_header(HeaderId::kOther));
}

TEST(Method, NamesAreCaseSensitive) {
  for (int i = 1; i <= static_cast<int>(Method::kUpdate); ++i) {
    const auto m = static_cast<Method>(i);
    EXPECT_EQ(method_from_text(to_text(m)), m) << to_text(m);
  }
  EXPECT_EQ(method_from_text("invite"), Method::kUnknown);
  EXPECT_EQ(method_from_text("RE%47IST%45R"), Method::kUnknown);
  EXPECT_EQ(method_from_text(""), Method::kUnknown);
  EXPECT_EQ(to_text(Method::kUnknown), "");
  EXPECT_EQ(to_text(Method::kPrack), "PRACK");
}

}  // namespace
}  // namespace parley::protocol::sip
