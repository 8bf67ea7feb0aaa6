#include "http/certificate.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>
#include <system_error>

namespace parley::http {
namespace {

// Validity of the self-signed certificate: the most that Apple platforms accept for a TLS server
// certificate (they refuse longer ones), and long enough that nobody renews by hand.
constexpr long kValidityDays = 825;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};
struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct ExtensionFree {
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, ExtensionFree>;

// The first queued OpenSSL error as text (and the queue cleared), for messages people read.
std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

Error failure(const std::filesystem::path& path, std::string_view what) {
  return make_error(EINVAL, path.string() + ": " + std::string(what));
}

Result<X509Ptr> read_certificate(const std::filesystem::path& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) return failure(path, std::string("cannot open: ") + std::strerror(errno));
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) return failure(path, "not a PEM certificate (" + openssl_error() + ")");
  return certificate;
}

Result<KeyPtr> read_key(const std::filesystem::path& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) return failure(path, std::string("cannot open: ") + std::strerror(errno));
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return failure(path, "not a PEM private key (" + openssl_error() + ")");
  return key;
}

std::string fingerprint_of(X509* certificate) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  X509_digest(certificate, EVP_sha256(), digest.data(), &length);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    if (i != 0) text += ':';
    text += kHex[digest[i] >> 4U];
    text += kHex[digest[i] & 0x0FU];
  }
  return text;
}

Result<CertificateFiles> load_pair(const std::filesystem::path& certificate_file,
                                   const std::filesystem::path& key_file) {
  auto certificate = read_certificate(certificate_file);
  if (!certificate) return certificate.error();
  auto key = read_key(key_file);
  if (!key) return key.error();
  if (X509_check_private_key(certificate->get(), key->get()) != 1) {
    ERR_clear_error();
    return failure(key_file, "this private key does not belong to " + certificate_file.string());
  }
  return CertificateFiles{certificate_file, key_file, fingerprint_of(certificate->get()), false};
}

bool add_extension(X509* certificate, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  return extension && X509_add_ext(certificate, extension.get(), -1) == 1;
}

Result<X509Ptr> make_certificate(EVP_PKEY* key) {
  X509Ptr certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), 2) != 1) {
    return make_error(ENOMEM, "X509_new: " + openssl_error());
  }
  // A random positive 127-bit serial (RFC 5280 §4.1.2.2: unique, at most 20 octets).
  std::array<unsigned char, 16> serial_bytes{};
  if (RAND_bytes(serial_bytes.data(), serial_bytes.size()) != 1) {
    return make_error(EIO, "RAND_bytes: " + openssl_error());
  }
  serial_bytes[0] &= 0x7FU;
  serial_bytes[0] |= 0x01U;
  BIGNUM* serial = BN_bin2bn(serial_bytes.data(), serial_bytes.size(), nullptr);
  const bool serial_set =
      serial != nullptr &&
      BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate.get())) != nullptr;
  BN_free(serial);
  if (!serial_set) return make_error(EIO, "serial: " + openssl_error());

  constexpr long kSkewSeconds = 3600;  // tolerate clients whose clocks run a little slow
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -kSkewSeconds);
  X509_time_adj_ex(X509_getm_notAfter(certificate.get()), kValidityDays, 0, nullptr);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  const unsigned char common_name[] = "parley";
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, common_name, -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  X509_set_pubkey(certificate.get(), key);

  if (!add_extension(certificate.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(certificate.get(), NID_key_usage, "critical,digitalSignature") ||
      !add_extension(certificate.get(), NID_ext_key_usage, "serverAuth") ||
      !add_extension(certificate.get(), NID_subject_key_identifier, "hash") ||
      !add_extension(certificate.get(), NID_subject_alt_name,
                     "DNS:localhost,IP:127.0.0.1,IP:::1")) {
    return make_error(EIO, "certificate extensions: " + openssl_error());
  }
  if (X509_sign(certificate.get(), key, EVP_sha256()) == 0) {
    return make_error(EIO, "X509_sign: " + openssl_error());
  }
  return certificate;
}

// Writes `text` to `path` through a temporary file and a rename, so a crash never leaves half a
// key behind; `mode` applies from creation (the key is never readable by others, even briefly).
Result<void> write_atomically(const std::filesystem::path& path, std::string_view text,
                              mode_t mode) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return failure(temporary, std::string("cannot create: ") + std::strerror(errno));
  ::fchmod(fd, mode);  // O_CREAT's mode is masked by umask and ignored for an existing file
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t wrote = ::write(fd, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      const int error = errno;
      ::close(fd);
      return failure(temporary, std::string("cannot write: ") + std::strerror(error));
    }
    done += static_cast<std::size_t>(wrote);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return failure(temporary, std::string("cannot write: ") + std::strerror(errno));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return failure(path, std::string("cannot rename into place: ") + std::strerror(errno));
  }
  return {};
}

std::string pem_of(const std::function<int(BIO*)>& write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return {};
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

Result<CertificateFiles> create_pair(const std::filesystem::path& certificate_file,
                                     const std::filesystem::path& key_file) {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return make_error(EIO, "EC P-256 key generation: " + openssl_error());
  auto certificate = make_certificate(key.get());
  if (!certificate) return certificate.error();

  const std::string key_pem = pem_of([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  const std::string certificate_pem =
      pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, certificate->get()); });
  if (key_pem.empty() || certificate_pem.empty()) {
    return make_error(EIO, "PEM encoding: " + openssl_error());
  }
  // Key first: a certificate on disk always has its key beside it.
  if (auto written = write_atomically(key_file, key_pem, 0600); !written) return written.error();
  if (auto written = write_atomically(certificate_file, certificate_pem, 0644); !written) {
    return written.error();
  }
  return CertificateFiles{certificate_file, key_file, fingerprint_of(certificate->get()), true};
}

}  // namespace

Result<CertificateFiles> load_or_create_certificate(const std::filesystem::path& data_dir,
                                                    const std::filesystem::path& certificate_file,
                                                    const std::filesystem::path& key_file) {
  if (certificate_file.empty() != key_file.empty()) {
    return make_error(EINVAL,
                      "an HTTPS certificate needs both the certificate file and the key file; "
                      "set both, or neither for a generated self-signed one");
  }
  if (!certificate_file.empty()) return load_pair(certificate_file, key_file);

  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) return failure(data_dir, "cannot create the data folder: " + error.message());
  const std::filesystem::path certificate = data_dir / kSelfSignedCertificateFile;
  const std::filesystem::path key = data_dir / kSelfSignedKeyFile;
  const bool have_certificate = std::filesystem::exists(certificate, error);
  const bool have_key = std::filesystem::exists(key, error);
  if (have_certificate && have_key) return load_pair(certificate, key);
  if (have_certificate || have_key) {
    spdlog::warn("{} has only half of the self-signed HTTPS pair; making a new pair",
                 data_dir.string());
  }
  return create_pair(certificate, key);
}

}  // namespace parley::http
