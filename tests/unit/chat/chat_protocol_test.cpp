// The chat request parser: every request type with its fields, and the refusals (with the
// client id recovered for the error reply wherever the text allows).

#include "chat/chat_protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::chat {
namespace {

ChatRequest accepted(std::string_view text) {
  auto parsed = parse_request(text);
  EXPECT_TRUE(parsed.request.ok())
      << text << ": " << (parsed.request ? "" : parsed.request.error().message);
  return parsed.request ? *parsed.request : ChatRequest{};
}

Error refused(std::string_view text) {
  auto parsed = parse_request(text);
  EXPECT_FALSE(parsed.request.ok()) << text;
  return parsed.request ? Error{} : parsed.request.error();
}

TEST(ChatProtocolTest, ReadsEveryRequestType) {
  auto post = accepted(R"({"id":"c1","type":"post","conversation":3,"body":"hi <b>"})");
  EXPECT_EQ(post.type, RequestType::kPost);
  EXPECT_EQ(std::get<std::string>(post.id), "c1");
  EXPECT_EQ(post.conversation, 3);
  EXPECT_EQ(post.body, "hi <b>");

  auto history = accepted(R"({"id":9,"type":"history","conversation":3,"before":40,"limit":20})");
  EXPECT_EQ(std::get<std::int64_t>(history.id), 9);
  EXPECT_EQ(history.before, 40);
  EXPECT_EQ(history.limit, 20U);
  EXPECT_FALSE(accepted(R"({"type":"history","conversation":3})").before.has_value());

  auto channel = accepted(R"({"type":"create_channel","name":"ops","members":["1002","1003"]})");
  EXPECT_EQ(channel.name, "ops");
  EXPECT_EQ(channel.members.size(), 2U);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(channel.id));

  EXPECT_EQ(accepted(R"({"type":"conversations"})").type, RequestType::kConversations);
  EXPECT_EQ(accepted(R"({"type":"open_direct","extension":"1002"})").extension, "1002");
  EXPECT_EQ(accepted(R"({"type":"add_member","conversation":1,"extension":"1"})").type,
            RequestType::kAddMember);
  EXPECT_EQ(accepted(R"({"type":"remove_member","conversation":1,"extension":"1"})").type,
            RequestType::kRemoveMember);
  EXPECT_EQ(accepted(R"({"type":"edit","message":5,"body":"x"})").message, 5);
  EXPECT_EQ(accepted(R"({"type":"delete","message":5})").type, RequestType::kDelete);
  EXPECT_EQ(accepted(R"({"type":"search","query":"report"})").query, "report");
  EXPECT_EQ(accepted(R"({"type":"read","conversation":1,"message":2})").message, 2);
  EXPECT_EQ(accepted(R"({"type":"typing","conversation":1})").type, RequestType::kTyping);
  EXPECT_EQ(to_text(RequestType::kOpenDirect), "open_direct");
}

TEST(ChatProtocolTest, RefusesBadRequestsWithTheIdRecovered) {
  EXPECT_EQ(refused("").code, 400);
  EXPECT_EQ(refused("{").code, 400);
  EXPECT_EQ(refused("[]").code, 400);
  EXPECT_EQ(refused(R"({"type":"post"})").code, 400);
  EXPECT_EQ(refused(R"({"type":"post","conversation":"3","body":"x"})").code, 400);
  EXPECT_EQ(refused(R"({"type":"post","conversation":0,"body":"x"})").code, 400);
  EXPECT_EQ(refused(R"({"type":"post","conversation":-4,"body":"x"})").code, 400);
  EXPECT_EQ(refused(R"({"type":"post","conversation":1.5,"body":"x"})").code, 400);
  EXPECT_EQ(refused(R"({"type":"post","conversation":18446744073709551615,"body":"x"})").code, 400);
  EXPECT_EQ(refused(R"({"type":"post","conversation":1,"body":7})").code, 400);
  EXPECT_EQ(refused(R"({"type":"history","conversation":1,"limit":0})").code, 400);
  EXPECT_EQ(refused(R"({"type":"history","conversation":1,"limit":201})").code, 400);
  EXPECT_EQ(refused(R"({"type":"create_channel","name":"x","members":[1]})").code, 400);
  EXPECT_EQ(refused(R"({"type":"create_channel","name":"x","members":[["1"]]})").code, 400);
  EXPECT_EQ(refused(R"({"type":"conversations","surprise":1})").code, 400);
  EXPECT_EQ(refused(R"({"id":{"a":1},"type":"conversations"})").code, 400);
  EXPECT_EQ(
      refused(std::string(R"({"id":")") + std::string(200, 'x') + R"(","type":"typing"})").code,
      400);
  EXPECT_EQ(refused("{\"type\":\"post\",\"conversation\":1,\"body\":\"\xC3\x28\"}").code, 400);
  EXPECT_EQ(refused(std::string(kMaxRequestBytes + 1, ' ')).code, 413);
  EXPECT_EQ(refused(std::string(100, '[') + std::string(100, ']')).code, 400);
  EXPECT_EQ(refused(R"({"type":"x","body":[[["deep"]]]})").code, 400);

  auto parsed = parse_request(R"({"id":"k7","type":"post","conversation":1})");
  ASSERT_FALSE(parsed.request.ok());
  EXPECT_EQ(std::get<std::string>(parsed.id), "k7");
  EXPECT_NE(parsed.request.error().message.find("body"), std::string::npos);
}

TEST(ChatProtocolTest, NestingScanIgnoresBracketsInStrings) {
  EXPECT_EQ(json_nesting(R"({"a":"[[[[{{{{"})", 3), 1);
  EXPECT_EQ(json_nesting(R"({"a":"\"[[[["})", 3), 1);
  EXPECT_EQ(json_nesting("[[[[[", 3), 4);
}

}  // namespace
}  // namespace parley::chat
