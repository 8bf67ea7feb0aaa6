#pragma once
// STUN messages (RFC 8489, wire-compatible with RFC 5389) read from datagram bytes. parse_message()
// validates the header and every attribute's framing and decodes the attributes ICE needs into a
// MessageView whose strings and spans point into the datagram: nothing is allocated on success.
// Integrity and fingerprint checks are separate (integrity.hpp) because they need a key and the
// raw bytes, and writing messages is MessageWriter's job (writer.hpp).
//
// Thread-safety: pure functions and value types.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/result.hpp"

namespace parley::protocol::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::size_t kHeaderBytes = 20;
inline constexpr std::size_t kAttributeHeaderBytes = 4;
inline constexpr std::size_t kTransactionIdBytes = 12;
inline constexpr std::size_t kMessageIntegrityBytes = 20;  // HMAC-SHA1 (RFC 8489 §14.5)
inline constexpr std::size_t kFingerprintBytes = 4;
inline constexpr std::uint32_t kFingerprintXor = 0x5354554E;  // RFC 8489 §14.7

// Limits that bound the work hostile input can cause. A Binding request is about 100 bytes; the
// message cap stays well above any path MTU a connectivity check travels over.
inline constexpr std::size_t kMaxMessageBytes = 2048;
inline constexpr std::size_t kMaxAttributes = 64;
// RFC 8839 allows a 256-character ufrag on each side, so an ICE USERNAME "a:b" reaches 513 bytes
// (RFC 5389's bound); RFC 8489's tighter 508 would refuse legal ICE peers.
inline constexpr std::size_t kMaxUsernameBytes = 513;
inline constexpr std::size_t kMaxTextBytes = 763;  // SOFTWARE, REALM, NONCE, reason phrases
inline constexpr std::size_t kMaxUnknownAttributes = 16;

inline constexpr std::uint16_t kMethodBinding = 0x001;

// Attribute types (IANA "STUN Attributes"). Types below 0x8000 are comprehension-required.
namespace attribute {
inline constexpr std::uint16_t kMappedAddress = 0x0001;
inline constexpr std::uint16_t kUsername = 0x0006;
inline constexpr std::uint16_t kMessageIntegrity = 0x0008;
inline constexpr std::uint16_t kErrorCode = 0x0009;
inline constexpr std::uint16_t kUnknownAttributes = 0x000A;
inline constexpr std::uint16_t kRealm = 0x0014;
inline constexpr std::uint16_t kNonce = 0x0015;
inline constexpr std::uint16_t kMessageIntegritySha256 = 0x001C;
inline constexpr std::uint16_t kXorMappedAddress = 0x0020;
inline constexpr std::uint16_t kPriority = 0x0024;
inline constexpr std::uint16_t kUseCandidate = 0x0025;
inline constexpr std::uint16_t kSoftware = 0x8022;
inline constexpr std::uint16_t kFingerprint = 0x8028;
inline constexpr std::uint16_t kIceControlled = 0x8029;
inline constexpr std::uint16_t kIceControlling = 0x802A;

constexpr bool comprehension_required(std::uint16_t type) {
  return type < 0x8000;
}
}  // namespace attribute

enum class MessageClass : std::uint8_t {
  kRequest = 0,
  kIndication = 1,
  kSuccessResponse = 2,
  kErrorResponse = 3,
};

struct TransactionId {
  std::array<std::uint8_t, kTransactionIdBytes> bytes{};
  bool operator==(const TransactionId&) const = default;
};

// An IPv4 or IPv6 address and port as STUN carries them. `address` holds 4 significant bytes for
// IPv4 and 16 for IPv6, in network order. Callers convert from their socket address type.
struct TransportAddress {
  enum class Family : std::uint8_t { kIpv4 = 1, kIpv6 = 2 };
  Family family = Family::kIpv4;
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = 0;

  static TransportAddress ipv4(const std::array<std::uint8_t, 4>& bytes, std::uint16_t port);
  static TransportAddress ipv6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port);
  std::size_t address_bytes() const { return family == Family::kIpv4 ? 4 : 16; }
  bool operator==(const TransportAddress&) const = default;
};

struct ErrorCodeView {
  int code = 0;  // 300..699
  std::string_view reason;
};

// One parsed message. Every view points into the datagram given to parse_message(), which must
// outlive it. Only the first occurrence of each attribute is decoded (RFC 8489 §14); attributes
// after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are skipped unread,
// as RFC 8489 §9 requires.
struct MessageView {
  std::span<const std::uint8_t> bytes;  // the whole message, header included
  MessageClass message_class = MessageClass::kRequest;
  std::uint16_t method = 0;
  TransactionId transaction_id;

  std::optional<TransportAddress> mapped_address;
  std::optional<TransportAddress> xor_mapped_address;  // already un-XORed
  std::optional<std::string_view> username;
  std::optional<std::string_view> software;
  std::optional<std::string_view> realm;
  std::optional<std::string_view> nonce;
  std::optional<ErrorCodeView> error_code;
  std::span<const std::uint8_t> unknown_attributes;  // raw UNKNOWN-ATTRIBUTES value (16-bit types)
  std::optional<std::uint32_t> priority;
  bool use_candidate = false;
  std::optional<std::uint64_t> ice_controlling;
  std::optional<std::uint64_t> ice_controlled;

  // Offsets of attribute headers within `bytes`, for integrity.hpp.
  std::optional<std::size_t> message_integrity_at;
  std::optional<std::size_t> message_integrity_sha256_at;
  std::optional<std::size_t> fingerprint_at;

  // Comprehension-required attribute types this parser does not understand, in order of
  // appearance, so that a server can answer a request with 420 and UNKNOWN-ATTRIBUTES. Only the
  // first kMaxUnknownAttributes are kept; `unknown_required_count` counts them all.
  std::array<std::uint16_t, kMaxUnknownAttributes> unknown_required_types{};
  std::size_t unknown_required_count = 0;

  std::span<const std::uint16_t> unknown_required() const {
    return {unknown_required_types.data(), unknown_required_count < kMaxUnknownAttributes
                                               ? unknown_required_count
                                               : kMaxUnknownAttributes};
  }
};

// Validates and decodes one STUN message that fills the whole datagram. Refused, with a reason in
// words: fewer than 20 bytes or more than kMaxMessageBytes; the top two bits set; a wrong magic
// cookie (RFC 3489 messages included); a length field that is not a multiple of 4 or does not
// match the datagram; an attribute overrunning the message; more than kMaxAttributes attributes;
// a known attribute with an impossible length or value (an address family other than 1/2,
// ERROR-CODE outside 300..699, over-long text); anything after FINGERPRINT.
// Unknown attributes are not errors here: see MessageView::unknown_required.
Result<MessageView> parse_message(std::span<const std::uint8_t> datagram);

// The cheap test RFC 8489 §6.3 and RFC 7983 suggest before parsing: top bits zero, magic cookie,
// length a multiple of 4 that matches the datagram.
bool looks_like_stun(std::span<const std::uint8_t> datagram);

// The 14-bit message type of RFC 8489 §5 from a class and a 12-bit method, and back.
std::uint16_t message_type(MessageClass message_class, std::uint16_t method);
MessageClass class_of(std::uint16_t message_type);
std::uint16_t method_of(std::uint16_t message_type);

// One attribute as it sits on the wire; `offset` is where its header starts in the message.
struct RawAttribute {
  std::uint16_t type = 0;
  std::span<const std::uint8_t> value;  // without padding
  std::size_t offset = 0;
};

// Walks the attributes of a message in order, including those parse_message() skips after
// MESSAGE-INTEGRITY. Safe on any bytes: it stops (returns nullopt) at the first attribute whose
// header or padded value would leave the buffer.
class AttributeCursor {
 public:
  explicit AttributeCursor(std::span<const std::uint8_t> message) : message_(message) {}
  std::optional<RawAttribute> next();

 private:
  std::span<const std::uint8_t> message_;
  std::size_t at_ = kHeaderBytes;
};

}  // namespace parley::protocol::stun
