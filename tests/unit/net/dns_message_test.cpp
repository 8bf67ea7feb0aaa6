#include "net/dns_message.hpp"

#include <gtest/gtest.h>

#include "support/dns_test_server.hpp"

namespace parley::net {
namespace {

TEST(DnsMessage, QueryCarriesNameTypeAndEdns) {
  auto query = build_dns_query(0x1234, "Provider.Test.", DnsType::kNaptr);
  ASSERT_TRUE(query.ok());
  auto parsed = parse_dns_message(*query);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->id, 0x1234);
  EXPECT_FALSE(parsed->response);
  EXPECT_EQ(parsed->question_name, "provider.test");
  EXPECT_EQ(parsed->question_type, 35);
  // The EDNS0 OPT record is the one additional record: 12 header + 15 name + 4 + 11.
  EXPECT_EQ(query->size(), 12u + 15u + 4u + 11u);
  EXPECT_EQ((*query)[query->size() - 11 + 3], kDnsUdpPayload >> 8);
}

TEST(DnsMessage, RefusesNamesDnsCannotCarry) {
  EXPECT_FALSE(build_dns_query(1, "", DnsType::kA).ok());
  EXPECT_FALSE(build_dns_query(1, "a..b", DnsType::kA).ok());
  EXPECT_FALSE(build_dns_query(1, std::string(64, 'a') + ".test", DnsType::kA).ok());
  std::string long_name;
  for (int i = 0; i < 50; ++i) long_name += "abcde.";
  EXPECT_FALSE(build_dns_query(1, long_name, DnsType::kA).ok());
}

TEST(DnsMessage, ReadsEveryRecordTypeWeUse) {
  DnsMessageWriter writer(7, "provider.test", DnsType::kNaptr);
  writer.add_answer(test::dns_naptr("provider.test", 10, 20, "SIP+D2U", "_sip._udp.provider.test"));
  writer.add_answer(
      test::dns_srv("_sip._udp.provider.test", 1, 5, 5070, "sip1.provider.test", 300));
  writer.add_answer(test::dns_srv("_sip._udp.provider.test", 1, 5, 5070, ""));
  writer.add_additional(test::dns_a("sip1.provider.test", "192.0.2.7", 30));
  writer.add_additional(test::dns_a("sip1.provider.test", "2001:db8::7", 30));
  auto parsed = parse_dns_message(writer.bytes());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(parsed->response);
  EXPECT_EQ(parsed->rcode, DnsRcode::kNoError);
  ASSERT_EQ(parsed->answers.size(), 3u);
  EXPECT_EQ(parsed->answers[0].type, DnsType::kNaptr);
  EXPECT_EQ(parsed->answers[0].naptr.order, 10);
  EXPECT_EQ(parsed->answers[0].naptr.preference, 20);
  EXPECT_EQ(parsed->answers[0].naptr.flags, "s");
  EXPECT_EQ(parsed->answers[0].naptr.service, "SIP+D2U");
  EXPECT_EQ(parsed->answers[0].naptr.replacement, "_sip._udp.provider.test");
  EXPECT_EQ(parsed->answers[1].srv, (DnsSrvData{1, 5, 5070, "sip1.provider.test"}));
  EXPECT_EQ(parsed->answers[1].ttl, 300u);
  EXPECT_EQ(parsed->answers[2].srv.target, "");  // "." : not offered
  ASSERT_EQ(parsed->additional.size(), 2u);
  EXPECT_EQ(parsed->additional[0].address, "192.0.2.7");
  EXPECT_EQ(parsed->additional[1].type, DnsType::kAaaa);
  EXPECT_EQ(parsed->additional[1].address, "2001:db8::7");
}

TEST(DnsMessage, FollowsCompressionPointersBackwardsOnly) {
  // Header, question "a.test" A, one answer whose name is a pointer to offset 12.
  std::vector<std::uint8_t> bytes = {0, 1,   0x81, 0x80, 0,   1,  0, 1, 0,  0, 0,    0,  1, 'a',
                                     4, 't', 'e',  's',  't', 0,  0, 1, 0,  1, 0xC0, 12, 0, 1,
                                     0, 1,   0,    0,    0,   60, 0, 4, 10, 0, 0,    1};
  auto parsed = parse_dns_message(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->answers.size(), 1u);
  EXPECT_EQ(parsed->answers[0].name, "a.test");
  EXPECT_EQ(parsed->answers[0].address, "10.0.0.1");

  auto loop = bytes;
  loop[24] = 0xC0;
  loop[25] = 24;  // points at itself
  EXPECT_FALSE(parse_dns_message(loop).ok());
  auto forward = bytes;
  forward[12] = 0xC0;
  forward[13] = 30;  // the question's name points forwards
  EXPECT_FALSE(parse_dns_message(forward).ok());
}

TEST(DnsMessage, RefusesCutAndInconsistentMessages) {
  DnsMessageWriter writer(9, "x.test", DnsType::kSrv);
  writer.add_answer(test::dns_srv("x.test", 1, 1, 5060, "y.test"));
  const auto whole = writer.bytes();
  ASSERT_TRUE(parse_dns_message(whole).ok());
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_FALSE(parse_dns_message(std::span(whole).first(cut)).ok()) << cut;
  }
  auto wrong_length = whole;
  wrong_length[wrong_length.size() - 15] -= 1;  // SRV rdlength one less than its data
  EXPECT_FALSE(parse_dns_message(wrong_length).ok());
}

TEST(DnsMessage, KeepsABoundedNumberOfRecords) {
  DnsMessageWriter writer(3, "big.test", DnsType::kA);
  for (int i = 0; i < 200; ++i)
    writer.add_answer(test::dns_a("big.test", "10.0.0." + std::to_string(i % 250)));
  auto parsed = parse_dns_message(writer.bytes());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->answers.size(), kDnsMaxRecords);
}

TEST(DnsMessage, NegativeTtlCountsAsZero) {
  DnsMessageWriter writer(3, "t.test", DnsType::kA);
  writer.add_answer(test::dns_a("t.test", "10.0.0.1", 0x80000001u));
  auto parsed = parse_dns_message(writer.bytes());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->answers[0].ttl, 0u);
}

}  // namespace
}  // namespace parley::net
