#include "protocol/stun/ice_lite.hpp"

#include <openssl/rand.h>

#include <array>

#include "protocol/stun/integrity.hpp"
#include "protocol/stun/writer.hpp"

namespace parley::protocol::stun {
namespace {

constexpr int kBadRequest = 400;
constexpr int kUnauthenticated = 401;
constexpr int kUnknownAttribute = 420;

constexpr std::string_view kIceChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(kIceChars.size() == 64);

std::string_view reason_phrase(int code) {
  switch (code) {
    case kBadRequest:
      return "Bad Request";
    case kUnauthenticated:
      return "Unauthenticated";
    case kUnknownAttribute:
      return "Unknown Attribute";
    default:
      return "Error";
  }
}

IceBindingResult drop(const char* why) {
  IceBindingResult result;
  result.action = IceAction::kDrop;
  result.detail = why;
  return result;
}

// USERNAME for a check sent to us is "<our ufrag>:<their ufrag>" (RFC 8445 §7.2.2).
bool username_is_ours(std::string_view username, const IceLiteCredentials& credentials) {
  const auto colon = username.find(':');
  if (colon == std::string_view::npos) return false;
  if (username.substr(0, colon) != credentials.local_ufrag) return false;
  return credentials.remote_ufrag.empty() || username.substr(colon + 1) == credentials.remote_ufrag;
}

IceBindingResult finish(MessageWriter& writer, IceBindingResult result) {
  writer.add_fingerprint();
  const auto size = writer.finish();
  if (!size) return drop("response buffer too small");
  result.response_size = *size;
  return result;
}

// An error response for a request we could not authenticate: no MESSAGE-INTEGRITY (RFC 8489
// §9.1.3), FINGERPRINT as ICE wants on every message.
IceBindingResult unauthenticated_error(const MessageView& request, int code, const char* why,
                                       std::span<std::uint8_t> response) {
  MessageWriter writer(response, MessageClass::kErrorResponse, request.method,
                       request.transaction_id);
  writer.add_error_code(code, reason_phrase(code));
  IceBindingResult result;
  result.action = IceAction::kSendError;
  result.error_code = code;
  result.detail = why;
  return finish(writer, result);
}

bool all_ice_chars(std::string_view text) {
  for (const char c : text) {
    if (kIceChars.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

IceBindingResult answer_binding_request(std::span<const std::uint8_t> datagram,
                                        const TransportAddress& source,
                                        const IceLiteCredentials& credentials,
                                        std::span<std::uint8_t> response) {
  const auto parsed = parse_message(datagram);
  if (!parsed) return drop("malformed STUN message");
  const MessageView& request = *parsed;
  if (request.fingerprint_at && !verify_fingerprint(request)) return drop("FINGERPRINT mismatch");
  if (request.message_class != MessageClass::kRequest) {
    IceBindingResult result;
    result.action = IceAction::kIgnore;
    result.detail = "not a request";
    return result;
  }
  if (request.method != kMethodBinding) {
    return unauthenticated_error(request, kBadRequest, "request for a method other than Binding",
                                 response);
  }
  if (!request.username || !request.message_integrity_at) {
    return unauthenticated_error(request, kBadRequest, "no USERNAME or MESSAGE-INTEGRITY",
                                 response);
  }
  if (!username_is_ours(*request.username, credentials)) {
    return unauthenticated_error(request, kUnauthenticated, "USERNAME is not for this session",
                                 response);
  }
  const auto key = short_term_key(credentials.local_pwd);
  if (!verify_message_integrity(request, key)) {
    return unauthenticated_error(request, kUnauthenticated, "MESSAGE-INTEGRITY mismatch", response);
  }

  IceBindingResult result;
  result.priority = request.priority;
  result.peer_claims_controlled = request.ice_controlled.has_value();
  if (request.unknown_required_count > 0) {
    MessageWriter writer(response, MessageClass::kErrorResponse, kMethodBinding,
                         request.transaction_id);
    writer.add_error_code(kUnknownAttribute, reason_phrase(kUnknownAttribute));
    writer.add_unknown_attributes(request.unknown_required());
    writer.add_message_integrity(key);
    result.action = IceAction::kSendError;
    result.error_code = kUnknownAttribute;
    result.detail = "unknown comprehension-required attribute";
    return finish(writer, result);
  }

  MessageWriter writer(response, MessageClass::kSuccessResponse, kMethodBinding,
                       request.transaction_id);
  writer.add_xor_mapped_address(source);
  writer.add_message_integrity(key);
  result.action = IceAction::kSendSuccess;
  result.nominated = request.use_candidate;
  return finish(writer, result);
}

IceCredentials ice_credentials_from_random(
    std::span<const std::uint8_t, kGeneratedUfragChars + kGeneratedPwdChars> random) {
  IceCredentials credentials;
  credentials.ufrag.reserve(kGeneratedUfragChars);
  credentials.pwd.reserve(kGeneratedPwdChars);
  for (std::size_t i = 0; i < random.size(); ++i) {
    const char c = kIceChars[random[i] & 0x3FU];
    (i < kGeneratedUfragChars ? credentials.ufrag : credentials.pwd).push_back(c);
  }
  return credentials;
}

Result<IceCredentials> generate_ice_credentials() {
  std::array<std::uint8_t, kGeneratedUfragChars + kGeneratedPwdChars> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return make_error(500, "RAND_bytes failed: no ICE credentials");
  }
  return ice_credentials_from_random(random);
}

bool valid_ice_ufrag(std::string_view ufrag) {
  return ufrag.size() >= 4 && ufrag.size() <= 256 && all_ice_chars(ufrag);
}

bool valid_ice_pwd(std::string_view pwd) {
  return pwd.size() >= 22 && pwd.size() <= 256 && all_ice_chars(pwd);
}

}  // namespace parley::protocol::stun
