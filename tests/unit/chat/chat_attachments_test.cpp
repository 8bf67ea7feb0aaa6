// ChatAttachments over a real SqliteStore and a real folder: type checks against content, the
// size limit, membership (404 alike for a non-member and another tenant), the file on disk, the
// announced message event with its attachment, and history carrying it.

#include "chat/chat_attachments.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chat/attachment_type.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::chat {
namespace {

using Json = nlohmann::json;
using namespace std::string_literals;

const std::string kSha256(64, 'a');
const std::string kPng = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR"s;

TEST(AttachmentTypeTest, ContentMustMatchTheDeclaredType) {
  EXPECT_EQ(media_type_of(" Image/PNG ; x=1"), "image/png");
  EXPECT_TRUE(content_matches("image/png", kPng));
  EXPECT_FALSE(content_matches("image/png", "GIF89a..."));
  EXPECT_FALSE(content_matches("image/png", ""));
  EXPECT_TRUE(content_matches("image/jpeg", "\xFF\xD8\xFF\xE0"s));
  EXPECT_TRUE(content_matches("image/webp", "RIFF\x10\0\0\0WEBPVP8 "s));
  EXPECT_FALSE(content_matches("image/webp", "RIFF\x10\0\0\0WAVEfmt "s));
  EXPECT_TRUE(content_matches("application/pdf", "%PDF-1.7\n"));
  EXPECT_TRUE(content_matches(
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK\x03\x04"s));
  EXPECT_TRUE(content_matches("text/plain", "h\xC3\xA9llo\n"));
  EXPECT_FALSE(content_matches("text/plain", "a\0b"s));
  EXPECT_FALSE(content_matches("text/plain", "cut \xC3"));
  EXPECT_TRUE(content_matches("application/octet-stream", "\0\1\2"s));
  EXPECT_FALSE(is_accepted_attachment_type("image/svg+xml"));
  EXPECT_FALSE(is_accepted_attachment_type("text/html"));
  EXPECT_FALSE(content_matches("text/html", "<p>"));
}

TEST(AttachmentTypeTest, DisplayNameKeepsTheLastPathComponent) {
  EXPECT_EQ(attachment_display_name("C:\\Users\\a\\plan.pdf"), "plan.pdf");
  EXPECT_EQ(attachment_display_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(attachment_display_name(""), "attachment");
  EXPECT_EQ(attachment_display_name("dir/.."), "attachment");
  const std::string long_name = std::string(254, 'a') + "\xC3\xA9";  // é straddles byte 255
  EXPECT_EQ(attachment_display_name(long_name), std::string(254, 'a'));
}

class ChatAttachmentsTest : public ::testing::Test {
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
    for (const char* number : {"1001", "1002", "1003"}) {
      ASSERT_TRUE(store_->add_extension({tenant->id, number, "", {"", kSha256}}).ok());
    }
    ASSERT_TRUE(store_->add_extension({other->id, "2001", "", {"", kSha256}}).ok());
    alice_ = {tenant->id, "1001", false};
    bob_ = {tenant->id, "1002", false};
    carol_ = {tenant->id, "1003", false};
    eve_ = {other->id, "2001", false};
    service_ = std::make_unique<ChatService>(*store_, clock_);
    endpoint_ = std::make_unique<ChatEndpoint>(*service_, hub_);
    ChatAttachmentOptions attachment_options;
    attachment_options.data_dir = dir_.path() / "data";
    attachment_options.max_bytes = 1000;
    attachments_ = std::make_unique<ChatAttachments>(*service_, *store_, *endpoint_,
                                                     std::move(attachment_options));
    auto direct = service_->open_direct(alice_, "1002");
    ASSERT_TRUE(direct.ok());
    conversation_ = direct->conversation.id;
  }

  test::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<ChatService> service_;
  std::map<SessionId, std::vector<std::string>> sent_;
  ChatHub hub_{
      [this](SessionId session, const std::string& text) { sent_[session].push_back(text); }};
  std::unique_ptr<ChatEndpoint> endpoint_;
  std::unique_ptr<ChatAttachments> attachments_;
  ChatUser alice_, bob_, carol_, eve_;
  store::ConversationId conversation_ = 0;
};

TEST_F(ChatAttachmentsTest, UploadStoresAnnouncesAndServesToMembersOnly) {
  endpoint_->connect(2, bob_);
  sent_.clear();
  auto posted = attachments_->upload(alice_, conversation_, "image/png", "shots/a <b>.png", kPng);
  ASSERT_TRUE(posted.ok()) << posted.error().message;
  EXPECT_EQ(posted->message.body, "a <b>.png");
  EXPECT_EQ(posted->attachment.content_type, "image/png");
  EXPECT_EQ(posted->attachment.size_bytes, kPng.size());
  EXPECT_TRUE(posted->attachment.path.starts_with("chat-attachments/"));
  std::ifstream on_disk(dir_.path() / "data" / posted->attachment.path, std::ios::binary);
  const std::string stored((std::istreambuf_iterator<char>(on_disk)), {});
  EXPECT_EQ(stored, kPng);

  ASSERT_EQ(sent_[2].size(), 1U);
  const Json event = Json::parse(sent_[2][0]);
  EXPECT_EQ(event["type"], "message");
  ASSERT_EQ(event["message"]["attachments"].size(), 1U);
  EXPECT_EQ(event["message"]["attachments"][0]["name"], "a <b>.png");
  EXPECT_EQ(event["message"]["attachments"][0]["url"],
            "/api/v1/chat/messages/" + std::to_string(posted->message.id) + "/attachments/" +
                std::to_string(posted->attachment.id));

  const Json history = Json::parse(endpoint_->handle(
      2, bob_, Json{{"id", 1}, {"type", "history"}, {"conversation", conversation_}}.dump()));
  ASSERT_EQ(history["messages"].size(), 1U);
  EXPECT_EQ(history["messages"][0]["attachments"][0]["content_type"], "image/png");

  auto fetched = attachments_->download(bob_, posted->message.id, posted->attachment.id);
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->bytes, kPng);
  for (const ChatUser& stranger : {carol_, eve_}) {
    auto refused = attachments_->download(stranger, posted->message.id, posted->attachment.id);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, 404);
  }
  EXPECT_EQ(
      attachments_->download(bob_, posted->message.id, posted->attachment.id + 1).error().code,
      404);
}

TEST_F(ChatAttachmentsTest, RefusalsStoreNothing) {
  EXPECT_EQ(
      attachments_->upload(alice_, conversation_, "image/png", "x.png", "not a png").error().code,
      415);
  EXPECT_EQ(attachments_->upload(alice_, conversation_, "text/html", "x.html", "<p>").error().code,
            415);
  EXPECT_EQ(
      attachments_
          ->upload(alice_, conversation_, "application/octet-stream", "big", std::string(1001, 'x'))
          .error()
          .code,
      413);
  EXPECT_EQ(attachments_->upload(alice_, conversation_, "text/plain", "e.txt", "").error().code,
            400);
  EXPECT_EQ(attachments_->upload(carol_, conversation_, "image/png", "x.png", kPng).error().code,
            404);
  EXPECT_EQ(attachments_->upload(eve_, conversation_, "image/png", "x.png", kPng).error().code,
            404);
  auto history = service_->history(alice_, conversation_, std::nullopt, 0);
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->empty());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / kAttachmentFolder) &&
               !std::filesystem::is_empty(dir_.path() / "data" / kAttachmentFolder));
}

}  // namespace
}  // namespace parley::chat
