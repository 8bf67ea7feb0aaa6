#include "protocol/stun/ice_lite.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

#include "protocol/stun/integrity.hpp"
#include "protocol/stun/rfc5769_vectors.hpp"
#include "protocol/stun/writer.hpp"

namespace parley::protocol::stun {
namespace {

using testing::from_hex;

constexpr std::string_view kLocalUfrag = "Lu7f";
constexpr std::string_view kLocalPwd = "9ZpQ1x+7sKd/3mVt0aRbYc";
constexpr std::string_view kRemoteUfrag = "BrWs";

const IceLiteCredentials kCredentials{kLocalUfrag, kLocalPwd, kRemoteUfrag};

TransactionId some_transaction_id() {
  TransactionId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(0xA0 + i);
  return id;
}

// What a browser's full ICE agent sends for a nominating check, built with our own writer.
struct RequestSpec {
  std::string username = std::string(kLocalUfrag) + ":" + std::string(kRemoteUfrag);
  std::string_view pwd = kLocalPwd;
  bool use_candidate = true;
  bool integrity = true;
  bool fingerprint = true;
  std::uint16_t method = kMethodBinding;
  MessageClass message_class = MessageClass::kRequest;
  std::vector<std::uint16_t> unknown_types;
};

std::vector<std::uint8_t> build_request(const RequestSpec& spec) {
  std::array<std::uint8_t, 1024> buffer{};
  MessageWriter writer(buffer, spec.message_class, spec.method, some_transaction_id());
  if (!spec.username.empty()) writer.add_username(spec.username);
  writer.add_priority(0x6e7f1eff);
  writer.add_ice_controlling(0x1122334455667788ULL);
  if (spec.use_candidate) writer.add_use_candidate();
  for (const auto type : spec.unknown_types) writer.add_raw(type, std::array<std::uint8_t, 4>{});
  if (spec.integrity) writer.add_message_integrity(short_term_key(spec.pwd));
  if (spec.fingerprint) writer.add_fingerprint();
  const auto size = writer.finish();
  EXPECT_TRUE(size.ok());
  return {buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size.ok() ? *size : 0)};
}

const TransportAddress kSourceV4 = TransportAddress::ipv4({203, 0, 113, 7}, 61000);
const TransportAddress kSourceV6 =
    TransportAddress::ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42}, 50123);

struct Answer {
  IceBindingResult result;
  std::vector<std::uint8_t> bytes;
};

Answer answer(const std::vector<std::uint8_t>& request, const TransportAddress& source,
              const IceLiteCredentials& credentials = kCredentials) {
  std::array<std::uint8_t, kIceResponseBufferBytes> buffer{};
  Answer out;
  out.result = answer_binding_request(request, source, credentials, buffer);
  out.bytes.assign(buffer.begin(),
                   buffer.begin() + static_cast<std::ptrdiff_t>(out.result.response_size));
  return out;
}

void expect_error_response(const Answer& got, int code, bool signed_with_local_pwd) {
  ASSERT_EQ(got.result.action, IceAction::kSendError) << got.result.detail;
  EXPECT_EQ(got.result.error_code, code);
  const auto response = parse_message(got.bytes);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->message_class, MessageClass::kErrorResponse);
  EXPECT_EQ(response->transaction_id, some_transaction_id());
  ASSERT_TRUE(response->error_code.has_value());
  EXPECT_EQ(response->error_code->code, code);
  EXPECT_TRUE(verify_fingerprint(*response));
  EXPECT_EQ(response->message_integrity_at.has_value(), signed_with_local_pwd);
  if (signed_with_local_pwd) {
    EXPECT_TRUE(verify_message_integrity(*response, short_term_key(kLocalPwd)));
  }
}

TEST(IceLite, AnswersTheRfc5769SampleRequest) {
  // RFC 5769 §2.1 is a check sent to an agent whose ufrag is "evtj" by one whose ufrag is "h6vY",
  // signed with the receiver's password. The sender claims the controlled role; a lite agent
  // still answers (no 487) and reports the claim.
  const IceLiteCredentials credentials{"evtj", testing::kPassword, "h6vY"};
  const auto got = answer(from_hex(testing::kSampleRequest), kSourceV4, credentials);
  ASSERT_EQ(got.result.action, IceAction::kSendSuccess) << got.result.detail;
  EXPECT_FALSE(got.result.nominated);
  EXPECT_EQ(got.result.priority, 0x6e0001ffU);
  EXPECT_TRUE(got.result.peer_claims_controlled);

  const auto response = parse_message(got.bytes);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->message_class, MessageClass::kSuccessResponse);
  EXPECT_EQ(response->method, kMethodBinding);
  const auto expected_id = from_hex(testing::kTransactionIdHex);
  EXPECT_TRUE(
      std::equal(expected_id.begin(), expected_id.end(), response->transaction_id.bytes.begin()));
  EXPECT_EQ(response->xor_mapped_address, kSourceV4);
  EXPECT_TRUE(verify_message_integrity(*response, short_term_key(testing::kPassword)));
  EXPECT_TRUE(verify_fingerprint(*response));
}

TEST(IceLite, AnswersANominatingRequestFromIpv6) {
  const auto got = answer(build_request({}), kSourceV6);
  ASSERT_EQ(got.result.action, IceAction::kSendSuccess) << got.result.detail;
  EXPECT_TRUE(got.result.nominated);
  EXPECT_EQ(got.result.priority, 0x6e7f1effU);
  EXPECT_FALSE(got.result.peer_claims_controlled);
  const auto response = parse_message(got.bytes);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->transaction_id, some_transaction_id());
  EXPECT_EQ(response->xor_mapped_address, kSourceV6);
  EXPECT_TRUE(verify_message_integrity(*response, short_term_key(kLocalPwd)));
  EXPECT_FALSE(verify_message_integrity(*response, short_term_key("another password entirely")));
  EXPECT_TRUE(verify_fingerprint(*response));
  // The answer itself is fit to be classified back as STUN by the peer's demultiplexer.
  EXPECT_TRUE(looks_like_stun(got.bytes));
}

TEST(IceLite, PlainCheckIsNotANomination) {
  RequestSpec spec;
  spec.use_candidate = false;
  const auto got = answer(build_request(spec), kSourceV4);
  ASSERT_EQ(got.result.action, IceAction::kSendSuccess);
  EXPECT_FALSE(got.result.nominated);
}

TEST(IceLite, RequestWithoutFingerprintIsStillAnswered) {
  RequestSpec spec;
  spec.fingerprint = false;
  EXPECT_EQ(answer(build_request(spec), kSourceV4).result.action, IceAction::kSendSuccess);
}

TEST(IceLite, UnknownRemoteUfragChecksOnlyOurHalf) {
  const IceLiteCredentials early{kLocalUfrag, kLocalPwd, ""};
  EXPECT_EQ(answer(build_request({}), kSourceV4, early).result.action, IceAction::kSendSuccess);
}

TEST(IceLite, WrongPasswordIs401Unsigned) {
  RequestSpec spec;
  spec.pwd = "someone elses password!!";
  const auto got = answer(build_request(spec), kSourceV4);
  expect_error_response(got, 401, false);
  EXPECT_STREQ(got.result.detail, "MESSAGE-INTEGRITY mismatch");
  EXPECT_FALSE(got.result.nominated);
}

TEST(IceLite, WrongUsernameIs401) {
  for (const std::string username : {"xxxx:BrWs", "Lu7f:xxxx", "Lu7fBrWs", "Lu7f", ":BrWs"}) {
    RequestSpec spec;
    spec.username = username;
    const auto got = answer(build_request(spec), kSourceV4);
    expect_error_response(got, 401, false);
    EXPECT_STREQ(got.result.detail, "USERNAME is not for this session") << username;
  }
}

TEST(IceLite, MissingUsernameOrIntegrityIs400) {
  RequestSpec no_username;
  no_username.username.clear();
  expect_error_response(answer(build_request(no_username), kSourceV4), 400, false);
  RequestSpec no_integrity;
  no_integrity.integrity = false;
  expect_error_response(answer(build_request(no_integrity), kSourceV4), 400, false);
}

TEST(IceLite, UnknownComprehensionRequiredAttributeIs420Signed) {
  RequestSpec spec;
  spec.unknown_types = {0x7777, 0x0003};
  const auto got = answer(build_request(spec), kSourceV4);
  expect_error_response(got, 420, true);
  const auto response = parse_message(got.bytes);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->unknown_attributes.size(), 4U);
  EXPECT_EQ(std::vector<std::uint8_t>(response->unknown_attributes.begin(),
                                      response->unknown_attributes.end()),
            from_hex("77 77 00 03"));
}

TEST(IceLite, LargestAnswerFitsTheRecommendedBuffer) {
  RequestSpec spec;
  for (std::uint16_t type = 0x7000; type < 0x7000 + 40; ++type) spec.unknown_types.push_back(type);
  const auto got = answer(build_request(spec), kSourceV6);
  expect_error_response(got, 420, true);
  EXPECT_EQ(got.bytes.size(),
            116U);  // header, ERROR-CODE, 16 types, MESSAGE-INTEGRITY, FINGERPRINT
  EXPECT_LE(got.bytes.size(), kIceResponseBufferBytes);
  const auto response = parse_message(got.bytes);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->unknown_attributes.size(), 2 * kMaxUnknownAttributes);
}

TEST(IceLite, CorruptFingerprintIsDroppedSilently) {
  auto request = build_request({});
  request.back() ^= 0x01U;
  const auto got = answer(request, kSourceV4);
  EXPECT_EQ(got.result.action, IceAction::kDrop);
  EXPECT_EQ(got.result.response_size, 0U);
  EXPECT_STREQ(got.result.detail, "FINGERPRINT mismatch");
}

TEST(IceLite, IndicationsAndResponsesAreIgnored) {
  RequestSpec indication;
  indication.message_class = MessageClass::kIndication;
  EXPECT_EQ(answer(build_request(indication), kSourceV4).result.action, IceAction::kIgnore);
  const auto response = answer(from_hex(testing::kSampleIpv4Response), kSourceV4);
  EXPECT_EQ(response.result.action, IceAction::kIgnore);
  EXPECT_EQ(response.result.response_size, 0U);
}

TEST(IceLite, OtherMethodsAre400) {
  RequestSpec allocate;
  allocate.method = 0x003;
  const auto got = answer(build_request(allocate), kSourceV4);
  expect_error_response(got, 400, false);
  const auto response = parse_message(got.bytes);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->method, 0x003);
}

TEST(IceLite, GarbageAndNonStunAreDropped) {
  for (const auto& bytes : {from_hex(""), from_hex("80 00 00 01"), from_hex("16 fe fd 00 00"),
                            from_hex("00 01 00 00 21 12 a4 42 00 00")}) {
    const auto got = answer(bytes, kSourceV4);
    EXPECT_EQ(got.result.action, IceAction::kDrop);
    EXPECT_EQ(got.result.response_size, 0U);
  }
}

TEST(IceLite, TooSmallResponseBufferSendsNothing) {
  std::array<std::uint8_t, 40> small{};
  const auto result = answer_binding_request(build_request({}), kSourceV6, kCredentials, small);
  EXPECT_EQ(result.action, IceAction::kDrop);
  EXPECT_STREQ(result.detail, "response buffer too small");
}

// ---- credentials -------------------------------------------------------------------------------

TEST(IceCredentials, GeneratedOnesAreValidAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    const auto credentials = generate_ice_credentials();
    ASSERT_TRUE(credentials.ok());
    EXPECT_EQ(credentials->ufrag.size(), kGeneratedUfragChars);
    EXPECT_EQ(credentials->pwd.size(), kGeneratedPwdChars);
    EXPECT_TRUE(valid_ice_ufrag(credentials->ufrag));
    EXPECT_TRUE(valid_ice_pwd(credentials->pwd));
    seen.insert(credentials->ufrag + ":" + credentials->pwd);
  }
  EXPECT_EQ(seen.size(), 20U);
}

TEST(IceCredentials, RandomBytesMapOntoIceChars) {
  std::array<std::uint8_t, kGeneratedUfragChars + kGeneratedPwdChars> random{};
  for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<std::uint8_t>(i * 64 + i);
  const auto credentials = ice_credentials_from_random(random);
  EXPECT_EQ(credentials.ufrag, "ABCDEFGH");
  EXPECT_EQ(credentials.pwd, "IJKLMNOPQRSTUVWXYZabcdef");
  random.fill(0xFF);
  EXPECT_EQ(ice_credentials_from_random(random).ufrag, "////////");
  random.fill(62 + 128);
  EXPECT_EQ(ice_credentials_from_random(random).pwd, std::string(kGeneratedPwdChars, '+'));
}

TEST(IceCredentials, Rfc8839Grammar) {
  EXPECT_TRUE(valid_ice_ufrag("abcd"));
  EXPECT_FALSE(valid_ice_ufrag("abc"));
  EXPECT_FALSE(valid_ice_ufrag("ab:d"));
  EXPECT_FALSE(valid_ice_ufrag(std::string(257, 'a')));
  EXPECT_TRUE(valid_ice_pwd(testing::kPassword));
  EXPECT_FALSE(valid_ice_pwd("VOkJxbRl1RmTxUk/WvJxB"));  // 21 chars
  EXPECT_FALSE(valid_ice_pwd("VOkJxbRl1RmTxUk WvJxBtt"));
}

}  // namespace
}  // namespace parley::protocol::stun
