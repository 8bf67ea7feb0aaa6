#pragma once
// Writes one STUN message into a caller's buffer, attribute by attribute, so a response can be
// built on the receive path without allocating. Errors are sticky: once an attribute does not fit
// (or breaks an ordering rule) every later call is a no-op and finish() reports the first error.
//
// Ordering enforced (RFC 8489 §14.5, §14.7): after MESSAGE-INTEGRITY only FINGERPRINT may follow;
// after FINGERPRINT nothing may. The header's length field is kept current after every attribute,
// which is what MESSAGE-INTEGRITY and FINGERPRINT hash.
//
// Thread-safety: one writer per thread; it only touches its own buffer.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/result.hpp"
#include "protocol/stun/message.hpp"

namespace parley::protocol::stun {

struct WriterOptions {
  // Value of the 0-3 bytes that pad an attribute to a multiple of 4. RFC 8489 says any value is
  // allowed and receivers ignore it; zero is the norm. RFC 5769's vectors pad with spaces (0x20),
  // which matters because the padding is covered by MESSAGE-INTEGRITY and FINGERPRINT.
  std::uint8_t padding_byte = 0;
};

class MessageWriter {
 public:
  // Writes the header at once; `out` should hold at least kHeaderBytes.
  MessageWriter(std::span<std::uint8_t> out, MessageClass message_class, std::uint16_t method,
                const TransactionId& transaction_id, WriterOptions options = {});

  void add_mapped_address(const TransportAddress& address);
  void add_xor_mapped_address(const TransportAddress& address);
  void add_username(std::string_view username);  // at most kMaxUsernameBytes
  void add_software(std::string_view software);  // at most kMaxTextBytes
  void add_realm(std::string_view realm);
  void add_nonce(std::string_view nonce);
  void add_error_code(int code, std::string_view reason);  // code 300..699
  void add_unknown_attributes(std::span<const std::uint16_t> types);
  void add_priority(std::uint32_t priority);
  void add_use_candidate();
  void add_ice_controlling(std::uint64_t tiebreaker);
  void add_ice_controlled(std::uint64_t tiebreaker);
  // Any other attribute, value as given. MESSAGE-INTEGRITY and FINGERPRINT are refused here: use
  // the methods below, which compute them.
  void add_raw(std::uint16_t type, std::span<const std::uint8_t> value);

  // HMAC-SHA1 with `key` (short_term_key() or long_term_key()) over everything written so far.
  void add_message_integrity(std::span<const std::uint8_t> key);
  void add_fingerprint();

  bool ok() const { return error_ == nullptr; }
  std::size_t size() const { return size_; }
  // The message's size in bytes, or the first error.
  Result<std::size_t> finish() const;

 private:
  // Reserves header + padded value, writes the header and the padding and grows the length
  // field. Returns the span for the value, empty (and sets error_) when refused.
  std::span<std::uint8_t> begin_attribute(std::uint16_t type, std::size_t value_bytes);
  void add_text(std::uint16_t type, std::string_view text, std::size_t limit);
  void add_address(std::uint16_t type, const TransportAddress& address, bool xored);
  void fail(const char* why);

  std::span<std::uint8_t> out_;
  WriterOptions options_;
  TransactionId transaction_id_;
  std::size_t size_ = 0;
  std::size_t attributes_ = 0;
  bool integrity_written_ = false;
  bool fingerprint_written_ = false;
  const char* error_ = nullptr;
};

}  // namespace parley::protocol::stun
