#include "media/srtp_session.hpp"

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <mutex>
#include <string>

namespace parley::media {

namespace {

constexpr std::size_t kRtpFixedHeaderBytes = 12;
constexpr std::size_t kRtcpHeaderBytes = 8;
constexpr std::size_t kSrtcpIndexBytes = 4;
constexpr std::size_t kMaxKeyAndSaltBytes = 16 + 14;
constexpr unsigned long kMinReplayWindow = 64;
constexpr unsigned long kMaxReplayWindow = 0x7FFF;

// libsrtp keeps process-wide tables (its crypto kernel); srtp_init() fills them once and runs
// the self tests of every cipher and hash it loads.
srtp_err_status_t init_libsrtp_once() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_ok;
  std::call_once(once, [] { status = srtp_init(); });
  return status;
}

srtp_profile_t libsrtp_profile(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAeadAes128Gcm:
      return srtp_profile_aead_aes_128_gcm;
    case SrtpProfile::kAes128CmHmacSha1_32:
      return srtp_profile_aes128_cm_sha1_32;
    case SrtpProfile::kAes128CmHmacSha1_80:
      break;
  }
  return srtp_profile_aes128_cm_sha1_80;
}

bool known_profile(SrtpProfile profile) {
  return profile == SrtpProfile::kAes128CmHmacSha1_80 ||
         profile == SrtpProfile::kAes128CmHmacSha1_32 || profile == SrtpProfile::kAeadAes128Gcm;
}

// RFC 3550 §5.1: the fixed header, CSRCs and the header extension must lie inside `available`.
bool rtp_header_fits(std::span<const std::uint8_t> packet, std::size_t available) {
  if (available < kRtpFixedHeaderBytes || (packet[0] >> 6) != 2) return false;
  std::size_t header = kRtpFixedHeaderBytes + 4U * (packet[0] & 0x0FU);
  if ((packet[0] & 0x10U) != 0) {
    if (available < header + 4) return false;
    const std::size_t words = (std::size_t{packet[header + 2]} << 8) | packet[header + 3];
    header += 4 + 4 * words;
  }
  return header <= available;
}

bool rtcp_header_fits(std::span<const std::uint8_t> packet, std::size_t available) {
  return available >= kRtcpHeaderBytes && (packet[0] >> 6) == 2;
}

SrtpStatus status_of(srtp_err_status_t error) {
  switch (error) {
    case srtp_err_status_ok:
      return SrtpStatus::kOk;
    case srtp_err_status_auth_fail:
      return SrtpStatus::kAuthFailed;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
    case srtp_err_status_pkt_idx_old:
      return SrtpStatus::kReplayed;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
      return SrtpStatus::kMalformed;
    default:
      return SrtpStatus::kFailed;
  }
}

}  // namespace

struct SrtpSession::Impl {
  srtp_t context = nullptr;
  std::size_t rtp_trailer = 0;
  std::size_t rtcp_trailer = 0;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (context != nullptr) srtp_dealloc(context);
  }
};

std::string_view to_string(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAes128CmHmacSha1_80:
      return "SRTP_AES128_CM_SHA1_80";
    case SrtpProfile::kAes128CmHmacSha1_32:
      return "SRTP_AES128_CM_SHA1_32";
    case SrtpProfile::kAeadAes128Gcm:
      return "SRTP_AEAD_AES_128_GCM";
  }
  return "unknown";
}

std::size_t master_key_bytes(SrtpProfile) {
  return 16;
}

std::size_t master_salt_bytes(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? 12 : 14;
}

std::size_t rtp_trailer_bytes(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAeadAes128Gcm:
      return 16;
    case SrtpProfile::kAes128CmHmacSha1_32:
      return 4;
    case SrtpProfile::kAes128CmHmacSha1_80:
      break;
  }
  return 10;
}

// SRTCP keeps the 80-bit tag under SHA1_32 (RFC 4568 §6.2.2; libsrtp does the same).
std::size_t rtcp_trailer_bytes(SrtpProfile profile) {
  return kSrtcpIndexBytes + (profile == SrtpProfile::kAeadAes128Gcm ? 16 : 10);
}

std::string_view to_string(SrtpStatus status) {
  switch (status) {
    case SrtpStatus::kOk:
      return "ok";
    case SrtpStatus::kAuthFailed:
      return "authentication failed";
    case SrtpStatus::kReplayed:
      return "replayed or too old";
    case SrtpStatus::kMalformed:
      return "malformed packet";
    case SrtpStatus::kNoRoom:
      return "no room for the SRTP trailer";
    case SrtpStatus::kWrongDirection:
      return "wrong direction for this session";
    case SrtpStatus::kFailed:
      return "SRTP failure";
  }
  return "unknown";
}

Result<SrtpSession> SrtpSession::create(SrtpDirection direction, SrtpProfile profile,
                                        std::span<const std::uint8_t> master_key,
                                        std::span<const std::uint8_t> master_salt,
                                        const SrtpSessionOptions& options) {
  if (!known_profile(profile)) return make_error(0, "unsupported SRTP protection profile");
  if (master_key.size() != master_key_bytes(profile) ||
      master_salt.size() != master_salt_bytes(profile)) {
    return make_error(
        0, "SRTP master key or salt has the wrong length for " + std::string(to_string(profile)));
  }
  if (options.replay_window < kMinReplayWindow || options.replay_window > kMaxReplayWindow) {
    return make_error(0, "SRTP replay window must be 64..32767 packets");
  }
  if (const auto status = init_libsrtp_once(); status != srtp_err_status_ok) {
    return make_error(0, "libsrtp initialisation (self test) failed: " +
                             std::to_string(static_cast<int>(status)));
  }

  // libsrtp wants key and salt back to back; it derives the session keys inside srtp_create()
  // and keeps no pointer to this buffer.
  std::array<unsigned char, kMaxKeyAndSaltBytes> key_and_salt{};
  std::copy(master_key.begin(), master_key.end(), key_and_salt.begin());
  std::copy(master_salt.begin(), master_salt.end(), key_and_salt.begin() + master_key.size());

  srtp_policy_t policy{};
  srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, libsrtp_profile(profile));
  srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, libsrtp_profile(profile));
  policy.ssrc.type = direction == SrtpDirection::kInbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = key_and_salt.data();
  policy.window_size = options.replay_window;
  policy.allow_repeat_tx = options.allow_repeat_tx ? 1 : 0;
  policy.next = nullptr;

  auto impl = std::make_unique<Impl>();
  const auto status = srtp_create(&impl->context, &policy);
  OPENSSL_cleanse(key_and_salt.data(), key_and_salt.size());
  if (status != srtp_err_status_ok) {
    impl->context = nullptr;
    return make_error(0, "srtp_create failed: " + std::to_string(static_cast<int>(status)));
  }
  impl->rtp_trailer = rtp_trailer_bytes(profile);
  impl->rtcp_trailer = rtcp_trailer_bytes(profile);
  return SrtpSession(std::move(impl), direction, profile);
}

SrtpSession::SrtpSession(std::unique_ptr<Impl> impl, SrtpDirection direction, SrtpProfile profile)
    : impl_(std::move(impl)), direction_(direction), profile_(profile) {}

SrtpSession::SrtpSession(SrtpSession&&) noexcept = default;
SrtpSession& SrtpSession::operator=(SrtpSession&&) noexcept = default;
SrtpSession::~SrtpSession() = default;

SrtpResult SrtpSession::count(SrtpResult result) {
  switch (result.status) {
    case SrtpStatus::kOk:
      ++counters_.packets;
      break;
    case SrtpStatus::kAuthFailed:
      ++counters_.auth_failures;
      break;
    case SrtpStatus::kReplayed:
      ++counters_.replays;
      break;
    case SrtpStatus::kMalformed:
      ++counters_.malformed;
      break;
    default:
      ++counters_.other_failures;
      break;
  }
  return result;
}

SrtpResult SrtpSession::protect_rtp(std::span<std::uint8_t> buffer, std::size_t size) {
  if (!impl_ || direction_ != SrtpDirection::kOutbound) {
    return count({SrtpStatus::kWrongDirection, 0});
  }
  if (size > buffer.size() || !rtp_header_fits(buffer, size)) {
    return count({SrtpStatus::kMalformed, 0});
  }
  if (buffer.size() - size < impl_->rtp_trailer || size + impl_->rtp_trailer > INT_MAX) {
    return count({SrtpStatus::kNoRoom, 0});
  }
  int length = static_cast<int>(size);
  const auto status = status_of(srtp_protect(impl_->context, buffer.data(), &length));
  return count({status, status == SrtpStatus::kOk ? static_cast<std::size_t>(length) : 0});
}

SrtpResult SrtpSession::protect_rtcp(std::span<std::uint8_t> buffer, std::size_t size) {
  if (!impl_ || direction_ != SrtpDirection::kOutbound) {
    return count({SrtpStatus::kWrongDirection, 0});
  }
  if (size > buffer.size() || !rtcp_header_fits(buffer, size)) {
    return count({SrtpStatus::kMalformed, 0});
  }
  if (buffer.size() - size < impl_->rtcp_trailer || size + impl_->rtcp_trailer > INT_MAX) {
    return count({SrtpStatus::kNoRoom, 0});
  }
  int length = static_cast<int>(size);
  const auto status = status_of(srtp_protect_rtcp(impl_->context, buffer.data(), &length));
  return count({status, status == SrtpStatus::kOk ? static_cast<std::size_t>(length) : 0});
}

SrtpResult SrtpSession::unprotect_rtp(std::span<std::uint8_t> packet) {
  if (!impl_ || direction_ != SrtpDirection::kInbound) {
    return count({SrtpStatus::kWrongDirection, 0});
  }
  if (packet.size() < impl_->rtp_trailer || packet.size() > INT_MAX ||
      !rtp_header_fits(packet, packet.size() - impl_->rtp_trailer)) {
    return count({SrtpStatus::kMalformed, 0});
  }
  int length = static_cast<int>(packet.size());
  const auto status = status_of(srtp_unprotect(impl_->context, packet.data(), &length));
  return count({status, status == SrtpStatus::kOk ? static_cast<std::size_t>(length) : 0});
}

SrtpResult SrtpSession::unprotect_rtcp(std::span<std::uint8_t> packet) {
  if (!impl_ || direction_ != SrtpDirection::kInbound) {
    return count({SrtpStatus::kWrongDirection, 0});
  }
  if (packet.size() < impl_->rtcp_trailer || packet.size() > INT_MAX ||
      !rtcp_header_fits(packet, packet.size() - impl_->rtcp_trailer)) {
    return count({SrtpStatus::kMalformed, 0});
  }
  int length = static_cast<int>(packet.size());
  const auto status = status_of(srtp_unprotect_rtcp(impl_->context, packet.data(), &length));
  return count({status, status == SrtpStatus::kOk ? static_cast<std::size_t>(length) : 0});
}

}  // namespace parley::media
