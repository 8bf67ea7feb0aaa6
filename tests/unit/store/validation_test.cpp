// The input rules every Store backend shares (pure functions, no database).

#include "store/validation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace parley::store {
namespace {

using ::testing::HasSubstr;

TEST(NormalizeDomain, AcceptsHostNamesAndIpv4Literals) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"example.com", "example.com"},
      {"PBX.Example.COM", "pbx.example.com"},
      {"example.com.", "example.com"},
      {"localhost", "localhost"},
      {"a-b.c0.example", "a-b.c0.example"},
      {"1and1.com", "1and1.com"},
      {"192.0.2.1", "192.0.2.1"},
      {"0.0.0.0", "0.0.0.0"},
      {"255.255.255.255", "255.255.255.255"},
  };
  for (const auto& [input, expected] : cases) {
    auto domain = normalize_domain(input);
    ASSERT_TRUE(domain.ok()) << input << ": " << domain.error().message;
    EXPECT_EQ(*domain, expected);
  }
}

TEST(NormalizeDomain, RejectsEverythingElse) {
  const std::string_view cases[] = {
      ".",
      "-a.com",
      "a-.com",
      "a..b",
      "exa_mple.com",
      "a b.com",
      "1.2.3.999",
      "01.2.3.4",
      "1.2.3",
      "1.2.3.4.5",
      "a.123",
      "[::1]",
      "::1",
      "example.com:5060",
      "sip:example.com",
      "ex\xc3\xa4mple.com",
      "a.com..",
  };
  for (auto input : cases) {
    auto domain = normalize_domain(input);
    ASSERT_FALSE(domain.ok()) << input;
    EXPECT_TRUE(is_error(domain.error(), StoreError::kInvalidInput));
    EXPECT_THAT(domain.error().message, HasSubstr("must be a host name or an IPv4 address"));
  }
  EXPECT_FALSE(normalize_domain(std::string(64, 'a') + ".com").ok());  // label over 63
  EXPECT_TRUE(normalize_domain(std::string(63, 'a') + ".com").ok());
  std::string longest;
  while (longest.size() + 4 <= kMaxDomainLength) longest += "abc.";
  longest += std::string(kMaxDomainLength - longest.size(), 'z');
  EXPECT_TRUE(normalize_domain(longest).ok()) << longest.size();
  EXPECT_FALSE(normalize_domain(longest + "z").ok());
}

TEST(NormalizeDomain, ErrorQuotesShortlyAndEscapesControlBytes) {
  auto domain = normalize_domain("bad\r\nhost " + std::string(100, 'x'));
  ASSERT_FALSE(domain.ok());
  EXPECT_THAT(domain.error().message, HasSubstr("'bad\\x0d\\x0ahost xxx"));
  EXPECT_THAT(domain.error().message, HasSubstr("...'"));
  EXPECT_EQ(domain.error().message.find('\n'), std::string::npos);
}

TEST(CheckExtensionNumber, DigitsTwoToFifteen) {
  EXPECT_TRUE(check_extension_number("10").ok());
  EXPECT_TRUE(check_extension_number("123456789012345").ok());
  EXPECT_TRUE(check_extension_number("0042").ok());
  for (std::string_view bad : {"", "1", "1234567890123456", "10a", "+4930", "10 1", "１０"}) {
    auto result = check_extension_number(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_THAT(result.error().message, HasSubstr("extension number must be 2 to 15 digits"));
  }
}

TEST(CheckDisplayName, PrintableUtf8WithinLimit) {
  EXPECT_TRUE(check_display_name("").ok());
  EXPECT_TRUE(check_display_name("Zoë Müller-Łukasz 日本 \xf0\x9f\x93\x9e").ok());
  EXPECT_TRUE(check_display_name(std::string(kMaxDisplayNameLength, 'a')).ok());
  EXPECT_FALSE(check_display_name(std::string(kMaxDisplayNameLength + 1, 'a')).ok());
  EXPECT_THAT(check_display_name("a\tb").error().message, HasSubstr("control characters"));
  // Truncated sequence, overlong '/', surrogate, beyond U+10FFFF, stray continuation byte.
  for (std::string_view bad :
       {"\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "ok\xe6\x97"}) {
    auto result = check_display_name(bad);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, "display name is not valid UTF-8");
  }
}

TEST(NormalizeCredentials, LowerCasesAndChecksLengths) {
  auto both = normalize_credentials(Credentials{std::string(32, 'A'), std::string(64, 'f')});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->ha1_md5, std::string(32, 'a'));
  EXPECT_TRUE(normalize_credentials(Credentials{"", std::string(64, '0')}).ok());
  EXPECT_FALSE(normalize_credentials(Credentials{std::string(64, '0'), ""}).ok());
  EXPECT_FALSE(normalize_credentials(Credentials{"", std::string(32, '0')}).ok());
  EXPECT_FALSE(normalize_credentials(Credentials{}).ok());
}

Binding valid_binding() {
  Binding b;
  b.tenant_id = 1;
  b.extension = "1001";
  b.contact_uri = "sips:alice@[2001:db8::1]:5061;transport=tls";
  b.call_id = "843817637684230@998sdasdh09";
  b.cseq = 1;
  b.expires_at = 1;
  b.received = Endpoint{"tls", "2001:db8:0:0:0:0:0:1", 50000};
  b.local_socket = Endpoint{"Tls", "::", 5061};
  return b;
}

TEST(NormalizeBinding, CanonicalisesEndpoints) {
  auto binding = normalize_binding(valid_binding());
  ASSERT_TRUE(binding.ok()) << binding.error().message;
  EXPECT_EQ(binding->received.transport, "TLS");
  EXPECT_EQ(binding->received.ip, "2001:db8::1");
  EXPECT_EQ(binding->local_socket.transport, "TLS");
  EXPECT_EQ(binding->local_socket.ip, "::");
}

// IPv4 text is kept as given once accepted: what inet_pton takes is already canonical (a
// leading zero, which inet_ntop would drop, is refused below).
TEST(NormalizeBinding, KeepsAcceptedIpv4TextAsItIs) {
  Binding b = valid_binding();
  for (std::string_view ip : {"0.0.0.0", "10.0.0.1", "255.255.255.255", "192.0.2.100"}) {
    b.received = Endpoint{"udp", std::string(ip), 5060};
    auto binding = normalize_binding(b);
    ASSERT_TRUE(binding.ok()) << ip << ": " << binding.error().message;
    EXPECT_EQ(binding->received.ip, ip);
    EXPECT_EQ(binding->received.transport, "UDP");
  }
}

TEST(NormalizeBinding, ChecksSequenceLimitsAndAddresses) {
  Binding b = valid_binding();
  b.cseq = 0x80000000U;
  EXPECT_THAT(normalize_binding(b).error().message, HasSubstr("CSeq must be at most 2^31-1"));
  b = valid_binding();
  b.instance = "<urn:uuid:1>";
  b.reg_id = 0x80000000U;
  EXPECT_THAT(normalize_binding(b).error().message, HasSubstr("reg-id must be at most"));
  b = valid_binding();
  for (std::string_view bad :
       {"192.0.2.256", "192.0.2", "fe80::1%eth0", "", "0x7f.0.0.1", "1.2.3.4.5", "[::1]",
        "192.0.2.01", "192.0.02.1", " 192.0.2.1", "192.0.2.1 "}) {
    b.received.ip = std::string(bad);
    auto result = normalize_binding(b);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_THAT(result.error().message, HasSubstr("received address must be an IPv4 or IPv6"));
  }
  b = valid_binding();
  b.received.ip = std::string(10'000, '1');
  ASSERT_FALSE(normalize_binding(b).ok());
  b = valid_binding();
  b.path = "<sip:p1.example.com;lr>,<sip:p2.example.com;lr>";
  EXPECT_TRUE(normalize_binding(b).ok());
  b.path = "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>";
  EXPECT_THAT(normalize_binding(b).error().message, HasSubstr("path must not contain spaces"));
}

TEST(NormalizeBindingKey, NeedsAContactUriOnlyWithoutInstance) {
  EXPECT_TRUE(normalize_binding_key(BindingKey{1, "1001", "", "<urn:uuid:1>", 1}).ok());
  EXPECT_TRUE(normalize_binding_key(BindingKey{1, "1001", "sip:a@b", "", 0}).ok());
  EXPECT_FALSE(normalize_binding_key(BindingKey{1, "1001", "", "", 0}).ok());
  EXPECT_FALSE(normalize_binding_key(BindingKey{1, "1001", "sip:a@b", "", 3}).ok());
}

TEST(Disposition, TextRoundTrips) {
  for (auto d : {Disposition::kAnswered, Disposition::kBusy, Disposition::kNoAnswer,
                 Disposition::kCancelled, Disposition::kFailed}) {
    EXPECT_EQ(parse_disposition(to_text(d)), d);
  }
  for (auto s : {HangupSide::kCaller, HangupSide::kCallee, HangupSide::kSystem}) {
    EXPECT_EQ(parse_hangup_side(to_text(s)), s);
  }
  EXPECT_EQ(to_text(Disposition::kNoAnswer), "no_answer");
  EXPECT_FALSE(parse_disposition("ANSWERED").has_value());
  EXPECT_FALSE(parse_hangup_side("").has_value());
}

}  // namespace
}  // namespace parley::store
