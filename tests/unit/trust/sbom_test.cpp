#include "trust/sbom.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "trust/build_info.hpp"
#include "trust/digest.hpp"

namespace parley::trust {
namespace {

using nlohmann::json;

std::vector<NpmPackage> fixture_packages() {
  auto text = read_file(std::string(PARLEY_TEST_DATA) + "/npm/package-lock.json");
  EXPECT_TRUE(text) << text.error().message;
  auto packages = parse_package_lock(text ? *text : "");
  EXPECT_TRUE(packages) << packages.error().message;
  return packages ? *packages : std::vector<NpmPackage>{};
}

const json* find_component(const json& bom, const std::string& name) {
  for (const auto& component : bom["components"]) {
    if (component["name"] == name) return &component;
  }
  return nullptr;
}

TEST(Sbom, PackageLockV3ListsThirdPartyPackagesOnce) {
  const auto packages = fixture_packages();
  std::vector<std::string> names;
  names.reserve(packages.size());
  for (const auto& package : packages) names.push_back(package.name + "@" + package.version);
  // The root project, the workspace folder and its link are our own code; debug@4.3.4 appears
  // twice in the tree (bundled and under vite) and is listed once, as bundled.
  EXPECT_EQ(names, (std::vector<std::string>{"@preact/signals@1.2.1", "debug@4.3.4", "jssip@3.10.1",
                                             "sdp-transform@2.14.1", "vite@5.0.12"}));
  EXPECT_FALSE(packages[1].dev);
  EXPECT_TRUE(packages[4].dev);
  EXPECT_EQ(packages[2].integrity.rfind("sha512-", 0), 0u);
}

TEST(Sbom, PackageLockV1NestedDependencies) {
  auto packages = parse_package_lock(R"({"lockfileVersion":1,"dependencies":{
      "a":{"version":"1.0.0","integrity":"sha1-AAAA","dependencies":{
        "b":{"version":"2.0.0","dev":true}}},
      "local":{"version":"file:../local"}}})");
  ASSERT_TRUE(packages) << packages.error().message;
  ASSERT_EQ(packages->size(), 2u);
  EXPECT_EQ((*packages)[0].name, "a");
  EXPECT_EQ((*packages)[1].name, "b");
  EXPECT_TRUE((*packages)[1].dev);
  EXPECT_FALSE(parse_package_lock("[]"));
  EXPECT_FALSE(parse_package_lock(R"({"lockfileVersion":3})"));
}

TEST(Sbom, PurlsEncodeEpochsAndScopes) {
  EXPECT_EQ(debian_purl({"libspdlog1.10", "1:1.10.0+ds-0.4", "amd64"}),
            "pkg:deb/debian/libspdlog1.10@1%3A1.10.0%2Bds-0.4?arch=amd64");
  EXPECT_EQ(npm_purl({"@preact/signals", "1.2.1", "", "", false}),
            "pkg:npm/%40preact/signals@1.2.1");
  EXPECT_EQ(npm_purl({"jssip", "3.10.1", "", "", false}), "pkg:npm/jssip@3.10.1");
}

TEST(Sbom, CycloneDxDocumentListsEmbeddedDebianAndFixtureNpmPackages) {
  const std::vector<DebianPackage> debian = build_debian_packages();
  ASSERT_FALSE(debian.empty()) << "the build recorded no Debian packages (is dpkg-query there?)";
  auto text =
      make_cyclonedx_sbom(SbomInput{"0.1.0", build_source_commit(), debian, fixture_packages()});
  ASSERT_TRUE(text) << text.error().message;
  const json bom = json::parse(*text);
  EXPECT_EQ(bom["bomFormat"], "CycloneDX");
  EXPECT_EQ(bom["specVersion"], "1.5");
  EXPECT_EQ(bom["metadata"]["component"]["name"], "parley");

  // Every embedded package, with the version dpkg reported at build time.
  for (const auto& package : debian) {
    const json* component = find_component(bom, package.name);
    ASSERT_NE(component, nullptr) << package.name;
    EXPECT_EQ((*component)["version"], package.version);
    EXPECT_EQ((*component)["purl"], debian_purl(package));
  }
  // OpenSSL, which trust/ itself links, is always there.
  EXPECT_NE(find_component(bom, "libssl3"), nullptr);

  const json* jssip = find_component(bom, "jssip");
  ASSERT_NE(jssip, nullptr);
  EXPECT_EQ((*jssip)["version"], "3.10.1");
  EXPECT_EQ((*jssip)["scope"], "required");
  EXPECT_EQ((*jssip)["hashes"][0]["alg"], "SHA-512");
  // The hex hash is the SRI base64 decoded: sha512("jssip@3.10.1") made the fixture.
  const std::string integrity = (*jssip)["properties"][0]["value"];
  auto raw = from_base64(integrity.substr(7));
  ASSERT_TRUE(raw);
  EXPECT_EQ((*jssip)["hashes"][0]["content"], to_hex(*raw));
  EXPECT_EQ((*jssip)["hashes"][0]["content"].get<std::string>().size(), 128u);

  const json* signals = find_component(bom, "signals");
  ASSERT_NE(signals, nullptr);
  EXPECT_EQ((*signals)["group"], "@preact");
  EXPECT_EQ((*find_component(bom, "vite"))["scope"], "excluded");
}

TEST(Sbom, OutputIsDeterministic) {
  const SbomInput input{"0.1.0", "abc", build_debian_packages(), fixture_packages()};
  auto first = make_cyclonedx_sbom(input);
  auto second = make_cyclonedx_sbom(input);
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_EQ(*first, *second);
}

}  // namespace
}  // namespace parley::trust
