// libFuzzer target: STUN parsing, serialising and the ICE-lite responder. Whatever parses must
// re-serialise (attribute by attribute, and again from the decoded fields) into a message that
// parses back with the same decoded fields and whose MESSAGE-INTEGRITY and FINGERPRINT verify;
// every answer the responder writes must itself be a valid, fingerprinted STUN message.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "fuzz_require.hpp"
#include "protocol/stun/demux.hpp"
#include "protocol/stun/ice_lite.hpp"
#include "protocol/stun/integrity.hpp"
#include "protocol/stun/message.hpp"
#include "protocol/stun/writer.hpp"

namespace stun = parley::protocol::stun;

namespace {

constexpr std::string_view kKey = "fuzzing-password-0123";

bool inside(std::span<const std::uint8_t> outer, const void* data, std::size_t size) {
  const auto* begin = static_cast<const std::uint8_t*>(data);
  return size == 0 || (begin >= outer.data() && begin + size <= outer.data() + outer.size());
}

bool same_fields(const stun::MessageView& a, const stun::MessageView& b) {
  return a.message_class == b.message_class && a.method == b.method &&
         a.transaction_id == b.transaction_id && a.mapped_address == b.mapped_address &&
         a.xor_mapped_address == b.xor_mapped_address && a.username == b.username &&
         a.software == b.software && a.realm == b.realm && a.nonce == b.nonce &&
         a.error_code.has_value() == b.error_code.has_value() &&
         (!a.error_code || (a.error_code->code == b.error_code->code &&
                            a.error_code->reason == b.error_code->reason)) &&
         a.priority == b.priority && a.use_candidate == b.use_candidate &&
         a.ice_controlling == b.ice_controlling && a.ice_controlled == b.ice_controlled;
}

// Copies every attribute before the first integrity attribute as raw bytes, then signs.
void check_raw_round_trip(const stun::MessageView& message) {
  std::array<std::uint8_t, stun::kMaxMessageBytes> buffer{};
  stun::MessageWriter writer(buffer, message.message_class, message.method, message.transaction_id);
  std::size_t copied = 0;
  std::size_t copied_bytes = stun::kHeaderBytes;
  stun::AttributeCursor cursor(message.bytes);
  while (auto attr = cursor.next()) {
    if (attr->type == stun::attribute::kMessageIntegrity ||
        attr->type == stun::attribute::kMessageIntegritySha256 ||
        attr->type == stun::attribute::kFingerprint) {
      break;
    }
    writer.add_raw(attr->type, attr->value);
    ++copied;
    copied_bytes += stun::kAttributeHeaderBytes + ((attr->value.size() + 3) & ~std::size_t{3});
  }
  writer.add_message_integrity(stun::short_term_key(kKey));
  writer.add_fingerprint();
  const bool fits =
      copied + 2 <= stun::kMaxAttributes && copied_bytes + 32 <= stun::kMaxMessageBytes;
  const auto size = writer.finish();
  fuzz::require(size.ok() == fits);
  if (!fits) return;

  const auto again = stun::parse_message(std::span<const std::uint8_t>(buffer.data(), *size));
  fuzz::require(again.ok());
  fuzz::require(same_fields(message, *again));
  fuzz::require(again->unknown_required_count == message.unknown_required_count);
  fuzz::require(stun::verify_message_integrity(*again, stun::short_term_key(kKey)));
  fuzz::require(stun::verify_fingerprint(*again));
}

// Writes the decoded fields back with the typed writer methods.
void check_typed_round_trip(const stun::MessageView& message) {
  std::array<std::uint8_t, 4 * stun::kMaxMessageBytes> buffer{};
  stun::MessageWriter writer(buffer, message.message_class, message.method, message.transaction_id);
  if (message.mapped_address) writer.add_mapped_address(*message.mapped_address);
  if (message.xor_mapped_address) writer.add_xor_mapped_address(*message.xor_mapped_address);
  if (message.username) writer.add_username(*message.username);
  if (message.software) writer.add_software(*message.software);
  if (message.realm) writer.add_realm(*message.realm);
  if (message.nonce) writer.add_nonce(*message.nonce);
  if (message.error_code)
    writer.add_error_code(message.error_code->code, message.error_code->reason);
  if (message.priority) writer.add_priority(*message.priority);
  if (message.use_candidate) writer.add_use_candidate();
  if (message.ice_controlling) writer.add_ice_controlling(*message.ice_controlling);
  if (message.ice_controlled) writer.add_ice_controlled(*message.ice_controlled);
  writer.add_fingerprint();
  // Each decoded field came from a distinct attribute no larger than it was, so the typed
  // message is never larger than the original plus FINGERPRINT.
  const auto size = writer.finish();
  if (!size.ok()) {
    fuzz::require(message.bytes.size() + 8 > stun::kMaxMessageBytes);
    return;
  }
  const auto again = stun::parse_message(std::span<const std::uint8_t>(buffer.data(), *size));
  fuzz::require(again.ok());
  fuzz::require(same_fields(message, *again));
  fuzz::require(again->unknown_required_count == 0);
  fuzz::require(stun::verify_fingerprint(*again));
}

void check_views(std::span<const std::uint8_t> input, const stun::MessageView& message) {
  fuzz::require(message.bytes.data() == input.data() && message.bytes.size() == input.size());
  for (const auto& text : {message.username, message.software, message.realm, message.nonce}) {
    if (text) fuzz::require(inside(input, text->data(), text->size()));
  }
  if (message.error_code) {
    fuzz::require(message.error_code->code >= 300 && message.error_code->code <= 699);
    fuzz::require(
        inside(input, message.error_code->reason.data(), message.error_code->reason.size()));
  }
  fuzz::require(
      inside(input, message.unknown_attributes.data(), message.unknown_attributes.size()));
  fuzz::require(message.unknown_required().size() <= stun::kMaxUnknownAttributes);
  if (message.fingerprint_at) fuzz::require(*message.fingerprint_at + 8 == input.size());
  (void)stun::verify_fingerprint(message);
  (void)stun::verify_message_integrity(message, stun::short_term_key(kKey));
}

void check_responder(std::span<const std::uint8_t> input) {
  const stun::IceLiteCredentials credentials{"fuzz", kKey, "peer"};
  const auto source = stun::TransportAddress::ipv4({192, 0, 2, 9}, 4242);
  std::array<std::uint8_t, stun::kIceResponseBufferBytes> response{};
  const auto result = stun::answer_binding_request(input, source, credentials, response);
  const bool sends = result.action == stun::IceAction::kSendSuccess ||
                     result.action == stun::IceAction::kSendError;
  fuzz::require(sends == (result.response_size > 0));
  if (!sends) return;
  const auto answer =
      stun::parse_message(std::span<const std::uint8_t>(response.data(), result.response_size));
  fuzz::require(answer.ok());
  fuzz::require(stun::verify_fingerprint(*answer));
  if (result.action == stun::IceAction::kSendSuccess) {
    fuzz::require(answer->xor_mapped_address == source);
    fuzz::require(stun::verify_message_integrity(*answer, stun::short_term_key(kKey)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  (void)stun::classify_packet(input);

  std::size_t walked = 0;
  stun::AttributeCursor cursor(input);
  while (cursor.next()) ++walked;
  fuzz::require(walked <= size / 4);

  const auto message = stun::parse_message(input);
  fuzz::require(message.ok() == false || stun::looks_like_stun(input));
  if (message.ok()) {
    // Methods 0x100..0xFFF are reserved so that STUN's first byte stays 0..3 (RFC 7983 §7);
    // the parser itself accepts them.
    fuzz::require(stun::classify_packet(input) == stun::PacketKind::kStun ||
                  message->method >= 0x100);
    check_views(input, *message);
    check_raw_round_trip(*message);
    check_typed_round_trip(*message);
  }
  check_responder(input);
  return 0;
}
