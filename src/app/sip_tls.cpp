#include "app/sip_tls.hpp"

#include <chrono>
#include <optional>

#include "http/certificate.hpp"

namespace parley::app {
namespace {

std::chrono::milliseconds milliseconds(double seconds) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(seconds));
}

}  // namespace

Result<SipTls> make_sip_tls(const Config& config) {
  std::optional<http::CertificateFiles> certificate;
  if (!config.tls_listen.empty() || !config.tls_certificate_file.empty()) {
    const bool own = !config.tls_certificate_file.empty();
    auto files = http::load_or_create_certificate(
        config.data_dir, own ? config.tls_certificate_file : config.http_certificate_file,
        own ? config.tls_key_file : config.http_key_file);
    if (!files) return files.error();
    certificate = std::move(files).value();
  }
  SipTls out;
  if (!config.tls_listen.empty()) {
    // Every client is asked for a certificate, judged later: a trunk with mutual TLS names its
    // own CA (decision 0048); phones send none and are unaffected.
    auto server = net::TlsContext::create(net::TlsContext::Role::kServer,
                                          {.certificate_file = certificate->certificate,
                                           .key_file = certificate->private_key,
                                           .ca_file = {},
                                           .verify_peer = false,
                                           .request_client_certificate = true});
    if (!server) return server.error();
    out.server = std::move(server).value();
  }
  net::TlsContextOptions client;
  if (certificate) {
    client.certificate_file = certificate->certificate;
    client.key_file = certificate->private_key;
  }
  client.ca_file = config.trunk_tls_ca_file;
  client.verify_peer = config.trunk_tls_verify;
  auto made = net::TlsContext::create(net::TlsContext::Role::kClient, client);
  if (!made) return made.error();
  out.client = std::move(made).value();
  return out;
}

net::TlsServerOptions sip_tls_options(const Config& config) {
  net::TlsServerOptions options;
  options.idle_timeout = milliseconds(config.tcp_idle_timeout_s);
  options.handshake_timeout = milliseconds(config.tls_handshake_timeout_s);
  options.max_connections = config.max_tcp_connections;
  options.max_connections_per_ip = config.tls_max_connections_per_ip;
  return options;
}

}  // namespace parley::app
