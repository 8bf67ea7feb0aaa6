// Answers whose body is an open file (http::FileBody, decision 0038), over the real HTTPS server
// in process: sent whole in chunks with the promised Content-Length, a part from an offset, HEAD
// without the bytes on a connection that stays usable, a file deleted after the answer was made
// still sent whole, and one that shrinks meanwhile ending the connection instead of a short body
// passed off as whole.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "http/message.hpp"
#include "http/test_client.hpp"

namespace parley::http {
namespace {

using test::TestServer;
using test::TlsClient;

class FileBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = server_.data.path() / "big.bin";
    // 1 MiB and a bit: several chunks, the last one short.
    bytes_.resize(1024 * 1024 + 4321);
    for (std::size_t i = 0; i < bytes_.size(); ++i) {
      bytes_[i] = static_cast<char>((i * 2654435761U) >> 24);
    }
    std::ofstream(path_, std::ios::binary) << bytes_;
    server_.router.add_prefix("/file", [this](const Request& request) {
      Response response = Response::make(200, "application/octet-stream", "");
      const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      const std::uint64_t offset = request.path == "/file/part" ? 1000 : 0;
      response.file = std::make_shared<FileBody>(fd, offset, bytes_.size() - offset);
      if (request.path == "/file/deleted") std::filesystem::remove(path_);
      if (request.path == "/file/shrunk") std::filesystem::resize_file(path_, 300 * 1024);
      return response;
    });
    server_.start();
  }
  void TearDown() override { server_.stop(); }

  TestServer server_;
  std::filesystem::path path_;
  std::string bytes_;
};

TEST_F(FileBodyTest, SendsTheFileWholeAndFromAnOffset) {
  TlsClient client(server_.address());
  const auto whole = client.get("/file");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(whole->header("content-length"), std::to_string(bytes_.size()));
  EXPECT_EQ(whole->body, bytes_);
  // The same connection answers on: the body was exactly as long as promised.
  const auto part = client.get("/file/part");
  ASSERT_TRUE(part);
  EXPECT_EQ(part->body, bytes_.substr(1000));
  ASSERT_TRUE(client.write("HEAD /file HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto head = client.read_response(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("content-length"), std::to_string(bytes_.size()));
  const auto after = client.get("/file/part");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body.size(), bytes_.size() - 1000) << "HEAD sent no bytes";
}

TEST_F(FileBodyTest, AFileDeletedMeanwhileIsStillSentWhole) {
  TlsClient client(server_.address());
  const auto answer = client.get("/file/deleted");
  ASSERT_TRUE(answer);
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_EQ(answer->body, bytes_);
}

TEST_F(FileBodyTest, AFileThatShrinksMeanwhileEndsTheConnection) {
  TlsClient client(server_.address(), 3);
  ASSERT_TRUE(client.write("GET /file/shrunk HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto head = client.read_head();
  ASSERT_TRUE(head);
  EXPECT_NE(head->find("Content-Length: " + std::to_string(bytes_.size())), std::string::npos)
      << *head;
  // The promised length cannot be met: fewer bytes, then the end of the connection (not a
  // connection left waiting until the client gives up).
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(client.fill(bytes_.size()));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

}  // namespace
}  // namespace parley::http
