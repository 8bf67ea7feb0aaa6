#include "trust/digest.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/temp_dir.hpp"

namespace parley::trust {
namespace {

// FIPS 180-2 appendix B.1 and the empty-message digest.
TEST(Digest, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(std::string_view("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string_view("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, FileDigestMatchesMemoryDigestAcrossBufferBoundary) {
  test::TempDir dir;
  std::string content(200 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 31 % 251);
  const auto path = dir.path() / "blob";
  std::ofstream(path, std::ios::binary) << content;
  auto digest = digest_file(path);
  ASSERT_TRUE(digest) << digest.error().message;
  EXPECT_EQ(digest->size, content.size());
  EXPECT_EQ(digest->sha256, sha256_hex(std::string_view(content)));
}

TEST(Digest, MissingFileIsAnErrorNamingIt) {
  test::TempDir dir;
  auto digest = digest_file(dir.path() / "nope");
  ASSERT_FALSE(digest);
  EXPECT_NE(digest.error().message.find("nope"), std::string::npos);
}

TEST(Digest, Base64RoundTripAndRejection) {
  const std::vector<std::uint8_t> bytes = {0x00, 0xff, 0x10, 0x80, 0x7f};
  EXPECT_EQ(to_base64(bytes), "AP8QgH8=");
  auto decoded = from_base64("AP8QgH8=");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, bytes);
  EXPECT_FALSE(from_base64("AP8Q!H8="));
  EXPECT_FALSE(from_base64("AP8QgH8"));  // missing padding
  EXPECT_EQ(to_hex(bytes), "00ff10807f");
}

}  // namespace
}  // namespace parley::trust
