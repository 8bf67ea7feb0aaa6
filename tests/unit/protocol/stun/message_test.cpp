#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "protocol/stun/integrity.hpp"
#include "protocol/stun/message.hpp"
#include "protocol/stun/rfc5769_vectors.hpp"
#include "protocol/stun/writer.hpp"

namespace parley::protocol::stun {
namespace {

using testing::from_hex;

TransactionId transaction_id_from_hex(std::string_view hex) {
  const auto bytes = from_hex(hex);
  TransactionId id;
  std::copy(bytes.begin(), bytes.end(), id.bytes.begin());
  return id;
}

std::vector<std::uint8_t> written(const MessageWriter& writer,
                                  const std::array<std::uint8_t, 512>& buffer) {
  const auto size = writer.finish();
  EXPECT_TRUE(size.ok()) << (size.ok() ? "" : size.error().message);
  if (!size.ok()) return {};
  return {buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*size)};
}

std::string parse_error(const std::vector<std::uint8_t>& bytes) {
  const auto parsed = parse_message(bytes);
  return parsed.ok() ? "" : parsed.error().message;
}

void set_length(std::vector<std::uint8_t>& bytes, std::size_t length) {
  bytes[2] = static_cast<std::uint8_t>(length >> 8U);
  bytes[3] = static_cast<std::uint8_t>(length);
}

// ---- RFC 5769 ---------------------------------------------------------------------------------

// The RFC 5769 sample responses, written again by MessageWriter: they must come out byte-exact.
std::vector<std::uint8_t> sample_response(const TransactionId& transaction_id,
                                          const TransportAddress& mapped) {
  std::array<std::uint8_t, 512> buffer{};
  MessageWriter writer(buffer, MessageClass::kSuccessResponse, kMethodBinding, transaction_id,
                       {.padding_byte = 0x20});
  writer.add_software("test vector");
  writer.add_xor_mapped_address(mapped);
  writer.add_message_integrity(short_term_key(testing::kPassword));
  writer.add_fingerprint();
  return written(writer, buffer);
}

TEST(StunRfc5769, SampleRequestParsesAndVerifies) {
  const auto bytes = from_hex(testing::kSampleRequest);
  ASSERT_EQ(bytes.size(), 108U);
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message.ok()) << message.error().message;
  EXPECT_EQ(message->message_class, MessageClass::kRequest);
  EXPECT_EQ(message->method, kMethodBinding);
  EXPECT_EQ(message->transaction_id, transaction_id_from_hex(testing::kTransactionIdHex));
  EXPECT_EQ(message->software, "STUN test client");
  EXPECT_EQ(message->priority, 0x6e0001ffU);
  EXPECT_EQ(message->ice_controlled, 0x932ff9b151263b36ULL);
  EXPECT_FALSE(message->ice_controlling.has_value());
  EXPECT_EQ(message->username, "evtj:h6vY");
  EXPECT_FALSE(message->use_candidate);
  EXPECT_EQ(message->unknown_required_count, 0U);
  EXPECT_TRUE(verify_message_integrity(*message, short_term_key(testing::kPassword)));
  EXPECT_FALSE(verify_message_integrity(*message, short_term_key("VOkJxbRl1RmTxUk/WvJxBT")));
  EXPECT_TRUE(verify_fingerprint(*message));
}

TEST(StunRfc5769, SampleRequestReserialisesByteForByte) {
  // The RFC pads USERNAME with spaces, and the padding is inside both hashes: with the same
  // padding byte every byte, MESSAGE-INTEGRITY and FINGERPRINT included, must come out equal.
  std::array<std::uint8_t, 512> buffer{};
  MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding,
                       transaction_id_from_hex(testing::kTransactionIdHex), {.padding_byte = 0x20});
  writer.add_software("STUN test client");
  writer.add_priority(0x6e0001ff);
  writer.add_ice_controlled(0x932ff9b151263b36ULL);
  writer.add_username("evtj:h6vY");
  writer.add_message_integrity(short_term_key(testing::kPassword));
  writer.add_fingerprint();
  EXPECT_EQ(written(writer, buffer), from_hex(testing::kSampleRequest));
}

TEST(StunRfc5769, SampleRequestWithZeroPaddingStillVerifies) {
  std::array<std::uint8_t, 512> buffer{};
  MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding,
                       transaction_id_from_hex(testing::kTransactionIdHex));
  writer.add_software("STUN test client");
  writer.add_priority(0x6e0001ff);
  writer.add_ice_controlled(0x932ff9b151263b36ULL);
  writer.add_username("evtj:h6vY");
  writer.add_message_integrity(short_term_key(testing::kPassword));
  writer.add_fingerprint();
  const auto bytes = written(writer, buffer);
  const auto vector = from_hex(testing::kSampleRequest);
  ASSERT_EQ(bytes.size(), vector.size());
  // Only the three padding bytes after USERNAME and the two hashes differ.
  std::size_t differing_outside_hashes = 0;
  for (std::size_t i = 0; i < 80; ++i) differing_outside_hashes += bytes[i] != vector[i];
  EXPECT_EQ(differing_outside_hashes, 3U);
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message.ok());
  EXPECT_TRUE(verify_message_integrity(*message, short_term_key(testing::kPassword)));
  EXPECT_TRUE(verify_fingerprint(*message));
}

TEST(StunRfc5769, SampleIpv4ResponseParsesVerifiesAndReserialises) {
  const auto bytes = from_hex(testing::kSampleIpv4Response);
  ASSERT_EQ(bytes.size(), 80U);
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message.ok()) << message.error().message;
  EXPECT_EQ(message->message_class, MessageClass::kSuccessResponse);
  EXPECT_EQ(message->method, kMethodBinding);
  EXPECT_EQ(message->software, "test vector");
  const auto expected = TransportAddress::ipv4({192, 0, 2, 1}, 32853);
  EXPECT_EQ(message->xor_mapped_address, expected);
  EXPECT_TRUE(verify_message_integrity(*message, short_term_key(testing::kPassword)));
  EXPECT_TRUE(verify_fingerprint(*message));

  EXPECT_EQ(sample_response(message->transaction_id, expected), bytes);
}

TEST(StunRfc5769, SampleIpv6ResponseParsesVerifiesAndReserialises) {
  const auto bytes = from_hex(testing::kSampleIpv6Response);
  ASSERT_EQ(bytes.size(), 92U);
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message.ok()) << message.error().message;
  const auto expected = TransportAddress::ipv6({0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                                                0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77},
                                               32853);
  EXPECT_EQ(message->xor_mapped_address, expected);
  EXPECT_TRUE(verify_message_integrity(*message, short_term_key(testing::kPassword)));
  EXPECT_TRUE(verify_fingerprint(*message));

  EXPECT_EQ(sample_response(message->transaction_id, expected), bytes);
}

TEST(StunRfc5769, LongTermRequestVerifiesAndReserialises) {
  const auto bytes = from_hex(testing::kSampleLongTermRequest);
  ASSERT_EQ(bytes.size(), 116U);
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message.ok()) << message.error().message;
  EXPECT_EQ(message->username, testing::kLongTermUsername);
  EXPECT_EQ(message->nonce, testing::kLongTermNonce);
  EXPECT_EQ(message->realm, testing::kLongTermRealm);
  EXPECT_FALSE(message->fingerprint_at.has_value());
  const auto key = long_term_key(testing::kLongTermUsername, testing::kLongTermRealm,
                                 testing::kLongTermPassword);
  ASSERT_TRUE(key.has_value());
  EXPECT_TRUE(verify_message_integrity(*message, *key));
  EXPECT_FALSE(verify_message_integrity(*message, short_term_key(testing::kLongTermPassword)));

  std::array<std::uint8_t, 512> buffer{};
  MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding, message->transaction_id);
  writer.add_username(testing::kLongTermUsername);
  writer.add_nonce(testing::kLongTermNonce);
  writer.add_realm(testing::kLongTermRealm);
  writer.add_message_integrity(*key);
  EXPECT_EQ(written(writer, buffer), bytes);
}

// ---- header and type encoding ------------------------------------------------------------------

TEST(StunMessageType, ClassAndMethodRoundTrip) {
  EXPECT_EQ(message_type(MessageClass::kRequest, kMethodBinding), 0x0001);
  EXPECT_EQ(message_type(MessageClass::kIndication, kMethodBinding), 0x0011);
  EXPECT_EQ(message_type(MessageClass::kSuccessResponse, kMethodBinding), 0x0101);
  EXPECT_EQ(message_type(MessageClass::kErrorResponse, kMethodBinding), 0x0111);
  for (const std::uint16_t method : {0x001, 0x003, 0x080, 0x0FFF, 0x0ABC}) {
    for (const auto cls : {MessageClass::kRequest, MessageClass::kIndication,
                           MessageClass::kSuccessResponse, MessageClass::kErrorResponse}) {
      const auto type = message_type(cls, method);
      EXPECT_EQ(type & 0xC000U, 0U);
      EXPECT_EQ(method_of(type), method);
      EXPECT_EQ(class_of(type), cls);
    }
  }
}

TEST(StunCrc32, MatchesTheStandardCheckValue) {
  const std::string_view check = "123456789";
  EXPECT_EQ(crc32(short_term_key(check)), 0xCBF43926U);
}

TEST(StunLooksLikeStun, AcceptsVectorsRefusesOthers) {
  EXPECT_TRUE(looks_like_stun(from_hex(testing::kSampleRequest)));
  EXPECT_FALSE(
      looks_like_stun(from_hex("80 00 00 00 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00")));
  EXPECT_FALSE(looks_like_stun({}));
}

// ---- malformed input --------------------------------------------------------------------------

TEST(StunMalformed, EveryTruncationIsRefused) {
  const auto full = from_hex(testing::kSampleRequest);
  for (std::size_t size = 0; size < full.size(); ++size) {
    const std::vector<std::uint8_t> cut(full.begin(),
                                        full.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_FALSE(parse_message(cut).ok()) << size;
  }
}

TEST(StunMalformed, TruncatedWithAdjustedLengthIsAnOverrun) {
  auto bytes = from_hex(testing::kSampleRequest);
  bytes.resize(32);  // the SOFTWARE value is cut after 8 of its 16 bytes
  set_length(bytes, 12);
  EXPECT_EQ(parse_error(bytes), "attribute overruns the message");
}

TEST(StunMalformed, BadMagicCookie) {
  auto bytes = from_hex(testing::kSampleRequest);
  bytes[4] = 0x21;
  bytes[7] = 0x43;
  EXPECT_EQ(parse_error(bytes), "no magic cookie (not STUN, or an RFC 3489 message)");
}

TEST(StunMalformed, TopBitsSet) {
  auto bytes = from_hex(testing::kSampleRequest);
  bytes[0] |= 0x80U;
  EXPECT_EQ(parse_error(bytes), "top two bits of the message type not zero");
}

TEST(StunMalformed, LengthNotMultipleOfFour) {
  auto bytes = from_hex(testing::kSampleRequest);
  bytes.pop_back();
  set_length(bytes, bytes.size() - kHeaderBytes);
  EXPECT_EQ(parse_error(bytes), "message length not a multiple of 4");
}

TEST(StunMalformed, LengthDisagreesWithDatagram) {
  auto bytes = from_hex(testing::kSampleRequest);
  bytes.insert(bytes.end(), {0, 0, 0, 0});  // trailing bytes not counted by the length field
  EXPECT_EQ(parse_error(bytes), "message length does not match the datagram size");
}

TEST(StunMalformed, AttributeOverrunningTheMessage) {
  auto bytes = from_hex(testing::kSampleRequest);
  bytes[62] = 0x00;  // USERNAME length 9 -> 0x40
  bytes[63] = 0x40;
  EXPECT_EQ(parse_error(bytes), "attribute overruns the message");
}

TEST(StunMalformed, FingerprintNotLast) {
  std::array<std::uint8_t, 512> buffer{};
  MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding, TransactionId{});
  writer.add_fingerprint();
  auto bytes = written(writer, buffer);
  bytes.insert(bytes.end(), {0x00, 0x25, 0x00, 0x00});  // USE-CANDIDATE after FINGERPRINT
  set_length(bytes, bytes.size() - kHeaderBytes);
  EXPECT_EQ(parse_error(bytes), "attribute after FINGERPRINT");
}

TEST(StunMalformed, KnownAttributesWithImpossibleValues) {
  const auto with_attribute = [](std::string_view attribute_hex) {
    auto bytes = from_hex("00 01 00 00 21 12 a4 42 00 01 02 03 04 05 06 07 08 09 0a 0b");
    const auto attribute = from_hex(attribute_hex);
    bytes.insert(bytes.end(), attribute.begin(), attribute.end());
    set_length(bytes, bytes.size() - kHeaderBytes);
    return bytes;
  };
  EXPECT_FALSE(
      parse_message(with_attribute("00 20 00 08 00 03 a1 47 e1 12 a6 43")).ok());  // family 3
  EXPECT_FALSE(parse_message(with_attribute("00 20 00 14 00 01 a1 47 e1 12 a6 43 00 00 00 00"
                                            "00 00 00 00 00 00 00 00"))
                   .ok());                                                      // v4, v6 length
  EXPECT_FALSE(parse_message(with_attribute("00 01 00 04 00 01 a1 47")).ok());  // short address
  EXPECT_FALSE(parse_message(with_attribute("00 24 00 02 00 01 00 00")).ok());  // PRIORITY
  EXPECT_FALSE(parse_message(with_attribute("00 25 00 04 00 00 00 00")).ok());  // USE-CANDIDATE
  EXPECT_FALSE(parse_message(with_attribute("80 29 00 04 00 00 00 00")).ok());  // ICE-CONTROLLED
  EXPECT_FALSE(parse_message(with_attribute("00 09 00 04 00 00 07 00")).ok());  // ERROR-CODE 700
  EXPECT_FALSE(parse_message(with_attribute("00 09 00 04 00 00 02 63")).ok());  // ERROR-CODE 299
  EXPECT_FALSE(parse_message(with_attribute("00 09 00 04 00 00 04 64")).ok());  // number 100
  EXPECT_FALSE(parse_message(with_attribute("00 08 00 10 00 00 00 00 00 00 00 00 00 00 00 00"
                                            "00 00 00 00"))
                   .ok());  // MESSAGE-INTEGRITY 16
  EXPECT_FALSE(parse_message(with_attribute("80 28 00 08 00 00 00 00 00 00 00 00")).ok());
  EXPECT_FALSE(parse_message(with_attribute("00 0a 00 03 00 01 02 00")).ok());  // odd list

  const auto error_bytes = with_attribute("00 09 00 08 00 00 04 01 61 62 63 64");
  const auto error = parse_message(error_bytes);
  ASSERT_TRUE(error.ok());
  ASSERT_TRUE(error->error_code.has_value());
  EXPECT_EQ(error->error_code->code, 401);
  EXPECT_EQ(error->error_code->reason, "abcd");
}

TEST(StunMalformed, TooLongOrTooManyAttributes) {
  std::vector<std::uint8_t> bytes =
      from_hex("00 01 00 00 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00");
  for (int i = 0; i < 65; ++i) bytes.insert(bytes.end(), {0x80, 0x77, 0x00, 0x00});
  set_length(bytes, bytes.size() - kHeaderBytes);
  EXPECT_EQ(parse_error(bytes), "more than 64 attributes");

  std::vector<std::uint8_t> big =
      from_hex("00 01 00 00 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00");
  big.insert(big.end(), {0x80, 0x77, 0x08, 0x00});
  big.resize(big.size() + 0x800);
  set_length(big, big.size() - kHeaderBytes);
  EXPECT_EQ(parse_error(big), "longer than 2048 bytes");
}

TEST(StunMalformed, WrongIntegrityAndWrongFingerprint) {
  const auto good = from_hex(testing::kSampleRequest);
  const auto key = short_term_key(testing::kPassword);

  auto flipped_hmac = good;
  flipped_hmac[80] ^= 0x01U;  // inside the HMAC value
  const auto hmac_message = parse_message(flipped_hmac);
  ASSERT_TRUE(hmac_message.ok());
  EXPECT_FALSE(verify_message_integrity(*hmac_message, key));
  EXPECT_FALSE(verify_fingerprint(*hmac_message));  // FINGERPRINT covers MESSAGE-INTEGRITY

  auto flipped_fingerprint = good;
  flipped_fingerprint.back() ^= 0x01U;
  const auto fingerprint_message = parse_message(flipped_fingerprint);
  ASSERT_TRUE(fingerprint_message.ok());
  EXPECT_FALSE(verify_fingerprint(*fingerprint_message));
  EXPECT_TRUE(verify_message_integrity(*fingerprint_message, key));  // it does not cover FP

  auto flipped_username = good;
  flipped_username[64] = 'E';  // "Evtj:h6vY"
  const auto username_message = parse_message(flipped_username);
  ASSERT_TRUE(username_message.ok());
  EXPECT_FALSE(verify_message_integrity(*username_message, key));

  auto flipped_length_bits = good;
  flipped_length_bits[1] = 0x11;  // an indication now: the type is covered too
  const auto type_message = parse_message(flipped_length_bits);
  ASSERT_TRUE(type_message.ok());
  EXPECT_FALSE(verify_message_integrity(*type_message, key));
}

TEST(StunMalformed, MissingIntegrityOrFingerprintNeverVerifies) {
  const auto bytes = from_hex("00 01 00 00 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00");
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message.ok());
  EXPECT_FALSE(verify_message_integrity(*message, short_term_key("")));
  EXPECT_FALSE(verify_fingerprint(*message));
}

// ---- attribute handling -----------------------------------------------------------------------

TEST(StunAttributes, UnknownComprehensionRequiredAreReported) {
  std::array<std::uint8_t, 512> buffer{};
  MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding, TransactionId{});
  const std::array<std::uint8_t, 3> value{1, 2, 3};
  writer.add_raw(0x7777, value);
  writer.add_raw(0x8777, value);  // comprehension-optional: silently skipped
  writer.add_raw(0x0003, {});     // CHANGE-REQUEST, unknown to an RFC 8489 agent
  writer.add_message_integrity(short_term_key("pw"));
  writer.add_fingerprint();
  const auto bytes = written(writer, buffer);
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message.ok()) << message.error().message;
  ASSERT_EQ(message->unknown_required().size(), 2U);
  EXPECT_EQ(message->unknown_required()[0], 0x7777);
  EXPECT_EQ(message->unknown_required()[1], 0x0003);
  EXPECT_TRUE(verify_message_integrity(*message, short_term_key("pw")));
  EXPECT_TRUE(verify_fingerprint(*message));
}

TEST(StunAttributes, AttributesAfterIntegrityAreIgnored) {
  std::array<std::uint8_t, 512> buffer{};
  MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding, TransactionId{});
  writer.add_username("a:b");
  writer.add_message_integrity(short_term_key("pw"));
  auto bytes = written(writer, buffer);
  // Append, after MESSAGE-INTEGRITY, a second USERNAME, PRIORITY and an unknown required type.
  const auto tail = from_hex("00 06 00 04 78 3a 79 7a  00 24 00 04 00 00 00 01  77 77 00 00");
  bytes.insert(bytes.end(), tail.begin(), tail.end());
  set_length(bytes, bytes.size() - kHeaderBytes);
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message.ok()) << message.error().message;
  EXPECT_EQ(message->username, "a:b");
  EXPECT_FALSE(message->priority.has_value());
  EXPECT_EQ(message->unknown_required_count, 0U);
  // The length field no longer ends at MESSAGE-INTEGRITY; verification adjusts it (RFC 8489
  // §14.5), so the integrity still holds.
  EXPECT_TRUE(verify_message_integrity(*message, short_term_key("pw")));
}

TEST(StunAttributes, FirstOccurrenceWins) {
  std::array<std::uint8_t, 512> buffer{};
  MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding, TransactionId{});
  writer.add_username("first:one");
  writer.add_username("second:one");
  writer.add_priority(1);
  writer.add_priority(2);
  const auto bytes = written(writer, buffer);
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->username, "first:one");
  EXPECT_EQ(message->priority, 1U);
}

TEST(StunAttributes, AddressesBothFamiliesPlainAndXored) {
  TransactionId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(i * 17);
  const auto v4 = TransportAddress::ipv4({10, 1, 2, 3}, 5004);
  const auto v6 = TransportAddress::ipv6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, 9);
  std::array<std::uint8_t, 512> buffer{};
  MessageWriter writer(buffer, MessageClass::kSuccessResponse, kMethodBinding, id);
  writer.add_mapped_address(v6);
  writer.add_xor_mapped_address(v4);
  const auto bytes = written(writer, buffer);
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->mapped_address, v6);
  EXPECT_EQ(message->xor_mapped_address, v4);
}

TEST(StunAttributeCursor, StopsOnGarbage) {
  const auto bytes = from_hex(
      "00 01 00 08 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00"
      "00 06 ff ff");
  AttributeCursor cursor(bytes);
  EXPECT_FALSE(cursor.next().has_value());
  EXPECT_FALSE(parse_message(bytes).ok());
}

// ---- writer refusals ----------------------------------------------------------------------------

TEST(StunWriter, RefusesWhatItCannotWrite) {
  std::array<std::uint8_t, 512> buffer{};
  {
    std::array<std::uint8_t, 30> small{};
    MessageWriter writer(small, MessageClass::kRequest, kMethodBinding, TransactionId{});
    writer.add_username("longer than ten bytes");
    EXPECT_FALSE(writer.finish().ok());
    EXPECT_EQ(writer.finish().error().message, "buffer too small");
  }
  {
    MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding, TransactionId{});
    writer.add_fingerprint();
    writer.add_priority(1);
    EXPECT_EQ(writer.finish().error().message, "attribute after FINGERPRINT");
  }
  {
    MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding, TransactionId{});
    writer.add_message_integrity(short_term_key("k"));
    writer.add_priority(1);
    EXPECT_EQ(writer.finish().error().message,
              "attribute other than FINGERPRINT after MESSAGE-INTEGRITY");
  }
  {
    MessageWriter writer(buffer, MessageClass::kErrorResponse, kMethodBinding, TransactionId{});
    writer.add_error_code(700, "nope");
    EXPECT_FALSE(writer.finish().ok());
  }
  {
    MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding, TransactionId{});
    writer.add_username(std::string(kMaxUsernameBytes + 1, 'u'));
    EXPECT_FALSE(writer.finish().ok());
  }
  {
    MessageWriter writer(buffer, MessageClass::kRequest, kMethodBinding, TransactionId{});
    writer.add_raw(attribute::kFingerprint, std::array<std::uint8_t, 4>{});
    EXPECT_FALSE(writer.finish().ok());
  }
  {
    std::array<std::uint8_t, 10> tiny{};
    MessageWriter writer(tiny, MessageClass::kRequest, kMethodBinding, TransactionId{});
    EXPECT_FALSE(writer.finish().ok());
  }
}

}  // namespace
}  // namespace parley::protocol::stun
