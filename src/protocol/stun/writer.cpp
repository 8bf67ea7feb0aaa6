#include "protocol/stun/writer.hpp"

#include <algorithm>
#include <cstring>

#include "protocol/stun/integrity.hpp"
#include "protocol/stun/wire.hpp"

namespace parley::protocol::stun {

MessageWriter::MessageWriter(std::span<std::uint8_t> out, MessageClass message_class,
                             std::uint16_t method, const TransactionId& transaction_id,
                             WriterOptions options)
    : out_(out), options_(options), transaction_id_(transaction_id) {
  if (out_.size() < kHeaderBytes) {
    fail("buffer smaller than a STUN header");
    return;
  }
  wire::write16(out_, 0, message_type(message_class, method));
  wire::write16(out_, 2, 0);
  wire::write32(out_, 4, kMagicCookie);
  std::copy(transaction_id.bytes.begin(), transaction_id.bytes.end(), out_.begin() + 8);
  size_ = kHeaderBytes;
}

void MessageWriter::fail(const char* why) {
  if (error_ == nullptr) error_ = why;
}

std::span<std::uint8_t> MessageWriter::begin_attribute(std::uint16_t type,
                                                       std::size_t value_bytes) {
  if (!ok()) return {};
  if (fingerprint_written_) {
    fail("attribute after FINGERPRINT");
    return {};
  }
  if (integrity_written_ && type != attribute::kFingerprint) {
    fail("attribute other than FINGERPRINT after MESSAGE-INTEGRITY");
    return {};
  }
  if (attributes_ + 1 > kMaxAttributes) {
    fail("more than 64 attributes");
    return {};
  }
  const std::size_t total = kAttributeHeaderBytes + wire::padded(value_bytes);
  if (value_bytes > 0xFFFF || size_ + total > kMaxMessageBytes) {
    fail("message would exceed 2048 bytes");
    return {};
  }
  if (size_ + total > out_.size()) {
    fail("buffer too small");
    return {};
  }
  wire::write16(out_, size_, type);
  wire::write16(out_, size_ + 2, static_cast<std::uint16_t>(value_bytes));
  const std::size_t value_at = size_ + kAttributeHeaderBytes;
  std::fill(out_.begin() + static_cast<std::ptrdiff_t>(value_at + value_bytes),
            out_.begin() + static_cast<std::ptrdiff_t>(size_ + total), options_.padding_byte);
  size_ += total;
  ++attributes_;
  wire::write16(out_, 2, static_cast<std::uint16_t>(size_ - kHeaderBytes));
  return out_.subspan(value_at, value_bytes);
}

void MessageWriter::add_text(std::uint16_t type, std::string_view text, std::size_t limit) {
  if (text.size() > limit) {
    fail("text attribute too long");
    return;
  }
  auto value = begin_attribute(type, text.size());
  if (!text.empty() && value.size() == text.size()) {
    std::memcpy(value.data(), text.data(), text.size());
  }
}

void MessageWriter::add_address(std::uint16_t type, const TransportAddress& address, bool xored) {
  const std::size_t address_bytes = address.address_bytes();
  auto value = begin_attribute(type, 4 + address_bytes);
  if (value.empty()) return;
  std::array<std::uint8_t, 16> mask{};
  std::uint16_t port = address.port;
  if (xored) {
    port ^= static_cast<std::uint16_t>(kMagicCookie >> 16U);
    wire::write32(mask, 0, kMagicCookie);
    std::copy(transaction_id_.bytes.begin(), transaction_id_.bytes.end(), mask.begin() + 4);
  }
  value[0] = 0;
  value[1] = static_cast<std::uint8_t>(address.family);
  wire::write16(value, 2, port);
  for (std::size_t i = 0; i < address_bytes; ++i) {
    value[4 + i] = static_cast<std::uint8_t>(address.address[i] ^ mask[i]);
  }
}

void MessageWriter::add_mapped_address(const TransportAddress& address) {
  add_address(attribute::kMappedAddress, address, false);
}

void MessageWriter::add_xor_mapped_address(const TransportAddress& address) {
  add_address(attribute::kXorMappedAddress, address, true);
}

void MessageWriter::add_username(std::string_view username) {
  add_text(attribute::kUsername, username, kMaxUsernameBytes);
}

void MessageWriter::add_software(std::string_view software) {
  add_text(attribute::kSoftware, software, kMaxTextBytes);
}

void MessageWriter::add_realm(std::string_view realm) {
  add_text(attribute::kRealm, realm, kMaxTextBytes);
}

void MessageWriter::add_nonce(std::string_view nonce) {
  add_text(attribute::kNonce, nonce, kMaxTextBytes);
}

void MessageWriter::add_error_code(int code, std::string_view reason) {
  if (code < 300 || code > 699) {
    fail("ERROR-CODE outside 300..699");
    return;
  }
  if (reason.size() > kMaxTextBytes) {
    fail("reason phrase too long");
    return;
  }
  auto value = begin_attribute(attribute::kErrorCode, 4 + reason.size());
  if (value.empty()) return;
  value[0] = 0;
  value[1] = 0;
  value[2] = static_cast<std::uint8_t>(code / 100);
  value[3] = static_cast<std::uint8_t>(code % 100);
  if (!reason.empty()) std::memcpy(value.data() + 4, reason.data(), reason.size());
}

void MessageWriter::add_unknown_attributes(std::span<const std::uint16_t> types) {
  auto value = begin_attribute(attribute::kUnknownAttributes, 2 * types.size());
  if (!ok()) return;
  for (std::size_t i = 0; i < types.size(); ++i) wire::write16(value, 2 * i, types[i]);
}

void MessageWriter::add_priority(std::uint32_t priority) {
  auto value = begin_attribute(attribute::kPriority, 4);
  if (!value.empty()) wire::write32(value, 0, priority);
}

void MessageWriter::add_use_candidate() {
  (void)begin_attribute(attribute::kUseCandidate, 0);
}

void MessageWriter::add_ice_controlling(std::uint64_t tiebreaker) {
  auto value = begin_attribute(attribute::kIceControlling, 8);
  if (!value.empty()) wire::write64(value, 0, tiebreaker);
}

void MessageWriter::add_ice_controlled(std::uint64_t tiebreaker) {
  auto value = begin_attribute(attribute::kIceControlled, 8);
  if (!value.empty()) wire::write64(value, 0, tiebreaker);
}

void MessageWriter::add_raw(std::uint16_t type, std::span<const std::uint8_t> value_bytes) {
  if (type == attribute::kMessageIntegrity || type == attribute::kFingerprint) {
    fail("MESSAGE-INTEGRITY and FINGERPRINT are computed, not copied");
    return;
  }
  auto value = begin_attribute(type, value_bytes.size());
  if (!value_bytes.empty() && value.size() == value_bytes.size()) {
    std::memcpy(value.data(), value_bytes.data(), value_bytes.size());
  }
}

void MessageWriter::add_message_integrity(std::span<const std::uint8_t> key) {
  if (integrity_written_) {
    fail("second MESSAGE-INTEGRITY");
    return;
  }
  const std::size_t prefix = size_;
  auto value = begin_attribute(attribute::kMessageIntegrity, kMessageIntegrityBytes);
  if (value.empty()) return;
  integrity_written_ = true;
  // The length field now already counts MESSAGE-INTEGRITY itself, as RFC 8489 §14.5 requires.
  const auto length = static_cast<std::uint16_t>(size_ - kHeaderBytes);
  if (!compute_message_integrity(out_.first(prefix), length, key,
                                 value.first<kMessageIntegrityBytes>())) {
    fail("HMAC-SHA1 unavailable");
  }
}

void MessageWriter::add_fingerprint() {
  const std::size_t prefix = size_;
  auto value = begin_attribute(attribute::kFingerprint, kFingerprintBytes);
  if (value.empty()) return;
  fingerprint_written_ = true;
  const auto length = static_cast<std::uint16_t>(size_ - kHeaderBytes);
  wire::write32(value, 0, compute_fingerprint(out_.first(prefix), length));
}

Result<std::size_t> MessageWriter::finish() const {
  if (!ok()) return make_error(500, error_);
  return size_;
}

}  // namespace parley::protocol::stun
