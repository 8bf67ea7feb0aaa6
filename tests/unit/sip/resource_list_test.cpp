// Event lists (RFC 4662): the multipart/related writer, the RLMI document and the list state
// that makes full and partial notifications, within the body bound.

#include "sip/resource_list.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::sip {
namespace {

// The parts of a multipart body between the delimiters, as (headers, body) pairs.
std::vector<std::pair<std::string, std::string>> split_parts(const std::string& body,
                                                             const std::string& boundary) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string delimiter = "--" + boundary;
  std::size_t at = body.find(delimiter);
  while (at != std::string::npos) {
    at += delimiter.size();
    if (body.compare(at, 2, "--") == 0) break;  // the close delimiter
    at += 2;                                    // CRLF
    const std::size_t headers_end = body.find("\r\n\r\n", at);
    const std::size_t next = body.find("\r\n" + delimiter, headers_end);
    if (headers_end == std::string::npos || next == std::string::npos) {
      ADD_FAILURE() << "broken multipart body";
      break;
    }
    out.emplace_back(body.substr(at, headers_end - at),
                     body.substr(headers_end + 4, next - headers_end - 4));
    at = next + 2;
  }
  return out;
}

std::string boundary_of(const std::string& content_type) {
  const std::string key = "boundary=\"";
  const std::size_t at = content_type.find(key);
  if (at == std::string::npos) return {};
  return content_type.substr(at + key.size(),
                             content_type.find('"', at + key.size()) - at - key.size());
}

TEST(ResourceListTest, MultipartRelatedNamesItsRoot) {
  const MultipartBody out = build_multipart_related(
      "b1", {{"application/rlmi+xml;charset=\"UTF-8\"", "root@x", "<list/>"},
             {"application/pidf+xml", "p1@x", "<presence/>"}});
  EXPECT_EQ(out.content_type,
            "multipart/related;type=\"application/rlmi+xml\";start=\"<root@x>\";boundary=\"b1\"");
  const auto parts = split_parts(out.body, "b1");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_NE(parts[0].first.find("Content-ID: <root@x>"), std::string::npos);
  EXPECT_EQ(parts[0].second, "<list/>");
  EXPECT_NE(parts[1].first.find("Content-Type: application/pidf+xml"), std::string::npos);
  EXPECT_EQ(parts[1].second, "<presence/>");
  EXPECT_TRUE(out.body.ends_with("--b1--\r\n"));
  EXPECT_TRUE(build_multipart_related("b", {}).body.empty());
}

TEST(ResourceListTest, RlmiListsResourcesWithAndWithoutInstances) {
  const std::string rlmi =
      build_rlmi("sip:presence-list@example.com", 3, false,
                 {{"sip:1001@example.com", "r0", "c0@x"}, {"sip:1002@example.com", "r1", ""}});
  EXPECT_NE(rlmi.find("<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" "
                      "uri=\"sip:presence-list@example.com\" version=\"3\" fullState=\"false\">"),
            std::string::npos);
  EXPECT_NE(rlmi.find("<resource uri=\"sip:1001@example.com\">\n    <instance id=\"r0\" "
                      "state=\"active\" cid=\"c0@x\"/>"),
            std::string::npos);
  EXPECT_NE(rlmi.find("<resource uri=\"sip:1002@example.com\"/>"), std::string::npos);
}

TEST(ResourceListTest, FullStateThenOnlyWhatChangedWithTheVersionGrowing) {
  ResourceListState list("sip:presence-list@example.com",
                         {"sip:1001@example.com", "sip:1002@example.com", "sip:1003@example.com"},
                         "t1");
  std::vector<std::string> documents{"<a/>", "<b/>", "<c/>"};
  auto first = list.next(documents, "application/pidf+xml", true);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->version, 0u);
  EXPECT_TRUE(first->full_state);
  EXPECT_EQ(first->reported, 3u);
  EXPECT_FALSE(first->more);
  auto parts = split_parts(first->body.body, boundary_of(first->body.content_type));
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_NE(parts[0].second.find("fullState=\"true\""), std::string::npos);
  EXPECT_EQ(parts[2].second, "<b/>");

  EXPECT_FALSE(list.next(documents, "application/pidf+xml", false).has_value());
  documents[1] = "<b2/>";
  auto second = list.next(documents, "application/pidf+xml", false);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->version, 1u);
  EXPECT_FALSE(second->full_state);
  parts = split_parts(second->body.body, boundary_of(second->body.content_type));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_NE(parts[0].second.find("version=\"1\" fullState=\"false\""), std::string::npos);
  EXPECT_NE(parts[0].second.find("sip:1002@example.com"), std::string::npos);
  EXPECT_EQ(parts[0].second.find("sip:1001@example.com"), std::string::npos);
  EXPECT_EQ(parts[1].second, "<b2/>");
  // The cid in the RLMI names the part's Content-ID.
  const std::size_t cid = parts[0].second.find("cid=\"");
  ASSERT_NE(cid, std::string::npos);
  const std::string id =
      parts[0].second.substr(cid + 5, parts[0].second.find('"', cid + 5) - cid - 5);
  EXPECT_NE(parts[1].first.find("Content-ID: <" + id + ">"), std::string::npos);

  // A refresh: the full state again, every member, the next version.
  auto third = list.next(documents, "application/pidf+xml", true);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->version, 2u);
  EXPECT_EQ(third->reported, 3u);
}

TEST(ResourceListTest, BodiesStayUnderTheBoundAndTheRestFollows) {
  std::vector<std::string> members;
  std::vector<std::string> documents;
  for (int i = 0; i < 10; ++i) {
    members.push_back("sip:" + std::to_string(2000 + i) + "@example.com");
    documents.push_back(std::string(300, static_cast<char>('a' + i)));
  }
  ResourceListState list("sip:presence-list@example.com", members, "t2", 2000);
  auto first = list.next(documents, "application/pidf+xml", true);
  ASSERT_TRUE(first.has_value());
  EXPECT_LE(first->body.body.size(), 2000u);
  EXPECT_TRUE(first->more);
  EXPECT_GT(first->reported, 0u);
  EXPECT_LT(first->reported, 10u);
  // Every member is named in the full state, those without room without an instance.
  const auto root = split_parts(first->body.body, boundary_of(first->body.content_type))[0].second;
  for (const auto& member : members) EXPECT_NE(root.find(member), std::string::npos) << member;

  std::size_t reported = first->reported;
  for (int round = 0; round < 10 && reported < 10; ++round) {
    auto next = list.next(documents, "application/pidf+xml", false);
    ASSERT_TRUE(next.has_value());
    EXPECT_LE(next->body.body.size(), 2000u);
    reported += next->reported;
  }
  EXPECT_EQ(reported, 10u);
  EXPECT_FALSE(list.next(documents, "application/pidf+xml", false).has_value());
}

TEST(ResourceListTest, ListSizeIsBounded) {
  std::vector<std::string> members(kMaxListResources + 5, "sip:x@example.com");
  ResourceListState list("sip:presence-list@example.com", members, "t3");
  EXPECT_EQ(list.members().size(), kMaxListResources);
}

}  // namespace
}  // namespace parley::sip
