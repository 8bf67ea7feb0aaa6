#include "trust/manifest.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.hpp"
#include "trust/digest.hpp"

namespace parley::trust {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// A small installation tree: a binary, web assets in a subfolder, a symbolic link.
class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(root() / "bin/parley",
          "\x7f"
          "ELF pretend binary");
    write(root() / "share/parley/web/index.html", "<!doctype html><title>Parley</title>\n");
    write(root() / "share/parley/web/app.js", "console.log('parley');\n");
    fs::create_symlink("app.js", root() / "share/parley/web/current.js");
  }
  const fs::path& root() const { return dir_.path(); }

  Manifest scanned() const {
    auto files = scan_tree(root());
    EXPECT_TRUE(files) << files.error().message;
    return Manifest{
        "0.1.0",
        "0123456789abcdef0123456789abcdef01234567",
        "gcc 12.2.0",
        {{"libssl3", "3.0.15-1~deb12u1", "amd64"}, {"libspdlog1.10", "1:1.10.0", "amd64"}},
        files ? files.value() : std::vector<ManifestEntry>{}};
  }

 private:
  test::TempDir dir_{"parley-trust"};
};

TEST_F(ManifestTest, ScanListsEveryFileSortedWithDigestAndSize) {
  const Manifest manifest = scanned();
  ASSERT_EQ(manifest.files.size(), 4u);
  EXPECT_EQ(manifest.files[0].path, "bin/parley");
  EXPECT_EQ(manifest.files[1].path, "share/parley/web/app.js");
  EXPECT_EQ(manifest.files[1].sha256, sha256_hex(std::string_view("console.log('parley');\n")));
  EXPECT_EQ(manifest.files[1].size, 23u);
  EXPECT_EQ(manifest.files[2].path, "share/parley/web/current.js");
  EXPECT_EQ(manifest.files[2].kind, EntryKind::kSymlink);
  EXPECT_EQ(manifest.files[2].link_target, "app.js");
  EXPECT_EQ(manifest.files[3].path, "share/parley/web/index.html");
}

TEST_F(ManifestTest, JsonRoundTripIsExactAndDeterministic) {
  const Manifest manifest = scanned();
  auto text = manifest_to_json(manifest);
  ASSERT_TRUE(text) << text.error().message;
  auto parsed = parse_manifest(*text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, manifest);
  auto again = manifest_to_json(*parsed);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *text);
  EXPECT_NE(text->find("\"format\": \"parley-release-manifest/1\""), std::string::npos);
  EXPECT_NE(text->find("\"version\": \"1:1.10.0\""), std::string::npos);
}

TEST_F(ManifestTest, UnchangedTreeHasNoDifference) {
  const Manifest manifest = scanned();
  auto now = scan_tree(root());
  ASSERT_TRUE(now);
  EXPECT_TRUE(diff_entries(manifest.files, *now).empty());
}

TEST_F(ManifestTest, OneChangedByteIsNamedAsChanged) {
  const Manifest manifest = scanned();
  // Same size, one byte different: only the digest can tell.
  write(root() / "share/parley/web/app.js", "console.log('parlez');\n");
  auto now = scan_tree(root());
  ASSERT_TRUE(now);
  const TreeDiff diff = diff_entries(manifest.files, *now);
  EXPECT_EQ(diff.changed, std::vector<std::string>{"share/parley/web/app.js"});
  EXPECT_TRUE(diff.added.empty());
  EXPECT_TRUE(diff.missing.empty());
}

TEST_F(ManifestTest, AddedMissingAndRetargetedLinkAreReported) {
  const Manifest manifest = scanned();
  write(root() / "lib/evil.so", "payload");
  fs::remove(root() / "share/parley/web/index.html");
  fs::remove(root() / "share/parley/web/current.js");
  fs::create_symlink("/tmp/elsewhere.js", root() / "share/parley/web/current.js");
  auto now = scan_tree(root());
  ASSERT_TRUE(now);
  const TreeDiff diff = diff_entries(manifest.files, *now);
  EXPECT_EQ(diff.added, std::vector<std::string>{"lib/evil.so"});
  EXPECT_EQ(diff.missing, std::vector<std::string>{"share/parley/web/index.html"});
  EXPECT_EQ(diff.changed, std::vector<std::string>{"share/parley/web/current.js"});
}

TEST_F(ManifestTest, ExcludedPathsAreLeftOut) {
  write(root() / "MANIFEST.json", "{}");
  auto files = scan_tree(root(), ScanOptions{{"MANIFEST.json"}});
  ASSERT_TRUE(files);
  for (const auto& entry : *files) EXPECT_NE(entry.path, "MANIFEST.json");
  EXPECT_EQ(files->size(), 4u);
}

TEST(ManifestParse, RejectsPathsLeavingTheTreeAndBadFields) {
  const std::string head =
      R"({"format":"parley-release-manifest/1","parley_version":"0.1.0","source_commit":"x",)"
      R"("compiler":"gcc","debian_packages":[],"files":[)";
  const std::string digest(64, 'a');
  auto with_file = [&](const std::string& file) { return head + file + "]}"; };
  EXPECT_TRUE(parse_manifest(with_file(R"({"path":"a/b","sha256":")" + digest + R"(","size":1})")));
  for (const char* bad : {"../etc/passwd", "/etc/passwd", "a/./b", "a//b", "a/"}) {
    EXPECT_FALSE(parse_manifest(with_file(std::string(R"({"path":")") + bad + R"(","sha256":")" +
                                          digest + R"(","size":1})")))
        << bad;
  }
  EXPECT_FALSE(parse_manifest(with_file(R"({"path":"a","sha256":"xyz","size":1})")));
  EXPECT_FALSE(parse_manifest(with_file(R"({"path":"a","sha256":")" + digest + R"(","size":-1})")));
  EXPECT_FALSE(parse_manifest(with_file(R"({"path":"a","sha256":")" + digest +
                                        R"(","size":1},{"path":"a","symlink":"b"})")));
  EXPECT_FALSE(parse_manifest(R"({"format":"other/1"})"));
  EXPECT_FALSE(parse_manifest("not json"));
}

TEST(ManifestScan, RootMustBeADirectory) {
  EXPECT_FALSE(scan_tree("/nonexistent/parley-root"));
}

}  // namespace
}  // namespace parley::trust
