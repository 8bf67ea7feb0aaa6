// ChatEndpoint and ChatHub over a real SqliteStore: the JSON replies (client id echoed, errors
// with codes) and the live fan-out of events to every other session of every member, presence
// on sign-in and sign-out, and the welcome that carries unread counts to a returning user.

#include "chat/chat_endpoint.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::chat {
namespace {

using Json = nlohmann::json;

const std::string kSha256(64, 'a');

class ChatEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path() / "data";
    auto opened = store::sqlite::SqliteStore::open(std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    auto tenant = store_->add_tenant({"example.com", "", false});
    ASSERT_TRUE(tenant.ok());
    auto other = store_->add_tenant({"other.org", "", false});
    ASSERT_TRUE(other.ok());
    for (const char* number : {"1001", "1002"}) {
      ASSERT_TRUE(store_->add_extension({tenant->id, number, "", {"", kSha256}}).ok());
    }
    ASSERT_TRUE(store_->add_extension({other->id, "2001", "", {"", kSha256}}).ok());
    alice_ = {tenant->id, "1001", false};
    bob_ = {tenant->id, "1002", false};
    eve_ = {other->id, "2001", false};
    service_ = std::make_unique<ChatService>(*store_, clock_);
  }

  // Events sent to `session` so far, parsed; clears them.
  std::vector<Json> take(SessionId session) {
    std::vector<Json> events;
    for (const auto& text : sent_[session]) events.push_back(Json::parse(text));
    sent_[session].clear();
    return events;
  }

  test::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<ChatService> service_;
  std::map<SessionId, std::vector<std::string>> sent_;
  ChatHub hub_{
      [this](SessionId session, const std::string& text) { sent_[session].push_back(text); }};
  ChatUser alice_, bob_, eve_;
};

TEST_F(ChatEndpointTest, MessagesFanOutToEveryOtherSessionOfEveryMember) {
  ChatEndpoint endpoint(*service_, hub_);
  const Json welcome = Json::parse(endpoint.connect(1, alice_));
  EXPECT_EQ(welcome["type"], "welcome");
  EXPECT_TRUE(welcome["conversations"].empty());
  endpoint.connect(2, bob_);
  endpoint.connect(3, bob_);    // Bob's second device
  endpoint.connect(4, alice_);  // Alice's second device
  endpoint.connect(5, eve_);
  // Bob's arrival was announced to Alice's first session only (others came later or are Bob).
  auto presence = take(1);
  ASSERT_EQ(presence.size(), 1U);
  EXPECT_EQ(presence[0]["type"], "presence");
  EXPECT_EQ(presence[0]["extension"], "1002");
  EXPECT_EQ(presence[0]["status"], "available");
  EXPECT_TRUE(take(5).empty());  // another tenant hears nothing
  take(2);
  take(3);
  take(4);

  const Json opened = Json::parse(
      endpoint.handle(1, alice_, R"({"id":"a1","type":"open_direct","extension":"1002"})"));
  ASSERT_EQ(opened["type"], "ok") << opened.dump();
  EXPECT_EQ(opened["id"], "a1");
  const auto conversation = opened["conversation"]["id"].get<std::int64_t>();
  take(2);
  take(3);
  take(4);

  const Json posted = Json::parse(endpoint.handle(
      1, alice_,
      Json{{"id", 7}, {"type", "post"}, {"conversation", conversation}, {"body", "<b>hi</b>"}}
          .dump()));
  ASSERT_EQ(posted["type"], "ok") << posted.dump();
  EXPECT_EQ(posted["id"], 7);
  EXPECT_EQ(posted["message"]["body"], "<b>hi</b>");
  const auto message_id = posted["message"]["id"].get<std::int64_t>();
  for (const SessionId session : {2, 3, 4}) {
    auto events = take(session);
    ASSERT_EQ(events.size(), 1U) << "session " << session;
    EXPECT_EQ(events[0]["type"], "message");
    EXPECT_EQ(events[0]["message"]["id"], message_id);
    EXPECT_EQ(events[0]["message"]["body"], "<b>hi</b>");
  }
  EXPECT_TRUE(take(1).empty());  // the sender's own session has the reply
  EXPECT_TRUE(take(5).empty());

  // Typing and read receipts reach the other side; neither is stored as a message.
  endpoint.handle(2, bob_, Json{{"type", "typing"}, {"conversation", conversation}}.dump());
  auto typing = take(1);
  ASSERT_EQ(typing.size(), 1U);
  EXPECT_EQ(typing[0]["type"], "typing");
  EXPECT_EQ(typing[0]["extension"], "1002");
  const Json read = Json::parse(endpoint.handle(
      2, bob_,
      Json{{"id", "r"}, {"type", "read"}, {"conversation", conversation}, {"message", message_id}}
          .dump()));
  EXPECT_EQ(read["type"], "ok");
  EXPECT_EQ(read["message"], message_id);
  auto receipt = take(1);
  ASSERT_EQ(receipt.size(), 1U);
  EXPECT_EQ(receipt[0]["type"], "read");
  EXPECT_EQ(receipt[0]["extension"], "1002");
  EXPECT_EQ(receipt[0]["message"], message_id);
  EXPECT_EQ(take(3).size(), 2U);  // Bob's other device sees the typing and the receipt too

  // Eve of another tenant: neither read nor post.
  const Json history = Json::parse(endpoint.handle(
      5, eve_, Json{{"id", 1}, {"type", "history"}, {"conversation", conversation}}.dump()));
  EXPECT_EQ(history["type"], "error");
  EXPECT_EQ(history["code"], 404);
  EXPECT_EQ(history["id"], 1);
  const Json intrusion = Json::parse(endpoint.handle(
      5, eve_,
      Json{{"id", 2}, {"type", "post"}, {"conversation", conversation}, {"body", "hi"}}.dump()));
  EXPECT_EQ(intrusion["code"], 404);
  EXPECT_TRUE(take(1).empty());

  // Sign-out: the last session of a user announces "offline".
  endpoint.disconnect(2);
  EXPECT_TRUE(take(1).empty());
  endpoint.disconnect(3);
  auto offline = take(1);
  ASSERT_EQ(offline.size(), 1U);
  EXPECT_EQ(offline[0]["status"], "offline");
  EXPECT_FALSE(hub_.online(bob_.tenant_id, "1002"));

  // Bob returns: the welcome carries the unread count (one message, read; then a new one).
  endpoint.handle(1, alice_,
                  Json{{"type", "post"}, {"conversation", conversation}, {"body", "later"}}.dump());
  const Json back = Json::parse(endpoint.connect(9, bob_));
  ASSERT_EQ(back["conversations"].size(), 1U);
  EXPECT_EQ(back["conversations"][0]["unread"], 1);
  EXPECT_EQ(back["conversations"][0]["last_read"], message_id);
  // With the members and their markers: the web app names the conversation after Alice.
  const Json members = back["conversations"][0]["members"];
  ASSERT_EQ(members.size(), 2U);
  EXPECT_EQ(members[0]["extension"], "1001");
  EXPECT_EQ(members[1]["extension"], "1002");
  EXPECT_EQ(members[1]["last_read"], message_id);
}

TEST_F(ChatEndpointTest, ErrorsEchoTheIdAndCarryACode) {
  ChatEndpoint endpoint(*service_, hub_);
  endpoint.connect(1, alice_);
  const auto error = [&](std::string_view text) {
    return Json::parse(endpoint.handle(1, alice_, text));
  };
  EXPECT_EQ(error("not json")["code"], 400);
  EXPECT_EQ(error("[1]")["code"], 400);
  EXPECT_EQ(error(R"({"id":"x","type":"nope"})")["id"], "x");
  EXPECT_EQ(error(R"({"id":"x","type":"nope"})")["code"], 400);
  EXPECT_EQ(error(R"({"id":5,"type":"post","conversation":1})")["id"], 5);
  const Json big = Json::parse(endpoint.handle(1, alice_,
                                               Json{{"id", "big"},
                                                    {"type", "post"},
                                                    {"conversation", 1},
                                                    {"body", std::string(16 * 1024 + 1, 'x')}}
                                                   .dump()));
  EXPECT_EQ(big["type"], "error");
  EXPECT_EQ(big["code"], 413);
  EXPECT_EQ(big["id"], "big");
  const Json unknown = error(R"({"id":1,"type":"post","conversation":999,"body":"x"})");
  EXPECT_EQ(unknown["code"], 404);
  EXPECT_FALSE(unknown["message"].get<std::string>().empty());
}

// The SIP MESSAGE path: a message from outside reaches every session of both members (the
// sender's too, who wrote it on a phone), is stored, and the posted listener hears of it and of
// posts over the protocol, with the conversation's members; refusals store nothing.
TEST_F(ChatEndpointTest, PostDirectFansOutToEverySessionAndTellsTheListener) {
  ChatEndpoint endpoint(*service_, hub_);
  std::vector<std::pair<std::string, std::string>> posted;  // sender, body
  std::vector<std::size_t> member_counts;
  endpoint.set_posted_listener(
      [&](const ChatUser& sender, const ConversationView& view, const store::ChatMessage& message) {
        posted.emplace_back(sender.extension, message.body);
        member_counts.push_back(view.members.size());
      });
  endpoint.connect(1, alice_);
  endpoint.connect(2, bob_);
  take(1);
  take(2);

  auto message = endpoint.post_direct(bob_, "1001", "from the desk phone");
  ASSERT_TRUE(message.ok()) << message.error().message;
  for (SessionId session : {SessionId{1}, SessionId{2}}) {
    auto events = take(session);
    ASSERT_EQ(events.size(), 1U) << "session " << session;
    EXPECT_EQ(events[0]["type"], "message");
    EXPECT_EQ(events[0]["message"]["body"], "from the desk phone");
    EXPECT_EQ(events[0]["message"]["sender"], "1002");
  }
  auto history = service_->history(alice_, message->conversation_id, std::nullopt, 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1U);
  EXPECT_EQ((*history)[0].body, "from the desk phone");

  const Json reply = Json::parse(endpoint.handle(
      1, alice_,
      Json{{"type", "post"}, {"conversation", message->conversation_id}, {"body", "web reply"}}
          .dump()));
  EXPECT_EQ(reply["type"], "ok");
  ASSERT_EQ(posted.size(), 2U);
  EXPECT_EQ(posted[0], (std::pair<std::string, std::string>{"1002", "from the desk phone"}));
  EXPECT_EQ(posted[1], (std::pair<std::string, std::string>{"1001", "web reply"}));
  EXPECT_EQ(member_counts, (std::vector<std::size_t>{2, 2}));

  auto across = endpoint.post_direct(bob_, "2001", "to another tenant");
  ASSERT_FALSE(across.ok());
  EXPECT_EQ(across.error().code, 404);
  auto too_long = endpoint.post_direct(bob_, "1001", std::string(16 * 1024 + 1, 'x'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, 413);
  EXPECT_EQ(posted.size(), 2U);
  EXPECT_TRUE(take(1).empty());
}

TEST(ChatHubTest, TracksSessionsPerUser) {
  std::vector<std::pair<SessionId, std::string>> sent;
  ChatHub hub(
      [&](SessionId session, const std::string& text) { sent.emplace_back(session, text); });
  EXPECT_TRUE(hub.attach(1, 10, "1001"));
  EXPECT_FALSE(hub.attach(2, 10, "1001"));
  EXPECT_FALSE(hub.attach(2, 10, "1001"));  // the same session again changes nothing
  EXPECT_TRUE(hub.attach(3, 11, "1001"));   // same number, another tenant
  EXPECT_EQ(hub.session_count(), 3U);
  EXPECT_EQ(hub.deliver(10, {"1001", "1002"}, "e"), 2U);
  EXPECT_EQ(hub.deliver(10, {"1001"}, "e", SessionId{1}), 1U);
  EXPECT_EQ(hub.deliver_to_tenant(11, "p"), 1U);
  ASSERT_EQ(sent.size(), 4U);
  EXPECT_EQ(sent.back().first, 3U);
  auto first = hub.detach(1);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->last);
  auto second = hub.detach(2);
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->last);
  EXPECT_FALSE(hub.detach(2).has_value());
  EXPECT_FALSE(hub.online(10, "1001"));
  EXPECT_TRUE(hub.online(11, "1001"));
}

// Decision 0027: one fan-out is one sender call with every target and one shared text.
TEST(ChatHubTest, HandsOneFanOutOverInOneBatchWithOneSharedText) {
  std::vector<std::pair<std::vector<SessionId>, std::shared_ptr<const std::string>>> batches;
  ChatHub hub(ChatHub::BatchSender(
      [&](std::span<const SessionId> sessions, const std::shared_ptr<const std::string>& text) {
        batches.emplace_back(std::vector<SessionId>(sessions.begin(), sessions.end()), text);
      }));
  for (SessionId session = 1; session <= 300; ++session) {
    hub.attach(session, 10, std::to_string(1000 + session));
  }
  hub.attach(301, 10, "1001");  // 1001's second device
  hub.attach(302, 11, "1002");  // another tenant's 1002
  std::vector<std::string> members;
  for (int number = 1001; number <= 1300; ++number) members.push_back(std::to_string(number));
  members.push_back("9999");  // a member with no session
  EXPECT_EQ(hub.deliver(10, members, "event", SessionId{2}), 300U);
  ASSERT_EQ(batches.size(), 1U);
  auto sessions = batches[0].first;
  std::sort(sessions.begin(), sessions.end());
  EXPECT_EQ(sessions.size(), 300U);
  EXPECT_EQ(std::count(sessions.begin(), sessions.end(), SessionId{2}), 0);  // the sender's own
  EXPECT_EQ(std::count(sessions.begin(), sessions.end(), SessionId{301}), 1);
  EXPECT_EQ(std::count(sessions.begin(), sessions.end(), SessionId{302}), 0);
  ASSERT_NE(batches[0].second, nullptr);
  EXPECT_EQ(*batches[0].second, "event");
  // Nobody to tell: no call at all.
  EXPECT_EQ(hub.deliver(10, {"9999"}, "nobody"), 0U);
  EXPECT_EQ(hub.deliver_to_tenant(12, "nobody"), 0U);
  EXPECT_EQ(batches.size(), 1U);
  EXPECT_EQ(hub.deliver_to_tenant(11, "presence"), 1U);
  ASSERT_EQ(batches.size(), 2U);
  EXPECT_EQ(batches[1].first, std::vector<SessionId>{302});
}

}  // namespace
}  // namespace parley::chat
