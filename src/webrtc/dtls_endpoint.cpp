#include "webrtc/dtls_endpoint.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

#include "webrtc/dtls_internal.hpp"

namespace parley::webrtc {

namespace {

constexpr std::size_t kRecordHeaderBytes = 13;  // RFC 6347 §4.1
constexpr std::size_t kMinMtu = 256;
constexpr std::size_t kMaxDatagramBytes = 65536;
constexpr char kSrtpExporterLabel[] = "EXTRACTOR-dtls_srtp";
// Two keys and two salts of the largest profile (RFC 5764 §4.2).
constexpr std::size_t kMaxKeyingBytes = 2 * (16 + 14);

std::size_t record_length(std::span<const std::uint8_t> bytes) {
  return kRecordHeaderBytes + ((std::size_t{bytes[11]} << 8) | bytes[12]);
}

// A datagram is worth handing to OpenSSL only if it is a sequence of whole DTLS 1.x records
// (RFC 6347 §4.1): content type 20..23, major version 0xFE, lengths inside the datagram.
bool whole_records(std::span<const std::uint8_t> datagram) {
  if (datagram.empty() || datagram.size() > kMaxDatagramBytes) return false;
  while (!datagram.empty()) {
    if (datagram.size() < kRecordHeaderBytes) return false;
    if (datagram[0] < 20 || datagram[0] > 23 || datagram[1] != 0xFE) return false;
    const std::size_t length = record_length(datagram);
    if (length > datagram.size()) return false;
    datagram = datagram.subspan(length);
  }
  return true;
}

const char* openssl_profile_name(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? "SRTP_AEAD_AES_128_GCM"
                                                : "SRTP_AES128_CM_SHA1_80";
}

std::optional<SrtpProfile> profile_from_id(unsigned long id) {
  if (id == static_cast<unsigned long>(SrtpProfile::kAes128CmHmacSha1_80)) {
    return SrtpProfile::kAes128CmHmacSha1_80;
  }
  if (id == static_cast<unsigned long>(SrtpProfile::kAeadAes128Gcm)) {
    return SrtpProfile::kAeadAes128Gcm;
  }
  return std::nullopt;
}

unsigned int to_microseconds(std::chrono::milliseconds ms) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(ms).count();
  return static_cast<unsigned int>(std::clamp<long long>(us, 1000, UINT_MAX));
}

}  // namespace

struct DtlsEndpoint::Impl {
  std::shared_ptr<const DtlsIdentity> identity;
  DtlsEndpointOptions options;
  CertificateDigest expected_digest{};
  UniqueSsl ssl;
  BIO* incoming = nullptr;  // owned by ssl
  BIO* outgoing = nullptr;  // owned by ssl

  DtlsState state = DtlsState::kNew;
  std::optional<Error> failure;
  bool fingerprint_rejected = false;
  unsigned retransmissions = 0;
  std::size_t handshake_datagrams = 0;
  std::optional<SrtpProfile> profile;
  std::array<std::uint8_t, kMaxKeyingBytes> keying{};
  DtlsCounters counters;
  std::vector<std::uint8_t> scratch;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { OPENSSL_cleanse(keying.data(), keying.size()); }

  void fail(DtlsFailure why, std::string message, std::vector<Datagram>& out) {
    if (state == DtlsState::kFailed || state == DtlsState::kClosed) return;
    state = DtlsState::kFailed;
    failure = make_error(static_cast<int>(why), std::move(message));
    // Whatever OpenSSL queued (a fatal alert) still goes out so the peer learns at once.
    drain(out);
  }

  // Sends what OpenSSL wrote, packing whole records into datagrams of at most `mtu` bytes. The
  // memory BIO loses OpenSSL's datagram boundaries; each record already fits the MTU.
  void drain(std::vector<Datagram>& out) {
    const std::size_t pending = BIO_ctrl_pending(outgoing);
    if (pending == 0) return;
    scratch.resize(pending);
    const int read = BIO_read(outgoing, scratch.data(), static_cast<int>(pending));
    if (read <= 0) return;
    std::span<const std::uint8_t> bytes(scratch.data(), static_cast<std::size_t>(read));
    Datagram current;
    while (!bytes.empty()) {
      const std::size_t length = bytes.size() >= kRecordHeaderBytes
                                     ? std::min(record_length(bytes), bytes.size())
                                     : bytes.size();
      if (!current.empty() && current.size() + length > options.mtu) {
        out.push_back(std::move(current));
        ++counters.datagrams_sent;
        current.clear();
      }
      current.insert(current.end(), bytes.begin(), bytes.begin() + static_cast<long>(length));
      bytes = bytes.subspan(length);
    }
    if (!current.empty()) {
      out.push_back(std::move(current));
      ++counters.datagrams_sent;
    }
  }

  void handshake(std::vector<Datagram>& out) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl.get());
    if (result == 1) {
      drain(out);
      finish_handshake(out);
      return;
    }
    const int error = SSL_get_error(ssl.get(), result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      drain(out);
      return;
    }
    if (fingerprint_rejected) {
      ERR_clear_error();
      fail(DtlsFailure::kFingerprintMismatch,
           "peer certificate does not match the a=fingerprint of its SDP", out);
      return;
    }
    fail(DtlsFailure::kProtocol, take_openssl_error("DTLS handshake failed"), out);
  }

  void finish_handshake(std::vector<Datagram>& out) {
    // The verify callback has run, but check again: a handshake that somehow skipped the
    // certificate must not key SRTP.
    CertificateDigest peer{};
    if (!certificate_digest(SSL_get0_peer_certificate(ssl.get()), peer) ||
        peer != expected_digest) {
      fail(DtlsFailure::kFingerprintMismatch, "peer certificate missing or not the one in SDP",
           out);
      return;
    }
    const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl.get());
    const auto chosen = selected != nullptr ? profile_from_id(selected->id) : std::nullopt;
    if (!chosen) {
      fail(DtlsFailure::kNoSrtpProfile, "peer did not negotiate a supported SRTP profile", out);
      return;
    }
    const std::size_t length = 2 * (master_key_bytes(*chosen) + master_salt_bytes(*chosen));
    if (SSL_export_keying_material(ssl.get(), keying.data(), length, kSrtpExporterLabel,
                                   sizeof kSrtpExporterLabel - 1, nullptr, 0, 0) != 1) {
      fail(DtlsFailure::kKeyExport, take_openssl_error("SRTP key export failed"), out);
      return;
    }
    profile = chosen;
    state = DtlsState::kConnected;
  }

  // After the handshake only alerts and retransmitted flights matter; application data has no
  // user yet (data channels would live here).
  void read_connected(std::vector<Datagram>& out) {
    std::array<std::uint8_t, 2048> sink{};
    for (int i = 0; i < 8; ++i) {  // a datagram carries a handful of records at most
      ERR_clear_error();
      const int read = SSL_read(ssl.get(), sink.data(), static_cast<int>(sink.size()));
      if (read > 0) {
        ++counters.application_data_dropped;
        continue;
      }
      const int error = SSL_get_error(ssl.get(), read);
      if (error == SSL_ERROR_ZERO_RETURN) {
        state = DtlsState::kClosed;
      } else if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        fail(DtlsFailure::kProtocol, take_openssl_error("DTLS association failed"), out);
        return;
      }
      break;
    }
    drain(out);
  }
};

std::string_view to_string(DtlsState state) {
  switch (state) {
    case DtlsState::kNew:
      return "new";
    case DtlsState::kConnecting:
      return "connecting";
    case DtlsState::kConnected:
      return "connected";
    case DtlsState::kFailed:
      return "failed";
    case DtlsState::kClosed:
      return "closed";
  }
  return "unknown";
}

int verify_peer_fingerprint(X509_STORE_CTX* store, void*) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* impl = ssl != nullptr ? static_cast<DtlsEndpoint::Impl*>(SSL_get_app_data(ssl)) : nullptr;
  CertificateDigest digest{};
  if (impl != nullptr && certificate_digest(X509_STORE_CTX_get0_cert(store), digest) &&
      digest == impl->expected_digest) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  if (impl != nullptr) impl->fingerprint_rejected = true;
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

namespace {

// OpenSSL asks for the next retransmission timeout: 0 means the first one of a flight.
unsigned int next_retransmit_us(SSL* ssl, unsigned int previous_us) {
  const auto* impl = static_cast<const DtlsEndpoint::Impl*>(SSL_get_app_data(ssl));
  const unsigned int initial = to_microseconds(impl->options.initial_retransmit);
  const unsigned int ceiling = to_microseconds(impl->options.max_retransmit_interval);
  if (previous_us == 0) return initial;
  return previous_us >= ceiling / 2 ? ceiling : previous_us * 2;
}

}  // namespace

Result<DtlsEndpoint> DtlsEndpoint::create(std::shared_ptr<const DtlsIdentity> identity,
                                          const DtlsEndpointOptions& options) {
  if (!identity) return make_error(0, "DTLS endpoint needs an identity");
  auto digest = parse_fingerprint(options.remote_fingerprint);
  if (!digest) return make_error(0, "remote fingerprint: " + digest.error().message);
  if (options.srtp_profiles.empty()) return make_error(0, "no SRTP profile to offer");
  if (options.mtu < kMinMtu || options.mtu > kMaxDatagramBytes) {
    return make_error(0, "DTLS MTU must be 256..65536 bytes");
  }
  std::string profiles;
  for (const auto profile : options.srtp_profiles) {
    if (profile != SrtpProfile::kAes128CmHmacSha1_80 && profile != SrtpProfile::kAeadAes128Gcm) {
      return make_error(0, "unsupported SRTP profile");
    }
    if (!profiles.empty()) profiles += ':';
    profiles += openssl_profile_name(profile);
  }

  ERR_clear_error();
  auto impl = std::make_unique<Impl>();
  impl->identity = std::move(identity);
  impl->options = options;
  impl->expected_digest = *digest;
  impl->ssl.reset(SSL_new(impl->identity->impl().context.get()));
  if (!impl->ssl) return make_error(0, take_openssl_error("SSL_new failed"));
  SSL* ssl = impl->ssl.get();
  impl->incoming = BIO_new(BIO_s_mem());
  impl->outgoing = BIO_new(BIO_s_mem());
  if (impl->incoming == nullptr || impl->outgoing == nullptr) {
    BIO_free(impl->incoming);
    BIO_free(impl->outgoing);
    return make_error(0, take_openssl_error("BIO_new failed"));
  }
  // An empty memory BIO means "no datagram yet", not end of stream.
  BIO_set_mem_eof_return(impl->incoming, -1);
  BIO_set_mem_eof_return(impl->outgoing, -1);
  SSL_set_bio(ssl, impl->incoming, impl->outgoing);
  SSL_set_app_data(ssl, impl.get());
  // SSL_set_tlsext_use_srtp() returns 0 on success.
  if (SSL_set_tlsext_use_srtp(ssl, profiles.c_str()) != 0 ||
      SSL_set_mtu(ssl, static_cast<long>(options.mtu)) <= 0) {
    return make_error(0, take_openssl_error("DTLS connection set-up failed"));
  }
  DTLS_set_timer_cb(ssl, next_retransmit_us);
  if (options.role == DtlsRole::kClient) {
    SSL_set_connect_state(ssl);
  } else {
    SSL_set_accept_state(ssl);
  }
  return DtlsEndpoint(std::move(impl));
}

DtlsEndpoint::DtlsEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DtlsEndpoint::DtlsEndpoint(DtlsEndpoint&&) noexcept = default;
DtlsEndpoint& DtlsEndpoint::operator=(DtlsEndpoint&&) noexcept = default;
DtlsEndpoint::~DtlsEndpoint() = default;

bool DtlsEndpoint::is_dtls(std::span<const std::uint8_t> datagram) {
  return !datagram.empty() && datagram[0] >= 20 && datagram[0] <= 63;
}

void DtlsEndpoint::start(std::vector<Datagram>& out) {
  if (impl_->state != DtlsState::kNew) return;
  impl_->state = DtlsState::kConnecting;
  if (impl_->options.role == DtlsRole::kClient) impl_->handshake(out);
}

void DtlsEndpoint::receive(std::span<const std::uint8_t> datagram, std::vector<Datagram>& out) {
  Impl& d = *impl_;
  ++d.counters.datagrams_received;
  if (d.state == DtlsState::kNew && d.options.role == DtlsRole::kServer) {
    d.state = DtlsState::kConnecting;
  }
  const bool usable = d.state == DtlsState::kConnecting || d.state == DtlsState::kConnected;
  if (!usable || !whole_records(datagram)) {
    ++d.counters.datagrams_dropped;
    return;
  }
  if (d.state == DtlsState::kConnecting &&
      ++d.handshake_datagrams > d.options.max_handshake_datagrams) {
    d.fail(DtlsFailure::kTooManyDatagrams,
           "DTLS handshake did not finish within " +
               std::to_string(d.options.max_handshake_datagrams) + " datagrams",
           out);
    return;
  }
  if (BIO_write(d.incoming, datagram.data(), static_cast<int>(datagram.size())) !=
      static_cast<int>(datagram.size())) {
    ++d.counters.datagrams_dropped;
    return;
  }
  if (d.state == DtlsState::kConnecting) {
    d.handshake(out);
  } else {
    d.read_connected(out);
  }
  // Whatever OpenSSL left unread belonged to this datagram only; never glue it to the next.
  (void)BIO_reset(d.incoming);
}

std::optional<std::chrono::milliseconds> DtlsEndpoint::retransmit_timeout() const {
  if (impl_->state != DtlsState::kConnecting) return std::nullopt;
  timeval remaining{};
  if (DTLSv1_get_timeout(impl_->ssl.get(), &remaining) != 1) return std::nullopt;
  // Round up so that the caller's timer does not fire just before OpenSSL's deadline.
  const long long us = static_cast<long long>(remaining.tv_sec) * 1000000 + remaining.tv_usec;
  return std::chrono::milliseconds((us + 999) / 1000);
}

void DtlsEndpoint::on_timer(std::vector<Datagram>& out) {
  Impl& d = *impl_;
  if (d.state != DtlsState::kConnecting) return;
  timeval remaining{};
  if (DTLSv1_get_timeout(d.ssl.get(), &remaining) != 1) return;
  if (remaining.tv_sec != 0 || remaining.tv_usec != 0) return;
  if (d.retransmissions >= d.options.max_retransmits) {
    d.fail(DtlsFailure::kTimeout,
           "no answer from the DTLS peer after " + std::to_string(d.retransmissions) +
               " retransmissions",
           out);
    return;
  }
  ERR_clear_error();
  const int result = DTLSv1_handle_timeout(d.ssl.get());
  if (result > 0) {
    ++d.retransmissions;
    ++d.counters.retransmissions;
    d.drain(out);
  } else if (result < 0) {
    d.fail(DtlsFailure::kTimeout, take_openssl_error("DTLS retransmission failed"), out);
  }
}

void DtlsEndpoint::close(std::vector<Datagram>& out) {
  Impl& d = *impl_;
  if (d.state == DtlsState::kConnected) {
    ERR_clear_error();
    (void)SSL_shutdown(d.ssl.get());
    d.drain(out);
    ERR_clear_error();
  }
  if (d.state != DtlsState::kFailed) d.state = DtlsState::kClosed;
}

DtlsState DtlsEndpoint::state() const {
  return impl_->state;
}
DtlsRole DtlsEndpoint::role() const {
  return impl_->options.role;
}
const std::optional<Error>& DtlsEndpoint::failure() const {
  return impl_->failure;
}
std::optional<SrtpProfile> DtlsEndpoint::srtp_profile() const {
  return impl_->profile;
}
const DtlsCounters& DtlsEndpoint::counters() const {
  return impl_->counters;
}

Result<DtlsSrtpSessions> DtlsEndpoint::srtp_sessions(const SrtpSessionOptions& options) const {
  const Impl& d = *impl_;
  if (d.state != DtlsState::kConnected || !d.profile) {
    return make_error(0, "SRTP keys exist only once the DTLS handshake has finished");
  }
  // RFC 5764 §4.2: client write key | server write key | client write salt | server write salt.
  const SrtpProfile profile = *d.profile;
  const std::size_t key = master_key_bytes(profile);
  const std::size_t salt = master_salt_bytes(profile);
  const std::span<const std::uint8_t> keying(d.keying);
  const auto client_key = keying.subspan(0, key);
  const auto server_key = keying.subspan(key, key);
  const auto client_salt = keying.subspan(2 * key, salt);
  const auto server_salt = keying.subspan(2 * key + salt, salt);
  const bool client = d.options.role == DtlsRole::kClient;

  auto outbound =
      SrtpSession::create(SrtpDirection::kOutbound, profile, client ? client_key : server_key,
                          client ? client_salt : server_salt, options);
  if (!outbound) return outbound.error();
  auto inbound =
      SrtpSession::create(SrtpDirection::kInbound, profile, client ? server_key : client_key,
                          client ? server_salt : client_salt, options);
  if (!inbound) return inbound.error();
  return DtlsSrtpSessions{profile, std::move(*inbound), std::move(*outbound)};
}

Result<std::vector<std::uint8_t>> DtlsEndpoint::export_keying_material(std::string_view label,
                                                                       std::size_t length) const {
  if (impl_->state != DtlsState::kConnected) {
    return make_error(0, "keying material exists only once the DTLS handshake has finished");
  }
  std::vector<std::uint8_t> material(length);
  const std::string label_text(label);
  ERR_clear_error();
  if (SSL_export_keying_material(impl_->ssl.get(), material.data(), material.size(),
                                 label_text.c_str(), label_text.size(), nullptr, 0, 0) != 1) {
    return make_error(0, take_openssl_error("keying material export failed"));
  }
  return material;
}

}  // namespace parley::webrtc
