// ChatService over a real SqliteStore in a temporary data folder: conversations, membership,
// posting with its limits, history pages, search, unread counts and read markers, edit/delete
// rules, tenant isolation, the flood throttle, and that everything survives reopening the store.

#include "chat/chat_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::chat {
namespace {

using store::ConversationKind;
using store::sqlite::SqliteStore;

const std::string kSha256(64, 'a');

class ChatServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open_store();
    auto tenant = store_->add_tenant({"example.com", "Example", false});
    ASSERT_TRUE(tenant.ok()) << tenant.error().message;
    auto other = store_->add_tenant({"other.org", "Other", false});
    ASSERT_TRUE(other.ok());
    tenant_ = tenant->id;
    other_ = other->id;
    for (const char* number : {"1001", "1002", "1003"}) {
      ASSERT_TRUE(store_->add_extension({tenant_, number, "", {"", kSha256}}).ok());
    }
    ASSERT_TRUE(store_->add_extension({other_, "1001", "", {"", kSha256}}).ok());
    alice_ = {tenant_, "1001", false};
    bob_ = {tenant_, "1002", false};
    carol_ = {tenant_, "1003", false};
    mallory_ = {other_, "1001", false};
  }

  void open_store() {
    service_.reset();
    store_.reset();
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path() / "data";
    auto opened = SqliteStore::open(std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    ChatServiceOptions chat_options;
    chat_options.wall_clock = [this] { return ++wall_ms_; };
    service_ = std::make_unique<ChatService>(*store_, clock_, chat_options);
  }

  store::ConversationId direct(const ChatUser& user, const std::string& peer) {
    auto view = service_->open_direct(user, peer);
    EXPECT_TRUE(view.ok()) << view.error().message;
    return view ? view->conversation.id : 0;
  }

  store::ChatMessage post(const ChatUser& user, store::ConversationId id, const std::string& body) {
    auto message = service_->post(user, id, body);
    EXPECT_TRUE(message.ok()) << message.error().message;
    return message ? *message : store::ChatMessage{};
  }

  std::int64_t unread(const ChatUser& user, store::ConversationId id) {
    auto list = service_->conversations(user);
    EXPECT_TRUE(list.ok());
    for (const auto& summary : *list) {
      if (summary.conversation.id == id) return summary.unread;
    }
    return -1;
  }

  test::TempDir dir_;
  ManualClock clock_;
  store::UnixMillis wall_ms_ = 1'700'000'000'000;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<ChatService> service_;
  store::TenantId tenant_ = 0;
  store::TenantId other_ = 0;
  ChatUser alice_, bob_, carol_, mallory_;
};

TEST_F(ChatServiceTest, SchemaHasTheChatMigration) {
  EXPECT_GE(store_->schema_version(), 7);
}

TEST_F(ChatServiceTest, DirectConversationIsTheSameFromBothSides) {
  const auto first = direct(alice_, "1002");
  const auto again = direct(alice_, "1002");
  const auto reverse = direct(bob_, "1001");
  EXPECT_NE(first, 0);
  EXPECT_EQ(first, again);
  EXPECT_EQ(first, reverse);
  auto view = service_->conversation(alice_, first);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->conversation.kind, ConversationKind::kDirect);
  ASSERT_EQ(view->members.size(), 2U);
}

TEST_F(ChatServiceTest, DirectConversationNeedsAnExtensionOfTheSameTenant) {
  auto missing = service_->open_direct(alice_, "1999");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, 404);
  auto self = service_->open_direct(alice_, "1001");
  ASSERT_FALSE(self.ok());
  EXPECT_EQ(self.error().code, 400);
  auto bad = service_->open_direct(alice_, "12a");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 400);
}

TEST_F(ChatServiceTest, PostWithMembersReturnsTheFanOutList) {
  auto channel = service_->create_channel(alice_, "ops", {"1002", "1003"});
  ASSERT_TRUE(channel.ok()) << channel.error().message;
  auto posted = service_->post_with_members(bob_, channel->conversation.id, "deploy at noon");
  ASSERT_TRUE(posted.ok()) << posted.error().message;
  EXPECT_EQ(posted->message.body, "deploy at noon");
  EXPECT_EQ(posted->message.sender, "1002");
  EXPECT_EQ(posted->view.conversation.id, channel->conversation.id);
  std::vector<std::string> members;
  for (const auto& member : posted->view.members) members.push_back(member.extension);
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (std::vector<std::string>{"1001", "1002", "1003"}));
  // Stored before it returned, like post().
  auto history = service_->history(carol_, channel->conversation.id, std::nullopt, 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1U);
  EXPECT_EQ(history->front().id, posted->message.id);
  // Refusals are post()'s: another tenant gets 404, nothing stored.
  auto refused = service_->post_with_members(mallory_, channel->conversation.id, "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(is_chat_error(refused.error(), ChatError::kNotFound));
}

TEST_F(ChatServiceTest, ChannelNamesAreUniquePerTenantAndMembersAreManaged) {
  auto channel = service_->create_channel(alice_, "sales", {"1002"});
  ASSERT_TRUE(channel.ok()) << channel.error().message;
  EXPECT_EQ(channel->conversation.kind, ConversationKind::kChannel);
  EXPECT_EQ(channel->members.size(), 2U);
  auto duplicate = service_->create_channel(bob_, "sales", {});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, 409);
  // Another tenant may use the same name.
  EXPECT_TRUE(service_->create_channel(mallory_, "sales", {}).ok());

  const auto id = channel->conversation.id;
  EXPECT_EQ(service_->post(carol_, id, "hi").error().code, 403);
  auto added = service_->add_member(bob_, id, "1003");  // any member may add
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(added->members.size(), 3U);
  EXPECT_TRUE(service_->post(carol_, id, "hi").ok());
  EXPECT_EQ(service_->add_member(bob_, id, "1003").error().code, 409);

  const ChatUser admin{tenant_, "", true};
  EXPECT_TRUE(service_->remove_member(admin, id, "1003").ok());
  EXPECT_EQ(service_->post(carol_, id, "again").error().code, 403);
  EXPECT_EQ(service_->remove_member(admin, id, "1003").error().code, 404);
  // An admin manages members but does not read the conversation.
  EXPECT_EQ(service_->history(admin, id, std::nullopt, 10).error().code, 403);
  // Nor can another tenant's admin manage it.
  const ChatUser foreign_admin{other_, "", true};
  EXPECT_EQ(service_->add_member(foreign_admin, id, "1003").error().code, 404);
}

TEST_F(ChatServiceTest, DirectConversationKeepsItsTwoMembers) {
  const auto id = direct(alice_, "1002");
  EXPECT_EQ(service_->add_member(alice_, id, "1003").error().code, 409);
  EXPECT_EQ(service_->remove_member(alice_, id, "1002").error().code, 409);
}

TEST_F(ChatServiceTest, AnotherTenantCanNeitherReadNorPost) {
  const auto id = direct(alice_, "1002");
  const auto message = post(alice_, id, "secret plans");
  auto read = service_->history(mallory_, id, std::nullopt, 10);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, 404);  // as if it did not exist
  EXPECT_EQ(service_->post(mallory_, id, "hello?").error().code, 404);
  EXPECT_EQ(service_->edit(mallory_, message.id, "x").error().code, 404);
  EXPECT_EQ(service_->remove(mallory_, message.id).error().code, 404);
  EXPECT_EQ(service_->mark_read(mallory_, id, message.id).error().code, 404);
  EXPECT_EQ(service_->typing(mallory_, id).error().code, 404);
  auto found = service_->search(mallory_, "secret", 10);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
  // Same tenant but not a member: a clear 403.
  auto carol = service_->history(carol_, id, std::nullopt, 10);
  ASSERT_FALSE(carol.ok());
  EXPECT_EQ(carol.error().code, 403);
  EXPECT_NE(carol.error().message.find("not a member"), std::string::npos);
  // Nothing was written by the refused attempts.
  auto history = service_->history(alice_, id, std::nullopt, 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1U);
  EXPECT_EQ((*history)[0].body, "secret plans");
}

TEST_F(ChatServiceTest, BodiesAreCheckedAndMarkupIsKeptVerbatim) {
  const auto id = direct(alice_, "1002");
  const std::string markup = "<script>alert('x')</script> & <b>bold</b> \"quoted\"\n\tnext";
  const auto message = post(alice_, id, markup);
  auto history = service_->history(bob_, id, std::nullopt, 1);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ((*history)[0].body, markup);
  EXPECT_EQ(message.body, markup);

  const std::string limit(service_->options().max_body_bytes, 'x');
  EXPECT_TRUE(service_->post(alice_, id, limit).ok());
  auto too_big = service_->post(alice_, id, limit + "y");
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, 413);
  EXPECT_EQ(service_->post(alice_, id, "").error().code, 400);
  EXPECT_EQ(service_->post(alice_, id, " \n ").error().code, 400);
  EXPECT_EQ(service_->post(alice_, id, std::string("a\0b", 3)).error().code, 400);
  EXPECT_EQ(service_->post(alice_, id, "\xC3\x28").error().code, 400);           // bad UTF-8
  EXPECT_EQ(service_->post(alice_, id, "\xED\xA0\x80").error().code, 400);       // surrogate
  EXPECT_TRUE(service_->post(alice_, id, "caf\xC3\xA9 \xF0\x9F\x98\x80").ok());  // é, emoji
}

TEST_F(ChatServiceTest, HistoryPagesNewestFirst) {
  const auto id = direct(alice_, "1002");
  std::vector<store::MessageId> ids;
  for (int i = 0; i < 7; ++i)
    ids.push_back(post(i % 2 ? bob_ : alice_, id, "m" + std::to_string(i)).id);
  auto first = service_->history(alice_, id, std::nullopt, 3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3U);
  EXPECT_EQ((*first)[0].body, "m6");
  EXPECT_EQ((*first)[2].body, "m4");
  auto second = service_->history(alice_, id, first->back().id, 3);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 3U);
  EXPECT_EQ((*second)[0].body, "m3");
  auto last = service_->history(alice_, id, second->back().id, 3);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 1U);
  EXPECT_EQ((*last)[0].body, "m0");
  EXPECT_EQ((*last)[0].id, ids[0]);
}

TEST_F(ChatServiceTest, UnreadCountsAndReadMarkers) {
  const auto id = direct(alice_, "1002");
  post(alice_, id, "one");
  post(alice_, id, "two");
  const auto third = post(alice_, id, "three");
  EXPECT_EQ(unread(bob_, id), 3);
  EXPECT_EQ(unread(alice_, id), 0);  // one's own messages are never unread

  auto marker = service_->mark_read(bob_, id, third.id - 1);
  ASSERT_TRUE(marker.ok());
  EXPECT_EQ(*marker, third.id - 1);
  EXPECT_EQ(unread(bob_, id), 1);
  // Never backwards, and never past the newest message.
  EXPECT_EQ(*service_->mark_read(bob_, id, 1), third.id - 1);
  EXPECT_EQ(*service_->mark_read(bob_, id, third.id + 1000), third.id);
  EXPECT_EQ(unread(bob_, id), 0);

  // A deleted message stops counting.
  const auto fourth = post(alice_, id, "four");
  EXPECT_EQ(unread(bob_, id), 1);
  ASSERT_TRUE(service_->remove(alice_, fourth.id).ok());
  EXPECT_EQ(unread(bob_, id), 0);
  EXPECT_EQ(service_->mark_read(carol_, id, third.id).error().code, 403);
}

TEST_F(ChatServiceTest, OnlyTheSenderEditsOrDeletes) {
  const auto id = direct(alice_, "1002");
  const auto message = post(alice_, id, "typo hre");
  EXPECT_EQ(service_->edit(bob_, message.id, "mine now").error().code, 403);
  EXPECT_EQ(service_->remove(bob_, message.id).error().code, 403);
  auto edited = service_->edit(alice_, message.id, "typo here");
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(edited->body, "typo here");
  EXPECT_TRUE(edited->edited_at.has_value());
  auto deleted = service_->remove(alice_, message.id);
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(deleted->deleted);
  EXPECT_TRUE(deleted->body.empty());
  EXPECT_EQ(service_->edit(alice_, message.id, "back").error().code, 409);
  EXPECT_TRUE(service_->remove(alice_, message.id).ok());  // twice is fine
  EXPECT_EQ(service_->remove(alice_, 999999).error().code, 404);
  auto history = service_->history(bob_, id, std::nullopt, 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1U);
  EXPECT_TRUE((*history)[0].deleted);
  EXPECT_TRUE((*history)[0].body.empty());
}

TEST_F(ChatServiceTest, SearchFindsWordsInOwnConversationsOnly) {
  const auto ab = direct(alice_, "1002");
  const auto bc = direct(bob_, "1003");
  post(alice_, ab, "the quarterly report is late");
  post(bob_, bc, "quarterly numbers attached");
  const auto gone = post(alice_, ab, "quarterly secret");
  ASSERT_TRUE(service_->remove(alice_, gone.id).ok());

  auto alice = service_->search(alice_, "quarterly", 10);
  ASSERT_TRUE(alice.ok()) << alice.error().message;
  ASSERT_EQ(alice->size(), 1U);
  EXPECT_EQ((*alice)[0].body, "the quarterly report is late");
  auto bob = service_->search(bob_, "Quarterly", 10);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->size(), 2U);
  auto both_words = service_->search(bob_, "quarterly late", 10);
  ASSERT_TRUE(both_words.ok());
  EXPECT_EQ(both_words->size(), 1U);
  // FTS5 syntax in the input is text, never an error or an operator.
  for (const char* hostile : {"\"", "quarterly OR", "NEAR(a b)", "a* AND -b", "col:x", "(", "<>"}) {
    auto found = service_->search(bob_, hostile, 10);
    EXPECT_TRUE(found.ok()) << hostile << ": " << found.error().message;
  }
  EXPECT_EQ(service_->search(bob_, "   ", 10).error().code, 400);
  EXPECT_EQ(service_->search(bob_, std::string(201, 'q'), 10).error().code, 400);
}

TEST_F(ChatServiceTest, SearchFollowsEdits) {
  const auto id = direct(alice_, "1002");
  const auto message = post(alice_, id, "meet at noon");
  ASSERT_TRUE(service_->edit(alice_, message.id, "meet at dusk").ok());
  auto old_word = service_->search(bob_, "noon", 10);
  ASSERT_TRUE(old_word.ok());
  EXPECT_TRUE(old_word->empty());
  auto new_word = service_->search(bob_, "dusk", 10);
  ASSERT_TRUE(new_word.ok());
  ASSERT_EQ(new_word->size(), 1U);
  EXPECT_EQ((*new_word)[0].id, message.id);
}

TEST_F(ChatServiceTest, FloodsAreThrottledWithAClearError) {
  const auto id = direct(alice_, "1002");
  int accepted = 0;
  Error refusal;
  for (int i = 0; i < 100; ++i) {
    auto posted = service_->post(alice_, id, "spam " + std::to_string(i));
    if (posted) {
      ++accepted;
    } else {
      refusal = posted.error();
      break;
    }
  }
  EXPECT_EQ(accepted, static_cast<int>(service_->options().burst));
  EXPECT_EQ(refusal.code, 429);
  EXPECT_EQ(refusal.message, "too many messages, slow down");
  // Another user is not affected; the flooder recovers as the bucket refills.
  EXPECT_TRUE(service_->post(bob_, id, "hello").ok());
  clock_.advance(std::chrono::seconds(1));
  EXPECT_TRUE(service_->post(alice_, id, "calm now").ok());
  // Everything accepted is stored; nothing refused is.
  auto history = service_->history(bob_, id, std::nullopt, 200);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), static_cast<std::size_t>(accepted + 2));
}

TEST_F(ChatServiceTest, EverythingSurvivesReopeningTheStore) {
  const auto id = direct(alice_, "1002");
  auto channel = service_->create_channel(alice_, "ops", {"1002", "1003"});
  ASSERT_TRUE(channel.ok());
  const auto message = post(alice_, id, "while you were out");
  post(alice_, channel->conversation.id, "channel news");
  ASSERT_TRUE(service_->mark_read(carol_, channel->conversation.id, 1'000'000).ok());

  open_store();  // a restart: a new connection to the same file

  EXPECT_EQ(unread(bob_, id), 1);
  EXPECT_EQ(unread(bob_, channel->conversation.id), 1);
  EXPECT_EQ(unread(carol_, channel->conversation.id), 0);
  auto history = service_->history(bob_, id, std::nullopt, 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1U);
  EXPECT_EQ((*history)[0].id, message.id);
  EXPECT_EQ((*history)[0].body, "while you were out");
  EXPECT_EQ(direct(bob_, "1001"), id);
}

TEST_F(ChatServiceTest, MembersGoWithTheirExtension) {
  auto channel = service_->create_channel(alice_, "team", {"1002", "1003"});
  ASSERT_TRUE(channel.ok());
  post(carol_, channel->conversation.id, "bye");
  ASSERT_TRUE(store_->remove_extension(tenant_, "1003").ok());
  auto view = service_->conversation(alice_, channel->conversation.id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->members.size(), 2U);
  auto history = service_->history(alice_, channel->conversation.id, std::nullopt, 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1U);  // history outlives the sender
  EXPECT_EQ((*history)[0].sender, "1003");
}

}  // namespace
}  // namespace parley::chat
