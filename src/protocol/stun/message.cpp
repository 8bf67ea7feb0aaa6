#include "protocol/stun/message.hpp"

#include "protocol/stun/wire.hpp"

namespace parley::protocol::stun {
namespace {

constexpr int kMalformed = 400;
constexpr std::size_t kIpv4AddressValueBytes = 8;
constexpr std::size_t kIpv6AddressValueBytes = 20;
constexpr std::size_t kMinSha256IntegrityBytes = 16;
constexpr std::size_t kMaxSha256IntegrityBytes = 32;

Error malformed(const char* why) {
  return make_error(kMalformed, why);
}

std::string_view as_text(std::span<const std::uint8_t> value) {
  return {reinterpret_cast<const char*>(value.data()), value.size()};  // NOLINT bytes as chars
}

// MAPPED-ADDRESS and XOR-MAPPED-ADDRESS share a layout (RFC 8489 §14.1, §14.2); the XOR form
// hides the address from middleboxes that rewrite addresses they find in payloads.
std::optional<TransportAddress> decode_address(std::span<const std::uint8_t> value, bool xored,
                                               const TransactionId& transaction_id) {
  if (value.size() < 4) return std::nullopt;
  TransportAddress result;
  const std::uint8_t family = value[1];
  if (family == 1 && value.size() == kIpv4AddressValueBytes) {
    result.family = TransportAddress::Family::kIpv4;
  } else if (family == 2 && value.size() == kIpv6AddressValueBytes) {
    result.family = TransportAddress::Family::kIpv6;
  } else {
    return std::nullopt;
  }
  result.port = wire::read16(value, 2);
  std::array<std::uint8_t, 16> mask{};
  if (xored) {
    result.port ^= static_cast<std::uint16_t>(kMagicCookie >> 16U);
    wire::write32(mask, 0, kMagicCookie);
    for (std::size_t i = 0; i < kTransactionIdBytes; ++i) mask[4 + i] = transaction_id.bytes[i];
  }
  for (std::size_t i = 0; i < result.address_bytes(); ++i) {
    result.address[i] = static_cast<std::uint8_t>(value[4 + i] ^ mask[i]);
  }
  return result;
}

std::optional<ErrorCodeView> decode_error_code(std::span<const std::uint8_t> value) {
  if (value.size() < 4 || value.size() > 4 + kMaxTextBytes) return std::nullopt;
  const int hundreds = value[2] & 0x07U;
  const int number = value[3];
  if (number > 99) return std::nullopt;
  const int code = hundreds * 100 + number;
  if (code < 300 || code > 699) return std::nullopt;
  return ErrorCodeView{code, as_text(value.subspan(4))};
}

template <typename T>
void keep_first(std::optional<T>& slot, const T& value) {
  if (!slot) slot = value;
}

// Decodes one attribute that precedes MESSAGE-INTEGRITY. Returns a reason when the attribute is
// malformed, nullptr otherwise.
const char* decode_attribute(MessageView& view, std::uint16_t type,
                             std::span<const std::uint8_t> value) {
  switch (type) {
    case attribute::kMappedAddress:
    case attribute::kXorMappedAddress: {
      const bool xored = type == attribute::kXorMappedAddress;
      const auto address = decode_address(value, xored, view.transaction_id);
      if (!address) return "address attribute with an unknown family or a wrong length";
      keep_first(xored ? view.xor_mapped_address : view.mapped_address, *address);
      return nullptr;
    }
    case attribute::kUsername:
      if (value.size() > kMaxUsernameBytes) return "USERNAME longer than 513 bytes";
      keep_first(view.username, as_text(value));
      return nullptr;
    case attribute::kSoftware:
    case attribute::kRealm:
    case attribute::kNonce: {
      if (value.size() > kMaxTextBytes) return "text attribute longer than 763 bytes";
      auto& slot = type == attribute::kSoftware ? view.software
                   : type == attribute::kRealm  ? view.realm
                                                : view.nonce;
      keep_first(slot, as_text(value));
      return nullptr;
    }
    case attribute::kErrorCode: {
      const auto error_code = decode_error_code(value);
      if (!error_code) return "ERROR-CODE outside 300..699 or of a wrong length";
      keep_first(view.error_code, *error_code);
      return nullptr;
    }
    case attribute::kUnknownAttributes:
      if (value.size() % 2 != 0) return "UNKNOWN-ATTRIBUTES of odd length";
      if (view.unknown_attributes.empty()) view.unknown_attributes = value;
      return nullptr;
    case attribute::kPriority:
      if (value.size() != 4) return "PRIORITY not 4 bytes";
      keep_first(view.priority, wire::read32(value, 0));
      return nullptr;
    case attribute::kUseCandidate:
      if (!value.empty()) return "USE-CANDIDATE with a value";
      view.use_candidate = true;
      return nullptr;
    case attribute::kIceControlled:
    case attribute::kIceControlling:
      if (value.size() != 8) return "ICE-CONTROLLED/ICE-CONTROLLING not 8 bytes";
      keep_first(type == attribute::kIceControlled ? view.ice_controlled : view.ice_controlling,
                 wire::read64(value, 0));
      return nullptr;
    default:
      if (attribute::comprehension_required(type)) {
        if (view.unknown_required_count < kMaxUnknownAttributes) {
          view.unknown_required_types[view.unknown_required_count] = type;
        }
        ++view.unknown_required_count;
      }
      return nullptr;
  }
}

bool valid_sha256_integrity_length(std::size_t length) {
  return length >= kMinSha256IntegrityBytes && length <= kMaxSha256IntegrityBytes &&
         length % 4 == 0;
}

}  // namespace

TransportAddress TransportAddress::ipv4(const std::array<std::uint8_t, 4>& bytes,
                                        std::uint16_t port) {
  TransportAddress result;
  result.family = Family::kIpv4;
  for (std::size_t i = 0; i < bytes.size(); ++i) result.address[i] = bytes[i];
  result.port = port;
  return result;
}

TransportAddress TransportAddress::ipv6(const std::array<std::uint8_t, 16>& bytes,
                                        std::uint16_t port) {
  TransportAddress result;
  result.family = Family::kIpv6;
  result.address = bytes;
  result.port = port;
  return result;
}

std::uint16_t message_type(MessageClass message_class, std::uint16_t method) {
  const auto m = static_cast<std::uint16_t>(method & 0x0FFFU);
  const auto c = static_cast<std::uint16_t>(message_class);
  return static_cast<std::uint16_t>((m & 0x000FU) | ((m & 0x0070U) << 1U) | ((m & 0x0F80U) << 2U) |
                                    ((c & 1U) << 4U) | ((c & 2U) << 7U));
}

MessageClass class_of(std::uint16_t type) {
  return static_cast<MessageClass>(((type >> 4U) & 1U) | ((type >> 7U) & 2U));
}

std::uint16_t method_of(std::uint16_t type) {
  return static_cast<std::uint16_t>((type & 0x000FU) | ((type & 0x00E0U) >> 1U) |
                                    ((type & 0x3E00U) >> 2U));
}

bool looks_like_stun(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kHeaderBytes || datagram.size() > kMaxMessageBytes) return false;
  if ((datagram[0] & 0xC0U) != 0) return false;
  const std::size_t length = wire::read16(datagram, 2);
  return length % 4 == 0 && kHeaderBytes + length == datagram.size() &&
         wire::read32(datagram, 4) == kMagicCookie;
}

Result<MessageView> parse_message(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kHeaderBytes) return malformed("shorter than the 20-byte STUN header");
  if (datagram.size() > kMaxMessageBytes) return malformed("longer than 2048 bytes");
  if ((datagram[0] & 0xC0U) != 0) return malformed("top two bits of the message type not zero");
  if (wire::read32(datagram, 4) != kMagicCookie) {
    return malformed("no magic cookie (not STUN, or an RFC 3489 message)");
  }
  const std::size_t length = wire::read16(datagram, 2);
  if (length % 4 != 0) return malformed("message length not a multiple of 4");
  if (kHeaderBytes + length != datagram.size()) {
    return malformed("message length does not match the datagram size");
  }

  MessageView view;
  view.bytes = datagram;
  const std::uint16_t type = wire::read16(datagram, 0);
  view.message_class = class_of(type);
  view.method = method_of(type);
  for (std::size_t i = 0; i < kTransactionIdBytes; ++i)
    view.transaction_id.bytes[i] = datagram[8 + i];

  bool after_integrity = false;
  std::size_t count = 0;
  AttributeCursor cursor(datagram);
  std::size_t expected_at = kHeaderBytes;
  while (auto attr = cursor.next()) {
    if (++count > kMaxAttributes) return malformed("more than 64 attributes");
    if (view.fingerprint_at) return malformed("attribute after FINGERPRINT");
    expected_at = attr->offset + kAttributeHeaderBytes + wire::padded(attr->value.size());

    if (attr->type == attribute::kFingerprint) {
      if (attr->value.size() != kFingerprintBytes) return malformed("FINGERPRINT not 4 bytes");
      view.fingerprint_at = attr->offset;
    } else if (attr->type == attribute::kMessageIntegrity && !after_integrity) {
      if (attr->value.size() != kMessageIntegrityBytes) {
        return malformed("MESSAGE-INTEGRITY not 20 bytes");
      }
      view.message_integrity_at = attr->offset;
      after_integrity = true;
    } else if (attr->type == attribute::kMessageIntegritySha256 &&
               !view.message_integrity_sha256_at) {
      if (!valid_sha256_integrity_length(attr->value.size())) {
        return malformed("MESSAGE-INTEGRITY-SHA256 of an invalid length");
      }
      view.message_integrity_sha256_at = attr->offset;
      after_integrity = true;
    } else if (!after_integrity) {
      if (const char* why = decode_attribute(view, attr->type, attr->value)) return malformed(why);
    }
    // Anything else after an integrity attribute is ignored (RFC 8489 §9).
  }
  if (expected_at != datagram.size()) return malformed("attribute overruns the message");
  return view;
}

std::optional<RawAttribute> AttributeCursor::next() {
  if (at_ + kAttributeHeaderBytes > message_.size()) return std::nullopt;
  const std::uint16_t type = wire::read16(message_, at_);
  const std::size_t length = wire::read16(message_, at_ + 2);
  const std::size_t value_at = at_ + kAttributeHeaderBytes;
  if (value_at + wire::padded(length) > message_.size()) return std::nullopt;
  RawAttribute result{type, message_.subspan(value_at, length), at_};
  at_ = value_at + wire::padded(length);
  return result;
}

}  // namespace parley::protocol::stun
